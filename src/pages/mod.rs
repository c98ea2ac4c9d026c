//! The gateway's own HTML pages: plain, accessible, no JavaScript, in the user's language.

pub mod eid;
pub mod i18n;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
pub use i18n::{Arg, Lang, Msg, Text};

/// The stylesheet served at [`CSS_PATH`].
pub const CSS: &str = include_str!("../../assets/portvakt.css");
/// Where the stylesheet is served.
pub const CSS_PATH: &str = "/.portvakt/static/portvakt.css";

/// A message on a page, with an optional link after it (e.g. "Change your password").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The words.
    pub text: Text,
    /// A link shown after the words.
    pub link: Option<Link>,
}

impl Notice {
    /// The same notice with a link after the words.
    pub fn with_link(mut self, href: impl Into<String>, label: impl Into<Text>) -> Notice {
        self.link = Some(Link { href: href.into(), label: label.into() });
        self
    }
}

impl From<Text> for Notice {
    fn from(text: Text) -> Notice {
        Notice { text, link: None }
    }
}

impl From<Msg> for Notice {
    fn from(m: Msg) -> Notice {
        Notice { text: m.into(), link: None }
    }
}

/// A link with its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Where it goes.
    pub href: String,
    /// The words.
    pub label: Text,
}

/// What every page needs to know about its reader.
#[derive(Debug, Clone, Copy)]
pub struct PageCtx<'a> {
    /// Page language.
    pub lang: Lang,
    /// The logged-in user's display name and the session's CSRF token, for the logout button.
    pub user: Option<(&'a str, &'a str)>,
}

impl PageCtx<'_> {
    /// The message in this page's language.
    pub fn t(&self, m: Msg) -> String {
        m.text(self.lang)
    }

    /// The words in this page's language, HTML-escaped.
    pub(crate) fn html(&self, t: &Text) -> String {
        text(&t.render(self.lang)).into_owned()
    }

    /// A notice in this page's language, HTML-escaped, with its link.
    pub(crate) fn notice_html(&self, n: &Notice) -> String {
        let mut h = self.html(&n.text);
        if let Some(l) = &n.link {
            h.push_str(&format!(" <a href=\"{}\">{}</a>", attr(&l.href), self.html(&l.label)));
        }
        h
    }
}

/// Wraps page content in the common layout.
pub fn layout(ctx: &PageCtx<'_>, title: &str, body: &str) -> String {
    let mut h = String::with_capacity(2048 + body.len());
    h.push_str("<!doctype html>\n<html lang=\"");
    h.push_str(ctx.lang.code());
    h.push_str("\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
    h.push_str(&text(title));
    h.push_str(" – Portvakt</title><link rel=\"stylesheet\" href=\"");
    h.push_str(CSS_PATH);
    h.push_str("\"></head><body><a class=\"skip\" href=\"#main\">");
    h.push_str(&text(&ctx.t(Msg::SkipToContent)));
    h.push_str("</a><header><span class=\"brand\">Portvakt</span>");
    if let Some((name, csrf)) = ctx.user {
        h.push_str("<span>");
        h.push_str(&ctx.html(&Msg::SignedInAs.arg("name", name)));
        h.push_str(
            "</span><form method=\"post\" action=\"/.portvakt/logout\"><input type=\"hidden\" name=\"csrf\" value=\"",
        );
        h.push_str(&attr(csrf));
        h.push_str("\"><button class=\"secondary\" type=\"submit\">");
        h.push_str(&text(&ctx.t(Msg::Logout)));
        h.push_str("</button></form>");
    }
    h.push_str("</header><main id=\"main\"><h1>");
    h.push_str(&text(title));
    h.push_str("</h1>");
    h.push_str(body);
    h.push_str("</main></body></html>\n");
    h
}

/// A realm offered in the login form's group choice.
#[derive(Debug, Clone)]
pub struct RealmChoice {
    /// Realm id.
    pub name: String,
    /// Label.
    pub title: String,
}

/// What the login page shows.
#[derive(Debug, Clone, Default)]
pub struct LoginView<'a> {
    /// Where to go after login.
    pub rd: &'a str,
    /// Pre-login CSRF token.
    pub csrf: &'a str,
    /// Realms; the choice is shown only when there are several.
    pub realms: &'a [RealmChoice],
    /// Realm to preselect.
    pub selected_realm: &'a str,
    /// Username to refill after a failed attempt.
    pub username: &'a str,
    /// Error message to show.
    pub error: Option<Notice>,
    /// Informational message (e.g. logged out for inactivity).
    pub notice: Option<Notice>,
    /// Link to password help.
    pub password_help_url: Option<&'a str>,
    /// eID providers offered.
    pub eid_providers: &'a [eid::ProviderButton],
}

/// The login page.
pub fn login_page(ctx: &PageCtx<'_>, v: &LoginView<'_>) -> String {
    let mut b = String::with_capacity(2048);
    if let Some(n) = &v.notice {
        b.push_str("<p class=\"notice\" role=\"status\">");
        b.push_str(&ctx.notice_html(n));
        b.push_str("</p>");
    }
    if let Some(e) = &v.error {
        b.push_str("<p class=\"error\" role=\"alert\">");
        b.push_str(&ctx.notice_html(e));
        b.push_str("</p>");
    }
    b.push_str("<div class=\"card\"><p>");
    b.push_str(&text(&ctx.t(Msg::LoginIntro)));
    b.push_str("</p><form method=\"post\" action=\"/.portvakt/login\">");
    b.push_str(&hidden("csrf", v.csrf));
    b.push_str(&hidden("rd", v.rd));
    if v.realms.len() > 1 {
        b.push_str("<label for=\"realm\">");
        b.push_str(&text(&ctx.t(Msg::Realm)));
        b.push_str("</label><p class=\"help\" id=\"realm-help\">");
        b.push_str(&text(&ctx.t(Msg::RealmHelp)));
        b.push_str("</p><select id=\"realm\" name=\"realm\" aria-describedby=\"realm-help\">");
        for r in v.realms {
            b.push_str("<option value=\"");
            b.push_str(&attr(&r.name));
            b.push('"');
            if r.name == v.selected_realm {
                b.push_str(" selected");
            }
            b.push('>');
            b.push_str(&text(&r.title));
            b.push_str("</option>");
        }
        b.push_str("</select>");
    }
    b.push_str("<label for=\"username\">");
    b.push_str(&text(&ctx.t(Msg::Username)));
    b.push_str("</label><input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" required value=\"");
    b.push_str(&attr(v.username));
    b.push_str("\"><label for=\"password\">");
    b.push_str(&text(&ctx.t(Msg::Password)));
    b.push_str("</label><input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required><button type=\"submit\">");
    b.push_str(&text(&ctx.t(Msg::LoginButton)));
    b.push_str("</button></form>");
    if let Some(url) = v.password_help_url {
        b.push_str("<p><a href=\"");
        b.push_str(&attr(url));
        b.push_str("\">");
        b.push_str(&text(&ctx.t(Msg::PasswordHelp)));
        b.push_str("</a></p>");
    }
    b.push_str("</div>");
    b.push_str(&eid::login_buttons(ctx, v.eid_providers, v.rd));
    layout(ctx, &ctx.t(Msg::LoginTitle), &b)
}

/// The state of one service on the portal, for this user, now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TileState {
    /// Can be opened.
    Open,
    /// Needs a stronger login first.
    NeedsStepUp,
    /// Not reachable from the current zone.
    NotFromThisNetwork,
    /// Closed until the given local time.
    ClosedUntil(String),
    /// The user may not use it.
    NoAccess(Option<String>),
}

/// One service on the portal.
#[derive(Debug, Clone)]
pub struct Tile {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Link.
    pub url: String,
    /// State.
    pub state: TileState,
}

/// The portal: the services this user may open now, and why others are closed.
pub fn portal_page(ctx: &PageCtx<'_>, display_name: &str, zone: Msg, tiles: &[Tile]) -> String {
    let mut b = String::with_capacity(1024 + tiles.len() * 256);
    b.push_str("<p>");
    b.push_str(&ctx.html(&Msg::PortalIntro.arg("name", display_name)));
    b.push_str("</p><p class=\"help\">");
    b.push_str(&ctx.html(&Msg::PortalZone.arg("zone", ctx.t(zone))));
    b.push_str("</p>");
    if tiles.is_empty() {
        b.push_str("<p class=\"notice\">");
        b.push_str(&text(&ctx.t(Msg::PortalEmpty)));
        b.push_str("</p>");
    }
    b.push_str("<ul class=\"tiles\">");
    for t in tiles {
        let state = match &t.state {
            TileState::Open => "open",
            TileState::NeedsStepUp => "step-up",
            TileState::NotFromThisNetwork => "wrong-network",
            TileState::ClosedUntil(_) => "closed",
            TileState::NoAccess(_) => "no-access",
        };
        b.push_str("<li data-state=\"");
        b.push_str(state);
        b.push_str("\"><h2>");
        b.push_str(&text(&t.title));
        b.push_str("</h2>");
        if !t.description.is_empty() {
            b.push_str("<p>");
            b.push_str(&text(&t.description));
            b.push_str("</p>");
        }
        match &t.state {
            TileState::Open => {
                b.push_str("<a class=\"button\" href=\"");
                b.push_str(&attr(&t.url));
                b.push_str("\">");
                b.push_str(&text(&ctx.t(Msg::PortalOpen)));
                b.push_str("</a>");
            }
            TileState::NeedsStepUp => {
                b.push_str("<p class=\"state\">");
                b.push_str(&text(&ctx.t(Msg::PortalNeedsStrongerLogin)));
                b.push_str("</p><a class=\"button\" href=\"/.portvakt/second-factor?rd=");
                b.push_str(&attr(&crate::gateway::http::url_encode(&t.url)));
                b.push_str("\">");
                b.push_str(&text(&ctx.t(Msg::PortalStepUp)));
                b.push_str("</a>");
            }
            TileState::NotFromThisNetwork => {
                b.push_str("<p class=\"state\">");
                b.push_str(&text(&ctx.t(Msg::PortalNotFromThisNetwork)));
                b.push_str("</p>");
            }
            TileState::ClosedUntil(time) => {
                b.push_str("<p class=\"state\">");
                b.push_str(&ctx.html(&Msg::PortalClosedUntil.arg("time", time)));
                b.push_str("</p>");
            }
            TileState::NoAccess(reason) => {
                b.push_str("<p class=\"state\">");
                match reason {
                    Some(r) => b.push_str(&text(r)),
                    None => b.push_str(&text(&ctx.t(Msg::PortalNoAccess))),
                }
                b.push_str("</p>");
            }
        }
        b.push_str("</li>");
    }
    b.push_str("</ul>");
    layout(ctx, &ctx.t(Msg::PortalTitle), &b)
}

/// The page after logout.
pub fn logged_out_page(ctx: &PageCtx<'_>) -> String {
    let mut b = String::new();
    b.push_str("<div class=\"card\"><p>");
    b.push_str(&text(&ctx.t(Msg::LoggedOutBody)));
    b.push_str("</p><a class=\"button\" href=\"/.portvakt/login\">");
    b.push_str(&text(&ctx.t(Msg::LoginAgain)));
    b.push_str("</a></div>");
    layout(ctx, &ctx.t(Msg::LoggedOutTitle), &b)
}

/// An error page: what happened and what to do (a paragraph each), with a way back.
pub fn error_page(ctx: &PageCtx<'_>, title: Msg, body: &[Text]) -> String {
    let mut b = String::new();
    b.push_str("<div class=\"card\"><p role=\"alert\">");
    for (i, t) in body.iter().enumerate() {
        if i > 0 {
            b.push_str("</p><p>");
        }
        b.push_str(&ctx.html(t));
    }
    b.push_str("</p><p><a href=\"/.portvakt/portal\">");
    b.push_str(&text(&ctx.t(Msg::BackToPortal)));
    b.push_str("</a></p></div>");
    layout(ctx, &ctx.t(title), &b)
}

/// A page with one message and a button to the login page (an eID login that did not go through, a session that
/// has just ended); `alert` marks a problem rather than news.
pub fn message_page(ctx: &PageCtx<'_>, title: Msg, body: &Text, alert: bool) -> String {
    let mut b = String::from("<div class=\"card\"><p ");
    b.push_str(if alert { "role=\"alert\"" } else { "class=\"notice\" role=\"status\"" });
    b.push('>');
    b.push_str(&ctx.html(body));
    b.push_str("</p><p><a class=\"button\" href=\"/.portvakt/login\">");
    b.push_str(&text(&ctx.t(Msg::LoginAgain)));
    b.push_str("</a></p></div>");
    layout(ctx, &ctx.t(title), &b)
}

/// The answer to a front-channel logout, loaded in the provider's hidden iframe.
pub fn frontchannel_logout_page() -> String {
    "<!doctype html><title>Logged out</title>\n".to_string()
}

/// A channel offered on the second-factor page: form value and masked label.
#[derive(Debug, Clone)]
pub struct ChannelChoice {
    /// `sms:0`, `sms:1` or `email`.
    pub value: String,
    /// e.g. "SMS to 070•••45 67".
    pub label: Text,
}

/// What the second-factor page shows.
#[derive(Debug, Clone, Default)]
pub struct SecondFactorView<'a> {
    /// Channels the user has.
    pub channels: &'a [ChannelChoice],
    /// Channel to preselect.
    pub selected: &'a str,
    /// Where to go afterwards.
    pub rd: &'a str,
    /// Session CSRF token.
    pub csrf: &'a str,
    /// "We sent a code to …" when a code is pending: shows the code form.
    pub sent: Option<Text>,
    /// Error to show.
    pub error: Option<Notice>,
    /// eID providers offered instead of a code (an eID login replaces the session).
    pub eid_providers: &'a [eid::ProviderButton],
}

/// The second-factor page: choose a channel, or type the code that was sent; or log in with eID instead.
pub fn second_factor_page(ctx: &PageCtx<'_>, v: &SecondFactorView<'_>) -> String {
    let mut b = String::with_capacity(2048);
    if let Some(e) = &v.error {
        b.push_str("<p class=\"error\" role=\"alert\">");
        b.push_str(&ctx.notice_html(e));
        b.push_str("</p>");
    }
    if v.channels.is_empty() {
        b.push_str("<div class=\"card\"><p>");
        b.push_str(&text(&ctx.t(Msg::NoChannels)));
        b.push_str("</p></div>");
        b.push_str(&eid::login_buttons(ctx, v.eid_providers, v.rd));
        return layout(ctx, &ctx.t(Msg::SecondFactorTitle), &b);
    }
    if let Some(sent) = &v.sent {
        b.push_str("<div class=\"card\"><p class=\"notice\" role=\"status\">");
        b.push_str(&ctx.html(sent));
        b.push_str("</p><form method=\"post\" action=\"/.portvakt/second-factor/verify\">");
        b.push_str(&hidden("csrf", v.csrf));
        b.push_str(&hidden("rd", v.rd));
        b.push_str("<label for=\"code\">");
        b.push_str(&text(&ctx.t(Msg::CodeLabel)));
        b.push_str("</label><p class=\"help\" id=\"code-help\">");
        b.push_str(&text(&ctx.t(Msg::CodeHelp)));
        b.push_str("</p><input type=\"text\" id=\"code\" name=\"code\" autocomplete=\"one-time-code\" autocapitalize=\"characters\" spellcheck=\"false\" required aria-describedby=\"code-help\"><button type=\"submit\">");
        b.push_str(&text(&ctx.t(Msg::VerifyButton)));
        b.push_str("</button></form></div>");
    }
    b.push_str("<div class=\"card\"><form method=\"post\" action=\"/.portvakt/second-factor/send\">");
    b.push_str(&hidden("csrf", v.csrf));
    b.push_str(&hidden("rd", v.rd));
    b.push_str("<fieldset><legend>");
    b.push_str(&text(&ctx.t(if v.sent.is_some() { Msg::UseOtherChannel } else { Msg::ChooseChannel })));
    b.push_str("</legend>");
    for (i, c) in v.channels.iter().enumerate() {
        let checked = c.value == v.selected || (v.selected.is_empty() && i == 0);
        b.push_str(&format!(
            "<p><input type=\"radio\" name=\"channel\" id=\"ch{i}\" value=\"{}\"{}> <label for=\"ch{i}\" class=\"inline\">{}</label></p>",
            attr(&c.value),
            if checked { " checked" } else { "" },
            ctx.html(&c.label)
        ));
    }
    b.push_str("</fieldset><button type=\"submit\"");
    if v.sent.is_some() {
        b.push_str(" class=\"secondary\"");
    }
    b.push('>');
    b.push_str(&text(&ctx.t(if v.sent.is_some() { Msg::SendNewCode } else { Msg::SendCode })));
    b.push_str("</button></form></div>");
    b.push_str(&eid::login_buttons(ctx, v.eid_providers, v.rd));
    layout(ctx, &ctx.t(Msg::SecondFactorTitle), &b)
}

/// What the account page shows.
#[derive(Debug, Clone, Default)]
pub struct AccountView<'a> {
    /// Registered numbers, masked.
    pub phones_masked: &'a [String],
    /// Values to refill the form with.
    pub phone1: &'a str,
    /// Second number field.
    pub phone2: &'a str,
    /// Whether numbers may be changed from here.
    pub can_edit: bool,
    /// Session CSRF token.
    pub csrf: &'a str,
    /// Success notice.
    pub notice: Option<Notice>,
    /// Problems to show.
    pub errors: Vec<Notice>,
    /// The eID card, when eID is configured.
    pub eid: Option<eid::AccountEid<'a>>,
}

/// The account page: "My SMS numbers".
pub fn account_page(ctx: &PageCtx<'_>, v: &AccountView<'_>) -> String {
    let mut b = String::with_capacity(2048);
    if let Some(n) = &v.notice {
        b.push_str("<p class=\"notice\" role=\"status\">");
        b.push_str(&ctx.notice_html(n));
        b.push_str("</p>");
    }
    for e in &v.errors {
        b.push_str("<p class=\"error\" role=\"alert\">");
        b.push_str(&ctx.notice_html(e));
        b.push_str("</p>");
    }
    b.push_str("<div class=\"card\"><h2>");
    b.push_str(&text(&ctx.t(Msg::PhonesTitle)));
    b.push_str("</h2><p>");
    b.push_str(&text(&ctx.t(Msg::PhonesIntro)));
    b.push_str("</p><p>");
    b.push_str(&text(&ctx.t(Msg::PhonesCurrent)));
    b.push_str("</p><ul class=\"phones\">");
    if v.phones_masked.is_empty() {
        b.push_str("<li>");
        b.push_str(&text(&ctx.t(Msg::PhonesNone)));
        b.push_str("</li>");
    }
    for p in v.phones_masked {
        b.push_str("<li>");
        b.push_str(&text(p));
        b.push_str("</li>");
    }
    b.push_str("</ul>");
    if v.can_edit {
        b.push_str("<form method=\"post\" action=\"/.portvakt/account/phones\">");
        b.push_str(&hidden("csrf", v.csrf));
        b.push_str("<p class=\"help\" id=\"phone-help\">");
        b.push_str(&text(&ctx.t(Msg::PhonesHelp)));
        b.push_str("</p>");
        for (name, label, value) in [("phone1", Msg::Phone1Label, v.phone1), ("phone2", Msg::Phone2Label, v.phone2)] {
            b.push_str(&format!(
                "<label for=\"{name}\">{}</label><input type=\"tel\" id=\"{name}\" name=\"{name}\" inputmode=\"numeric\" autocomplete=\"tel\" aria-describedby=\"phone-help\" value=\"{}\">",
                text(&ctx.t(label)),
                attr(value)
            ));
        }
        b.push_str("<label for=\"password\">");
        b.push_str(&text(&ctx.t(Msg::ConfirmPassword)));
        b.push_str("</label><input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required><button type=\"submit\">");
        b.push_str(&text(&ctx.t(Msg::SaveButton)));
        b.push_str("</button></form>");
    } else {
        b.push_str("<p class=\"notice\">");
        b.push_str(&text(&ctx.t(Msg::PhonesOnlyInternal)));
        b.push_str("</p>");
    }
    b.push_str("</div>");
    if let Some(e) = &v.eid {
        b.push_str(&eid::account_section(ctx, e));
    }
    b.push_str("<p><a href=\"/.portvakt/portal\">");
    b.push_str(&text(&ctx.t(Msg::BackToPortal)));
    b.push_str("</a></p>");
    layout(ctx, &ctx.t(Msg::AccountTitle), &b)
}

fn hidden(name: &str, value: &str) -> String {
    format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">", attr(name), attr(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values put into pages are escaped, so a username can't inject markup.
    #[test]
    fn values_are_escaped() {
        let ctx = PageCtx { lang: Lang::En, user: Some(("<b>x</b>", "tok\"en")) };
        let html = login_page(&ctx, &LoginView { rd: "\"><script>", username: "<img>", ..Default::default() });
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<img>"));
        assert!(!html.contains("<b>x</b>"));
        assert!(html.contains("lang=\"en\""));
    }

    /// A hostile value unique to one field: markup, both quotes and an ampersand, then the field's name.
    fn h(field: &str) -> String {
        format!("<script>\"'&{field}")
    }

    /// Asserts a page has no raw markup from its values and shows each named field's value escaped.
    fn assert_escaped(page: &str, html: &str, fields: &[&str]) {
        assert!(!html.to_ascii_lowercase().contains("<script"), "{page}: raw markup from a value: {html}");
        for f in fields {
            // Text escapes `<`, `>` and `&`; attributes also `"`: either way the value ends `'&amp;<field>`.
            assert!(html.contains(&format!("'&amp;{f}")), "{page}: {f} is not shown, or not escaped: {html}");
        }
    }

    /// Every page escapes every value it is given: text from callers, message variables, policy words, links,
    /// form values and tokens; none of them can add markup.
    #[test]
    fn every_page_escapes_every_value() {
        let (name, csrf) = (h("username"), h("csrf"));
        for lang in Lang::ALL {
            let ctx = PageCtx { lang, user: Some((&name, &csrf)) };
            let realms = [
                RealmChoice { name: h("realm1"), title: h("realmtitle1") },
                RealmChoice { name: h("realm2"), title: h("realmtitle2") },
            ];
            let providers = [eid::ProviderButton { name: h("provider"), title: h("providertitle") }];
            let (rd, typed, help) = (h("rd"), h("typed"), h("helpurl"));
            let login = login_page(
                &ctx,
                &LoginView {
                    rd: &rd,
                    csrf: &csrf,
                    realms: &realms,
                    selected_realm: "",
                    username: &typed,
                    error: Some(
                        Notice::from(Text::verbatim(h("error"))).with_link(h("href"), Text::verbatim(h("label"))),
                    ),
                    notice: Some(Msg::SessionExpired.arg("minutes", h("minutes")).into()),
                    password_help_url: Some(&help),
                    eid_providers: &providers,
                },
            );
            let fields = ["username", "csrf", "realm1", "realmtitle2", "rd", "typed", "error", "href", "label"];
            assert_escaped("login", &login, &fields);
            assert_escaped("login", &login, &["minutes", "helpurl", "providertitle"]);

            let tiles = [
                Tile { title: h("tile"), description: h("desc"), url: h("url"), state: TileState::Open },
                Tile {
                    title: h("t2"),
                    description: String::new(),
                    url: "/".into(),
                    state: TileState::ClosedUntil(h("time")),
                },
                Tile {
                    title: h("t3"),
                    description: String::new(),
                    url: "/".into(),
                    state: TileState::NoAccess(Some(h("why"))),
                },
            ];
            let portal = portal_page(&ctx, &h("display"), Msg::ZoneRemote, &tiles);
            assert_escaped("portal", &portal, &["display", "tile", "desc", "url", "time", "t2", "why"]);

            let body = [Text::verbatim(h("policy")), Msg::BadGatewayBody.arg("service", h("service"))];
            assert_escaped("error", &error_page(&ctx, Msg::ErrorTitle, &body), &["policy", "service"]);
            let m = message_page(&ctx, Msg::EidFailedTitle, &Msg::EidProviderError.arg("error", h("e")), true);
            assert_escaped("message", &m, &["e", "username"]);

            let channels = [ChannelChoice { value: h("value"), label: Msg::ChannelSms.arg("number", h("number")) }];
            let (sel, sf_rd) = (h("sel"), h("sfrd"));
            let sf = second_factor_page(
                &ctx,
                &SecondFactorView {
                    channels: &channels,
                    selected: &sel,
                    rd: &sf_rd,
                    csrf: &csrf,
                    sent: Some(Msg::CodeSentEmail.arg("address", h("address")).arg("minutes", 5u64)),
                    error: Some(Msg::CodeWrong.arg("tries", h("tries")).into()),
                    eid_providers: &providers,
                },
            );
            assert_escaped(
                "second factor",
                &sf,
                &["value", "number", "sfrd", "csrf", "address", "tries", "providertitle"],
            );

            let phones = [h("phone")];
            let (p1, p2) = (h("p1"), h("p2"));
            let account = account_page(
                &ctx,
                &AccountView {
                    phones_masked: &phones,
                    phone1: &p1,
                    phone2: &p2,
                    can_edit: true,
                    csrf: &csrf,
                    notice: Some(Text::verbatim(h("notice")).into()),
                    errors: vec![Msg::PhoneInvalid.arg("input", h("input")).arg("reason", h("reason")).into()],
                    eid: Some(eid::AccountEid { linked: Some((&h("eidp"), h("person"), h("date"))), csrf: &csrf }),
                },
            );
            assert_escaped(
                "account",
                &account,
                &["phone", "p1", "p2", "notice", "input", "reason", "eidp", "person", "date"],
            );

            let (email, sent_to) = (h("email"), h("sentto"));
            let link = eid::link_page(
                &ctx,
                &eid::LinkView {
                    csrf: &csrf,
                    email: &email,
                    code_sent_to: Some(&sent_to),
                    minutes: 1,
                    error: Some(Msg::EidPrivateDomain.arg("domain", h("domain")).into()),
                },
            );
            assert_escaped("eID link", &link, &["email", "sentto", "domain", "csrf"]);
        }
    }

    /// The group choice appears only when there is more than one realm.
    #[test]
    fn realm_choice_only_with_several() {
        let ctx = PageCtx { lang: Lang::Sv, user: None };
        let one = [RealmChoice { name: "a".into(), title: "A".into() }];
        let two = [one[0].clone(), RealmChoice { name: "b".into(), title: "B".into() }];
        assert!(!login_page(&ctx, &LoginView { realms: &one, ..Default::default() }).contains("<select"));
        assert!(login_page(&ctx, &LoginView { realms: &two, ..Default::default() }).contains("<select"));
    }
}
