//! Page strings in Swedish, Norwegian bokmål and nynorsk, Danish and English, chosen by Accept-Language.
//!
//! The wording lives in `locales/<lang>/*.ftl` (Fluent, compiled into the binary by `fluent-templates`), with CLDR
//! plural rules for counts. Rust code names a message by its [`Msg`] variant, so a typo is a compile error; a key
//! missing from a language, or with other variables than in English, fails the completeness tests below.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::phone::Region;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::Loader;
use unic_langid::{langid, LanguageIdentifier};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Unicode isolation marks around values would end up in page titles, SMS and e-mail: turned off.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// Most Accept-Language entries looked at; the rest of a long header is ignored.
const MAX_ENTRIES: usize = 32;

/// Most parameters looked at after a language tag in one entry.
const MAX_PARAMS: usize = 8;

/// Longest language tag accepted (longer ones are treated as malformed).
const MAX_TAG_LEN: usize = 64;

/// Longest subtag accepted, as in BCP 47.
const MAX_SUBTAG_LEN: usize = 8;

/// A language the gateway's pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Swedish.
    Sv,
    /// Norwegian bokmål.
    Nb,
    /// Norwegian nynorsk.
    Nn,
    /// Danish.
    Da,
    /// English.
    En,
}

impl Lang {
    /// All languages, in the order they are offered.
    pub const ALL: [Lang; 5] = [Lang::Sv, Lang::Nb, Lang::Nn, Lang::Da, Lang::En];

    /// BCP 47 code for the `lang` attribute: "sv", "nb", "nn", "da", "en".
    pub fn code(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::Nb => "nb",
            Lang::Nn => "nn",
            Lang::Da => "da",
            Lang::En => "en",
        }
    }

    /// The language as a Unicode language identifier, for Fluent.
    pub fn langid(self) -> LanguageIdentifier {
        match self {
            Lang::Sv => langid!("sv"),
            Lang::Nb => langid!("nb"),
            Lang::Nn => langid!("nn"),
            Lang::Da => langid!("da"),
            Lang::En => langid!("en"),
        }
    }

    /// The language's name in itself, for the language switcher ("Svenska", "Norsk bokmål", ...).
    pub fn autonym(self) -> &'static str {
        match self {
            Lang::Sv => "Svenska",
            Lang::Nb => "Norsk bokmål",
            Lang::Nn => "Norsk nynorsk",
            Lang::Da => "Dansk",
            Lang::En => "English",
        }
    }

    /// The country whose phone numbers a reader of this language writes in national form and expects to see so:
    /// Sweden, Norway, Denmark; English names no country and gets `default` (`[accounts] default_region`).
    pub fn region(self, default: Region) -> Region {
        match self {
            Lang::Sv => Region::SE,
            Lang::Nb | Lang::Nn => Region::NO,
            Lang::Da => Region::DK,
            Lang::En => default,
        }
    }

    /// Picks the best language from an Accept-Language header (q-values honoured); English when none matches.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        Lang::negotiate(header, Lang::En)
    }

    /// Picks the best language from an Accept-Language header (q-values honoured); `default` when none matches
    /// (a German browser at a Swedish municipality gets the municipality's language, `[branding] default_language`).
    pub fn negotiate(header: Option<&str>, default: Lang) -> Lang {
        // The header is parsed here, bounded: "*" and malformed entries are skipped, q=0 excludes an entry and only
        // the first MAX_ENTRIES entries are looked at. The entries, highest q first and ties in header order, are
        // then matched against our languages by fluent-langneg (so "sv-FI" gets "sv"); "no" means bokmål.
        let Some(header) = header else {
            return default;
        };
        let mut requested: Vec<(LanguageIdentifier, u16)> =
            header.split(',').take(MAX_ENTRIES).filter_map(parse_entry).filter(|(_, q)| *q > 0).collect();
        // A stable sort: on equal weight the earlier entry stays first.
        requested.sort_by_key(|(_, q)| std::cmp::Reverse(*q));
        let requested: Vec<LanguageIdentifier> = requested.into_iter().map(|(id, _)| id).collect();
        let available = Lang::ALL.map(Lang::langid);
        let chosen = fluent_langneg::negotiate_languages(
            &requested,
            &available,
            None,
            fluent_langneg::NegotiationStrategy::Lookup,
        );
        chosen.first().and_then(|id| Lang::ALL.into_iter().find(|l| l.langid() == **id)).unwrap_or(default)
    }

    /// Parses a bare code like "sv", "nb", "nn", "da", "en", "no" (case-insensitive); None otherwise.
    pub fn from_code(code: &str) -> Option<Lang> {
        let code = code.trim();
        if code.eq_ignore_ascii_case("sv") {
            Some(Lang::Sv)
        } else if code.eq_ignore_ascii_case("nb") || code.eq_ignore_ascii_case("no") {
            Some(Lang::Nb)
        } else if code.eq_ignore_ascii_case("nn") {
            Some(Lang::Nn)
        } else if code.eq_ignore_ascii_case("da") {
            Some(Lang::Da)
        } else if code.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else {
            None
        }
    }
}

/// Parses one Accept-Language entry into a language identifier and its weight in thousandths.
///
/// Returns None for "*" and for anything malformed.
fn parse_entry(entry: &str) -> Option<(LanguageIdentifier, u16)> {
    let mut parts = entry.split(';');
    let lang = parse_tag(parts.next()?.trim())?;
    let mut q: Option<u16> = None;
    for param in parts.by_ref().take(MAX_PARAMS) {
        let (key, value) = param.split_once('=')?;
        if key.trim().eq_ignore_ascii_case("q") {
            if q.is_some() {
                // Two weights on one entry: malformed.
                return None;
            }
            q = Some(parse_qvalue(value)?);
        }
    }
    if parts.next().is_some() {
        // More parameters than we are willing to look at: treat as malformed.
        return None;
    }
    Some((lang, q.unwrap_or(1000)))
}

/// Parses a language tag such as "sv-SE", "nn_NO" or "no-nyn" into an identifier; "no" becomes bokmål ("nb").
fn parse_tag(tag: &str) -> Option<LanguageIdentifier> {
    if tag.is_empty() || tag.len() > MAX_TAG_LEN {
        return None;
    }
    let mut subtags = tag.split(['-', '_']);
    let primary = subtags.next()?;
    let second = subtags.next();
    let well_formed = tag
        .split(['-', '_'])
        .all(|sub| !sub.is_empty() && sub.len() <= MAX_SUBTAG_LEN && sub.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !well_formed || !primary.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    // The old registered tags "no-nyn" and "no-bok" name nynorsk and bokmål; plain "no" is written in bokmål.
    if primary.eq_ignore_ascii_case("no") {
        let nynorsk = second.is_some_and(|s| s.eq_ignore_ascii_case("nyn"));
        return Some(if nynorsk { langid!("nn") } else { langid!("nb") });
    }
    // A tag whose later subtags are not valid Unicode ones (private use, extensions) still names its language.
    LanguageIdentifier::from_bytes(tag.replace('_', "-").as_bytes())
        .or_else(|_| LanguageIdentifier::from_bytes(primary.as_bytes()))
        .ok()
}

/// Parses a q-value ("0", "0.8", "1", "1.000") into thousandths; None if malformed.
fn parse_qvalue(value: &str) -> Option<u16> {
    let value = value.trim();
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths: u16 = 0;
    let mut scale: u16 = 100;
    for digit in fraction.bytes() {
        thousandths = thousandths.saturating_add(u16::from(digit.saturating_sub(b'0')) * scale);
        scale /= 10;
    }
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

macro_rules! messages {
    ($($(#[doc = $doc:literal])* $name:ident = $key:literal,)*) => {
        /// A message shown on a gateway page or sent with a code: an id whose wording per language is the Fluent
        /// message `key()` in `locales/<lang>/*.ftl`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Msg {
            $($(#[doc = $doc])* $name,)*
        }

        impl Msg {
            /// Every message, in declaration order.
            pub const ALL: &'static [Msg] = &[$(Msg::$name,)*];

            /// The Fluent message id.
            pub fn key(self) -> &'static str {
                match self {
                    $(Msg::$name => $key,)*
                }
            }
        }
    };
}

messages! {
    /// Heading of the login page.
    LoginTitle = "login-title",
    /// Explanation at the top of the login page.
    LoginIntro = "login-intro",
    /// Label of the username field.
    Username = "username",
    /// Label of the password field.
    Password = "password",
    /// Label of the user group (realm) choice.
    Realm = "realm",
    /// Help text for the user group choice.
    RealmHelp = "realm-help",
    /// Text of the login button.
    LoginButton = "login-button",
    /// Shown when the username or password is wrong.
    LoginFailed = "login-failed",
    /// Link to password help.
    PasswordHelp = "password-help",
    /// Heading of the service portal.
    PortalTitle = "portal-title",
    /// Introduction on the portal; uses `{name}`.
    PortalIntro = "portal-intro",
    /// Shown on the portal when no services are open.
    PortalEmpty = "portal-empty",
    /// Button to open a service.
    PortalOpen = "portal-open",
    /// Service status: a stronger login is needed.
    PortalNeedsStrongerLogin = "portal-needs-stronger-login",
    /// Link to log in with a one-time code.
    PortalStepUp = "portal-step-up",
    /// Portal button when only an eID login helps; uses `{level}` ("substantial" or "high").
    PortalStepUpEid = "portal-step-up-eid",
    /// Service status: not reachable from the current network.
    PortalNotFromThisNetwork = "portal-not-from-this-network",
    /// Service status: closed until a time; uses `{time}`.
    PortalClosedUntil = "portal-closed-until",
    /// Service status: the user has no access.
    PortalNoAccess = "portal-no-access",
    /// Where the user is connected from; uses `{zone}`.
    PortalZone = "portal-zone",
    /// Where from, for `{zone}`: the municipality's own network.
    ZoneInternal = "zone-internal",
    /// Where from, for `{zone}`: anywhere outside the municipality's network.
    ZoneRemote = "zone-remote",
    /// Log out link or button.
    Logout = "logout",
    /// Heading of the logged-out page.
    LoggedOutTitle = "logged-out-title",
    /// Body of the logged-out page.
    LoggedOutBody = "logged-out-body",
    /// Link to log in again.
    LoginAgain = "login-again",
    /// Shown after logout for inactivity; uses `{minutes}`.
    SessionExpired = "session-expired",
    /// Link back to the service portal.
    BackToPortal = "back-to-portal",
    /// Generic error heading.
    ErrorTitle = "error-title",
    /// Heading for access denied (403).
    ForbiddenTitle = "forbidden-title",
    /// Body for a failed form (CSRF) check.
    ForbiddenCsrf = "forbidden-csrf",
    /// Body for a form posted with another content type than a browser's form (415).
    FormTypeBody = "form-type-body",
    /// Body for access denied by an explicit deny rule without its own message; uses `{service}`.
    ForbiddenPolicy = "forbidden-policy",
    /// Body for access denied because no rule gives the user's groups the service; uses `{service}`.
    ForbiddenGroups = "forbidden-groups",
    /// Heading for page not found (404).
    NotFoundTitle = "not-found-title",
    /// Body for page not found (404).
    NotFoundBody = "not-found-body",
    /// Heading when a service does not answer (502/504).
    BadGatewayTitle = "bad-gateway-title",
    /// Body when a service does not answer; uses `{service}`.
    BadGatewayBody = "bad-gateway-body",
    /// Heading when a request body is too large (413).
    TooLargeTitle = "too-large-title",
    /// Body when a request body is too large (413).
    TooLargeBody = "too-large-body",
    /// Body when request headers are too large (431).
    HeadersTooLargeBody = "headers-too-large-body",
    /// Heading for a malformed request (400).
    BadRequestTitle = "bad-request-title",
    /// Body for a malformed request (400).
    BadRequestBody = "bad-request-body",
    /// Plain-text 401 without a session, for clients that do not ask for HTML.
    PlainLoginRequired = "plain-login-required",
    /// Plain-text 401 when the network needs a stronger login, for clients that do not ask for HTML.
    PlainStepUpRequired = "plain-step-up-required",
    /// Body when the request's path is refused (400); uses `{reason}` (a `BadPathReason` in the same language).
    BadPathBody = "bad-path-body",
    /// Why a path is refused; uses `{why}` (`canonical::PathError::code`).
    BadPathReason = "bad-path-reason",
    /// Heading when rate limited (429).
    TooManyAttemptsTitle = "too-many-attempts-title",
    /// Body when rate limited; uses `{seconds}`.
    TooManyAttemptsBody = "too-many-attempts-body",
    /// Body for an internal error (500).
    InternalErrorBody = "internal-error-body",
    /// Heading when the gateway is unavailable (503).
    UnavailableTitle = "unavailable-title",
    /// Body when the gateway is unavailable (503).
    UnavailableBody = "unavailable-body",
    /// Text of the skip link for keyboard and screen reader users.
    SkipToContent = "skip-to-content",
    /// Heading of the account page.
    AccountTitle = "account-title",
    /// Shows who is logged in; uses `{name}`.
    SignedInAs = "signed-in-as",
    /// Heading of the page where a one-time code is sent and typed.
    SecondFactorTitle = "second-factor-title",
    /// Question above the choice of where to send the code.
    ChooseChannel = "choose-channel",
    /// Choice to get the code by SMS; uses `{number}`.
    ChannelSms = "channel-sms",
    /// Choice to get the code by e-mail; uses `{address}`.
    ChannelEmail = "channel-email",
    /// Button to send a one-time code.
    SendCode = "send-code",
    /// Shown after a code was sent by SMS; uses `{number}` and `{minutes}`.
    CodeSentSms = "code-sent-sms",
    /// Shown after a code was sent by e-mail; uses `{address}` and `{minutes}`.
    CodeSentEmail = "code-sent-email",
    /// Label of the one-time code field.
    CodeLabel = "code-label",
    /// Help text for the one-time code field.
    CodeHelp = "code-help",
    /// Text of the button that checks the typed code.
    VerifyButton = "verify-button",
    /// Button or link to send a new code.
    SendNewCode = "send-new-code",
    /// Link to get the code another way.
    UseOtherChannel = "use-other-channel",
    /// Shown when the typed code is wrong; uses `{tries}`.
    CodeWrong = "code-wrong",
    /// Shown when the code has expired.
    CodeExpired = "code-expired",
    /// Shown when the code was typed wrong too many times.
    CodeTooManyTries = "code-too-many-tries",
    /// Shown when there is no code to check: none was sent, or it was already used.
    CodeNone = "code-none",
    /// Shown when codes are blocked after too many wrong ones; uses `{minutes}`.
    SecondFactorLocked = "second-factor-locked",
    /// Shown when the user has no number or address to get codes at.
    NoChannels = "no-channels",
    /// Shown when the SMS with the code could not be sent.
    SendFailedSms = "send-failed-sms",
    /// Shown when the e-mail with the code could not be sent.
    SendFailedEmail = "send-failed-email",
    /// Shown when a new code is asked for too soon; uses `{seconds}`.
    SendLimitCooldown = "send-limit-cooldown",
    /// Shown when a new code is asked for too soon after one sent for another login; uses `{seconds}`.
    SendLimitCooldownElsewhere = "send-limit-cooldown-elsewhere",
    /// Shown when too many codes have been asked for; uses `{minutes}`.
    SendLimitReached = "send-limit-reached",
    /// Shown when codes cannot be sent to the number's country.
    SendLimitCountry = "send-limit-country",
    /// Next to the send button while a new code may not be asked for yet; uses `{seconds}`.
    ResendIn = "resend-in",
    /// Heading of the step-up page when only an eID login helps.
    StepUpTitle = "step-up-title",
    /// What the service needs when only eID helps and its rule has no message; uses `{level}`.
    StepUpNeedsEid = "step-up-needs-eid",
    /// Heading of the page for a step-up this user cannot make here.
    StepUpImpossibleTitle = "step-up-impossible-title",
    /// No configured eID can give the level needed; uses `{level}`.
    StepUpEidNotOffered = "step-up-eid-not-offered",
    /// Text of the SMS with the code; uses `{code}` and `{minutes}`; keep under 160 characters.
    CodeSmsText = "code-sms-text",
    /// Subject of the e-mail with the code.
    CodeEmailSubject = "code-email-subject",
    /// Body of the e-mail with the code; uses `{code}` and `{minutes}`.
    CodeEmailBody = "code-email-body",
    /// Heading of the page for the user's SMS numbers.
    PhonesTitle = "phones-title",
    /// Explanation at the top of the SMS numbers page.
    PhonesIntro = "phones-intro",
    /// Label before the numbers registered now.
    PhonesCurrent = "phones-current",
    /// Shown when no numbers are registered.
    PhonesNone = "phones-none",
    /// Label of the first mobile number field.
    Phone1Label = "phone1-label",
    /// Label of the second, optional mobile number field.
    Phone2Label = "phone2-label",
    /// Help text for the mobile number fields; uses `{example}` (a mobile number of the reader's country).
    PhonesHelp = "phones-help",
    /// Label of the password field that confirms a change.
    ConfirmPassword = "confirm-password",
    /// Text of the save button.
    SaveButton = "save-button",
    /// Shown after the numbers were saved.
    PhonesSaved = "phones-saved",
    /// Shown when numbers are changed from outside the municipality's network.
    PhonesOnlyInternal = "phones-only-internal",
    /// Shown when the confirming password is wrong.
    PhonesPasswordWrong = "phones-password-wrong",
    /// Shown when a typed number is refused; uses `{input}` and `{reason}`.
    PhoneInvalid = "phone-invalid",
    /// Shown when more than two numbers are given.
    PhonesTooMany = "phones-too-many",
    /// Subject of the e-mail telling that the numbers were changed.
    PhonesChangedSubject = "phones-changed-subject",
    /// Body of the e-mail telling that the numbers were changed; uses `{time}`.
    PhonesChangedBody = "phones-changed-body",
    /// SMS telling that the numbers were changed; keep under 160 characters.
    PhonesChangedSms = "phones-changed-sms",
    /// Why a number was refused: not only digits; fills `{reason}`; uses `{example}`.
    PhoneReasonDigits = "phone-reason-digits",
    /// Why a number was refused: too short or too long; fills `{reason}`.
    PhoneReasonLength = "phone-reason-length",
    /// Why a number was refused: no phone has it in its country; fills `{reason}`.
    PhoneReasonInvalid = "phone-reason-invalid",
    /// Why a number was refused: a real number that cannot get an SMS; fills `{reason}`.
    PhoneReasonNotMobile = "phone-reason-not-mobile",
    /// Why a number was refused: its country is not allowed; fills `{reason}`.
    PhoneReasonCountry = "phone-reason-country",
    /// Shown when the user directory cannot be reached: the password was not checked and nothing was counted.
    DirectoryDown = "directory-down",
    /// Shown after a right password that the directory says must be changed first.
    PasswordMustChange = "password-must-change",
    /// Link text to the page where the password is changed.
    PasswordChangeLink = "password-change-link",
    /// Shown when the directory says the account is disabled or expired.
    AccountDisabled = "account-disabled",
    /// Shown when the directory says the account is locked.
    AccountLocked = "account-locked",
    /// Heading above the eID buttons on the login page.
    EidLoginSection = "eid-login-section",
    /// Button label; uses `{provider}`.
    EidLoginWith = "eid-login-with",
    /// Button label when a step-up asks for a level; uses `{provider}` and `{level}`.
    EidLoginWithAt = "eid-login-with-at",
    /// Title of the link page.
    EidLinkTitle = "eid-link-title",
    /// Explains linking.
    EidLinkIntro = "eid-link-intro",
    /// E-mail field label.
    EidEmailLabel = "eid-email-label",
    /// Send button.
    EidSendCode = "eid-send-code",
    /// Code sent; uses `{email}` and `{minutes}`.
    EidCodeSent = "eid-code-sent",
    /// Code field label.
    EidCodeLabel = "eid-code-label",
    /// Link button.
    EidLinkButton = "eid-link-button",
    /// Private or foreign domain; uses `{domain}`.
    EidPrivateDomain = "eid-private-domain",
    /// Not an e-mail address.
    EidNotAnEmail = "eid-not-an-email",
    /// No account with that address; uses `{email}`.
    EidNoAccount = "eid-no-account",
    /// The account already has an eID linked.
    EidAlreadyLinked = "eid-already-linked",
    /// Title: linking only from work.
    EidLinkOnlyAtWorkTitle = "eid-link-only-at-work-title",
    /// Body: linking only from work.
    EidLinkOnlyAtWorkBody = "eid-link-only-at-work-body",
    /// The link step expired.
    EidLinkExpired = "eid-link-expired",
    /// Title of eID failure pages.
    EidFailedTitle = "eid-failed-title",
    /// Flow missing, used or from another browser.
    EidFlowMissing = "eid-flow-missing",
    /// The user cancelled at the provider.
    EidCancelled = "eid-cancelled",
    /// The provider returned an error; uses `{error}`.
    EidProviderError = "eid-provider-error",
    /// The provider can't be reached.
    EidUnavailable = "eid-unavailable",
    /// The answer could not be verified.
    EidInvalid = "eid-invalid",
    /// The login's level was too low.
    EidAcrTooLow = "eid-acr-too-low",
    /// The linked account no longer exists.
    EidAccountGone = "eid-account-gone",
    /// This provider is not offered in the request's zone.
    EidNotFromHere = "eid-not-from-here",
    /// A directly mapped eID names no account.
    EidNoMappedAccount = "eid-no-mapped-account",
    /// Account page heading.
    EidAccountTitle = "eid-account-title",
    /// Linked; uses `{provider}`, `{person}`, `{date}`.
    EidAccountLinked = "eid-account-linked",
    /// Nothing linked.
    EidAccountNone = "eid-account-none",
    /// Unlink explanation.
    EidUnlinkIntro = "eid-unlink-intro",
    /// Unlink button.
    EidUnlinkButton = "eid-unlink-button",
    /// Label of the unlink form's password field (not the numbers form's, so each field has its own name).
    EidUnlinkConfirmPassword = "eid-unlink-confirm-password",
    /// Unlinked notice.
    EidUnlinked = "eid-unlinked",
    /// Wrong password at unlink.
    EidUnlinkPasswordWrong = "eid-unlink-password-wrong",
    /// Subject of the code e-mail.
    EidCodeSubject = "eid-code-subject",
    /// Body of the code e-mail; uses `{code}` and `{minutes}`.
    EidCodeBody = "eid-code-body",
    /// Subject of the "linked" notice.
    EidLinkedSubject = "eid-linked-subject",
    /// Body of the "linked" notice; uses `{provider}` and `{time}`.
    EidLinkedBody = "eid-linked-body",
    /// Subject of the "unlinked" notice.
    EidUnlinkedSubject = "eid-unlinked-subject",
    /// Body of the "unlinked" notice; uses `{provider}` and `{time}`.
    EidUnlinkedBody = "eid-unlinked-body",
    /// Heading of the page that asks before logging out.
    LogoutConfirmTitle = "logout-confirm-title",
    /// Question on the page that asks before logging out.
    LogoutConfirmBody = "logout-confirm-body",
    /// Label of the language switcher.
    LanguageChoice = "language-choice",
    /// Link to the account page.
    AccountLink = "account-link",
    /// Label before the username on the account page.
    AccountUsername = "account-username",
    /// Label before the user group on the account page.
    AccountRealm = "account-realm",
    /// Label before the address e-mail codes go to.
    AccountEmail = "account-email",
    /// Shown when there is no e-mail address for codes.
    AccountEmailNone = "account-email-none",
    /// Button that removes one number; uses `{number}`.
    PhoneRemove = "phone-remove",
    /// Shown after a number was removed; uses `{number}`.
    PhoneRemoved = "phone-removed",
    /// Shown when the number to remove is not registered (removed already, in another tab).
    PhoneNotRegistered = "phone-not-registered",
    /// Heading of the support box.
    SupportTitle = "support-title",
    /// Label before the support phone number.
    SupportPhone = "support-phone",
    /// Label before the support e-mail address.
    SupportEmail = "support-email",
    /// Link text to the support web page.
    SupportWeb = "support-web",
    /// Label before the support opening hours.
    SupportHours = "support-hours",
    /// Shown after every failed login where there are several groups; uses `{groups}`.
    WrongGroupHint = "wrong-group-hint",
}

/// A value for a message variable: text, or a count (which picks the plural form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Text, shown as it is.
    Str(String),
    /// A count: selects `[one]` or `[other]` by the language's CLDR plural rules.
    Num(u64),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Str(s.to_string())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Str(s)
    }
}

impl From<&String> for Arg {
    fn from(s: &String) -> Arg {
        Arg::Str(s.clone())
    }
}

impl From<&&str> for Arg {
    fn from(s: &&str) -> Arg {
        Arg::Str((*s).to_string())
    }
}

impl From<&&String> for Arg {
    fn from(s: &&String) -> Arg {
        Arg::Str((*s).clone())
    }
}

impl From<&u64> for Arg {
    fn from(n: &u64) -> Arg {
        Arg::Num(*n)
    }
}

impl From<u64> for Arg {
    fn from(n: u64) -> Arg {
        Arg::Num(n)
    }
}

impl From<u32> for Arg {
    fn from(n: u32) -> Arg {
        Arg::Num(u64::from(n))
    }
}

/// Words for a page: a message with its variables, rendered in the reader's language when the page is (and escaped
/// there), or words from configuration shown as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    /// A message and its variables.
    Msg(Msg, Vec<(&'static str, Arg)>),
    /// Words from configuration or a policy file (already in the reader's language where configured so).
    Verbatim(String),
}

impl Text {
    /// Words from configuration, shown as they are.
    pub fn verbatim(s: impl Into<String>) -> Text {
        Text::Verbatim(s.into())
    }

    /// The same text with one more variable.
    pub fn arg(self, name: &'static str, value: impl Into<Arg>) -> Text {
        match self {
            Text::Msg(m, mut args) => {
                args.push((name, value.into()));
                Text::Msg(m, args)
            }
            v @ Text::Verbatim(_) => v,
        }
    }

    /// The words in `lang`, as plain text (pages escape it; SMS and e-mail send it as it is).
    pub fn render(&self, lang: Lang) -> String {
        match self {
            Text::Msg(m, args) => lookup(lang, *m, args),
            Text::Verbatim(s) => s.clone(),
        }
    }
}

impl From<Msg> for Text {
    fn from(m: Msg) -> Text {
        Text::Msg(m, Vec::new())
    }
}

impl Msg {
    /// This message with a variable set.
    pub fn arg(self, name: &'static str, value: impl Into<Arg>) -> Text {
        Text::from(self).arg(name, value)
    }

    /// The message without variables in `lang`.
    pub fn text(self, lang: Lang) -> String {
        lookup(lang, self, &[])
    }
}

/// Formats a message through Fluent.
fn lookup(lang: Lang, msg: Msg, args: &[(&'static str, Arg)]) -> String {
    let id = lang.langid();
    if args.is_empty() {
        return LOCALES.lookup(&id, msg.key());
    }
    let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
        .iter()
        .map(|(k, v)| {
            let value = match v {
                Arg::Str(s) => FluentValue::from(s.clone()),
                Arg::Num(n) => FluentValue::from(*n),
            };
            (Cow::Borrowed(*k), value)
        })
        .collect();
    LOCALES.lookup_with_args(&id, msg.key(), &map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluent_syntax::ast;
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// Every reason a path is refused has its own words in every language: none falls to the select's default, so a
    /// reason added to `PathError` without its line in each Fluent file fails here.
    #[test]
    fn every_path_refusal_reason_is_said_in_every_language() {
        use crate::canonical::PathError as E;
        let all = [
            E::NotAbsolute,
            E::InvalidEscape,
            E::EncodedSlash,
            E::Backslash,
            E::Nul,
            E::Control,
            E::InvalidUtf8,
            E::DoubleEncoding,
            E::PathParams,
            E::DotParams,
            E::TrailingDotOrSpace,
            E::Ambiguous,
        ];
        // The list above is every variant: this match stops compiling when one is added.
        for e in all {
            match e {
                E::NotAbsolute | E::InvalidEscape | E::EncodedSlash | E::Backslash | E::Nul | E::Control => {}
                E::InvalidUtf8 | E::DoubleEncoding | E::PathParams | E::DotParams | E::TrailingDotOrSpace => {}
                E::Ambiguous => {}
            }
        }
        for lang in Lang::ALL {
            let said: BTreeSet<String> =
                all.iter().map(|e| Msg::BadPathReason.arg("why", e.code()).render(lang)).collect();
            assert_eq!(said.len(), all.len(), "{lang:?}: two reasons read the same: {said:?}");
        }
        assert_eq!(Msg::BadPathReason.arg("why", E::EncodedSlash.code()).render(Lang::En), E::EncodedSlash.to_string());
    }

    /// Shorthand for picking a language from a present header.
    fn pick(header: &str) -> Lang {
        Lang::from_accept_language(Some(header))
    }

    /// Higher q-values win regardless of their position in the header.
    #[test]
    fn q_values_are_honoured() {
        assert_eq!(pick("sv;q=0.5, da;q=0.9"), Lang::Da);
        assert_eq!(pick("en;q=0.1, nn-NO;q=0.8, sv-SE;q=0.7"), Lang::Nn);
        assert_eq!(pick("de-DE, fr;q=0.9, sv;q=0.2"), Lang::Sv);
        assert_eq!(pick("da ; q = 0.3 , nb ;Q=0.4"), Lang::Nb);
        assert_eq!(pick("sv;q=1.000, da;q=0.999"), Lang::Sv);
    }

    /// "no" and its variants mean bokmål, region subtags are ignored and "nn-NO" is nynorsk.
    #[test]
    fn norwegian_and_region_tags_map_correctly() {
        assert_eq!(pick("no"), Lang::Nb);
        assert_eq!(pick("no-NO"), Lang::Nb);
        assert_eq!(pick("nb-NO"), Lang::Nb);
        assert_eq!(pick("nn-NO"), Lang::Nn);
        assert_eq!(pick("no-nyn"), Lang::Nn);
        assert_eq!(pick("sv-SE"), Lang::Sv);
        assert_eq!(pick("sv-FI"), Lang::Sv);
        assert_eq!(pick("da-DK"), Lang::Da);
        assert_eq!(pick("en-GB"), Lang::En);
        assert_eq!(pick("SV_se"), Lang::Sv);
    }

    /// Unknown languages, "*", an empty header and a missing header all give English.
    #[test]
    fn unknown_or_absent_gives_english() {
        assert_eq!(Lang::from_accept_language(None), Lang::En);
        assert_eq!(pick(""), Lang::En);
        assert_eq!(pick("   "), Lang::En);
        assert_eq!(pick("*"), Lang::En);
        assert_eq!(pick("de-DE, fr;q=0.8, *;q=0.5"), Lang::En);
        assert_eq!(pick("*, sv;q=0.5"), Lang::Sv);
    }

    /// Entries with q=0 are never chosen.
    #[test]
    fn q_zero_is_excluded() {
        assert_eq!(pick("sv;q=0"), Lang::En);
        assert_eq!(pick("sv;q=0.000, da;q=0.1"), Lang::Da);
        assert_eq!(pick("nb;q=0, nn;q=0.001"), Lang::Nn);
    }

    /// When two entries have the same weight the one listed first wins.
    #[test]
    fn ties_keep_header_order() {
        assert_eq!(pick("da, sv"), Lang::Da);
        assert_eq!(pick("sv;q=0.8, nb;q=0.8"), Lang::Sv);
        assert_eq!(pick("fr, nn, nb"), Lang::Nn);
    }

    /// Malformed entries are skipped and no input, however odd or long, makes it panic.
    #[test]
    fn garbage_is_skipped_without_panic() {
        assert_eq!(pick("sv;q=abc, da;q=0.5"), Lang::Da);
        assert_eq!(pick("sv;q=1.5, da;q=0.5"), Lang::Da);
        assert_eq!(pick("sv;q=, da;q=0.5"), Lang::Da);
        assert_eq!(pick("sv;q=0.5;q=0.9, da;q=0.1"), Lang::Da);
        assert_eq!(pick("sv-, da;q=0.1"), Lang::Da);
        assert_eq!(pick("s v, da;q=0.1"), Lang::Da);
        assert_eq!(pick("svenska, da;q=0.1"), Lang::Da);
        let odd = [
            ",,,,;;;;====",
            ";q=0.5",
            "q=1",
            "sv;q=-1",
            "sv;q=0.1234",
            "sv;q=.5",
            "sv;=",
            "-",
            "--sv",
            "å, ø;q=0.5, æ-ÅÄÖ",
            "sv;q=0.5\u{0}",
            "\u{feff}sv",
            "🦀;q=1",
            "sv;q=9999999999999999999999",
        ];
        for header in odd {
            let _ = pick(header);
        }
        let long = "x, ".repeat(100_000) + "sv";
        assert_eq!(pick(&long), Lang::En);
        let long_tag = "a".repeat(1_000_000);
        assert_eq!(pick(&long_tag), Lang::En);
        let many_params = format!("sv{}", ";a=b".repeat(10_000));
        let _ = pick(&many_params);
    }

    /// Only the first 32 entries are considered.
    #[test]
    fn entries_after_the_cap_are_ignored() {
        let mut header = "xx, ".repeat(MAX_ENTRIES - 1);
        header.push_str("da");
        assert_eq!(pick(&header), Lang::Da);
        let mut header = "xx, ".repeat(MAX_ENTRIES);
        header.push_str("da");
        assert_eq!(pick(&header), Lang::En);
    }

    /// Bare codes parse case-insensitively and every language's code parses back to itself.
    #[test]
    fn codes_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
            assert_eq!(Lang::from_code(&lang.code().to_uppercase()), Some(lang));
        }
        assert_eq!(Lang::from_code("no"), Some(Lang::Nb));
        assert_eq!(Lang::from_code("NO"), Some(Lang::Nb));
        assert_eq!(Lang::from_code("de"), None);
        assert_eq!(Lang::from_code(""), None);
        assert_eq!(Lang::from_code("sv-SE"), None);
    }

    /// Messages and their variables per language, read from the `.ftl` files themselves.
    fn ftl_messages() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
        let mut langs = BTreeMap::new();
        for dir in std::fs::read_dir(&root).unwrap() {
            let dir = dir.unwrap().path();
            let lang = dir.file_name().unwrap().to_string_lossy().into_owned();
            let mut messages = BTreeMap::new();
            for file in std::fs::read_dir(&dir).unwrap() {
                let file = file.unwrap().path();
                assert_eq!(
                    file.extension().and_then(|e| e.to_str()),
                    Some("ftl"),
                    "{} is not a .ftl file",
                    file.display()
                );
                let source = std::fs::read_to_string(&file).unwrap();
                let resource = match fluent_syntax::parser::parse(source.as_str()) {
                    Ok(r) => r,
                    Err((_, errors)) => panic!("{}: {errors:?}", file.display()),
                };
                for entry in resource.body {
                    if let ast::Entry::Message(m) = entry {
                        let mut vars = BTreeSet::new();
                        if let Some(p) = &m.value {
                            pattern_vars(p, &mut vars);
                        }
                        let key = m.id.name.to_string();
                        assert!(messages.insert(key.clone(), vars).is_none(), "{key} twice in {lang}");
                    }
                }
            }
            langs.insert(lang, messages);
        }
        langs
    }

    /// Collects the variables a pattern uses, in placeables, selectors and every variant.
    fn pattern_vars(p: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
        for e in &p.elements {
            if let ast::PatternElement::Placeable { expression } = e {
                expression_vars(expression, out);
            }
        }
    }

    fn expression_vars(e: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
        match e {
            ast::Expression::Select { selector, variants } => {
                inline_vars(selector, out);
                for v in variants {
                    pattern_vars(&v.value, out);
                }
            }
            ast::Expression::Inline(i) => inline_vars(i, out),
        }
    }

    fn inline_vars(i: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
        match i {
            ast::InlineExpression::VariableReference { id } => {
                out.insert(id.name.to_string());
            }
            ast::InlineExpression::Placeable { expression } => expression_vars(expression, out),
            _ => {}
        }
    }

    /// Every language directory has exactly the English keys, each with exactly the English variables.
    #[test]
    fn every_language_has_every_key_with_the_same_variables() {
        let langs = ftl_messages();
        let codes: Vec<&str> = langs.keys().map(String::as_str).collect();
        assert_eq!(codes, ["da", "en", "nb", "nn", "sv"], "locales/ holds other languages than the pages offer");
        let english = &langs["en"];
        let mut problems = Vec::new();
        for (lang, messages) in &langs {
            for (key, vars) in english {
                match messages.get(key) {
                    None => problems.push(format!("{lang}: {key} is missing")),
                    Some(v) if v != vars => problems.push(format!("{lang}: {key} uses {v:?}, English {vars:?}")),
                    Some(_) => {}
                }
            }
            for key in messages.keys().filter(|k| !english.contains_key(*k)) {
                problems.push(format!("{lang}: {key} is not in English"));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// Each `Msg` names a message in the files and each message in the files has a `Msg`: no dead or missing keys.
    #[test]
    fn msg_ids_and_ftl_keys_match() {
        let english = ftl_messages().remove("en").unwrap();
        let ids: BTreeSet<&str> = Msg::ALL.iter().map(|m| m.key()).collect();
        assert_eq!(ids.len(), Msg::ALL.len(), "two Msg variants share a key");
        let keys: BTreeSet<&str> = english.keys().map(String::as_str).collect();
        assert_eq!(ids.difference(&keys).collect::<Vec<_>>(), Vec::<&&str>::new(), "Msg ids without a message");
        assert_eq!(keys.difference(&ids).collect::<Vec<_>>(), Vec::<&&str>::new(), "messages without a Msg id");
    }

    /// Every message renders in every language with its variables filled in, without isolation marks.
    #[test]
    fn every_message_renders_with_its_variables() {
        let langs = ftl_messages();
        for lang in Lang::ALL {
            for &m in Msg::ALL {
                let mut text = Text::from(m);
                for var in &langs["en"][m.key()] {
                    text = match var.as_str() {
                        "minutes" | "seconds" | "tries" => text.arg(leak(var), 7u64),
                        // A selector: the message names the level in its own words (see `levels_in_own_words`).
                        "level" => text.arg(leak(var), "high"),
                        // A selector: each refusal reason in words (see `every_path_refusal_reason_is_said_in_every_language`).
                        "why" => text.arg(leak(var), "encoded-slash"),
                        _ => text.arg(leak(var), format!("«{var}»")),
                    };
                }
                let out = text.render(lang);
                assert!(!out.trim().is_empty(), "{m:?} is empty in {lang:?}");
                assert!(!out.contains("Unknown localization key"), "{m:?} missing in {lang:?}");
                assert!(!out.contains(['\u{2068}', '\u{2069}']), "{m:?} has isolation marks in {lang:?}: {out}");
                for var in langs["en"][m.key()].iter().filter(|v| !["level", "why"].contains(&v.as_str())) {
                    let shown = if ["minutes", "seconds", "tries"].contains(&var.as_str()) {
                        "7".into()
                    } else {
                        format!("«{var}»")
                    };
                    assert!(out.contains(&shown), "{m:?} in {lang:?} does not show ${var}: {out}");
                }
            }
        }
    }

    /// One term per concept (docs/WORDING.md): the variants the native-speaker read replaced do not come back in any
    /// message of that language, nor does an eID brand in the neutral eID wording.
    #[test]
    fn one_term_per_concept() {
        let avoid: &[(&str, &[&str])] = &[
            (
                "en",
                &[
                    "service desk",
                    "the gateway",
                    "login code",
                    "work computer",
                    "can't",
                    "wasn't",
                    "this portal",
                    "BankID",
                ],
            ),
            ("sv", &["katalogtjänst", "inloggningskod", "portalen", "kommunens nät.", "BankID"]),
            (
                "nb",
                &[
                    "IT-brukerstøtte.",
                    "IT-brukerstøtte ",
                    "katalogtjenest",
                    "innloggingskode",
                    "jobbdatamaskin",
                    "jobb-e-post",
                    "portalen",
                    "kommunens nett.",
                    "Kontroller ",
                    "BankID",
                ],
            ),
            (
                "nn",
                &[
                    " vert ",
                    "katalogteneste",
                    "innloggingskode",
                    "jobbdatamaskin",
                    "portalen",
                    "nettet til kommunen",
                    "Kontroller ",
                    "BankID",
                ],
            ),
            (
                "da",
                &[
                    "IT-support.",
                    "IT-support ",
                    "katalogtjenest",
                    "loginkode",
                    " mail",
                    "arbejdsmail",
                    "arbejdsadresse",
                    "arbejdscomputer",
                    "hjemmeside",
                    "Kontrollér",
                    "portalen",
                    "MitID",
                ],
            ),
        ];
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
        let mut problems = Vec::new();
        for (lang, words) in avoid {
            for file in std::fs::read_dir(root.join(lang)).unwrap() {
                let file = file.unwrap().path();
                let source = std::fs::read_to_string(&file).unwrap();
                for (n, line) in source.lines().enumerate().filter(|(_, l)| !l.starts_with('#')) {
                    for word in words.iter().filter(|w| line.contains(**w)) {
                        problems.push(format!("{}:{}: \"{word}\": {line}", file.display(), n + 1));
                    }
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// Messages that name an eID level say it in the page's language, and differently for high and substantial.
    #[test]
    fn levels_in_own_words() {
        let with_level = [Msg::PortalStepUpEid, Msg::StepUpNeedsEid, Msg::StepUpEidNotOffered];
        for lang in Lang::ALL {
            for m in with_level {
                let high = m.arg("level", "high").render(lang);
                let substantial = m.arg("level", "substantial").render(lang);
                assert_ne!(high, substantial, "{m:?} in {lang:?}");
                assert!(!high.contains("high") || lang == Lang::En, "{m:?} in {lang:?}: {high}");
            }
        }
        assert_eq!(
            Msg::PortalStepUpEid.arg("level", "high").render(Lang::Sv),
            "Logga in med e-legitimation på nivå hög"
        );
        let at = Msg::EidLoginWithAt.arg("provider", "ID-porten").arg("level", "high").render(Lang::Nb);
        assert_eq!(at, "Logg inn med ID-porten (nivå høyt)");
    }

    fn leak(s: &str) -> &'static str {
        Box::leak(s.to_string().into_boxed_str())
    }

    /// Counts take the language's singular and plural: "1 try left", "1 minut", "5 minuter".
    #[test]
    fn plurals_follow_cldr() {
        assert_eq!(Msg::CodeWrong.arg("tries", 1u64).render(Lang::En), "The code is wrong. You have 1 try left.");
        assert_eq!(Msg::CodeWrong.arg("tries", 2u64).render(Lang::En), "The code is wrong. You have 2 tries left.");
        let sv = |n: u64| Msg::SendLimitReached.arg("minutes", n).render(Lang::Sv);
        assert_eq!(sv(1), "För många koder har begärts. Försök igen om 1 minut.");
        assert_eq!(sv(5), "För många koder har begärts. Försök igen om 5 minuter.");
        assert!(Msg::SendLimitCooldown.arg("seconds", 1u64).render(Lang::Da).contains("1 sekund,"));
        assert!(Msg::SendLimitCooldown.arg("seconds", 1u64).render(Lang::Nb).contains("1 sekund før"));
        assert!(Msg::SessionExpired.arg("minutes", 1u64).render(Lang::En).contains("more than 1 minute."));
        assert!(Msg::SessionExpired.arg("minutes", 0u64).render(Lang::En).contains("more than 0 minutes."));
    }
}
