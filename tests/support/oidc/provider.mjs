// A real OpenID Provider for Portvakt's tests: oidc-provider configured like ID-porten (authorization code flow with
// PKCE S256, PAR, RFC 9207 `iss`, `acr_values` idporten-loa-substantial/high, `pid` and `sid` in the ID token,
// RP-initiated logout and an emulation of front-channel logout), with a minimal login page and test-control
// endpoints under /__test/. Driven by tests/common/oidc.rs.
//
//   node provider.mjs CONFIG.json
//
// CONFIG.json: { port, issuer, clients: [client metadata...], signing_jwk?: private JWK, id_token_ttl_secs?,
//                shape?: "idporten" | "entra-id" | "broker", tenant_id?, acr_values?: [lowest first],
//                jwks_uri?: a URL or root path the discovery document names instead of the provider's own keys,
//                where the provider then serves the same keys }
//
// `issuer` may have a path (Entra ID's is https://login.microsoftonline.com/{tenant}/v2.0): the provider is then
// mounted under it, while the login pages and /__test/ stay at the root. `shape` sets the claims of the ID token:
//   idporten  `pid` (the national identity number typed at the login page), `acr` from `acr_values`;
//   entra-id  no `acr`; `tid`, `oid` (00000000-0000-4000-8000-0{pid}), `upn`/`email` (p{pid}@tenant.example), and
//             `amr` = [the "level" chosen at the login page: "pwd" or "mfa"];
//   broker    the person nested in a claim object: `person: { ssn: pid, country }`, `acr` from `acr_values`.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as querystring from 'node:querystring';

import * as jose from 'jose';
import Provider, { interactionPolicy } from 'oidc-provider';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const { port, issuer } = config;
const shape = config.shape ?? 'idporten';
const mount = new URL(issuer).pathname.replace(/\/$/, '');

// The levels offered at the login page, lowest first: ID-porten's unless configured; for Entra ID the `amr` values.
const ACR_VALUES = shape === 'entra-id' ? ['pwd', 'mfa'] : (config.acr_values ?? ['idporten-loa-substantial', 'idporten-loa-high']);
const rank = (acr) => ACR_VALUES.indexOf(acr);

// ---- keys --------------------------------------------------------------------------------------------------------

async function newRsaJwk() {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const jwk = await jose.exportJWK(privateKey);
  return { ...jwk, kid: await jose.calculateJwkThumbprint(jwk), alg: 'RS256', use: 'sig' };
}

const signingJwk = config.signing_jwk ?? await newRsaJwk();
if (!signingJwk.alg) throw new Error('signing_jwk needs an "alg"');
if (!signingJwk.kid) signingJwk.kid = await jose.calculateJwkThumbprint(signingJwk);
const signingKey = await jose.importJWK(signingJwk, signingJwk.alg);
// A key nobody trusts, with the same kid: for tokens that must fail signature checks.
const foreignJwk = signingJwk.kty === 'RSA'
  ? { ...(await newRsaJwk()), kid: signingJwk.kid }
  : null;

// ---- accounts ----------------------------------------------------------------------------------------------------

// `sub` is derived from the national ID number and differs from it, like ID-porten's (pairwise) sub; oidc-provider
// uses the account id as `sub`, so the account id is the derived value and `pid` a claim of its own.
const subFor = (pid) => crypto.createHash('sha256').update(`idporten-sub:${pid}`).digest('base64url');
const pids = new Map(); // sub -> pid

async function findAccount(_ctx, sub) {
  const pid = pids.get(sub);
  if (!pid) return undefined;
  return {
    accountId: sub,
    async claims() {
      switch (shape) {
        case 'entra-id':
          return {
            sub,
            tid: config.tenant_id,
            oid: `00000000-0000-4000-8000-0${pid}`,
            upn: `p${pid}@tenant.example`,
            email: `p${pid}@tenant.example`,
            name: `Person ${pid}`,
          };
        case 'broker':
          return { sub, person: { ssn: pid, country: config.country ?? 'SE' }, name: `Person ${pid}` };
        default:
          return { sub, pid, locale: 'nb' };
      }
    },
  };
}

// ---- interaction policy ------------------------------------------------------------------------------------------

// Like ID-porten: a session at a lower level than the lowest level asked for in acr_values logs in again (step-up).
// Whatever level the person then logs in at is what the ID token says.
const policy = interactionPolicy.base();
policy.get('login').checks.add(new interactionPolicy.Check(
  'acr_values_step_up',
  'the session is at a lower level than acr_values asks for',
  'login_required',
  (ctx) => {
    const { oidc } = ctx;
    if (!oidc.params.acr_values || !oidc.session.accountId || oidc.result?.login) {
      return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    }
    const wanted = String(oidc.params.acr_values).split(' ').map(rank).filter((r) => r >= 0);
    if (wanted.length && rank(oidc.session.acr) < Math.min(...wanted)) {
      return interactionPolicy.Check.REQUEST_PROMPT;
    }
    return interactionPolicy.Check.NO_NEED_TO_PROMPT;
  },
));

// No consent page: every client is granted the OIDC scopes and claims it asks for.
async function loadExistingGrant(ctx) {
  const { oidc } = ctx;
  const clientId = oidc.client.clientId;
  const accountId = oidc.session.accountId;
  const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (!grant || grant.accountId !== accountId) {
    grant = new oidc.provider.Grant({ accountId, clientId });
  }
  grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' ') || 'openid');
  const claims = [...oidc.requestParamClaims].filter((c) => !['sub', 'sid', 'auth_time', 'acr', 'amr', 'iss'].includes(c));
  if (claims.length) grant.addOIDCClaims(claims);
  await grant.save();
  return grant;
}

// ---- pages -------------------------------------------------------------------------------------------------------

const esc = (s) => String(s ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;');
const page = (title, body) => `<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8"><title>${esc(title)}</title></head>
<body><h1>${esc(title)}</h1>
${body}
</body></html>`;

async function logoutSource(ctx, form) {
  ctx.body = page('Logg ut fra ID-porten (test)', `${form}
<p>Client: ${esc(ctx.oidc.client?.clientId ?? '-')}</p>
<button type="submit" form="op.logoutForm" name="logout" value="yes">Logg ut</button>
<button type="submit" form="op.logoutForm">Avbryt</button>`);
}

async function postLogoutSuccessSource(ctx) {
  ctx.body = page('Du er logget ut (test)', '<p id="logged-out">Logged out.</p>');
}

// ---- provider ----------------------------------------------------------------------------------------------------

const clients = config.clients.map((c) => ({
  grant_types: ['authorization_code'],
  response_types: ['code'],
  ...c,
}));

const provider = new Provider(issuer, {
  clients,
  clientDefaults: {
    grant_types: ['authorization_code'],
    response_types: ['code'],
    id_token_signed_response_alg: signingJwk.alg,
  },
  jwks: { keys: [signingJwk] },
  findAccount,
  loadExistingGrant,
  acrValues: ACR_VALUES,
  // acr, amr and auth_time are standalone claims oidc-provider puts into ID tokens only when asked for (claims
  // parameter, acr_values, max_age); ID-porten always sends them, so the openid scope carries them.
  claims: {
    idporten: { openid: ['sub', 'pid', 'acr', 'amr', 'auth_time'], profile: ['locale'] },
    // Entra ID's v2.0 ID tokens carry no acr.
    'entra-id': { openid: ['sub', 'tid', 'oid', 'upn', 'amr', 'auth_time'], profile: ['name'], email: ['email'] },
    broker: { openid: ['sub', 'person', 'acr', 'amr', 'auth_time'], profile: ['name'] },
  }[shape],
  // Claims of the granted scopes go into the ID token too (ID-porten puts pid there), not only into userinfo.
  conformIdTokenClaims: false,
  cookies: { keys: ['portvakt-test-op-cookie-key-1', 'portvakt-test-op-cookie-key-0'] },
  discovery: { ui_locales_supported: ['nb', 'nn', 'en', 'se'] },
  extraClientMetadata: {
    properties: ['frontchannel_logout_uri', 'frontchannel_logout_session_required'],
  },
  // oidc-provider refuses outgoing requests to special-use addresses (SSRF protection); this test OP talks only to
  // the gateways under test, which listen on loopback.
  fetch: (url, options) => {
    const { dispatcher: _ssrfGuard, ...rest } = options;
    return globalThis.fetch(url, rest);
  },
  features: {
    // Back-channel logout (OpenID Connect Back-Channel Logout 1.0): at logout the OP POSTs a logout_token to every
    // client of the session that registered a backchannel_logout_uri.
    backchannelLogout: { enabled: true },
    devInteractions: { enabled: false },
    pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
  },
  interactions: {
    policy,
    url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  pkce: { required: () => true },
  responseTypes: ['code'],
  routes: {
    authorization: '/authorize',
    end_session: '/logout',
    jwks: '/jwks.json',
    pushed_authorization_request: '/par',
    revocation: '/revoke',
    token: '/token',
    userinfo: '/userinfo',
  },
  ttl: {
    IdToken: config.id_token_ttl_secs ?? 60,
    AccessToken: 120,
    AuthorizationCode: 60,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Feil (test OP)', `<pre id="error">${esc(out.error)}: ${esc(out.error_description)}</pre>`);
  },
});

// Every ID token carries `sid`, as ID-porten's do (oidc-provider only adds it for back-channel logout clients).
provider.Client.prototype.includeSid = () => true;

provider.on('server_error', (_ctx, err) => console.error('server_error', err));
provider.on('backchannel.error', (_ctx, err, client) => console.error('backchannel.error', client?.clientId, err.message));

// ---- test control: recorded requests, ID token tampering, front-channel logout -----------------------------------

const requests = [];
let pendingTamper = null;
let lastIdToken = null;

function clientAuth(ctx, body) {
  const authz = ctx.get('authorization');
  const out = {};
  if (/^basic /i.test(authz)) {
    out.client_auth = 'client_secret_basic';
    const [id] = Buffer.from(authz.slice(6), 'base64').toString().split(':');
    try {
      out.basic_client_id = decodeURIComponent(id);
    } catch {
      out.basic_client_id = id;
    }
  } else if (body.client_assertion) {
    out.client_auth = 'private_key_jwt';
    try {
      out.client_assertion = {
        header: jose.decodeProtectedHeader(body.client_assertion),
        payload: jose.decodeJwt(body.client_assertion),
      };
    } catch {
      out.client_assertion = null;
    }
  } else if (body.client_secret) {
    out.client_auth = 'client_secret_post';
  } else {
    out.client_auth = 'none';
  }
  return out;
}

async function tamper(idToken, t) {
  const payload = jose.decodeJwt(idToken);
  const header = jose.decodeProtectedHeader(idToken);
  const now = Math.floor(Date.now() / 1000);
  for (const claim of ['nonce', 'iss', 'aud', 'acr', 'sub', 'pid', 'sid', 'amr', 'azp']) {
    if (claim in t) payload[claim] = t[claim];
  }
  Object.assign(payload, t.set ?? {});
  if (typeof t.exp_offset_secs === 'number') {
    const ttl = payload.exp - payload.iat;
    payload.exp = now + t.exp_offset_secs;
    payload.iat = payload.exp - ttl;
    if (payload.auth_time) payload.auth_time = Math.min(payload.auth_time, payload.iat);
  }
  if (typeof t.iat_offset_secs === 'number') payload.iat = now + t.iat_offset_secs;
  for (const claim of [t.drop ?? []].flat()) delete payload[claim];
  const bytes = new TextEncoder().encode(JSON.stringify(payload));
  if (t.alg_none) {
    return `${jose.base64url.encode(JSON.stringify({ alg: 'none' }))}.${jose.base64url.encode(bytes)}.`;
  }
  let key = signingKey;
  if (t.foreign_key) {
    if (!foreignJwk) throw new Error('foreign_key needs an RSA signing key');
    key = await jose.importJWK(foreignJwk, foreignJwk.alg);
  }
  return new jose.CompactSign(bytes).setProtectedHeader(header).sign(key);
}

function record(ctx, kind, params, extra = {}) {
  requests.push({
    kind,
    method: ctx.method,
    path: ctx.path,
    remote_address: ctx.req.socket.remoteAddress?.replace(/^::ffff:/, ''),
    params,
    ...extra,
    status: ctx.status,
  });
}

provider.use(async (ctx, next) => {
  // Front-channel logout (not in oidc-provider v9): remember who was in the session before it ends.
  let loggingOut = null;
  if (ctx.method === 'POST' && ctx.path === provider.pathFor('end_session_confirm')) {
    try {
      const session = await provider.Session.get(ctx);
      loggingOut = {
        initiator: session.state?.clientId,
        sids: Object.entries(session.authorizations ?? {}).map(([clientId, a]) => [clientId, a.sid]),
      };
    } catch (err) {
      console.error('front-channel logout: cannot read the session', err);
    }
  }

  await next();

  const route = ctx._matchedRouteName;
  const body = (() => {
    try {
      return ctx.oidc?.body ?? {};
    } catch {
      return {};
    }
  })();
  switch (route) {
    case 'authorization':
      record(ctx, 'auth', ctx.method === 'GET' ? { ...ctx.query } : { ...body });
      break;
    case 'pushed_authorization_request':
      record(ctx, 'par', { ...body }, clientAuth(ctx, body));
      break;
    case 'end_session':
      record(ctx, 'end_session', ctx.method === 'GET' ? { ...ctx.query } : { ...body });
      break;
    case 'token': {
      if (ctx.status === 200 && ctx.body?.id_token) {
        if (pendingTamper) {
          const t = pendingTamper;
          pendingTamper = null;
          ctx.body = { ...ctx.body, id_token: await tamper(ctx.body.id_token, t) };
        }
        lastIdToken = ctx.body.id_token;
      }
      record(ctx, 'token', { ...body }, clientAuth(ctx, body));
      break;
    }
    default:
  }

  if (route === 'end_session_confirm' && loggingOut && ctx.status === 303 && ctx.oidc.params.logout) {
    const frames = [];
    for (const [clientId, sid] of loggingOut.sids) {
      if (clientId === loggingOut.initiator) continue;
      const client = await provider.Client.find(clientId);
      const uri = client?.metadata().frontchannel_logout_uri;
      if (!uri) continue;
      const u = new URL(uri);
      u.searchParams.set('iss', issuer);
      if (sid) u.searchParams.set('sid', sid);
      frames.push(u.href);
    }
    if (frames.length) {
      const location = ctx.response.get('location');
      ctx.status = 200;
      ctx.type = 'html';
      ctx.body = page('Logger ut (test)', `${frames.map((f) => `<iframe class="frontchannel-logout" src="${esc(f)}"></iframe>`).join('\n')}
<a id="continue" href="${esc(location)}">Fortsett</a>`);
      ctx.remove('location');
    }
  }
});

// ---- HTTP server: interactions, test control, then the provider --------------------------------------------------

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res, status, type, body) {
  res.statusCode = status;
  res.setHeader('content-type', type);
  res.setHeader('cache-control', 'no-store');
  res.end(body);
}

async function interaction(req, res, url) {
  const m = url.pathname.match(/^\/interaction\/([^/]+)(?:\/(login|abort))?$/);
  if (!m) return send(res, 404, 'text/plain', 'not found');
  const [, uid, action] = m;
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, 'text/plain', 'interaction mismatch');
  const { prompt, params } = details;

  if (req.method === 'GET' && !action) {
    if (prompt.name !== 'login') {
      // Consent is granted in loadExistingGrant; nothing to ask.
      return provider.interactionFinished(req, res, { consent: {} }, { mergeWithLastSubmission: true });
    }
    const wanted = String(params.acr_values ?? '').split(' ').filter((a) => rank(a) >= 0);
    const preset = wanted[0] ?? ACR_VALUES[0];
    const options = ACR_VALUES.map((a) => `<option value="${a}"${a === preset ? ' selected' : ''}>${a}</option>`).join('');
    return send(res, 200, 'text/html; charset=utf-8', page('Logg inn (test ID-porten)', `
<form id="login" method="post" action="/interaction/${esc(uid)}/login">
<label>Fødselsnummer <input name="pid" value="${esc(params.login_hint ?? '')}"></label>
<label>Nivå <select name="acr">${options}</select></label>
<button type="submit">Logg inn</button>
</form>
<form id="abort" method="post" action="/interaction/${esc(uid)}/abort"><button type="submit">Avbryt</button></form>
<p>client_id=${esc(params.client_id)} reasons=${esc(prompt.reasons.join(','))} ui_locales=${esc(params.ui_locales ?? '')}</p>`));
  }

  if (req.method === 'POST' && action === 'login') {
    const form = querystring.parse(await readBody(req));
    const pid = String(form.pid ?? '');
    const acr = String(form.acr ?? ACR_VALUES[0]);
    if (!/^\d{11}$/.test(pid)) return send(res, 400, 'text/plain', 'pid must be 11 digits');
    const sub = subFor(pid);
    pids.set(sub, pid);
    const login = shape === 'entra-id'
      ? { accountId: sub, amr: [acr] }
      : { accountId: sub, acr, amr: ['BankID'] };
    return provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
  }

  if (req.method === 'POST' && action === 'abort') {
    await readBody(req);
    return provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
  }

  return send(res, 405, 'text/plain', 'method not allowed');
}

async function testControl(req, res, url) {
  const remote = req.socket.remoteAddress ?? '';
  if (!/^(::ffff:)?127\.|^::1$/.test(remote)) return send(res, 403, 'text/plain', 'loopback only');
  switch (`${req.method} ${url.pathname}`) {
    case 'POST /__test/tamper':
      pendingTamper = JSON.parse(await readBody(req));
      return send(res, 200, 'application/json', '{}');
    case 'GET /__test/requests':
      return send(res, 200, 'application/json', JSON.stringify(requests));
    case 'POST /__test/requests/clear':
      requests.length = 0;
      return send(res, 200, 'application/json', '{}');
    case 'POST /__test/logout-token': {
      // A back-channel logout token signed with the OP's key: `aud` required; `sid`/`sub` as given; `set` sets or
      // overrides claims, `drop` removes them, `foreign_key` signs with an unknown key.
      const t = JSON.parse(await readBody(req));
      const now = Math.floor(Date.now() / 1000);
      const payload = {
        iss: issuer,
        aud: t.aud,
        iat: now,
        exp: now + 120,
        jti: crypto.randomUUID(),
        events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
      };
      if (t.sid) payload.sid = t.sid;
      if (t.sub) payload.sub = t.sub;
      Object.assign(payload, t.set ?? {});
      for (const claim of [t.drop ?? []].flat()) delete payload[claim];
      let key = signingKey;
      if (t.foreign_key) key = await jose.importJWK(foreignJwk, foreignJwk.alg);
      const token = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader({ alg: signingJwk.alg, kid: signingJwk.kid, typ: 'logout+jwt' })
        .sign(key);
      return send(res, 200, 'application/json', JSON.stringify({ logout_token: token }));
    }
    case 'GET /__test/last-id-token':
      return send(res, 200, 'application/json', JSON.stringify({ id_token: lastIdToken }));
    default:
      return send(res, 404, 'text/plain', 'not found');
  }
}

const providerHandler = provider.callback();

const server = http.createServer((req, res) => {
  const url = new URL(req.url, new URL(issuer).origin);
  let handled;
  if (url.pathname.startsWith('/__test/')) {
    handled = testControl(req, res, url);
  } else if (url.pathname.startsWith('/interaction/')) {
    handled = interaction(req, res, url);
  } else {
    if (config.jwks_uri && url.pathname === new URL(config.jwks_uri, issuer).pathname) {
      // The same keys, served where that discovery document says.
      req.originalUrl = `${mount}/jwks.json`;
      req.url = '/jwks.json';
      providerHandler(req, res);
      return;
    }
    if (config.jwks_uri && req.method === 'GET' && url.pathname === `${mount}/.well-known/openid-configuration`) {
      // A provider whose discovery document names keys published somewhere else (`jwks_uri` in CONFIG.json).
      const end = res.end.bind(res);
      res.end = (body, ...rest) => {
        if (body && res.statusCode === 200) {
          const doc = JSON.parse(body.toString());
          doc.jwks_uri = new URL(config.jwks_uri, issuer).href;
          body = JSON.stringify(doc);
          res.setHeader('Content-Length', Buffer.byteLength(body));
        }
        return end(body, ...rest);
      };
    }
    if (mount && (req.url === mount || req.url.startsWith(`${mount}/`) || req.url.startsWith(`${mount}?`))) {
      // Mounted under the issuer's path, as express would: oidc-provider reads the prefix from originalUrl.
      req.originalUrl = req.url;
      req.url = req.url.slice(mount.length) || '/';
    }
    providerHandler(req, res);
    return;
  }
  handled.catch((err) => {
    console.error(req.method, req.url, err);
    if (!res.headersSent) send(res, err.statusCode ?? 500, 'text/plain', `${err.name}: ${err.message}`);
    else res.end();
  });
});

server.listen(port, '127.0.0.1', () => console.error(`test OP listening at ${issuer}`));

// Exit with the test process: it holds our stdin open.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
