//! eID pages: the login buttons, linking by a code to the municipal e-mail, and the account page's eID part. The
//! pages that explain why an eID login did not go through are [`super::message_page`]s.

use super::{render, Msg, Notice, PageCtx, Text};
use askama::Template;

/// A provider button on the login page.
#[derive(Debug, Clone)]
pub struct ProviderButton {
    /// Provider name (query value).
    pub name: String,
    /// Label.
    pub title: String,
    /// The eID level a step-up asks this provider for (`level=` in the link), where above its own.
    pub level: Option<String>,
}

/// The eID buttons of a page (`templates/partials/eid_buttons.html`): the providers and where to return after.
#[derive(Debug, Clone, Copy)]
pub struct EidButtons<'a> {
    /// Providers offered; nothing is shown when empty.
    pub providers: &'a [ProviderButton],
    /// Where to go after the login.
    pub rd: &'a str,
}

impl EidButtons<'_> {
    /// The start of an eID login with this provider, returning to `rd`.
    pub fn href(&self, p: &ProviderButton) -> String {
        let mut href = format!(
            "/.portvakt/eid/start?provider={}&rd={}",
            form_urlencoded::byte_serialize(p.name.as_bytes()).collect::<String>(),
            form_urlencoded::byte_serialize(self.rd.as_bytes()).collect::<String>()
        );
        if let Some(level) = &p.level {
            href.push_str("&level=");
            href.extend(form_urlencoded::byte_serialize(level.as_bytes()));
        }
        href
    }

    /// The button's words: "Log in with ID-porten", with the level when a step-up asks for one.
    pub fn label(&self, p: &ProviderButton) -> Text {
        match &p.level {
            Some(level) => Msg::EidLoginWithAt.arg("provider", &p.title).arg("level", level.as_str()),
            None => Msg::EidLoginWith.arg("provider", &p.title),
        }
    }
}

/// What the link page shows.
#[derive(Clone, Default)]
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

super::debug_redacting_csrf!(LinkView { email, code_sent_to, minutes, error });

/// `templates/eid_link.html`.
#[derive(Template)]
#[template(path = "eid_link.html")]
struct LinkPage<'a> {
    ctx: &'a PageCtx<'a>,
    title: String,
    v: &'a LinkView<'a>,
}

/// The link page: e-mail form, then the code form.
pub fn link_page(ctx: &PageCtx<'_>, v: &LinkView<'_>) -> String {
    render(&LinkPage { ctx, title: ctx.t(Msg::EidLinkTitle), v })
}

/// The eID part of the account page.
#[derive(Clone, Default)]
pub struct AccountEid<'a> {
    /// Provider title, masked person ID and link date, when linked.
    pub linked: Option<(&'a str, String, String)>,
    /// Session CSRF token.
    pub csrf: &'a str,
}

super::debug_redacting_csrf!(AccountEid { linked });

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::{login_page, Lang, LoginView};

    /// The login buttons carry the provider and the return address, escaped.
    #[test]
    fn buttons() {
        let ctx = PageCtx::new(Lang::Nb, None);
        let p = [ProviderButton { name: "idporten".into(), title: "ID-porten".into(), level: None }];
        let v = LoginView { rd: "/expense/?a=1&b=\"x\"", eid_providers: &p, ..Default::default() };
        let html = login_page(&ctx, &v);
        assert!(html.contains("Logg inn med ID-porten"));
        assert!(html.contains("/.portvakt/eid/start?provider=idporten&amp;rd=%2Fexpense%2F%3Fa%3D1%26b%3D%22x%22"));
        let none = login_page(&ctx, &LoginView { rd: "/", ..Default::default() });
        assert!(!none.contains("/.portvakt/eid/start"), "{none}");
    }
}
