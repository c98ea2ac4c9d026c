//! Back and reload after every form (#16): each of the gateway's POST forms answers a successful submission with a
//! 303 to a page that a GET shows (POST-redirect-GET), so the browser's history holds no POST result that Back or
//! reload would send again ("Confirm Form Resubmission"). The walk submits every form the templates have, as a
//! browser would, and fails when a template gains a form the walk does not cover.

use crate::common::oidc::LOA_SUBSTANTIAL;
use crate::common::smtp::SmtpServer;
use crate::common::*;
use crate::eid::{location, start, Browser, Setup, PID};
use crate::second_factor::code_in;
use portvakt::pages::{Lang, Msg};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

/// Every `action` of a `<form method="post">` in `templates/`.
fn template_post_actions() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut files = vec![dir.clone(), dir.join("partials")];
    let mut actions = BTreeSet::new();
    while let Some(d) = files.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "html") {
                let html = std::fs::read_to_string(&path).unwrap();
                for (i, _) in html.match_indices("<form method=\"post\" action=\"") {
                    let rest = &html[i + "<form method=\"post\" action=\"".len()..];
                    actions.insert(rest[..rest.find('"').unwrap()].to_string());
                }
            }
        }
    }
    actions
}

/// The body of the `n`th (from 1) e-mail with `subject` the SMTP server received, waiting for it a bounded while
/// (number-change notices go out in the background, so mails do not arrive in a fixed order).
fn nth_mail(smtp: &SmtpServer, subject: Msg, n: usize) -> String {
    let subject = subject.text(Lang::En);
    for _ in 0..200 {
        let mails: Vec<_> = smtp.messages().into_iter().filter(|m| m.subject == subject).collect();
        if let Some(m) = mails.get(n - 1) {
            return m.body.clone();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no e-mail number {n} with the subject {subject:?}: {:?}", smtp.messages());
}

/// The walk's record: which form actions it submitted, each answered 303 to a page that answered 200.
struct Walk {
    base: String,
    done: BTreeSet<String>,
}

impl Walk {
    /// Submits `form` to `action` in browser `b`; asserts the 303, that its target is one of the gateway's pages or
    /// the service asked for (`to`), and that the GET of it answers 200 (or, for a service, anything but a form
    /// error); returns the page shown.
    async fn submit(&mut self, b: &mut Browser, action: &str, form: &[(&str, &str)], to: &str) -> String {
        let r = b.post(&format!("{}{action}", self.base), form).await;
        let status = r.status().as_u16();
        let loc = location(&r);
        assert_eq!(status, 303, "{action} answered {status}, not 303: {}", r.text().await.unwrap());
        assert!(loc.starts_with(to), "{action}: 303 to {loc}, expected {to}…");
        self.done.insert(action.to_string());
        let target = if loc.starts_with("http") { loc.clone() } else { format!("{}{loc}", self.base) };
        let page = b.get(&target).await;
        assert_eq!(page.status(), 200, "{action}: the page after the 303 to {loc}");
        page.text().await.unwrap()
    }
}

/// Every POST form of the gateway, submitted successfully the way a browser does, answers 303 and the page it leads
/// to answers a GET: login (with the group field), sending and typing a one-time code, saving numbers (which before
/// #16 answered 200 with the page), removing one, sending and typing the eID link code, removing the eID link
/// (both by a password session and by the eID session itself), and logout. Every form in `templates/` is covered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_post_form_answers_303_on_success() {
    // The walk moves the gateway's clock past resend cooldowns: the provider's ID tokens must outlive that.
    let e = start(Setup { id_token_ttl_secs: Some(3600), ..Default::default() });
    let mut w = Walk { base: e.base.clone(), done: BTreeSet::new() };

    // Login, with the group field the login page sends.
    let mut b = Browser::from(INTERNAL);
    let html = b.get(&format!("{}/.portvakt/login?rd=%2F.portvakt%2Faccount", e.base)).await.text().await.unwrap();
    let csrf = hidden_field(&html, "csrf").unwrap();
    let form = [("csrf", csrf.as_str()), ("username", "anna"), ("password", PASSWORD), ("rd", "/.portvakt/account")];
    let form: Vec<(&str, &str)> = form.into_iter().chain([("realm", "staff")]).collect();
    let account = w.submit(&mut b, "/.portvakt/login", &form, "/.portvakt/account").await;
    let csrf = hidden_field(&account, "csrf").unwrap();

    // A code asked for voluntarily: send, then type it.
    let page = b.get(&format!("{}/.portvakt/second-factor?rd=%2F.portvakt%2Fportal", e.base)).await;
    assert_eq!(page.status(), 200);
    let send = [("csrf", csrf.as_str()), ("channel", "email"), ("rd", "/.portvakt/portal")];
    let html = w.submit(&mut b, "/.portvakt/second-factor/send", &send, "/.portvakt/second-factor?").await;
    assert!(html.contains("id=\"code\""), "{html}");
    let code = code_in(&nth_mail(&e.smtp, Msg::CodeEmailSubject, 1));
    let verify = [("csrf", csrf.as_str()), ("code", code.as_str()), ("rd", "/.portvakt/portal")];
    w.submit(&mut b, "/.portvakt/second-factor/verify", &verify, "/.portvakt/portal").await;
    // Stepping up gave the session a new ID and kept its CSRF token.
    let account = b.get(&format!("{}/.portvakt/account", e.base)).await.text().await.unwrap();
    let csrf = hidden_field(&account, "csrf").unwrap();

    // Numbers: save two, then remove one by its own button.
    let save = [("csrf", csrf.as_str()), ("password", PASSWORD), ("phone1", "0701234567"), ("phone2", "0709876543")];
    let html = w.submit(&mut b, "/.portvakt/account/phones", &save, "/.portvakt/account?r=saved").await;
    assert!(html.contains(&saved("en")) && html.contains("070•••45 67"), "{html}");
    let remove = [("csrf", csrf.as_str()), ("phone", "+46709876543")];
    let html = w.submit(&mut b, "/.portvakt/account/phones/remove", &remove, "/.portvakt/account?removed=").await;
    let buttons = |html: &str, n: &str| html.matches(&format!("name=\"phone\" value=\"{n}\"")).count();
    assert_eq!((buttons(&html, "+46709876543"), buttons(&html, "+46701234567")), (0, 1), "{html}");

    // eID linking in another browser: the first eID login from work goes to the link page.
    let mut eb = Browser::from(INTERNAL);
    let r = e.eid_login(&mut eb, &e.op.browser(INTERNAL), "/.portvakt/portal", LOA_SUBSTANTIAL).await;
    assert_eq!(location(&r), "/.portvakt/eid/link");
    let html = eb.get(&format!("{}/.portvakt/eid/link", e.base)).await.text().await.unwrap();
    let link_csrf = hidden_field(&html, "csrf").unwrap();
    // The address's resend cooldown since the step-up's code has passed.
    e.env.clock.advance(Duration::from_secs(61));
    let email = [("csrf", link_csrf.as_str()), ("email", "anna@kommune.example")];
    let html = w.submit(&mut eb, "/.portvakt/eid/link", &email, "/.portvakt/eid/link").await;
    assert!(html.contains("We sent a code to anna@kommune.example") && html.contains("id=\"code\""), "{html}");
    let code = crate::eid::code_in(&nth_mail(&e.smtp, Msg::EidCodeSubject, 1));
    let r = eb.post(&format!("{}/.portvakt/eid/link", e.base), &[("csrf", &link_csrf), ("code", &code)]).await;
    assert_eq!((r.status().as_u16(), location(&r).as_str()), (303, "/.portvakt/portal"), "the code links and logs in");

    // Now the account page has two forms that ask for the password; a screen reader's list of fields tells the two
    // fields apart only by their labels.
    let account = b.get(&format!("{}/.portvakt/account", e.base)).await.text().await.unwrap();
    let label = |id: &str| {
        let at =
            account.find(&format!("<label for=\"{id}\">")).unwrap_or_else(|| panic!("no label for {id}: {account}"));
        let text = &account[at..];
        text[text.find('>').unwrap() + 1..text.find("</label>").unwrap()].to_string()
    };
    assert_eq!(label("password"), Msg::ConfirmPassword.text(Lang::En));
    assert_eq!(label("unlink-password"), "Your password, to confirm unlinking the eID");

    // The password session removes the link: back to the account page, which says so.
    let unlink = [("csrf", csrf.as_str()), ("password", PASSWORD)];
    let html = w.submit(&mut b, "/.portvakt/account/eid/unlink", &unlink, "/.portvakt/account?r=eid-unlinked").await;
    assert!(html.contains(&Msg::EidUnlinked.text(Lang::En)), "{html}");
    assert!(!std::fs::read_to_string(e.env.dir.path().join("accounts.json")).unwrap().contains(PID));

    // The eID session that removes its own link ends: the logged-out page says why.
    let mut linked = Browser::from(INTERNAL);
    let r = e.eid_login(&mut linked, &e.op.browser(INTERNAL), "/.portvakt/portal", LOA_SUBSTANTIAL).await;
    assert_eq!(location(&r), "/.portvakt/eid/link", "unlinked: the next eID login links again");
    let html = linked.get(&format!("{}/.portvakt/eid/link", e.base)).await.text().await.unwrap();
    let link_csrf = hidden_field(&html, "csrf").unwrap();
    e.env.clock.advance(Duration::from_secs(61));
    let email = [("csrf", link_csrf.as_str()), ("email", "anna@kommune.example")];
    linked.post(&format!("{}/.portvakt/eid/link", e.base), &email).await;
    let code = crate::eid::code_in(&nth_mail(&e.smtp, Msg::EidCodeSubject, 2));
    let r = linked.post(&format!("{}/.portvakt/eid/link", e.base), &[("csrf", &link_csrf), ("code", &code)]).await;
    assert_eq!(r.status(), 303);
    let html = linked.get(&format!("{}/.portvakt/account", e.base)).await.text().await.unwrap();
    let eid_csrf = hidden_field(&html, "csrf").unwrap();
    let unlink = [("csrf", eid_csrf.as_str()), ("password", PASSWORD)];
    let html = w.submit(&mut linked, "/.portvakt/account/eid/unlink", &unlink, "/.portvakt/logged-out?").await;
    assert!(html.contains(&Msg::EidUnlinked.text(Lang::En)), "{html}");
    assert!(linked.cookie("portvakt").is_none(), "the eID session ended with its link");

    // Logout.
    let logout = [("csrf", csrf.as_str())];
    let html = w.submit(&mut b, "/.portvakt/logout", &logout, "/.portvakt/logged-out").await;
    assert!(html.contains(&Msg::LoggedOutTitle.text(Lang::En)), "{html}");

    assert_eq!(w.done, template_post_actions(), "every POST form in templates/ is walked");
}

/// A refused form's page (a wrong password) loads the form-answer script, with the form's page as the address its
/// history entry becomes; the gateway serves that script as JavaScript, under a CSP that allows same-origin scripts
/// only; a page reached by GET loads no script at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_form_page_turns_its_history_entry_into_a_get() {
    let env = Env::start(Opts::default());
    let base = env.http_url();
    let mut b = Browser::from(INTERNAL);
    let page = b.get(&format!("{base}/.portvakt/login?rd=%2Fself-service%2F")).await;
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self'") && csp.contains("default-src 'none'"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(!html.contains("<script"), "a page reached by GET loads a script: {html}");
    let csrf = hidden_field(&html, "csrf").unwrap();
    let form = [("csrf", csrf.as_str()), ("username", "anna"), ("password", "wrong"), ("rd", "/self-service/")];
    let r = b.post(&format!("{base}/.portvakt/login"), &form).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(r#"<script src="/.portvakt/static/form-answer.js" data-page="/.portvakt/login" defer></script>"#),
        "{html}"
    );
    // The login form keeps where the user was going, which the script adds to the entry's address.
    assert_eq!(hidden_field(&html, "rd").as_deref(), Some("/self-service/"));
    let js = b.get(&format!("{base}/.portvakt/static/form-answer.js")).await;
    assert_eq!(js.status(), 200);
    assert_eq!(js.headers()["content-type"], "text/javascript; charset=utf-8");
    let js = js.text().await.unwrap();
    assert!(js.contains("history.replaceState") && js.contains("data-page"), "{js}");
}
