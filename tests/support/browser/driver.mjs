// Drives Debian's Chromium through Portvakt's login journeys for tests/it/browser.rs.
//
// Usage: node driver.mjs PLAN.json
// The plan (written by the Rust harness) names the gateway URLs, the control server of the harness (codes from the
// real SMTP server and SMS stand-in, the gateway's injected clock), the artifacts directory and one entry per journey
// with its language, viewport width, user and the page texts in that language (from the pages' message ids), so
// every locator is a role plus an accessible name, never a CSS class.
//
// One Chromium per run, a fresh browser context per journey, a few journeys at a time. Every state of a Portvakt
// page is checked with axe-core (wcag2a, wcag2aa, wcag21aa, wcag22aa: 0 violations). Logins are completed with the
// keyboard only (Tab to a field, type, Tab to the button, Enter). On a failure the page is saved as a screenshot
// and HTML in the artifacts directory. Results go to RESULTS.json (path in the plan), one entry per journey; the
// exit code is 0 only when every journey passed.
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa'];
const STEP_TIMEOUT_MS = 15_000;
const MAX_TABS = 40;

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
mkdirSync(plan.artifacts, { recursive: true });
// A hung step must not hang the test run: the whole run has a deadline.
setTimeout(() => {
  console.error(`driver: the run's deadline of ${plan.deadlineMs} ms passed`);
  process.exit(2);
}, plan.deadlineMs).unref();

/** A RegExp matching a message whose `{placeholders}` may hold anything. */
function pattern(template) {
  const parts = template.split(/\{[a-z_]+\}/);
  const escaped = parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^\\s*${escaped.join('.+')}\\s*$`);
}

/** A message with its placeholders filled. */
function fill(template, values) {
  return template.replace(/\{([a-z_]+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
}

class JourneyError extends Error {}

function expect(cond, what) {
  if (!cond) throw new JourneyError(what);
}

/** Asks the harness: GET/POST on its control server, answer text (404 → null). */
async function control(method, pathAndQuery) {
  const r = await fetch(plan.control + pathAndQuery, { method });
  if (r.status === 404) return null;
  if (!r.ok) throw new JourneyError(`control ${method} ${pathAndQuery}: ${r.status} ${await r.text()}`);
  return r.text();
}

/** The one-time code (ABC-123) in a message. */
function codeIn(text) {
  const m = /\b([A-Z0-9]{3}-[A-Z0-9]{3})\b/.exec(text ?? '');
  return m ? m[1] : null;
}

/** Reads the newest message for `to` from the harness (SMS or mail) that is not one of `seen`; bounded retries,
 * because the SMTP server writes the message to disk after the gateway's send returned. */
async function newestCode(kind, to) {
  for (let i = 0; i < 100; i++) {
    const text = await control('GET', `/${kind}?to=${encodeURIComponent(to)}`);
    const code = codeIn(text);
    if (code) return code;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new JourneyError(`no ${kind} with a code reached ${to}`);
}

/** One journey's page and helpers. */
class Run {
  constructor(j, page) {
    this.j = j;
    this.t = j.texts;
    this.page = page;
    this.states = [];
  }

  /** The gateway page in this state passes axe-core (0 violations) and is in the journey's language. */
  async check(state) {
    const { page } = this;
    await page.waitForLoadState('load');
    const lang = await page.evaluate(() => document.documentElement.lang);
    expect(lang === this.j.lang, `${state}: <html lang="${lang}">, expected "${this.j.lang}" (${page.url()})`);
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
      await page.addScriptTag({ content: AXE_SOURCE });
    }
    const result = await page.evaluate(
      (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
      AXE_TAGS,
    );
    const violations = result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary}`),
    }));
    this.states.push({ state, url: page.url(), violations: violations.length });
    expect(violations.length === 0, `${state}: axe-core found ${violations.length} violation(s) at ${page.url()}:\n` +
      JSON.stringify(violations, null, 2));
  }

  /** Waits for the page's main heading. */
  async heading(text) {
    await this.page.getByRole('heading', { level: 1, name: text, exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
  }

  /** Presses Tab until `locator` has the focus (bounded); fails when it never does. */
  async tabTo(locator, what) {
    const el = await locator.elementHandle({ timeout: STEP_TIMEOUT_MS });
    for (let i = 0; i < MAX_TABS; i++) {
      if (await el.evaluate((e) => e === document.activeElement)) return;
      await this.page.keyboard.press('Tab');
    }
    throw new JourneyError(`${what}: not reachable with Tab within ${MAX_TABS} presses`);
  }

  /** Tabs to a text field by its label and types into it. */
  async kbType(label, value) {
    const field = this.page.getByLabel(label, { exact: true });
    await this.tabTo(field, `field "${label}"`);
    await this.page.keyboard.type(value);
  }

  /** Tabs to a button (or link styled as one) by its name and presses Enter. */
  async kbPress(role, name) {
    const target = this.page.getByRole(role, { name, exact: typeof name === 'string' });
    await this.tabTo(target, `${role} "${name}"`);
    await this.page.keyboard.press('Enter');
  }

  /** Tabs into a radio group and moves the choice with the arrow keys to the radio named `name` (a RegExp). */
  async kbChoose(name) {
    const radio = this.page.getByRole('radio', { name });
    const el = await radio.elementHandle({ timeout: STEP_TIMEOUT_MS });
    const group = this.page.getByRole('radio');
    const count = await group.count();
    // Tab reaches the group at its checked radio; arrows move the choice.
    let reached = false;
    for (let i = 0; i < MAX_TABS && !reached; i++) {
      reached = await this.page.evaluate(() => document.activeElement?.type === 'radio');
      if (!reached) await this.page.keyboard.press('Tab');
    }
    expect(reached, `radio group: not reachable with Tab`);
    for (let i = 0; i <= count; i++) {
      if (await el.evaluate((e) => e.checked && e === document.activeElement)) return;
      await this.page.keyboard.press('ArrowDown');
    }
    throw new JourneyError(`radio ${name}: not chosen with the arrow keys`);
  }

  /** The accessible description Chromium computes for the element with `id` (DevTools' Accessibility domain). */
  async description(id) {
    const cdp = await this.page.context().newCDPSession(this.page);
    try {
      const { result } = await cdp.send('Runtime.evaluate', {
        expression: `document.getElementById(${JSON.stringify(id)})`,
      });
      expect(result.objectId, `no element #${id}`);
      const { nodes } = await cdp.send('Accessibility.getPartialAXTree', { objectId: result.objectId, fetchRelatives: false });
      return nodes[0]?.description?.value ?? '';
    } finally {
      await cdp.detach();
    }
  }

  /** After a refused form: the error (an alert matching `message`) is where the browser put the focus, as the page
   * design says (the error above the form takes it when the page opens), and the field it is about (`field`, a
   * locator) is invalid and has the error's text in its accessible description. */
  async errorFocus(state, field, message) {
    const { page } = this;
    const alert = page.getByRole('alert').filter({ hasText: message });
    await alert.waitFor({ timeout: STEP_TIMEOUT_MS });
    const [alertId, fieldId] = [await alert.getAttribute('id'), await field.getAttribute('id')];
    const text = (await alert.innerText()).replace(/\s+/g, ' ').trim();
    // Autofocus runs once the page is shown; give it a frame or two.
    let focused = null;
    for (let i = 0; i < 20 && focused !== alertId; i++) {
      focused = await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName || null);
      if (focused !== alertId) await page.waitForTimeout(25);
    }
    expect(focused === alertId, `${state}: the focus is on ${focused}, not on the error #${alertId} ("${text}")`);
    expect(await field.getAttribute('aria-invalid') === 'true', `${state}: #${fieldId} is not marked invalid`);
    const described = (await this.description(fieldId)).replace(/\s+/g, ' ');
    expect(described.includes(text), `${state}: #${fieldId}'s accessible description "${described}" lacks "${text}"`);
  }

  /** After a successful form, the page shown came by GET (POST-redirect-GET): a reload sends no form again, and
   * after leaving the page, Back shows it again as it was, with no "Confirm Form Resubmission" (net::ERR_CACHE_MISS). */
  async backSafe(state) {
    const { page } = this;
    const [url, title] = [page.url(), await page.title()];
    const same = async (what) => {
      await page.waitForLoadState('load');
      const body = await page.evaluate(() => document.body?.innerText ?? '');
      expect(!body.includes('ERR_CACHE_MISS') && !/Confirm Form Resubmission/i.test(body),
        `${state}: ${what} shows "Confirm Form Resubmission" at ${url}`);
      expect(page.url() === url && await page.title() === title,
        `${state}: ${what} shows "${await page.title()}" at ${page.url()}, not "${title}" at ${url}`);
    };
    const reloaded = await page.reload();
    const method = reloaded?.request().method();
    expect(method === 'GET', `${state}: reloading ${url} sent ${method}, not GET`);
    await same('reload');
    await page.goto('about:blank');
    try {
      await page.goBack();
    } catch (e) {
      throw new JourneyError(`${state}: Back to ${url} failed: ${e.message.split('\n')[0]}`);
    }
    await same('Back');
  }

  /** After a refused form and then a successful one: Back goes to the entry of the refused form, which shows the
   * form's page again by GET at path `p` (its page turned that entry into a GET), never "Confirm Form
   * Resubmission"; Forward comes back. */
  async backOverRefused(state, p) {
    const { page } = this;
    const after = page.url();
    try {
      await page.goBack();
    } catch (e) {
      throw new JourneyError(`${state}: Back failed: ${e.message.split('\n')[0]}`);
    }
    await page.waitForLoadState('load');
    const body = await page.evaluate(() => document.body?.innerText ?? '');
    expect(!body.includes('ERR_CACHE_MISS') && !/Confirm Form Resubmission/i.test(body),
      `${state}: Back shows "Confirm Form Resubmission" at ${page.url()}`);
    expect(new URL(page.url()).pathname === p, `${state}: Back shows ${page.url()}, expected the page at ${p}`);
    await page.goForward();
    await page.waitForLoadState('load');
    expect(page.url() === after, `${state}: Forward shows ${page.url()}, not ${after}`);
  }

  /** WCAG 1.4.10 reflow (400 % zoom of 1280 × 1024 is 320 × 256 CSS px): the page does not scroll sideways, and its
   * primary control (`locator`) is reached with Tab, scrolled into view, and not hidden under anything there. */
  async reflow(state, locator, what) {
    const { page } = this;
    await page.waitForLoadState('load');
    const [sw, iw] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(sw <= iw, `${state}: the page scrolls sideways at ${iw} px (it is ${sw} px wide)`);
    if (!locator) return;
    await this.tabTo(locator, `${state}: ${what}`);
    const seen = await locator.evaluate((e) => {
      const r = e.getBoundingClientRect();
      const [x, y] = [r.left + r.width / 2, r.top + r.height / 2];
      // Scrolled into view by the focus, an edge may fall on a fraction of a pixel past the viewport.
      const inView = r.top >= -1 && r.bottom <= window.innerHeight + 1 && r.left >= -1 && r.right <= window.innerWidth + 1;
      const top = document.elementFromPoint(x, y);
      return { inView, onTop: top === e || e.contains(top), box: [r.left, r.top, r.width, r.height] };
    });
    expect(seen.inView, `${state}: ${what} has the focus but is not in view at 320 × 256 (${seen.box})`);
    expect(seen.onTop, `${state}: ${what} has the focus but something covers it (${seen.box})`);
  }

  /** Waits until the page's URL path is `p` (exact). */
  async at(p) {
    await this.page.waitForURL((u) => u.pathname === p, { timeout: STEP_TIMEOUT_MS });
  }

  /** The login page, checked, then the password login by keyboard only. */
  async passwordLogin(state) {
    const { t, j } = this;
    await this.heading(t.LoginTitle);
    await this.check(`${state}: login page`);
    await this.kbType(t.Username, j.user);
    await this.kbType(t.Password, j.password);
    await this.kbPress('button', t.LoginButton);
  }

  /** The service behind the gateway (the demo echo backend) answered at `p` and saw this journey's user and
   * login methods in the identity headers it lists. */
  async atService(p, methods) {
    await this.at(p);
    const seen = async (header) => {
      const row = this.page.getByRole('row').filter({
        has: this.page.getByRole('rowheader', { name: header, exact: true }),
      });
      return row.count().then((n) => (n === 1 ? row.getByRole('cell').innerText() : null));
    };
    await this.page.getByRole('table').waitFor({ timeout: STEP_TIMEOUT_MS });
    const user = await seen('x-portvakt-user');
    expect(user === this.j.user, `the service at ${p} saw user ${user}, expected ${this.j.user}`);
    if (methods) {
      const m = await seen('x-portvakt-methods');
      expect(m === methods, `the service at ${p} saw methods ${m}, expected ${methods}`);
    }
  }
}

/** The test OP's own login page (not Portvakt's, so not axe-checked): national identity number and level. */
async function opLogin(page, pid, acr) {
  await page.getByLabel('Fødselsnummer').fill(pid, { timeout: STEP_TIMEOUT_MS });
  await page.getByLabel('Nivå').selectOption(acr);
  await page.getByRole('button', { name: 'Logg inn', exact: true }).click();
}

// ---- the journeys -------------------------------------------------------------------------------------------------

const JOURNEYS = {
  /** Internal password login by keyboard, first with a wrong password (the error takes the focus and describes the
   * password field), the service, the portal, logout with the header's button; Back and reload after the login and
   * after the logout show the pages again, never "Confirm Form Resubmission". */
  async password(r) {
    const { page, t, j } = r;
    await page.goto(`${j.base}/self-service/`);
    await r.heading(t.LoginTitle);
    await r.kbType(t.Username, j.user);
    await r.kbType(t.Password, `${j.password}-wrong`);
    await r.kbPress('button', t.LoginButton);
    await r.heading(t.LoginTitle);
    await r.errorFocus('wrong password', page.getByLabel(t.Password, { exact: true }), t.LoginFailed);
    await r.check('login page: wrong password');
    const kept = await page.getByLabel(t.Username, { exact: true }).inputValue();
    expect(kept === j.user, `after a wrong password the username field holds "${kept}"`);
    await r.kbType(t.Password, j.password);
    await r.kbPress('button', t.LoginButton);
    await r.atService('/self-service/', 'password');
    await r.backOverRefused('Back over the wrong password', '/.portvakt/login');
    await r.backSafe('service after the login');
    // A link with an encoded slash is refused: the page says why in the journey's language, and leads back.
    const refused = await page.goto(`${j.base}/self-service/a%2fb`);
    expect(refused.status() === 400, `a refused address answered ${refused.status()}, expected 400`);
    await r.heading(t.BadRequestTitle);
    await page.getByText(t.BadPathEncodedSlash, { exact: false }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await r.check('refused address');
    await r.kbPress('link', t.BackToPortal);
    await r.heading(t.PortalTitle);
    await r.check('portal');
    await r.kbPress('button', t.Logout);
    await r.heading(t.LoggedOutTitle);
    await r.check('logged out');
    await r.backSafe('logged out');
    // The session is gone: the service sends the browser to the login page again.
    await page.goto(`${j.base}/self-service/`);
    await r.heading(t.LoginTitle);
  },

  /** Remote: password, then an SMS code typed in lower case; the account page refuses number changes from here. */
  async sms(r) {
    const { page, t, j } = r;
    await page.goto(`${j.remote}/expense/claims`);
    await r.passwordLogin('remote');
    await r.heading(t.SecondFactorTitle);
    await r.check('second factor: choose');
    await r.kbChoose(pattern(t.ChannelSms));
    await r.kbPress('button', t.SendCode);
    await page.getByLabel(t.CodeLabel, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await r.check('second factor: code sent by SMS');
    await r.backSafe('code page after the send');
    const code = await newestCode('sms', j.phone);
    // A wrong code first: the error takes the focus and describes the code field, which stays.
    await r.kbType(t.CodeLabel, 'zzz-zzz');
    await r.kbPress('button', t.VerifyButton);
    await r.errorFocus('wrong code', page.getByLabel(t.CodeLabel, { exact: true }), pattern(t.CodeWrong));
    await r.check('second factor: wrong code');
    await page.getByLabel(t.CodeLabel, { exact: true }).fill('');
    await r.kbType(t.CodeLabel, code.toLowerCase());
    await r.kbPress('button', t.VerifyButton);
    await r.atService('/expense/claims', 'password,sms');
    // The code page of a session that now has its code goes on to the service: Back lands there again.
    await r.backOverRefused('Back over the wrong code', '/expense/claims');
    await r.backSafe('service after the code');
    // From outside, the numbers cannot be changed: the page says so and offers no form.
    await page.goto(`${j.remote}/.portvakt/account`);
    await r.heading(t.AccountTitle);
    await page.getByText(t.PhonesOnlyInternal, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await page.getByRole('button', { name: t.SaveButton, exact: true }).count() === 0,
      'the account page from outside offers a Save button');
    await r.check('account page from outside');
  },

  /** Remote: password, then a code by e-mail read from the real SMTP server. */
  async email(r) {
    const { page, t, j } = r;
    await page.goto(`${j.remote}/expense/claims`);
    await r.passwordLogin('remote');
    await r.heading(t.SecondFactorTitle);
    await r.kbChoose(pattern(t.ChannelEmail));
    await r.kbPress('button', t.SendCode);
    await page.getByLabel(t.CodeLabel, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await r.check('second factor: code sent by e-mail');
    const code = await newestCode('mail', j.email);
    await r.kbType(t.CodeLabel, code);
    await r.kbPress('button', t.VerifyButton);
    await r.atService('/expense/claims', 'password,email');
  },

  /** eID at work: the login page's provider button, the test OpenID Provider's login; the first time, the link
   * page sends a code to the municipal address (read from the real SMTP server) and the code links and logs in to
   * the service; then the account page's Unlink (with the password) ends this eID session and the page says why.
   * Back and reload after sending the code, linking and unlinking show the pages again, never a resubmission. */
  async eid(r) {
    const { page, t, j } = r;
    await page.goto(`${j.base}/self-service/`);
    await r.heading(t.LoginTitle);
    await r.check('login page with eID');
    await r.kbPress('link', fill(t.EidLoginWith, { provider: j.eidTitle }));
    await opLogin(page, j.pid, j.acr);
    await r.heading(t.EidLinkTitle);
    await r.check('eID link page');
    await r.kbType(t.EidEmailLabel, j.email);
    await r.kbPress('button', t.EidSendCode);
    await page.getByLabel(t.EidCodeLabel, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await r.check('eID link page: code sent');
    await r.backSafe('eID link page after the send');
    const code = await newestCode('mail', j.email);
    await r.kbType(t.EidCodeLabel, code);
    await r.kbPress('button', t.EidLinkButton);
    await r.atService('/self-service/', 'eid');
    await r.backSafe('service after linking');
    await page.goto(`${j.base}/.portvakt/account`);
    await r.heading(t.AccountTitle);
    await r.check('account page of an eID login');
    // The eID card's password field, by its own label (the numbers form above asks for the password too).
    const password = page.getByLabel(t.EidUnlinkConfirmPassword, { exact: true });
    await r.tabTo(password, 'the eID card\'s password field');
    await page.keyboard.type(j.password);
    await r.kbPress('button', t.EidUnlinkButton);
    await r.heading(t.EidAccountTitle);
    await page.getByText(t.EidUnlinked, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await r.check('eID unlinked: the session ended');
    await r.backSafe('page after unlinking');
    await page.goto(`${j.base}/self-service/`);
    await r.heading(t.LoginTitle);
  },

  /** Account page on the internal network, reached from the portal header's link: the first number is pre-filled,
   * a second one is added and the first stays; then the first is removed by its own button, the page says which
   * number went, and only the second is left. */
  async account(r) {
    const { page, t, j } = r;
    await page.goto(`${j.base}/.portvakt/portal`);
    await r.passwordLogin('internal');
    await r.heading(t.PortalTitle);
    await r.kbPress('link', t.AccountLink);
    await r.heading(t.AccountTitle);
    await r.check('account page');
    await page.getByRole('definition').filter({ hasText: j.user }).first().waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.getByRole('definition').filter({ hasText: j.email }).first().waitFor({ timeout: STEP_TIMEOUT_MS });
    const removeButton = (masked) => page.getByRole('button', { name: fill(t.PhoneRemove, { number: masked }), exact: true });
    expect(await removeButton(j.phoneMasked).count() === 1, `no Remove button for ${j.phoneMasked}`);
    // The first field holds the registered number, as the reader writes it (national form on a Swedish or English
    // page, international on the others), and the second is empty, so saving keeps the first.
    const first = await page.getByLabel(t.Phone1Label, { exact: true }).inputValue();
    expect(first === j.phoneShown, `the first number field holds "${first}", expected ${j.phoneShown}`);
    const second = page.getByLabel(t.Phone2Label, { exact: true });
    expect(await second.inputValue() === '', 'the second number field is not empty');
    // A number that is none first: the error takes the focus and describes that field; what was typed stays.
    await r.kbType(t.Phone2Label, '12ab');
    await r.kbType(t.ConfirmPassword, j.password);
    await r.kbPress('button', t.SaveButton);
    await r.errorFocus('invalid number', second, pattern(t.PhoneInvalid));
    await r.check('account page: invalid number');
    expect(await second.inputValue() === '12ab', 'the refused number is not shown as typed');
    await second.fill('');
    await r.kbType(t.Phone2Label, j.newPhone);
    await r.kbType(t.ConfirmPassword, j.password);
    await r.kbPress('button', t.SaveButton);
    await page.getByRole('status').filter({ hasText: t.PhonesSaved }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await r.check('account page: saved');
    await r.backOverRefused('Back over the refused number', '/.portvakt/account');
    await r.backSafe('account page after saving');
    expect(await removeButton(j.phoneMasked).count() === 1, `after saving, the first number ${j.phoneMasked} is gone`);
    expect(await removeButton(j.newPhoneMasked).count() === 1, `after saving, ${j.newPhoneMasked} is missing`);
    // Remove the first number by its own button (keyboard only).
    await r.kbPress('button', fill(t.PhoneRemove, { number: j.phoneMasked }));
    const removed = fill(t.PhoneRemoved, { number: j.phoneMasked });
    await page.getByRole('status').filter({ hasText: removed }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await r.check('account page: number removed');
    await r.backSafe('account page after a removal');
    expect(await removeButton(j.phoneMasked).count() === 0, `${j.phoneMasked} is still listed after its removal`);
    expect(await removeButton(j.newPhoneMasked).count() === 1, `${j.newPhoneMasked} went with the other number`);
    const kept = await page.getByLabel(t.Phone1Label, { exact: true }).inputValue();
    expect(kept === j.newPhoneShown, `after the removal the first field holds "${kept}", expected ${j.newPhoneShown}`);
  },

  /** eID from outside at substantial, then the signing service (the shipped rule needs high from outside): the
   * step-up page offers only the eID button at level high, the provider asks again, and signing opens. */
  async stepup(r) {
    const { page, t, j } = r;
    await page.goto(`${j.remote}/signing/contract`);
    await r.heading(t.LoginTitle);
    await r.check('login page from outside');
    await r.kbPress('link', fill(t.EidLoginWith, { provider: j.eidTitle }));
    await opLogin(page, j.pid, j.acr);
    await r.heading(t.StepUpTitle);
    await page.getByText(j.signingMessage, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await page.getByRole('radio').count() === 0, 'the eID-only step-up offers a code channel');
    await r.check('step-up to eID high');
    await r.kbPress('link', t.EidLoginHigh);
    await opLogin(page, j.pid, j.acrHigh);
    await r.atService('/signing/contract', 'eid');
  },

  /** Signing from outside with the shipped policies, for a user logged in with an SMS code: the page offers eID at
   * level high and no other code (before #16.1 a second code landed back on the code page forever); the portal's
   * tile says the same; eID at high opens signing. */
  async signing(r) {
    const { page, t, j } = r;
    await page.goto(`${j.remote}/expense/claims`);
    await r.passwordLogin('remote');
    await r.heading(t.SecondFactorTitle);
    await r.kbChoose(pattern(t.ChannelSms));
    await r.kbPress('button', t.SendCode);
    await page.getByLabel(t.CodeLabel, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
    const code = await newestCode('sms', j.phone);
    await r.kbType(t.CodeLabel, code);
    await r.kbPress('button', t.VerifyButton);
    await r.atService('/expense/claims', 'password,sms');
    await page.goto(`${j.remote}/signing/contract`);
    await r.heading(t.StepUpTitle);
    await page.getByText(j.signingMessage, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await page.getByRole('radio').count() === 0, 'signing from outside offers another code');
    expect(await page.getByLabel(t.CodeLabel, { exact: true }).count() === 0, 'signing from outside asks for a code');
    await r.check('signing from outside: eID high only');
    await page.goto(`${j.remote}/.portvakt/portal`);
    await r.heading(t.PortalTitle);
    await r.check('portal after an SMS login from outside');
    const tile = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: j.signingTitle, exact: true }) });
    expect(await tile.getByRole('link', { name: t.PortalStepUpEidHigh, exact: true }).count() === 1,
      'the signing tile does not offer eID at level high');
    expect(await tile.getByRole('link', { name: t.PortalStepUp, exact: true }).count() === 0,
      'the signing tile offers a one-time code');
    // The tile's way leads to the service's own start page.
    await tile.getByRole('link', { name: t.PortalStepUpEidHigh, exact: true }).click();
    await r.heading(t.StepUpTitle);
    await r.kbPress('link', t.EidLoginHigh);
    await opLogin(page, j.pid, j.acrHigh);
    await r.atService('/signing/', 'eid');
  },

  /** The language switcher (#16.7), without JavaScript: on the login page in the browser's language, the link
   * naming the journey's language in itself (with lang and hreflang) sets it and comes back to the same page, now in
   * that language with the link marked current; the municipality's name, logo (alt text = name) and support phone
   * are there; the choice holds through the login, the service and the portal. */
  async language(r) {
    const { page, t, j } = r;
    await page.goto(`${j.base}/self-service/`);
    await page.waitForLoadState('load');
    const before = page.url();
    const link = page.getByRole('link', { name: j.autonym, exact: true });
    expect(await link.getAttribute('lang') === j.lang && await link.getAttribute('hreflang') === j.lang,
      `the switcher's ${j.autonym} link is not marked as ${j.lang}`);
    expect(await link.getAttribute('aria-current') === null, `${j.autonym} is marked current before the switch`);
    await r.tabTo(link, `language link ${j.autonym}`);
    await page.keyboard.press('Enter');
    await r.heading(t.LoginTitle);
    expect(page.url() === before, `the switcher came back to ${page.url()}, not ${before}`);
    await r.check('login page after the language switch');
    const current = page.getByRole('link', { name: j.autonym, exact: true });
    expect(await current.getAttribute('aria-current') === 'true', `${j.autonym} is not marked current`);
    expect(await page.getByRole('img', { name: j.brand, exact: true }).isVisible(), `no logo named ${j.brand}`);
    const title = await page.title();
    expect(title.endsWith(`– ${j.brand}`), `the title "${title}" does not name ${j.brand}`);
    const support = page.getByRole('complementary', { name: t.SupportTitle, exact: true });
    const tel = support.getByRole('link', { name: j.supportPhone, exact: true });
    expect(await tel.getAttribute('href') === `tel:${j.supportTel}`, 'the support phone is no tel: link');
    await r.kbType(t.Username, j.user);
    await r.kbType(t.Password, j.password);
    await r.kbPress('button', t.LoginButton);
    await r.atService('/self-service/', 'password');
    await page.goto(`${j.base}/.portvakt/portal`);
    await r.heading(t.PortalTitle);
    await r.check('portal in the chosen language');
  },

  /** Logout by a link (#16.7): a service links to GET /.portvakt/logout, which asks first; the button there ends
   * the session (POST, then 303 to a page of its own), Back shows no form resubmission, and the service asks for a
   * login again. */
  async logoutlink(r) {
    const { page, t, j } = r;
    await page.goto(`${j.base}/self-service/`);
    await r.passwordLogin('internal');
    await r.atService('/self-service/', 'password');
    await page.goto(`${j.base}/.portvakt/logout`);
    await r.heading(t.LogoutConfirmTitle);
    await r.check('logout: confirm page');
    const button = page.getByRole('main').getByRole('button', { name: t.Logout, exact: true });
    await r.tabTo(button, 'the confirm page\'s logout button');
    await page.keyboard.press('Enter');
    await r.heading(t.LoggedOutTitle);
    await r.check('logged out');
    await page.goBack();
    await page.waitForLoadState('load');
    await r.heading(t.LoggedOutTitle);
    await page.goto(`${j.base}/self-service/`);
    await r.heading(t.LoginTitle);
  },

  /** A phone-sized screen (320 px, as 1280 px at 400 % zoom) with a 60-character e-mail address and a long name:
   * no page scrolls sideways (login, code page before and after sending, the portal, the account page showing the
   * whole address, an error page). */
  async narrow(r) {
    const { page, t, j } = r;
    const noScroll = async (state) => {
      const [sw, iw] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      expect(sw <= iw, `${state}: the page scrolls sideways at ${iw} px (it is ${sw} px wide)`);
    };
    await page.goto(`${j.remote}/expense/claims`);
    await r.heading(t.LoginTitle);
    await noScroll('login page');
    await r.passwordLogin('remote');
    await r.heading(t.SecondFactorTitle);
    await page.getByRole('radio', { name: pattern(t.ChannelEmail) }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await noScroll('code page');
    await r.check('code page at 320 px');
    await r.kbChoose(pattern(t.ChannelEmail));
    await r.kbPress('button', t.SendCode);
    await page.getByLabel(t.CodeLabel, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await noScroll('code sent to the e-mail address');
    const code = await newestCode('mail', j.email);
    await r.kbType(t.CodeLabel, code);
    await r.kbPress('button', t.VerifyButton);
    await r.atService('/expense/claims', 'password,email');
    await page.goto(`${j.remote}/.portvakt/portal`);
    await r.heading(t.PortalTitle);
    await noScroll('portal');
    await r.check('portal at 320 px');
    // The account page shows the whole address codes go to (the code page masks it).
    await page.goto(`${j.remote}/.portvakt/account`);
    await r.heading(t.AccountTitle);
    await page.getByText(j.email, { exact: true }).first().waitFor({ timeout: STEP_TIMEOUT_MS });
    await noScroll('account page with the 60-character e-mail address');
    await r.check('account page at 320 px');
    await page.goto(`${j.remote}/.portvakt/no-such-page`);
    await noScroll('error page');
    await r.check('error page at 320 px');
  },

  /** 400 % zoom (WCAG 1.4.10): at 320 × 256 CSS px the main pages reflow (no sideways scrolling) and each page's
   * primary control is reached by keyboard and shown: login, the code page before and after sending, the service,
   * the portal, the account page (on the municipality's network, with its Save button), the step-up page for signing
   * (eID at level high only) and an error page. Every state passes axe-core. */
  async zoom(r) {
    const { page, t, j } = r;
    const button = (name) => page.getByRole('button', { name, exact: true });
    await page.goto(`${j.remote}/expense/claims`);
    await r.heading(t.LoginTitle);
    await r.check('login page at 400 %');
    await r.reflow('login page', button(t.LoginButton), 'the login button');
    await page.getByLabel(t.Username, { exact: true }).fill(j.user);
    await page.getByLabel(t.Password, { exact: true }).fill(j.password);
    await r.kbPress('button', t.LoginButton);
    await r.heading(t.SecondFactorTitle);
    await r.check('code page at 400 %');
    await r.reflow('code page', button(t.SendCode), 'the send button');
    await r.kbChoose(pattern(t.ChannelSms));
    await r.kbPress('button', t.SendCode);
    await page.getByLabel(t.CodeLabel, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await r.check('code page after the send at 400 %');
    await r.reflow('code page after the send', button(t.VerifyButton), 'the verify button');
    const code = await newestCode('sms', j.phone);
    await r.kbType(t.CodeLabel, code);
    await r.kbPress('button', t.VerifyButton);
    await r.atService('/expense/claims', 'password,sms');
    await page.goto(`${j.remote}/.portvakt/portal`);
    await r.heading(t.PortalTitle);
    await r.check('portal at 400 %');
    await r.reflow('portal', page.getByRole('link', { name: t.AccountLink, exact: true }), 'the account link');
    await page.goto(`${j.base}/.portvakt/account`);
    await r.heading(t.AccountTitle);
    await r.check('account page at 400 %');
    await r.reflow('account page', button(t.SaveButton), 'the save button');
    await page.goto(`${j.remote}/signing/contract`);
    await r.heading(t.StepUpTitle);
    await r.check('step-up page at 400 %');
    await r.reflow('step-up page', page.getByRole('link', { name: t.EidLoginHigh, exact: true }), 'the eID button');
    await page.goto(`${j.remote}/.portvakt/no-such-page`);
    await r.check('error page at 400 %');
    await r.reflow('error page', page.getByRole('link', { name: t.BackToPortal, exact: true }), 'the portal link');
  },

  /** The walk that once found no code field (session 8): password from outside, send, reload, Back and Forward keep
   * the field; a second login of the same user in another browser within the cooldown is told that the code sent
   * moments ago was for the other login and when it can ask here (no field: it has no code); after the wait (the
   * gateway's clock moved on) a reload shows no stale refusal, the send goes through and its code logs in. */
  async resend(r) {
    const { page, t, j } = r;
    const field = (p) => p.getByLabel(t.CodeLabel, { exact: true });
    await page.goto(`${j.remote}/expense/claims`);
    await r.passwordLogin('remote');
    await r.heading(t.SecondFactorTitle);
    await r.kbChoose(pattern(t.ChannelSms));
    await r.kbPress('button', t.SendCode);
    await field(page).waitFor({ timeout: STEP_TIMEOUT_MS });
    await r.check('code sent');
    await page.reload();
    await field(page).waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.goBack();
    await r.heading(t.SecondFactorTitle);
    await field(page).waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.goForward();
    await field(page).waitFor({ timeout: STEP_TIMEOUT_MS });
    await r.check('code page after reload, Back and Forward');

    const other = await page.context().browser().newContext({
      bypassCSP: true, locale: j.locale, viewport: page.viewportSize(),
    });
    try {
      const p2 = await other.newPage();
      const r2 = new Run(j, p2);
      await p2.goto(`${j.remote}/expense/claims`);
      await r2.passwordLogin('remote, second browser');
      await r2.heading(t.SecondFactorTitle);
      await r2.kbChoose(pattern(t.ChannelSms));
      await r2.kbPress('button', t.SendCode);
      const elsewhere = p2.getByRole('alert').filter({ hasText: pattern(t.SendLimitCooldownElsewhere) });
      await elsewhere.waitFor({ timeout: STEP_TIMEOUT_MS });
      expect(await field(p2).count() === 0, 'the second login shows a code field without a code of its own');
      await r2.check('second login: send refused by the cooldown');
      await control('POST', '/advance?seconds=31');
      await p2.reload();
      await r2.heading(t.SecondFactorTitle);
      expect(await p2.getByRole('alert').count() === 0, 'after the wait, a reload still shows the refusal');
      await r2.kbPress('button', t.SendCode);
      await field(p2).waitFor({ timeout: STEP_TIMEOUT_MS });
      const code = await newestCode('sms', j.phone);
      await r2.kbType(t.CodeLabel, code);
      await r2.kbPress('button', t.VerifyButton);
      await r2.atService('/expense/claims', 'password,sms');
      r.states.push(...r2.states);
    } finally {
      await other.close();
    }
  },

  /** Idle timeout: the harness moves the gateway's clock past idle_timeout; the next page is the login page with
   * the notice saying why. */
  async idle(r) {
    const { page, t, j } = r;
    await page.goto(`${j.base}/.portvakt/portal`);
    await r.passwordLogin('internal');
    await r.heading(t.PortalTitle);
    await control('POST', `/advance?seconds=${j.advanceSeconds}`);
    await page.goto(`${j.base}/self-service/`);
    await r.heading(t.LoginTitle);
    const notice = fill(t.SessionExpired, { minutes: j.idleMinutes });
    await page.getByRole('status').filter({ hasText: notice }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await r.check('login page after the idle timeout');
  },
};

// ---- the run --------------------------------------------------------------------------------------------------------

const browser = await chromium.launch({
  executablePath: plan.chromium,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});

async function runOne(j) {
  const started = Date.now();
  const context = await browser.newContext({
    bypassCSP: true,
    locale: j.locale,
    viewport: { width: j.width, height: j.height ?? 800 },
  });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  const page = await context.newPage();
  const r = new Run(j, page);
  let error = null;
  try {
    const journey = JOURNEYS[j.kind];
    if (!journey) throw new JourneyError(`unknown journey ${j.kind}`);
    await journey(r);
    if (j.width <= 320) {
      // Nothing may need horizontal scrolling at 320 px (WCAG 1.4.10 reflow).
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow <= 0, `the last page scrolls sideways by ${overflow} px at ${j.width} px`);
    }
  } catch (e) {
    error = e instanceof JourneyError ? e.message : String(e?.stack ?? e);
    const base = path.join(plan.artifacts, j.id);
    await page.screenshot({ path: `${base}.png`, fullPage: true }).catch(() => {});
    await page.content().then((html) => writeFileSync(`${base}.html`, html)).catch(() => {});
  }
  await context.close();
  return { id: j.id, kind: j.kind, lang: j.lang, width: j.width, ok: error === null, error, states: r.states,
    ms: Date.now() - started };
}

/** Runs journeys `limit` at a time; journeys of one `lane` (sharing a clock) run one after another. */
async function runAll(journeys, limit) {
  const lanes = new Map();
  for (const j of journeys) {
    const lane = j.lane ?? j.id;
    if (!lanes.has(lane)) lanes.set(lane, []);
    lanes.get(lane).push(j);
  }
  const queue = [...lanes.values()];
  const results = [];
  const workers = Array.from({ length: limit }, async () => {
    for (let lane = queue.shift(); lane; lane = queue.shift()) {
      for (const j of lane) {
        const res = await runOne(j);
        results.push(res);
        console.log(`${res.ok ? 'ok  ' : 'FAIL'} ${res.id} (${res.states.length} page states, ${res.ms} ms)` +
          (res.ok ? '' : `\n     ${res.error.replace(/\n/g, '\n     ')}`));
      }
    }
  });
  await Promise.all(workers);
  return results;
}

let results;
try {
  results = await runAll(plan.journeys, plan.concurrency);
} finally {
  await browser.close();
}
writeFileSync(plan.results, JSON.stringify(results, null, 2));
process.exit(results.every((r) => r.ok) && results.length === plan.journeys.length ? 0 : 1);
