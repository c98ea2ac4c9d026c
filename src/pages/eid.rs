//! eID pages and texts: the login buttons, linking by a code to the municipal e-mail, the account page's eID part,
//! and the pages that explain why an eID login did not go through.

use super::{hidden, layout, Msg, Notice, PageCtx};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

/// A provider button on the login page.
#[derive(Debug, Clone)]
pub struct ProviderButton {
    /// Provider name (query value).
    pub name: String,
    /// Label.
    pub title: String,
}

/// The eID part of the login page: a button (link) per provider.
pub fn login_buttons(ctx: &PageCtx<'_>, providers: &[ProviderButton], rd: &str) -> String {
    if providers.is_empty() {
        return String::new();
    }
    let mut b = String::from("<div class=\"card\"><h2>");
    b.push_str(&text(&ctx.t(Msg::EidLoginSection)));
    b.push_str("</h2>");
    for p in providers {
        let href = format!(
            "/.portvakt/eid/start?provider={}&rd={}",
            form_urlencoded::byte_serialize(p.name.as_bytes()).collect::<String>(),
            form_urlencoded::byte_serialize(rd.as_bytes()).collect::<String>()
        );
        b.push_str("<p><a class=\"button\" href=\"");
        b.push_str(&attr(&href));
        b.push_str("\">");
        b.push_str(&ctx.html(&Msg::EidLoginWith.arg("provider", &p.title)));
        b.push_str("</a></p>");
    }
    b.push_str("</div>");
    b
}

/// What the link page shows.
#[derive(Debug, Clone, Default)]
pub struct LinkView<'a> {
    /// Link-step CSRF token.
    pub csrf: &'a str,
    /// E-mail to refill.
    pub email: &'a str,
    /// Set once a code was sent: the code form is shown.
    pub code_sent_to: Option<&'a str>,
    /// Minutes a code is valid.
    pub minutes: u64,
    /// Problem to show.
    pub error: Option<Notice>,
}

/// The link page: e-mail form, then the code form.
pub fn link_page(ctx: &PageCtx<'_>, v: &LinkView<'_>) -> String {
    let t = |m: Msg| text(&ctx.t(m)).into_owned();
    let mut b = String::new();
    if let Some(e) = &v.error {
        b.push_str("<p class=\"error\" role=\"alert\">");
        b.push_str(&ctx.notice_html(e));
        b.push_str("</p>");
    }
    b.push_str("<div class=\"card\"><p>");
    b.push_str(&t(Msg::EidLinkIntro));
    b.push_str("</p>");
    if let Some(sent) = v.code_sent_to {
        b.push_str("<p class=\"notice\" role=\"status\">");
        b.push_str(&ctx.html(&Msg::EidCodeSent.arg("email", sent).arg("minutes", v.minutes)));
        b.push_str("</p><form method=\"post\" action=\"/.portvakt/eid/link\">");
        b.push_str(&hidden("csrf", v.csrf));
        b.push_str("<label for=\"code\">");
        b.push_str(&t(Msg::EidCodeLabel));
        b.push_str("</label><input type=\"text\" id=\"code\" name=\"code\" inputmode=\"text\" autocomplete=\"one-time-code\" autocapitalize=\"characters\" spellcheck=\"false\" required><button type=\"submit\">");
        b.push_str(&t(Msg::EidLinkButton));
        b.push_str("</button></form>");
    }
    b.push_str("<form method=\"post\" action=\"/.portvakt/eid/link\">");
    b.push_str(&hidden("csrf", v.csrf));
    b.push_str("<label for=\"email\">");
    b.push_str(&t(Msg::EidEmailLabel));
    b.push_str("</label><input type=\"email\" id=\"email\" name=\"email\" autocomplete=\"email\" autocapitalize=\"none\" spellcheck=\"false\" required value=\"");
    b.push_str(&attr(v.email));
    b.push_str("\"><button type=\"submit\"");
    if v.code_sent_to.is_some() {
        b.push_str(" class=\"secondary\"");
    }
    b.push('>');
    b.push_str(&t(Msg::EidSendCode));
    b.push_str("</button></form></div>");
    layout(ctx, &ctx.t(Msg::EidLinkTitle), &b)
}

/// The eID part of the account page.
#[derive(Debug, Clone, Default)]
pub struct AccountEid<'a> {
    /// Provider title, masked person ID and link date, when linked.
    pub linked: Option<(&'a str, String, String)>,
    /// Session CSRF token.
    pub csrf: &'a str,
}

/// Renders the account page's eID card.
pub fn account_section(ctx: &PageCtx<'_>, v: &AccountEid<'_>) -> String {
    let t = |m: Msg| text(&ctx.t(m)).into_owned();
    let mut b = String::from("<div class=\"card\"><h2>");
    b.push_str(&t(Msg::EidAccountTitle));
    b.push_str("</h2><p>");
    match &v.linked {
        None => b.push_str(&t(Msg::EidAccountNone)),
        Some((provider, person, date)) => {
            b.push_str(
                &ctx.html(&Msg::EidAccountLinked.arg("provider", *provider).arg("person", person).arg("date", date)),
            );
            b.push_str("</p><p>");
            b.push_str(&t(Msg::EidUnlinkIntro));
            b.push_str("</p><form method=\"post\" action=\"/.portvakt/account/eid/unlink\">");
            b.push_str(&hidden("csrf", v.csrf));
            b.push_str("<label for=\"unlink-password\">");
            b.push_str(&text(&ctx.t(Msg::ConfirmPassword)));
            b.push_str("</label><input type=\"password\" id=\"unlink-password\" name=\"password\" autocomplete=\"current-password\" required><button type=\"submit\">");
            b.push_str(&t(Msg::EidUnlinkButton));
            b.push_str("</button></form><p>");
        }
    }
    b.push_str("</p></div>");
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::Lang;

    /// The login buttons carry the provider and the return address, escaped.
    #[test]
    fn buttons() {
        let ctx = PageCtx { lang: Lang::Nb, user: None };
        let p = [ProviderButton { name: "idporten".into(), title: "ID-porten".into() }];
        let html = login_buttons(&ctx, &p, "/expense/?a=1&b=\"x\"");
        assert!(html.contains("Logg inn med ID-porten"));
        assert!(html.contains("/.portvakt/eid/start?provider=idporten&amp;rd=%2Fexpense%2F%3Fa%3D1%26b%3D%22x%22"));
        assert!(login_buttons(&ctx, &[], "/").is_empty());
    }
}
