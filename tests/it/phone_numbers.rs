//! Issue #16 point 6: mobile numbers per country. A number typed in national form is read in the country of the
//! page's language (English: `[accounts] default_region`), validated with libphonenumber's metadata and stored in
//! E.164; the account page and the code page show it masked as a reader of that language writes numbers, and the
//! account page's example is a mobile number of the reader's country.

use crate::common::sms_provider::Elks46Server;
use crate::common::*;

const ELKS_USER: &str = "u0123456789abcdef";
const ELKS_PASS: &str = "elks-secret";

/// A gateway with SMS through a local 46elks stand-in; `accounts` is added to its `[accounts]` table.
fn start(accounts: &str) -> (Env, Elks46Server) {
    let sms = Elks46Server::start(ELKS_USER, ELKS_PASS);
    let extra = format!(
        "\n[sms]\nkind = \"46elks\"\napi_url = \"{}\"\nusername = \"{ELKS_USER}\"\npassword = \"{ELKS_PASS}\"\n\
         from = \"Kommunen\"\ntimeout = \"2s\"\n",
        sms.url
    );
    let env = Env::start(Opts { extra, accounts_extra: accounts.into(), ..Default::default() });
    (env, sms)
}

/// Logs in from the municipality's network; returns the client and session cookie.
async fn internal_session(env: &Env) -> (reqwest::Client, String) {
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    (c, cookie)
}

/// The account page in `lang`.
async fn account_page(env: &Env, c: &reqwest::Client, cookie: &str, lang: &str) -> String {
    let r = browse(c, &format!("{}/.portvakt/account", env.http_url()), cookie, &[("accept-language", lang)]).await;
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

/// Saves numbers through the account page's form read in `lang`; returns the status and the page shown (after a
/// save's 303, the account page it leads to).
async fn save(env: &Env, lang: &str, phone1: &str, phone2: &str) -> (u16, String) {
    let (c, cookie) = internal_session(env).await;
    let csrf = hidden_field(&account_page(env, &c, &cookie, lang).await, "csrf").unwrap();
    let r = c
        .post(format!("{}/.portvakt/account/phones", env.http_url()))
        .header("cookie", &cookie)
        .header("accept-language", lang)
        .form(&[("csrf", csrf.as_str()), ("phone1", phone1), ("phone2", phone2), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    shown_after(&c, &env.http_url(), r, &cookie, &[("accept-language", lang)]).await
}

/// The code page a remote login lands on, in `lang`; returns the page and its CSRF token.
async fn code_page(env: &Env, c: &reqwest::Client, cookie: &str, lang: &str) -> (String, String) {
    let url = format!("{}/.portvakt/second-factor?rd=%2Fexpense%2F", env.http_url());
    let r = browse(c, &url, cookie, &[("accept-language", lang)]).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let csrf = hidden_field(&html, "csrf").unwrap();
    (html, csrf)
}

/// A remote password login that stops at the code page; returns the client and cookie.
async fn remote_session(env: &Env) -> (reqwest::Client, String) {
    let c = client_from(REMOTE);
    let l = login(&c, &env.http_url(), "anna", PASSWORD, "/expense/", "portvakt", None).await;
    assert_eq!(l.status, 303, "{}", l.body);
    (c, l.cookie.unwrap())
}

/// The `<ul class="phones">` list of registered numbers on an account page.
fn registered(html: &str) -> &str {
    let start = html.find("<ul class=\"phones\">").expect("numbers list");
    let end = html[start..].find("</ul>").unwrap() + start;
    &html[start..end]
}

/// A Norwegian number typed as Norwegians write it on a Norwegian page is Norwegian (it was stored as a Swedish
/// number and shown "091•••45 67" before), a Swedish one typed with +46 is Swedish; each reader sees both masked as
/// they write numbers, on the account page and on the code page, and the SMS goes to the E.164 number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn norwegian_and_swedish_numbers_as_each_reader_writes_them() {
    let (env, sms) = start("");
    let (status, html) = save(&env, "nb", "912 34 567", "+46 70 123 45 67").await;
    assert_eq!(status, 303, "{html}");
    assert!(html.contains(&saved("nb")), "the page after the redirect says the numbers were saved: {html}");
    let list = registered(&html);
    assert!(list.contains("9•••45 67") && list.contains("+46 70•••45 67"), "{list}");
    assert!(!list.contains("091"), "{list}");

    let (c, cookie) = internal_session(&env).await;
    let sv = account_page(&env, &c, &cookie, "sv").await;
    let list = registered(&sv);
    assert!(list.contains("+47 9•••45 67") && list.contains("070•••45 67"), "{list}");
    let nn = account_page(&env, &c, &cookie, "nn").await;
    assert!(registered(&nn).contains("9•••45 67"), "{nn}");

    let (c, cookie) = remote_session(&env).await;
    let (nb, csrf) = code_page(&env, &c, &cookie, "nb").await;
    assert!(nb.contains("9•••45 67") && nb.contains("+46 70•••45 67"), "{nb}");
    let (sv, _) = code_page(&env, &c, &cookie, "sv").await;
    assert!(sv.contains("+47 9•••45 67") && sv.contains("070•••45 67"), "{sv}");
    // English pages read and show numbers in the default region, Sweden here.
    let (en, _) = code_page(&env, &c, &cookie, "en").await;
    assert!(en.contains("+47 9•••45 67") && en.contains("070•••45 67"), "{en}");

    let (result, page) =
        send_code(&c, &env.http_url(), &cookie, &[("csrf", csrf.as_str()), ("channel", "sms:0")]).await;
    assert_eq!(result, "sent", "{page}");
    assert_eq!(sms.messages().last().map(|m| m.to.clone()).as_deref(), Some("+4791234567"));
}

/// Danish numbers typed nationally on a Danish page and a Norwegian one typed internationally are stored in E.164
/// and shown nationally to Danes and internationally to Swedes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn danish_numbers_national_and_international() {
    let (env, sms) = start("");
    let (status, html) = save(&env, "da", "20 12 34 56", "0047 912 34 567").await;
    assert_eq!(status, 303, "{html}");
    let list = registered(&html);
    assert!(list.contains("2•••34 56") && list.contains("+47 9•••45 67"), "{list}");
    let (c, cookie) = internal_session(&env).await;
    let list = account_page(&env, &c, &cookie, "sv").await;
    assert!(registered(&list).contains("+45 2•••34 56"), "{list}");

    let (c, cookie) = remote_session(&env).await;
    let (da, csrf) = code_page(&env, &c, &cookie, "da").await;
    assert!(da.contains("2•••34 56") && da.contains("+47 9•••45 67"), "{da}");
    let (result, page) =
        send_code(&c, &env.http_url(), &cookie, &[("csrf", csrf.as_str()), ("channel", "sms:0")]).await;
    assert_eq!(result, "sent", "{page}");
    assert_eq!(sms.messages().last().map(|m| m.to.clone()).as_deref(), Some("+4520123456"));
}

/// A Norwegian mobile number typed without +47 on a Swedish page is a Swedish landline number there: it is refused
/// with what to do, in Swedish, and nothing is stored (it was saved as +4691234567 before). A Swedish number on a
/// Norwegian page without +46 is refused too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_countrys_national_number_is_refused_with_a_hint() {
    let (env, _sms) = start("");
    let (status, html) = save(&env, "sv", "91234567", "").await;
    assert_eq!(status, 400, "{html}");
    assert!(
        html.contains("det är inte ett mobilnummer; skriv ett nummer från ett annat land med + och landsnumret"),
        "{html}"
    );
    assert!(registered(&html).contains("Inga nummer är registrerade."), "{html}");
    let (status, html) = save(&env, "nb", "0701234567", "").await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("det har for få eller for mange sifre"), "{html}");
    assert!(registered(&html).contains("Ingen nummer er registrert."), "{html}");
}

/// The account page's example is a mobile number of the reader's country: Swedish in Swedish, Norwegian in bokmål
/// and nynorsk, Danish in Danish, and the default region's in English (Norway here, where a national number typed
/// on an English page is also Norwegian).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_numbers_per_language_and_default_region() {
    let (env, _sms) = start("default_region = \"NO\"\n");
    let (c, cookie) = internal_session(&env).await;
    for (lang, example) in [
        ("sv", "Till exempel 070-123 45 67."),
        ("nb", "For eksempel 40 61 23 45."),
        ("nn", "Til dømes 40 61 23 45."),
        ("da", "For eksempel 34 41 23 45."),
        ("en", "For example 40 61 23 45."),
    ] {
        let html = account_page(&env, &c, &cookie, lang).await;
        assert!(html.contains(example), "{lang}: {html}");
        assert!(lang == "sv" || !html.contains("070"), "{lang}: {html}");
    }
    let (status, html) = save(&env, "en", "91234567", "").await;
    assert_eq!(status, 303, "{html}");
    assert!(registered(&html).contains("9•••45 67"), "{html}");
}

/// The e-mail that announces a number change says when in the reader's language and the gateway's time zone
/// ("30 november 2026 kl. 05:00 CET"), no longer as "2026-11-30 04:00 UTC" in every language.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn number_change_mail_says_when_in_the_readers_language() {
    let smtp = crate::common::smtp::SmtpServer::start();
    let sms = Elks46Server::start(ELKS_USER, ELKS_PASS);
    let extra = format!(
        "\n[email]\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n\
         from = \"Portvakt <noreply@kommune.example>\"\ntimeout = \"5s\"\n\
         \n[sms]\nkind = \"46elks\"\napi_url = \"{}\"\nusername = \"{ELKS_USER}\"\npassword = \"{ELKS_PASS}\"\n\
         from = \"Kommunen\"\ntimeout = \"2s\"\n",
        smtp.port, sms.url
    );
    let env = Env::start(Opts { extra, ..Default::default() });
    // 2026-11-30 04:00 UTC, 05:00 in Oslo and Stockholm.
    env.clock.set(portvakt::clock::Instant(1_796_011_200_000));
    let (status, html) = save(&env, "sv", "070-123 45 67", "").await;
    assert_eq!(status, 303, "{html}");
    let mail = smtp.wait_for(1, std::time::Duration::from_secs(10)).remove(0);
    assert!(mail.body.contains("ändrades den 30 november 2026 kl. 05:00 CET."), "{}", mail.body);
    let (status, html) = save(&env, "en", "070-123 45 67", "+47 912 34 567").await;
    assert_eq!(status, 303, "{html}");
    let mail = smtp.wait_for(2, std::time::Duration::from_secs(10)).remove(1);
    assert!(mail.body.contains("were changed on 30 November 2026 at 05:00 CET."), "{}", mail.body);
}

/// The `value` of the input with `id` (HTML entities of a phone number's characters undone).
fn field_value(html: &str, id: &str) -> String {
    let i = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[i..html[i..].find('>').unwrap() + i];
    let v = rest.find("value=\"").unwrap_or_else(|| panic!("#{id} has no value: {rest}")) + 7;
    rest[v..v + rest[v..].find('"').unwrap()].replace("&#x2B;", "+").replace("&#43;", "+")
}

/// The numbers stored for anna, in E.164.
fn stored(env: &Env) -> serde_json::Value {
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.dir.path().join("accounts.json")).unwrap()).unwrap();
    file["staff:anna"]["phones"].clone()
}

/// The number fields open with the registered numbers as the reader writes them (#16 point 2): national form for
/// a number of the page's country (English: `[accounts] default_region`, Sweden here), international form with
/// spaces for any other, never E.164; saving the shown values unchanged, in every language, stores the same E.164
/// numbers (and so announces no change).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn number_fields_show_each_readers_form_and_save_back_the_same() {
    let (env, sms) = start("");
    let (status, html) = save(&env, "sv", "070-123 45 67", "+47 912 34 567").await;
    assert_eq!(status, 303, "{html}");
    let before = stored(&env);
    assert_eq!(before, serde_json::json!(["+46701234567", "+4791234567"]));
    let (c, cookie) = internal_session(&env).await;
    for (lang, shown1, shown2) in [
        ("sv", "070-123 45 67", "+47 91 23 45 67"),
        ("nb", "+46 70 123 45 67", "91 23 45 67"),
        ("nn", "+46 70 123 45 67", "91 23 45 67"),
        ("da", "+46 70 123 45 67", "+47 91 23 45 67"),
        ("en", "070-123 45 67", "+47 91 23 45 67"),
    ] {
        let html = account_page(&env, &c, &cookie, lang).await;
        let (phone1, phone2) = (field_value(&html, "phone1"), field_value(&html, "phone2"));
        assert_eq!((phone1.as_str(), phone2.as_str()), (shown1, shown2), "{lang}");
        let (status, html) = save(&env, lang, &phone1, &phone2).await;
        assert_eq!(status, 303, "{lang}: the shown numbers saved back: {html}");
        assert!(html.contains(&saved(lang)), "{lang}: {html}");
        assert_eq!(stored(&env), before, "{lang}: saving the shown numbers changed them");
    }
    // Nothing changed, so nothing was announced on the numbers.
    assert!(sms.messages().is_empty(), "{:?}", sms.messages());
}
