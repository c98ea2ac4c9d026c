//! The gateway's own HTML pages: plain, accessible, no JavaScript, in the user's language.
//!
//! Every page is an askama template in `templates/` (checked when the crate compiles) extending the one layout
//! `templates/base.html`: the header says who is logged in and has the logout button on every page, error pages
//! included. Templates escape every value they are given; nothing here builds HTML by hand or passes markup on as
//! "already escaped". The functions below only gather what a page shows and render its template.

pub mod dates;
pub mod demo;
pub mod eid;
pub mod escape;
pub mod i18n;

use crate::branding::{Branding, FooterLink, Image, Support};
use askama::Template;
pub use i18n::{Arg, Lang, Msg, Text};

/// The stylesheet served at [`CSS_PATH`].
pub const CSS: &str = include_str!("../../assets/portvakt.css");
/// Where the stylesheet is served.
pub const CSS_PATH: &str = "/.portvakt/static/portvakt.css";
/// The script a page answering a form loads: it makes that history entry a GET of the form's page (Back and reload
/// never send the form again); progressive enhancement, the pages need no JavaScript.
pub const FORM_ANSWER_JS: &str = include_str!("../../assets/form-answer.js");
/// Where [`FORM_ANSWER_JS`] is served.
pub const FORM_ANSWER_JS_PATH: &str = "/.portvakt/static/form-answer.js";
/// Portvakt's own favicon, used when `[branding] favicon` is not configured.
pub const DEFAULT_FAVICON: &[u8] = include_bytes!("../../assets/favicon.svg");
/// Where the favicon is served (with `?v=` and its version).
pub const FAVICON_PATH: &str = "/.portvakt/static/favicon";
/// The account page (SMS numbers, eID link), linked from the header and from every page that names it.
pub const ACCOUNT_PATH: &str = "/.portvakt/account";
/// Where the configured logo is served (with `?v=` and its version).
pub const LOGO_PATH: &str = "/.portvakt/static/logo";
/// The language switcher's endpoint (`?lang=CODE&rd=PATH`).
pub const LANGUAGE_PATH: &str = "/.portvakt/language";
/// The portal.
pub const PORTAL_PATH: &str = "/.portvakt/portal";
/// Name shown in the header and titles when `[branding] name` is not configured.
pub const DEFAULT_NAME: &str = "Portvakt";

/// What every page shows around its content: the municipality's name and logo, the favicon, the footer links and
/// how to reach IT support (`[branding]` and `[support]`).
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The name in the header, the page titles and the logo's alt text.
    pub name: String,
    /// The logo's URL (with its version), when a logo is configured.
    pub logo_src: Option<String>,
    /// The favicon's URL (with its version).
    pub favicon_href: String,
    /// Footer links.
    pub footer_links: Vec<FooterLink>,
    /// IT support, when configured.
    pub support: Option<Support>,
}

impl Chrome {
    /// The chrome of a configured gateway; `favicon` is the one served (the configured one or Portvakt's).
    pub fn new(branding: &Branding, support: Option<&Support>, favicon: &Image) -> Chrome {
        Chrome {
            name: branding.name.clone().unwrap_or_else(|| DEFAULT_NAME.to_string()),
            logo_src: branding.logo.as_ref().map(|l| format!("{LOGO_PATH}?v={}", l.version)),
            favicon_href: format!("{FAVICON_PATH}?v={}", favicon.version),
            footer_links: branding.footer_links.clone(),
            support: support.cloned(),
        }
    }

    /// Portvakt's own chrome: its name and favicon, no logo, footer links or support.
    pub fn portvakt() -> &'static Chrome {
        static PORTVAKT: std::sync::LazyLock<Chrome> =
            std::sync::LazyLock::new(|| Chrome::new(&Branding::default(), None, &default_favicon()));
        &PORTVAKT
    }
}

/// The stylesheet, with the municipality's primary colour (checked for contrast when the config was loaded).
pub fn stylesheet(primary_color: Option<&str>) -> String {
    match primary_color {
        Some(c) => format!("{CSS}:root {{ --accent: {c}; }}\n"),
        None => CSS.to_string(),
    }
}

/// Portvakt's own favicon as a served image.
pub fn default_favicon() -> crate::branding::Image {
    crate::branding::Image::new(bytes::Bytes::from_static(DEFAULT_FAVICON), "image/svg+xml")
}

/// A message on a page, with an optional link after it (e.g. "Change your password").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The words.
    pub text: Text,
    /// A link shown after the words.
    pub link: Option<Link>,
    /// The ids of the form fields this error is about: they get `aria-invalid` and point at it with
    /// `aria-describedby` (WCAG 3.3.1).
    pub fields: &'static [&'static str],
}

impl Notice {
    /// The same notice, as an error about these form fields (their ids).
    pub fn about(mut self, fields: &'static [&'static str]) -> Notice {
        self.fields = fields;
        self
    }

    /// Whether this notice is an error about the form field `id`.
    pub fn is_about(&self, id: &str) -> bool {
        self.fields.contains(&id)
    }

    /// The same notice with a link after the words.
    pub fn with_link(mut self, href: impl Into<String>, label: impl Into<Text>) -> Notice {
        self.link = Some(Link { href: href.into(), label: label.into() });
        self
    }
}

impl From<Text> for Notice {
    fn from(text: Text) -> Notice {
        Notice { text, link: None, fields: &[] }
    }
}

impl From<Msg> for Notice {
    fn from(m: Msg) -> Notice {
        Notice { text: m.into(), link: None, fields: &[] }
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

/// What `Debug` prints instead of a CSRF token: the token is a secret of the session, and logs must not carry it.
pub const REDACTED: &str = "<redacted>";

/// `Debug` for a page view holding a CSRF token: every field as derived, `csrf` as [`REDACTED`]. The fields are
/// destructured, so a field added to the view and not named here is a compile error.
macro_rules! debug_redacting_csrf {
    ($view:ident { $($field:ident),* $(,)? }) => {
        impl std::fmt::Debug for $view<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let $view { csrf: _, $($field),* } = self;
                f.debug_struct(stringify!($view))
                    $(.field(stringify!($field), $field))*
                    .field("csrf", &$crate::pages::REDACTED)
                    .finish()
            }
        }
    };
}
pub(crate) use debug_redacting_csrf;

/// What every page needs to know about its reader.
#[derive(Clone)]
pub struct PageCtx<'a> {
    /// Page language.
    pub lang: Lang,
    /// The logged-in user's display name and the session's CSRF token, for the logout button.
    pub user: Option<(&'a str, &'a str)>,
    /// The municipality's name, logo, favicon, footer links and support.
    pub chrome: &'a Chrome,
    /// The page the language switcher comes back to: a path on this host (with its query).
    pub here: String,
    /// This page answers a form (POST): it loads [`FORM_ANSWER_JS`], which makes its history entry a GET of `here`.
    pub answers_form: bool,
}

impl std::fmt::Debug for PageCtx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let PageCtx { lang, user, chrome, here, answers_form } = self;
        let user = user.map(|(name, _csrf)| (name, REDACTED));
        f.debug_struct("PageCtx")
            .field("lang", lang)
            .field("user", &user)
            .field("chrome", chrome)
            .field("here", here)
            .field("answers_form", answers_form)
            .finish()
    }
}

impl<'a> PageCtx<'a> {
    /// A page context with Portvakt's own chrome, whose language switcher returns to the portal (tests, and pages
    /// rendered without a gateway).
    pub fn new(lang: Lang, user: Option<(&'a str, &'a str)>) -> PageCtx<'a> {
        PageCtx { lang, user, chrome: Chrome::portvakt(), here: PORTAL_PATH.to_string(), answers_form: false }
    }

    /// The language switcher's link to `lang`: sets the language and comes back to this page.
    pub fn switch_href(&self, lang: &Lang) -> String {
        format!("{LANGUAGE_PATH}?lang={}&rd={}", lang.code(), crate::canonical::url_encode(&self.here))
    }

    /// The languages the switcher offers, in their order.
    pub fn languages(&self) -> [Lang; 5] {
        Lang::ALL
    }

    /// Opening hours of IT support in this page's language.
    pub fn support_hours(&self) -> Option<&'a str> {
        self.chrome.support.as_ref().and_then(|s| s.hours_in(self.lang.code()))
    }

    /// A footer link's text in this page's language.
    pub fn footer_title<'b>(&self, l: &'b FooterLink) -> &'b str {
        l.title_in(self.lang.code())
    }
    /// The message in this page's language.
    pub fn t(&self, m: Msg) -> String {
        m.text(self.lang)
    }

    /// The words in this page's language, as plain text (the templates escape it).
    pub fn text(&self, t: &Text) -> String {
        t.render(self.lang)
    }
}

/// Shown instead of a page whose template failed to render (askama fails only when writing a value fails, which
/// our values never do); plain text, so no markup is ever produced outside a template.
const RENDER_FAILED: &str = "Internal error: the page could not be shown.";

/// Renders a page's template; a failure gives [`RENDER_FAILED`] and is logged, never a panic.
fn render(page: &impl Template) -> String {
    page.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "a page template failed to render");
        RENDER_FAILED.to_string()
    })
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
#[derive(Clone, Default)]
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

debug_redacting_csrf!(LoginView {
    rd,
    realms,
    selected_realm,
    username,
    error,
    notice,
    password_help_url,
    eid_providers
});

/// `templates/login.html`.
#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    ctx: &'a PageCtx<'a>,
    title: String,
    v: &'a LoginView<'a>,
    eid_buttons: eid::EidButtons<'a>,
}

/// The login page.
pub fn login_page(ctx: &PageCtx<'_>, v: &LoginView<'_>) -> String {
    render(&LoginPage {
        ctx,
        title: ctx.t(Msg::LoginTitle),
        v,
        eid_buttons: eid::EidButtons { providers: v.eid_providers, rd: v.rd },
    })
}

/// The state of one service on the portal, for this user, now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TileState {
    /// Can be opened.
    Open,
    /// Needs a stronger login first: the rule's message, and the eID level when a code would not do.
    NeedsStepUp {
        /// The deciding rule's message, in the page's language.
        message: Option<String>,
        /// The eID level needed ("substantial", "high") when only eID helps.
        eid_only: Option<&'static str>,
    },
    /// Not reachable from the current zone.
    NotFromThisNetwork,
    /// Closed until the given local time.
    ClosedUntil(String),
    /// The user may not use it.
    NoAccess(Option<String>),
}

impl TileState {
    /// The state's name in the tile's `data-state` attribute (tests and the browser journeys read it).
    pub fn name(&self) -> &'static str {
        match self {
            TileState::Open => "open",
            TileState::NeedsStepUp { .. } => "step-up",
            TileState::NotFromThisNetwork => "wrong-network",
            TileState::ClosedUntil(_) => "closed",
            TileState::NoAccess(_) => "no-access",
        }
    }
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

impl Tile {
    /// The step-up page that returns to this service afterwards.
    pub fn step_up_href(&self) -> String {
        let rd: String = form_urlencoded::byte_serialize(self.url.as_bytes()).collect();
        format!("/.portvakt/second-factor?rd={rd}")
    }
}

/// `templates/portal.html`.
#[derive(Template)]
#[template(path = "portal.html")]
struct PortalPage<'a> {
    ctx: &'a PageCtx<'a>,
    title: String,
    display_name: &'a str,
    zone: String,
    tiles: &'a [Tile],
}

/// The portal: the services this user may open now, and why others are closed.
pub fn portal_page(ctx: &PageCtx<'_>, display_name: &str, zone: Msg, tiles: &[Tile]) -> String {
    render(&PortalPage { ctx, title: ctx.t(Msg::PortalTitle), display_name, zone: ctx.t(zone), tiles })
}

/// `templates/logged_out.html`.
#[derive(Template)]
#[template(path = "logged_out.html")]
struct LoggedOutPage<'a> {
    ctx: &'a PageCtx<'a>,
    title: String,
}

/// The page after logout.
pub fn logged_out_page(ctx: &PageCtx<'_>) -> String {
    render(&LoggedOutPage { ctx, title: ctx.t(Msg::LoggedOutTitle) })
}

/// `templates/error.html`.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    ctx: &'a PageCtx<'a>,
    title: String,
    body: &'a [Notice],
}

/// `templates/logout_confirm.html`.
#[derive(Template)]
#[template(path = "logout_confirm.html")]
struct LogoutConfirmPage<'a> {
    ctx: &'a PageCtx<'a>,
    title: String,
    csrf: &'a str,
}

/// "Log out?": the page a service links to (`GET /.portvakt/logout`), with the logout button and a way back.
pub fn logout_confirm_page(ctx: &PageCtx<'_>, csrf: &str) -> String {
    render(&LogoutConfirmPage { ctx, title: ctx.t(Msg::LogoutConfirmTitle), csrf })
}

/// An error page: what happened and what to do (a paragraph each), with a way back.
pub fn error_page(ctx: &PageCtx<'_>, title: Msg, body: &[Text]) -> String {
    let body: Vec<Notice> = body.iter().cloned().map(Notice::from).collect();
    error_page_notices(ctx, title, &body)
}

/// An error page whose paragraphs may end in a link (e.g. to the account page where a number is registered).
pub fn error_page_notices(ctx: &PageCtx<'_>, title: Msg, body: &[Notice]) -> String {
    render(&ErrorPage { ctx, title: ctx.t(title), body })
}

/// `templates/message.html`.
#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    ctx: &'a PageCtx<'a>,
    title: String,
    body: &'a Text,
    alert: bool,
}

/// A page with one message and a button to the login page (an eID login that did not go through, a session that
/// has just ended); `alert` marks a problem rather than news.
pub fn message_page(ctx: &PageCtx<'_>, title: Msg, body: &Text, alert: bool) -> String {
    render(&MessagePage { ctx, title: ctx.t(title), body, alert })
}

/// `templates/frontchannel_logout.html`.
#[derive(Template)]
#[template(path = "frontchannel_logout.html")]
struct FrontchannelLogoutPage;

/// The answer to a front-channel logout, loaded in the provider's hidden iframe.
pub fn frontchannel_logout_page() -> String {
    render(&FrontchannelLogoutPage)
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
#[derive(Clone, Default)]
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
    /// What the service needs, above everything (the deciding rule's message).
    pub lead: Option<Text>,
    /// Seconds until a new code may be asked for, shown next to the button.
    pub resend_in: Option<u64>,
    /// No code would do: only the eID buttons are offered, and the page is titled for that.
    pub eid_only: bool,
}

debug_redacting_csrf!(SecondFactorView {
    channels,
    selected,
    rd,
    sent,
    error,
    eid_providers,
    lead,
    resend_in,
    eid_only
});

/// `templates/second_factor.html`.
#[derive(Template)]
#[template(path = "second_factor.html")]
struct SecondFactorPage<'a> {
    ctx: &'a PageCtx<'a>,
    title: String,
    v: &'a SecondFactorView<'a>,
    eid_buttons: eid::EidButtons<'a>,
}

/// The second-factor page: choose a channel, or type the code that was sent; or log in with eID instead. When no
/// code would do, only the eID buttons, under a title that does not speak of codes.
pub fn second_factor_page(ctx: &PageCtx<'_>, v: &SecondFactorView<'_>) -> String {
    render(&SecondFactorPage {
        ctx,
        title: ctx.t(if v.eid_only { Msg::StepUpTitle } else { Msg::SecondFactorTitle }),
        v,
        eid_buttons: eid::EidButtons { providers: v.eid_providers, rd: v.rd },
    })
}

/// A registered SMS number on the account page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneRow {
    /// As shown ("070•••45 67").
    pub masked: String,
    /// In E.164, as its Remove button sends it.
    pub e164: String,
}

/// What the account page shows.
#[derive(Clone, Default)]
pub struct AccountView<'a> {
    /// Login name.
    pub username: &'a str,
    /// The user group (realm) the user logged in through, by its label.
    pub realm: &'a str,
    /// The address e-mail codes go to, from the directory.
    pub email: Option<&'a str>,
    /// Registered numbers.
    pub phones: &'a [PhoneRow],
    /// Values to refill the form with.
    pub phone1: &'a str,
    /// Second number field.
    pub phone2: &'a str,
    /// An example mobile number of the reader's country, as its people write it ("070-123 45 67").
    pub example: &'a str,
    /// Whether numbers may be changed from here.
    pub can_edit: bool,
    /// Why not, and from where it can be done (when they may not).
    pub refusal: Option<Text>,
    /// Session CSRF token.
    pub csrf: &'a str,
    /// Success notice.
    pub notice: Option<Notice>,
    /// Problems to show.
    pub errors: Vec<Notice>,
    /// The eID card, when eID is configured.
    pub eid: Option<eid::AccountEid<'a>>,
}

impl AccountView<'_> {
    /// Whether an error on the page is about the form field `id` (`aria-invalid`).
    pub fn invalid(&self, id: &str) -> bool {
        self.errors.iter().any(|e| e.is_about(id))
    }

    /// The ids the field `id` is described by: the help line, then each error about it (`aria-describedby`).
    pub fn described_by(&self, id: &str, help: &str) -> String {
        let mut ids = help.to_string();
        for (i, e) in self.errors.iter().enumerate() {
            if e.is_about(id) {
                ids.push_str(&format!(" account-error-{}", i + 1));
            }
        }
        ids.trim_start().to_string()
    }
}

debug_redacting_csrf!(AccountView {
    username,
    realm,
    email,
    phones,
    phone1,
    phone2,
    example,
    can_edit,
    refusal,
    notice,
    errors,
    eid
});

/// `templates/account.html`.
#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    ctx: &'a PageCtx<'a>,
    title: String,
    v: &'a AccountView<'a>,
}

/// The account page: "My SMS numbers", and the eID card.
pub fn account_page(ctx: &PageCtx<'_>, v: &AccountView<'_>) -> String {
    render(&AccountPage { ctx, title: ctx.t(Msg::AccountTitle), v })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Debug` of every view that holds a CSRF token, and of the page context, prints the other fields and never
    /// the token.
    #[test]
    fn debug_of_views_leaves_out_the_csrf_token() {
        let token = "csrf-Tok3n-that-must-not-leak";
        let ctx = PageCtx::new(Lang::Sv, Some(("Anna Berg", token)));
        let linked = Some(("ID-porten", "•••••1234".to_string(), "2026-11-30".to_string()));
        let printed = [
            format!("{ctx:?}"),
            format!("{:?}", LoginView { csrf: token, username: "anna", ..Default::default() }),
            format!("{:?}", SecondFactorView { csrf: token, selected: "sms:0", ..Default::default() }),
            format!(
                "{:?}",
                AccountView {
                    csrf: token,
                    username: "anna",
                    eid: Some(eid::AccountEid { linked, csrf: token }),
                    ..Default::default()
                }
            ),
            format!("{:?}", eid::LinkView { csrf: token, email: "anna@kommune.example", ..Default::default() }),
        ];
        let shown = ["Anna Berg", "anna", "sms:0", "ID-porten", "anna@kommune.example"];
        for (debug, field) in printed.iter().zip(shown) {
            assert!(!debug.contains(token), "{debug}");
            assert!(debug.contains(REDACTED) && debug.contains(field), "{debug}");
        }
    }

    /// Values put into pages are escaped, so a username can't inject markup.
    #[test]
    fn values_are_escaped() {
        let ctx = PageCtx::new(Lang::En, Some(("<b>x</b>", "tok\"en")));
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
            // Text and attributes alike: every one of `<`, `>`, `"`, `'` and `&` is written as an entity.
            let escaped = format!("&lt;script&gt;&quot;&#x27;&amp;{f}");
            assert!(html.contains(&escaped), "{page}: {f} is not shown, or not escaped: {html}");
        }
    }

    /// Every page escapes every value it is given: text from callers, message variables, policy words, links,
    /// form values and tokens; none of them can add markup.
    #[test]
    fn every_page_escapes_every_value() {
        let (name, csrf) = (h("username"), h("csrf"));
        for lang in Lang::ALL {
            let ctx = PageCtx::new(lang, Some((&name, &csrf)));
            let realms = [
                RealmChoice { name: h("realm1"), title: h("realmtitle1") },
                RealmChoice { name: h("realm2"), title: h("realmtitle2") },
            ];
            let providers = [eid::ProviderButton { name: h("provider"), title: h("providertitle"), level: None }];
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
                Tile {
                    title: h("t4"),
                    description: String::new(),
                    url: "/".into(),
                    state: TileState::NeedsStepUp { message: Some(h("rulemsg")), eid_only: Some("high") },
                },
            ];
            let portal = portal_page(&ctx, &h("display"), Msg::ZoneRemote, &tiles);
            assert_escaped(
                "portal",
                &portal,
                &["display", "tile", "desc", "url", "time", "t2", "why", "t4", "rulemsg"],
            );

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
                    lead: Some(Text::verbatim(h("lead"))),
                    resend_in: Some(3),
                    eid_only: false,
                },
            );
            assert_escaped(
                "second factor",
                &sf,
                &["value", "number", "sfrd", "csrf", "address", "tries", "providertitle", "lead"],
            );

            let phones = [PhoneRow { masked: h("phone"), e164: h("e164") }];
            let (p1, p2) = (h("p1"), h("p2"));
            let (user, realm, mail) = (h("user"), h("realm"), h("mail"));
            let account = account_page(
                &ctx,
                &AccountView {
                    username: &user,
                    realm: &realm,
                    email: Some(&mail),
                    phones: &phones,
                    phone1: &p1,
                    phone2: &p2,
                    example: &h("example"),
                    can_edit: true,
                    refusal: None,
                    csrf: &csrf,
                    notice: Some(Text::verbatim(h("notice")).into()),
                    errors: vec![Msg::PhoneInvalid.arg("input", h("input")).arg("reason", h("reason")).into()],
                    eid: Some(eid::AccountEid { linked: Some((&h("eidp"), h("person"), h("date"))), csrf: &csrf }),
                },
            );
            assert_escaped(
                "account",
                &account,
                &["phone", "e164", "p1", "p2", "example", "notice", "input", "reason", "eidp", "person", "date"],
            );
            assert_escaped("account", &account, &["user", "realm", "mail"]);
            let refused = account_page(
                &ctx,
                &AccountView { refusal: Some(Text::verbatim(h("where"))), csrf: &csrf, ..Default::default() },
            );
            assert_escaped("account from outside", &refused, &["where"]);

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

            assert_escaped("logged out", &logged_out_page(&ctx), &["username", "csrf"]);
            assert_escaped("logout", &logout_confirm_page(&ctx, &csrf), &["username", "csrf"]);
        }
    }

    /// The configured name, footer links and support details are escaped like every other value, in the header,
    /// the title, the logo's alt text, the footer and the support box.
    #[test]
    fn chrome_values_are_escaped() {
        let chrome = Chrome {
            name: h("name"),
            logo_src: Some(h("logo")),
            favicon_href: h("favicon"),
            footer_links: vec![FooterLink { title: h("footer"), titles: Default::default(), url: h("footerurl") }],
            support: Some(Support {
                phone: Some(h("phone")),
                phone_link: Some(h("tel")),
                email: Some(h("email")),
                url: Some(h("help")),
                hours: Some(h("hours")),
                hours_by_language: Default::default(),
            }),
        };
        let ctx = PageCtx { lang: Lang::En, user: None, chrome: &chrome, here: h("here"), answers_form: false };
        let html = login_page(&ctx, &LoginView::default());
        let fields = ["name", "logo", "favicon", "footer", "footerurl", "phone", "tel", "email", "help", "hours"];
        assert_escaped("login", &html, &fields);
        assert!(!html.contains("<script\"'&here"), "{html}");
    }

    /// The shipped stylesheet's focus ring is the colour `branding` measures ([`crate::branding::FOCUS_RING`], at
    /// least 3:1 on every light background), 3 px wide with a 2 px offset, and white inside the header (on the
    /// primary colour, whose 4.5:1 with white `portvakt check` enforces).
    #[test]
    fn stylesheet_focus_ring_is_the_measured_one() {
        let [r, g, b] = crate::branding::FOCUS_RING;
        assert!(CSS.contains(&format!("--focus: #{r:02x}{g:02x}{b:02x};")), "{CSS}");
        assert!(CSS.contains(":focus { outline: 3px solid var(--focus); outline-offset: 2px; }"), "{CSS}");
        assert!(CSS.contains("header :focus { outline-color: #fff; }"), "{CSS}");
        let accent = CSS.split("--accent: ").nth(1).and_then(|a| a.get(..7)).unwrap();
        let accent = crate::branding::parse_hex_color(accent).unwrap();
        assert_eq!(crate::branding::primary_color_problem(accent), None);
        for (name, bg) in crate::branding::LIGHT_BACKGROUNDS {
            let hex = format!("#{:02x}{:02x}{:02x}", bg[0], bg[1], bg[2]);
            assert!(CSS.contains(&hex) || hex == "#ffffff", "{name} is not a background of the stylesheet");
        }
    }

    /// Every page in `lang`, with every optional part shown (notices, errors, realms, eID, tiles in every state),
    /// values from callers set to "Zq" (a word in no language) and counts to 2 and 1.
    fn all_pages(lang: Lang) -> Vec<(String, String)> {
        let v = "Zq".to_string();
        let ctx = PageCtx::new(lang, Some(("Zq", "Zq")));
        let realms =
            [RealmChoice { name: v.clone(), title: v.clone() }, RealmChoice { name: "b".into(), title: v.clone() }];
        let providers = [eid::ProviderButton { name: v.clone(), title: v.clone(), level: None }];
        let stepped = [eid::ProviderButton { name: v.clone(), title: v.clone(), level: Some("high".into()) }];
        let mut pages = Vec::new();
        let login = LoginView {
            rd: "/",
            csrf: "Zq",
            realms: &realms,
            selected_realm: "",
            username: "Zq",
            error: Some(Notice::from(Msg::PasswordMustChange).with_link("/", Msg::PasswordChangeLink)),
            notice: Some(Msg::SessionExpired.arg("minutes", 2u64).into()),
            password_help_url: Some("/"),
            eid_providers: &providers,
        };
        pages.push(("login".to_string(), login_page(&ctx, &login)));
        let tile = |state| Tile { title: v.clone(), description: v.clone(), url: "/".into(), state };
        let tiles = [
            tile(TileState::Open),
            tile(TileState::NeedsStepUp { message: None, eid_only: None }),
            tile(TileState::NeedsStepUp { message: Some(v.clone()), eid_only: Some("high") }),
            tile(TileState::NotFromThisNetwork),
            tile(TileState::ClosedUntil(v.clone())),
            tile(TileState::NoAccess(None)),
        ];
        for zone in [Msg::ZoneInternal, Msg::ZoneRemote] {
            pages.push(("portal".into(), portal_page(&ctx, "Zq", zone, &tiles)));
        }
        pages.push(("empty portal".into(), portal_page(&ctx, "Zq", Msg::ZoneRemote, &[])));
        pages.push(("logged out".into(), logged_out_page(&ctx)));
        // Every message, as the body of an error page and of a message page, with its variables set.
        for &m in Msg::ALL {
            let body = [Text::from(m)
                .arg("minutes", 2u64)
                .arg("seconds", 2u64)
                .arg("tries", 1u64)
                .arg("name", "Zq")
                .arg("zone", "Zq")
                .arg("service", "Zq")
                .arg("time", "Zq")
                .arg("number", "Zq")
                .arg("address", "Zq")
                .arg("code", "Zq")
                .arg("input", "Zq")
                .arg("reason", "Zq")
                .arg("provider", "Zq")
                .arg("email", "Zq")
                .arg("domain", "Zq")
                .arg("error", "Zq")
                .arg("person", "Zq")
                .arg("date", "Zq")
                .arg("level", "high")];
            pages.push((format!("error page with {m:?}"), error_page(&ctx, Msg::ErrorTitle, &body)));
            pages.push((format!("message page with {m:?}"), message_page(&ctx, m, &body[0], false)));
        }
        let channels = [
            ChannelChoice { value: "sms:0".into(), label: Msg::ChannelSms.arg("number", "Zq") },
            ChannelChoice { value: "email".into(), label: Msg::ChannelEmail.arg("address", "Zq") },
        ];
        for sent in [None, Some(Msg::CodeSentSms.arg("number", "Zq").arg("minutes", 2u64))] {
            let sf = SecondFactorView {
                channels: &channels,
                selected: "",
                rd: "/",
                csrf: "Zq",
                sent,
                error: Some(Msg::CodeWrong.arg("tries", 2u64).into()),
                eid_providers: &providers,
                lead: Some(Text::verbatim("Zq")),
                resend_in: Some(2),
                eid_only: false,
            };
            pages.push(("second factor".into(), second_factor_page(&ctx, &sf)));
        }
        let eid_only = SecondFactorView {
            rd: "/",
            csrf: "Zq",
            eid_providers: &stepped,
            lead: Some(Msg::StepUpNeedsEid.arg("level", "high")),
            eid_only: true,
            ..Default::default()
        };
        pages.push(("step-up to eID high".into(), second_factor_page(&ctx, &eid_only)));
        let no_channels = SecondFactorView { eid_providers: &providers, ..Default::default() };
        pages.push(("second factor without channels".into(), second_factor_page(&ctx, &no_channels)));
        let phones = [PhoneRow { masked: v.clone(), e164: v.clone() }];
        for (can_edit, linked) in [(true, Some(("Zq", v.clone(), v.clone()))), (false, None)] {
            let account = AccountView {
                username: "Zq",
                realm: "Zq",
                email: if can_edit { Some("Zq") } else { None },
                phones: if can_edit { &phones } else { &[] },
                phone1: "Zq",
                phone2: "",
                example: "070-123 45 67",
                can_edit,
                refusal: if can_edit { None } else { Some(Msg::PhonesOnlyInternal.into()) },
                csrf: "Zq",
                notice: Some(if can_edit {
                    Msg::PhonesSaved.into()
                } else {
                    Msg::PhoneRemoved.arg("number", "Zq").into()
                }),
                errors: vec![Msg::PhonesTooMany.into()],
                eid: Some(eid::AccountEid { linked, csrf: "Zq" }),
            };
            pages.push(("account".into(), account_page(&ctx, &account)));
        }
        for code_sent_to in [None, Some("Zq")] {
            let link = eid::LinkView { csrf: "Zq", email: "Zq", code_sent_to, minutes: 2, error: None };
            pages.push(("eID link".into(), eid::link_page(&ctx, &link)));
        }
        pages
    }

    /// The text a reader sees on a page: the text between tags (our pages put no words in attributes), entities
    /// decoded, each run of whitespace as one space.
    fn visible_text(html: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = html;
        while let Some(open) = rest.find('<') {
            let text = rest[..open].split_whitespace().collect::<Vec<_>>().join(" ");
            let text = text
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#x27;", "'")
                .replace("&amp;", "&");
            if !text.is_empty() {
                out.push(text);
            }
            rest = rest[open..].find('>').map_or("", |close| &rest[open + close + 1..]);
        }
        out
    }

    /// Fragments of English page wording that must not appear on a page in another language: each message's
    /// English text cut at its variables, keeping pieces of two or more words (so a shared word such as "SMS" or a
    /// proper noun is not counted), minus pieces the other language's own text also has.
    fn english_fragments() -> Vec<(Msg, String)> {
        let mut out = Vec::new();
        for &m in Msg::ALL {
            let en = Text::from(m).arg("minutes", 2u64).arg("seconds", 2u64).arg("tries", 2u64).render(Lang::En);
            for piece in en.split(['{', '}', '$']).flat_map(|p| p.split('\n')) {
                let piece = piece.split_whitespace().collect::<Vec<_>>().join(" ");
                let piece = piece.trim_matches(|c: char| !c.is_alphanumeric()).to_string();
                if piece.split_whitespace().filter(|w| w.chars().any(char::is_alphabetic)).count() >= 2 {
                    out.push((m, piece));
                }
            }
        }
        out
    }

    /// No English wording reaches a Swedish, Norwegian (bokmål, nynorsk) or Danish page: every page, with every
    /// part and every message shown, is compared against the English catalogue's texts. Words from callers and
    /// configuration are set to a neutral value, so only our own wording is judged.
    #[test]
    fn no_english_on_a_non_english_page() {
        let fragments = english_fragments();
        let mut problems = Vec::new();
        for lang in [Lang::Sv, Lang::Nb, Lang::Nn, Lang::Da] {
            for (page, html) in all_pages(lang) {
                let text = visible_text(&html).join(" | ");
                for (m, fragment) in &fragments {
                    // A piece the language's own text of that message also has (a name, a shared word) is fine.
                    if m.text(lang).contains(fragment.as_str()) {
                        continue;
                    }
                    if text.contains(fragment.as_str()) {
                        problems.push(format!("{lang:?} {page}: English \"{fragment}\" ({m:?})"));
                    }
                }
            }
        }
        problems.sort();
        problems.dedup();
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// The English check can fail: an English page read as if it were Swedish is full of English wording.
    #[test]
    fn english_check_finds_english() {
        let fragments = english_fragments();
        let text = visible_text(&login_page(&PageCtx::new(Lang::En, None), &LoginView::default())).join(" ");
        let found =
            fragments.iter().filter(|(m, f)| !m.text(Lang::Sv).contains(f.as_str()) && text.contains(f.as_str()));
        assert!(found.count() >= 3, "{text}");
    }

    /// The group choice appears only when there is more than one realm.
    #[test]
    fn realm_choice_only_with_several() {
        let ctx = PageCtx::new(Lang::Sv, None);
        let one = [RealmChoice { name: "a".into(), title: "A".into() }];
        let two = [one[0].clone(), RealmChoice { name: "b".into(), title: "B".into() }];
        assert!(!login_page(&ctx, &LoginView { realms: &one, ..Default::default() }).contains("<select"));
        assert!(login_page(&ctx, &LoginView { realms: &two, ..Default::default() }).contains("<select"));
    }
}
