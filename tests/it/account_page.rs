//! Issue #16 point 4 and the explicit-deny wording of point 6, from the outside: the account page is linked from every
//! logged-in page's header and from the pages that tell the user to register a number; it names the user, the user
//! group and where e-mail codes go; each number has its own Remove button (a CSRF-checked POST that removes that
//! number only and says which); from a zone where changes are refused it says from where they can be made. A
//! denial by an explicit deny rule gives the rule's own message, or words true of every deny rule, in five languages.

use crate::common::*;

/// The account rule of the shipped policies, with its message naming where numbers can be registered.
const ACCOUNT_POLICY: &str = r#"
[[rule]]
id = "phones-offices"
services = ["account.phones"]
effect = "allow"
zones = ["internal"]
message.en = "Mobile numbers can only be registered from the offices' network."
message.sv = "Mobilnummer kan bara registreras från kontorens nätverk."

[[rule]]
id = "everyone"
services = ["self-service", "expense", "signing"]
effect = "allow"
"#;

/// GETs a page as a browser with a session cookie and a language; (status, body).
async fn page(c: &reqwest::Client, url: &str, cookie: &str, lang: &str) -> (u16, String) {
    let r = browse(c, url, cookie, &[("accept-language", lang)]).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

/// POSTs a form with a session cookie in English; (status, the page shown: after a 303, the page it leads to).
async fn post(c: &reqwest::Client, url: &str, cookie: &str, form: &[(&str, &str)]) -> (u16, String) {
    let r = c.post(url).header("cookie", cookie).header("accept-language", "en").form(form).send().await.unwrap();
    let base = &url[..url.find("/.portvakt/").unwrap()];
    shown_after(c, base, r, cookie, &[("accept-language", "en")]).await
}

/// POSTs a form with a session cookie; (status, Location).
async fn post_redirect(c: &reqwest::Client, url: &str, cookie: &str, form: &[(&str, &str)]) -> (u16, String) {
    let r = c.post(url).header("cookie", cookie).form(form).send().await.unwrap();
    let to = r.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (r.status().as_u16(), to)
}

/// The values of every hidden field `name` in a page, in order.
fn hidden_fields(html: &str, name: &str) -> Vec<String> {
    let marker = format!("name=\"{name}\" value=\"");
    html.match_indices(&marker)
        .map(|(i, _)| {
            let rest = &html[i + marker.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

/// The `value` of the input with `id`.
fn input_value(html: &str, id: &str) -> String {
    let i = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[i..];
    let v = rest.find("value=\"").unwrap() + 7;
    rest[v..v + rest[v..].find('"').unwrap()].to_string()
}

/// Logs anna in from the internal network and registers `numbers` through the account page's form.
async fn anna_with_numbers(env: &Env, numbers: &[&str]) -> (reqwest::Client, String) {
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let (_, html) = page(&c, &format!("{}/.portvakt/account", env.http_url()), &cookie, "en").await;
    let csrf = hidden_field(&html, "csrf").unwrap();
    let mut form = vec![("csrf", csrf.as_str()), ("password", PASSWORD)];
    for (k, n) in ["phone1", "phone2"].iter().zip(numbers) {
        form.push((k, n));
    }
    let (s, body) = post(&c, &format!("{}/.portvakt/account/phones", env.http_url()), &cookie, &form).await;
    assert_eq!(s, 303, "{body}");
    assert!(body.contains(&saved("en")), "{body}");
    (c, cookie)
}

/// Every logged-in page's header links to the account page (the portal, the code page, the account page itself),
/// and the page names the username, the user group and the address e-mail codes go to; a user without an address
/// is told there is none.
#[tokio::test(flavor = "multi_thread")]
async fn header_links_to_the_account_page_which_names_the_user() {
    let directories =
        "[[directories]]\nname = \"staff\"\ntitle = \"Kommunens anställda\"\nkind = \"file\"\npath = \"users.toml\"\n";
    let env = Env::start(Opts { directories: Some(directories.into()), ..Default::default() });
    let base = env.http_url();
    let c = client_from(INTERNAL);
    let cookie = login(&c, &base, "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let link = "<a class=\"account-link\" href=\"/.portvakt/account\">My account</a>";
    for path in ["/.portvakt/portal", "/.portvakt/account", "/.portvakt/logout"] {
        let (s, html) = page(&c, &format!("{base}{path}"), &cookie, "en").await;
        assert_eq!(s, 200, "{path}");
        let header = &html[html.find("<header>").unwrap()..html.find("</header>").unwrap()];
        assert!(header.contains(link), "{path}: {header}");
    }
    let (_, html) = page(&c, &format!("{base}/.portvakt/account"), &cookie, "en").await;
    let html = html.replace('\n', "");
    for shown in [
        "<dt>Username</dt><dd>anna</dd>",
        "<dt>User group</dt><dd>Kommunens anställda</dd>",
        "<dt>One-time codes by e-mail go to</dt><dd class=\"address\">anna@kommune.example</dd>",
    ] {
        assert!(html.contains(shown), "{shown} in {html}");
    }
    // Swedish words for the same facts.
    let (_, html) = page(&c, &format!("{base}/.portvakt/account"), &cookie, "sv").await;
    assert!(html.contains(">Mitt konto</a>") && html.contains("<dt>Användarnamn</dt>"), "{html}");
    // bjorn has no address in the directory: the page says so instead of showing nothing.
    let cookie = login(&c, &base, "bjorn", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let (_, html) = page(&c, &format!("{base}/.portvakt/account"), &cookie, "en").await;
    assert!(html.contains("<dd>bjorn</dd>"), "{html}");
    assert!(html.contains("No e-mail address is registered for you."), "{html}");
}

/// Each registered number has its own Remove button: pressing the first one's removes that number only and answers
/// with a redirect to the page (reload posts nothing), which says which number was removed; the other stays listed
/// and pre-filled. Pressing it again says nothing was removed; a crafted link cannot word the notice.
#[tokio::test(flavor = "multi_thread")]
async fn each_number_is_removed_by_its_own_button() {
    let env = Env::start(Opts::default());
    let base = env.http_url();
    let (c, cookie) = anna_with_numbers(&env, &["0701234567", "0709876543"]).await;
    let (_, html) = page(&c, &format!("{base}/.portvakt/account"), &cookie, "en").await;
    let numbers = hidden_fields(&html, "phone");
    assert_eq!(numbers, ["+46701234567", "+46709876543"], "{html}");
    assert_eq!(html.matches("action=\"/.portvakt/account/phones/remove\"").count(), 2, "{html}");
    let first = portvakt::phone::mask("+46701234567", portvakt::phone::Region::SE);
    let second = portvakt::phone::mask("+46709876543", portvakt::phone::Region::SE);
    assert!(html.contains(&format!(">Remove {first}</button>")), "{html}");
    assert!(html.contains(&format!(">Remove {second}</button>")), "{html}");
    // Pre-filled as a Swedish reader writes them (English pages read numbers in the default region, Sweden here).
    assert_eq!(input_value(&html, "phone1"), "070-123 45 67");
    assert_eq!(input_value(&html, "phone2"), "070-987 65 43");

    let csrf = hidden_field(&html, "csrf").unwrap();
    let remove = format!("{base}/.portvakt/account/phones/remove");
    // The answer is a redirect to the page (POST-redirect-GET: a reload shows the page again, posts nothing).
    let (s, to) = post_redirect(&c, &remove, &cookie, &[("csrf", &csrf), ("phone", "+46701234567")]).await;
    assert_eq!(s, 303);
    let (s, html) = page(&c, &format!("{base}{to}"), &cookie, "en").await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains(&format!("The number {first} has been removed.")), "{html}");
    assert_eq!(hidden_fields(&html, "phone"), ["+46709876543"], "{html}");
    assert_eq!(html.matches(first.as_str()).count(), 1, "named in the notice only: {html}");
    assert_eq!(input_value(&html, "phone1"), "070-987 65 43", "the kept number is pre-filled");
    assert_eq!(input_value(&html, "phone2"), "");

    // Pressing the same button again (a second tab) removes nothing and says so.
    let (s, to) = post_redirect(&c, &remove, &cookie, &[("csrf", &csrf), ("phone", "+46701234567")]).await;
    assert_eq!(s, 303);
    let (_, html) = page(&c, &format!("{base}{to}"), &cookie, "en").await;
    assert!(html.contains("The number is not registered, so nothing was removed."), "{html}");
    assert_eq!(hidden_fields(&html, "phone"), ["+46709876543"], "{html}");
    // A crafted link cannot put its own words in the removal notice.
    let forged = format!("{base}/.portvakt/account?removed=Call%20%2B46%20555%20now");
    let (_, html) = page(&c, &forged, &cookie, "en").await;
    assert!(!html.contains("has been removed") && !html.contains("role=\"status\""), "{html}");
    // Without the form's CSRF token nothing is removed.
    let (s, _) = post(&c, &remove, &cookie, &[("csrf", "forged"), ("phone", "+46709876543")]).await;
    assert_eq!(s, 403);
    let (_, html) = page(&c, &format!("{base}/.portvakt/account"), &cookie, "en").await;
    assert_eq!(hidden_fields(&html, "phone"), ["+46709876543"], "{html}");
}

/// From outside, the account page offers no Remove buttons and no form but says from where numbers can be
/// changed (the account rule's own message, in the reader's language); a removal posted anyway is refused with 403
/// on a page that says the same, and the number stays.
#[tokio::test(flavor = "multi_thread")]
async fn removal_from_outside_is_refused_with_where_it_can_be_done() {
    let env = Env::start(Opts { policies: Some(ACCOUNT_POLICY.into()), ..Default::default() });
    let base = env.http_url();
    let _ = anna_with_numbers(&env, &["0701234567"]).await;
    let c = client_from(REMOTE);
    let cookie = login(&c, &base, "anna", PASSWORD, "/.portvakt/account", "portvakt", None).await.cookie.unwrap();
    let (s, html) = page(&c, &format!("{base}/.portvakt/account"), &cookie, "sv").await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("Mobilnummer kan bara registreras från kontorens nätverk."), "{html}");
    assert!(!html.contains("/.portvakt/account/phones/remove") && !html.contains("name=\"phone1\""), "{html}");
    let csrf = hidden_field(&html, "csrf").unwrap();
    let (s, html) = post(
        &c,
        &format!("{base}/.portvakt/account/phones/remove"),
        &cookie,
        &[("csrf", &csrf), ("phone", "+46701234567")],
    )
    .await;
    assert_eq!(s, 403, "{html}");
    assert!(html.contains("Mobile numbers can only be registered from the offices&#x27; network."), "{html}");
    let inside = client_from(INTERNAL);
    let cookie = login(&inside, &base, "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let (_, html) = page(&inside, &format!("{base}/.portvakt/account"), &cookie, "en").await;
    assert_eq!(hidden_fields(&html, "phone"), ["+46701234567"], "{html}");
}

/// The pages that tell a user to register a number under "My SMS numbers" link there: the step-up page of a user
/// with no number and no address, from outside.
#[tokio::test(flavor = "multi_thread")]
async fn pages_naming_my_sms_numbers_link_to_it() {
    let env = Env::start(Opts::default());
    let c = client_from(REMOTE);
    let l = login(&c, &env.http_url(), "bjorn", PASSWORD, "/expense/", "portvakt", None).await;
    let cookie = l.cookie.unwrap();
    let to = l.location.unwrap();
    let (_, html) = page(&c, &format!("{}{to}", env.http_url()), &cookie, "en").await;
    assert!(html.contains("Register your mobile number under “My SMS numbers”"), "{html}");
    assert!(html.contains("<a href=\"/.portvakt/account\">My SMS numbers</a>"), "{html}");
}

/// A denial by an explicit deny rule gives the rule's own message where it has one, and otherwise words that are
/// true of every deny rule, in all five languages: never "not from here right now", which would send the user to
/// try from another network.
#[tokio::test(flavor = "multi_thread")]
async fn explicit_deny_gives_its_message_or_a_true_reason() {
    let policy = r#"
[[rule]]
id = "no-signing-for-teachers"
services = ["signing"]
effect = "deny"
groups = ["teachers"]

[[rule]]
id = "expense-not-teachers"
services = ["expense"]
effect = "deny"
groups = ["teachers"]
message.en = "Teachers send expense claims through the school office."
message.sv = "Lärare skickar utlägg via skolexpeditionen."
message.nb = "Lærere sender utlegg via skolekontoret."
message.nn = "Lærarar sender utlegg via skulekontoret."
message.da = "Lærere sender udlæg via skolekontoret."

[[rule]]
id = "everyone"
services = ["self-service", "expense", "signing"]
effect = "allow"
"#;
    let env = Env::start(Opts { policies: Some(policy.into()), ..Default::default() });
    let base = env.http_url();
    let c = client_from(INTERNAL);
    let cookie = login(&c, &base, "bjorn", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let generic = [
        ("en", "The municipality&#x27;s access rules do not let you open Signing."),
        ("sv", "Enligt kommunens behörighetsregler får du inte öppna Signing."),
        ("nb", "Kommunens tilgangsregler lar deg ikke åpne Signing."),
        ("nn", "Tilgangsreglane til kommunen lèt deg ikkje opne Signing."),
        ("da", "Kommunens adgangsregler giver dig ikke adgang til Signing."),
    ];
    let own = [
        ("en", "Teachers send expense claims through the school office."),
        ("sv", "Lärare skickar utlägg via skolexpeditionen."),
        ("nb", "Lærere sender utlegg via skolekontoret."),
        ("nn", "Lærarar sender utlegg via skulekontoret."),
        ("da", "Lærere sender udlæg via skolekontoret."),
    ];
    let untrue =
        ["from here right now", "härifrån just nu", "herfra akkurat nå", "herifrå akkurat no", "herfra lige nu"];
    for ((lang, says), (_, message)) in generic.into_iter().zip(own) {
        let (s, html) = page(&c, &format!("{base}/signing/"), &cookie, lang).await;
        assert_eq!(s, 403);
        assert!(html.contains(says), "{lang}: {html}");
        let (s, html2) = page(&c, &format!("{base}/expense/"), &cookie, lang).await;
        assert_eq!(s, 403);
        assert!(html2.contains(message), "{lang}: {html2}");
        for page in [&html, &html2] {
            assert!(untrue.iter().all(|u| !page.contains(u)), "{lang}: {page}");
        }
    }
}

/// The start tag of the element with `id` (what a screen reader is told about that field).
fn tag_with_id(html: &str, id: &str) -> String {
    let i = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in {html}"));
    let start = html[..i].rfind('<').unwrap();
    html[start..i + html[i..].find('>').unwrap() + 1].to_string()
}

/// WCAG 2.2 (#16 point 8): an error on the account page is tied to the field it is about. A number that is not a
/// mobile number marks that field only invalid and points it at its error (after the help line); a wrong password
/// marks the password field; the first error takes the focus when the page opens.
#[tokio::test(flavor = "multi_thread")]
async fn account_page_errors_are_tied_to_their_fields() {
    let env = Env::start(Opts::default());
    let base = env.http_url();
    let c = client_from(INTERNAL);
    let cookie = login(&c, &base, "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let (_, html) = page(&c, &format!("{base}/.portvakt/account"), &cookie, "en").await;
    let csrf = hidden_field(&html, "csrf").unwrap();
    let url = format!("{base}/.portvakt/account/phones");
    let form = [("csrf", csrf.as_str()), ("password", PASSWORD), ("phone1", "+46701234567"), ("phone2", "12ab")];
    let (s, html) = post(&c, &url, &cookie, &form).await;
    assert_eq!(s, 400, "{html}");
    let error = tag_with_id(&html, "account-error-1");
    assert!(error.contains("role=\"alert\"") && error.contains("autofocus"), "{error}");
    let phone2 = tag_with_id(&html, "phone2");
    assert!(phone2.contains("aria-invalid=\"true\""), "{phone2}");
    assert!(phone2.contains("aria-describedby=\"phone-help account-error-1\""), "{phone2}");
    let phone1 = tag_with_id(&html, "phone1");
    assert!(!phone1.contains("aria-invalid") && phone1.contains("aria-describedby=\"phone-help\""), "{phone1}");
    let form = [("csrf", csrf.as_str()), ("password", "wrong"), ("phone1", "+46701234567"), ("phone2", "")];
    let (s, html) = post(&c, &url, &cookie, &form).await;
    assert_eq!(s, 400, "{html}");
    let password = tag_with_id(&html, "password");
    assert!(password.contains("aria-invalid=\"true\" aria-describedby=\"account-error-1\""), "{password}");
    assert!(!tag_with_id(&html, "phone1").contains("aria-invalid"), "{html}");
}
