//! Page strings in Swedish, Norwegian bokmål and nynorsk, Danish and English, chosen by Accept-Language.

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

    /// Picks the best language from an Accept-Language header (q-values honoured); English when none matches.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        // "no"/"no-NO" mean bokmål, region subtags are ignored, "*" and malformed entries are
        // skipped, q=0 excludes an entry, ties keep header order, and only the first
        // MAX_ENTRIES entries are looked at.
        let Some(header) = header else {
            return Lang::En;
        };
        let mut best: Option<(Lang, u16)> = None;
        for entry in header.split(',').take(MAX_ENTRIES) {
            let Some((lang, q)) = parse_entry(entry) else {
                continue;
            };
            if q == 0 {
                continue;
            }
            // Strictly greater, so that on a tie the earlier entry wins.
            let better = match best {
                Some((_, best_q)) => q > best_q,
                None => true,
            };
            if better {
                best = Some((lang, q));
            }
        }
        best.map_or(Lang::En, |(lang, _)| lang)
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

/// Parses one Accept-Language entry into a language and its weight in thousandths.
///
/// Returns None for "*", for languages we do not offer and for anything malformed.
fn parse_entry(entry: &str) -> Option<(Lang, u16)> {
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

/// Maps a language tag such as "sv-SE", "nn_NO" or "no-nyn" to a language we offer.
fn parse_tag(tag: &str) -> Option<Lang> {
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
    // The old registered tags "no-nyn" and "no-bok" name nynorsk and bokmål.
    if primary.eq_ignore_ascii_case("no") && second.is_some_and(|s| s.eq_ignore_ascii_case("nyn")) {
        return Some(Lang::Nn);
    }
    Lang::from_code(primary)
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

/// A message shown on a gateway page; `text` gives its wording per language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    /// Heading of the login page.
    LoginTitle,
    /// Explanation at the top of the login page.
    LoginIntro,
    /// Label of the username field.
    Username,
    /// Label of the password field.
    Password,
    /// Label of the user group (realm) choice.
    Realm,
    /// Help text for the user group choice.
    RealmHelp,
    /// Text of the login button.
    LoginButton,
    /// Shown when the username or password is wrong.
    LoginFailed,
    /// Link to password help.
    PasswordHelp,
    /// Heading of the service portal.
    PortalTitle,
    /// Introduction on the portal; uses `{name}`.
    PortalIntro,
    /// Shown on the portal when no services are open.
    PortalEmpty,
    /// Button to open a service.
    PortalOpen,
    /// Service status: a stronger login is needed.
    PortalNeedsStrongerLogin,
    /// Link to log in with a one-time code.
    PortalStepUp,
    /// Service status: not reachable from the current network.
    PortalNotFromThisNetwork,
    /// Service status: closed until a time; uses `{time}`.
    PortalClosedUntil,
    /// Service status: the user has no access.
    PortalNoAccess,
    /// Where the user is connected from; uses `{zone}`.
    PortalZone,
    /// Zone name for the municipality's own network.
    ZoneInternal,
    /// Zone name for anywhere outside the municipality's network.
    ZoneRemote,
    /// Log out link or button.
    Logout,
    /// Heading of the logged-out page.
    LoggedOutTitle,
    /// Body of the logged-out page.
    LoggedOutBody,
    /// Link to log in again.
    LoginAgain,
    /// Shown after logout for inactivity; uses `{minutes}`.
    SessionExpired,
    /// Link back to the service portal.
    BackToPortal,
    /// Generic error heading.
    ErrorTitle,
    /// Heading for access denied (403).
    ForbiddenTitle,
    /// Body for a failed form (CSRF) check.
    ForbiddenCsrf,
    /// Body for a form posted with another content type than a browser's form (415).
    FormTypeBody,
    /// Body for access denied by policy; uses `{service}`.
    ForbiddenPolicy,
    /// Heading for page not found (404).
    NotFoundTitle,
    /// Body for page not found (404).
    NotFoundBody,
    /// Heading when a service does not answer (502/504).
    BadGatewayTitle,
    /// Body when a service does not answer; uses `{service}`.
    BadGatewayBody,
    /// Heading when a request body is too large (413).
    TooLargeTitle,
    /// Body when a request body is too large (413).
    TooLargeBody,
    /// Body when request headers are too large (431).
    HeadersTooLargeBody,
    /// Heading for a malformed request (400).
    BadRequestTitle,
    /// Body for a malformed request (400).
    BadRequestBody,
    /// Body when the request's path is refused (400); uses `{reason}` (English, technical).
    BadPathBody,
    /// Heading when rate limited (429).
    TooManyAttemptsTitle,
    /// Body when rate limited; uses `{seconds}`.
    TooManyAttemptsBody,
    /// Body for an internal error (500).
    InternalErrorBody,
    /// Heading when the gateway is unavailable (503).
    UnavailableTitle,
    /// Body when the gateway is unavailable (503).
    UnavailableBody,
    /// Text of the skip link for keyboard and screen reader users.
    SkipToContent,
    /// Heading of the account page.
    AccountTitle,
    /// Shows who is logged in; uses `{name}`.
    SignedInAs,
    /// Heading of the page where a one-time code is sent and typed.
    SecondFactorTitle,
    /// Question above the choice of where to send the code.
    ChooseChannel,
    /// Choice to get the code by SMS; uses `{number}`.
    ChannelSms,
    /// Choice to get the code by e-mail; uses `{address}`.
    ChannelEmail,
    /// Button to send a one-time code.
    SendCode,
    /// Shown after a code was sent by SMS; uses `{number}` and `{minutes}`.
    CodeSentSms,
    /// Shown after a code was sent by e-mail; uses `{address}` and `{minutes}`.
    CodeSentEmail,
    /// Label of the one-time code field.
    CodeLabel,
    /// Help text for the one-time code field.
    CodeHelp,
    /// Text of the button that checks the typed code.
    VerifyButton,
    /// Button or link to send a new code.
    SendNewCode,
    /// Link to get the code another way.
    UseOtherChannel,
    /// Shown when the typed code is wrong; uses `{tries}`.
    CodeWrong,
    /// Shown when the code has expired.
    CodeExpired,
    /// Shown when the code was typed wrong too many times.
    CodeTooManyTries,
    /// Shown when there is no code to check: none was sent, or it was already used.
    CodeNone,
    /// Shown when codes are blocked after too many wrong ones; uses `{minutes}`.
    SecondFactorLocked,
    /// Shown when the user has no number or address to get codes at.
    NoChannels,
    /// Shown when the SMS with the code could not be sent.
    SendFailedSms,
    /// Shown when the e-mail with the code could not be sent.
    SendFailedEmail,
    /// Shown when a new code is asked for too soon; uses `{seconds}`.
    SendLimitCooldown,
    /// Shown when too many codes have been asked for; uses `{minutes}`.
    SendLimitReached,
    /// Shown when codes cannot be sent to the number's country.
    SendLimitCountry,
    /// Text of the SMS with the code; uses `{code}` and `{minutes}`; keep under 160 characters.
    CodeSmsText,
    /// Subject of the e-mail with the code.
    CodeEmailSubject,
    /// Body of the e-mail with the code; uses `{code}` and `{minutes}`.
    CodeEmailBody,
    /// Heading of the page for the user's SMS numbers.
    PhonesTitle,
    /// Explanation at the top of the SMS numbers page.
    PhonesIntro,
    /// Label before the numbers registered now.
    PhonesCurrent,
    /// Shown when no numbers are registered.
    PhonesNone,
    /// Label of the first mobile number field.
    Phone1Label,
    /// Label of the second, optional mobile number field.
    Phone2Label,
    /// Help text for the mobile number fields.
    PhonesHelp,
    /// Label of the password field that confirms a change.
    ConfirmPassword,
    /// Text of the save button.
    SaveButton,
    /// Shown after the numbers were saved.
    PhonesSaved,
    /// Shown when numbers are changed from outside the municipality's network.
    PhonesOnlyInternal,
    /// Shown when the confirming password is wrong.
    PhonesPasswordWrong,
    /// Shown when a typed number is refused; uses `{input}` and `{reason}`.
    PhoneInvalid,
    /// Shown when more than two numbers are given.
    PhonesTooMany,
    /// Subject of the e-mail telling that the numbers were changed.
    PhonesChangedSubject,
    /// Body of the e-mail telling that the numbers were changed; uses `{time}`.
    PhonesChangedBody,
    /// SMS telling that the numbers were changed; keep under 160 characters.
    PhonesChangedSms,
    /// Why a number was refused: not only digits; fills `{reason}`.
    PhoneReasonDigits,
    /// Why a number was refused: too short or too long; fills `{reason}`.
    PhoneReasonLength,
    /// Why a number was refused: its country is not allowed; fills `{reason}`.
    PhoneReasonCountry,
    /// Shown when the user directory cannot be reached: the password was not checked and nothing was counted.
    DirectoryDown,
    /// Shown after a right password that the directory says must be changed first.
    PasswordMustChange,
    /// Link text to the page where the password is changed.
    PasswordChangeLink,
    /// Shown when the directory says the account is disabled or expired.
    AccountDisabled,
    /// Shown when the directory says the account is locked.
    AccountLocked,
}

impl Msg {
    /// The message in the given language. Placeholders like `{name}` are filled by the caller.
    pub fn text(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Sv => sv(self),
            Lang::Nb => nb(self),
            Lang::Nn => nn(self),
            Lang::Da => da(self),
            Lang::En => en(self),
        }
    }
}

/// Swedish wording.
fn sv(msg: Msg) -> &'static str {
    match msg {
        Msg::LoginTitle => "Logga in",
        Msg::LoginIntro => "Logga in med ditt användarnamn och lösenord i kommunen – samma som du använder på din jobbdator.",
        Msg::Username => "Användarnamn",
        Msg::Password => "Lösenord",
        Msg::Realm => "Användargrupp",
        Msg::RealmHelp => "Välj den grupp du tillhör. Rektorer, skolsköterskor och assistenter väljer den administrativa gruppen.",
        Msg::LoginButton => "Logga in",
        Msg::LoginFailed => "Användarnamnet eller lösenordet är fel. Kontrollera båda och försök igen.",
        Msg::PasswordHelp => "Har du glömt ditt lösenord?",
        Msg::PortalTitle => "Dina tjänster",
        Msg::PortalIntro => "Du är inloggad som {name}. Det här är tjänsterna du kan använda nu:",
        Msg::PortalEmpty => "Inga tjänster är öppna för dig just nu.",
        Msg::PortalOpen => "Öppna",
        Msg::PortalNeedsStrongerLogin => "Kräver en säkrare inloggning",
        Msg::PortalStepUp => "Logga in med engångskod",
        Msg::PortalNotFromThisNetwork => "Går inte att nå från nätverket du är på nu",
        Msg::PortalClosedUntil => "Stängd till {time}",
        Msg::PortalNoAccess => "Du har inte behörighet till den här tjänsten",
        Msg::PortalZone => "Du är ansluten från: {zone}",
        Msg::ZoneInternal => "kommunens nätverk",
        Msg::ZoneRemote => "utanför kommunens nätverk",
        Msg::Logout => "Logga ut",
        Msg::LoggedOutTitle => "Du är utloggad",
        Msg::LoggedOutBody => "Du har loggats ut. Om du sitter vid en delad eller offentlig dator ska du också stänga webbläsaren.",
        Msg::LoginAgain => "Logga in igen",
        Msg::SessionExpired => "Du loggades ut eftersom du inte har varit aktiv på mer än {minutes} minuter. Logga in igen.",
        Msg::BackToPortal => "Tillbaka till dina tjänster",
        Msg::ErrorTitle => "Något gick fel",
        Msg::ForbiddenTitle => "Åtkomst nekad",
        Msg::ForbiddenCsrf => "Formuläret hade gått ut eller kom från en annan sida. Gå tillbaka, ladda om sidan och försök igen.",
        Msg::FormTypeBody => "Formuläret måste skickas från sidan i en webbläsare (som application/x-www-form-urlencoded). Gå tillbaka, ladda om sidan och försök igen.",
        Msg::ForbiddenPolicy => "Du har inte tillgång till {service} härifrån just nu.",
        Msg::NotFoundTitle => "Sidan hittades inte",
        Msg::NotFoundBody => "Det finns ingen sida på den här adressen. Kontrollera adressen eller gå till dina tjänster.",
        Msg::BadGatewayTitle => "Tjänsten svarar inte",
        Msg::BadGatewayBody => "Det gick inte att nå {service} just nu. Dina andra tjänster fungerar som vanligt. Försök igen om några minuter. Om problemet finns kvar, kontakta IT-supporten.",
        Msg::TooLargeTitle => "Förfrågan var för stor",
        Msg::TooLargeBody => "Det du skickade var större än vad som kan tas emot. Gå tillbaka och försök igen med mindre innehåll.",
        Msg::HeadersTooLargeBody => "Din webbläsare skickade för mycket data, ofta på grund av gamla kakor (cookies). Rensa kakorna för den här webbplatsen och försök igen.",
        Msg::BadRequestTitle => "Förfrågan kunde inte förstås",
        Msg::BadRequestBody => "Det gick inte att förstå förfrågan. Gå tillbaka och försök igen.",
        Msg::BadPathBody => "Adressen i förfrågan har en form som inloggningstjänsten inte godtar ({reason}). Kontrollera länken eller skriv adressen igen.",
        Msg::TooManyAttemptsTitle => "För många försök",
        Msg::TooManyAttemptsBody => "Det har gjorts för många försök. Vänta {seconds} sekunder och försök igen.",
        Msg::InternalErrorBody => "Ett fel uppstod i inloggningstjänsten. Försök igen om en stund. Om problemet finns kvar, kontakta IT-supporten.",
        Msg::UnavailableTitle => "Tillfälligt otillgänglig",
        Msg::UnavailableBody => "Inloggningstjänsten är tillfälligt otillgänglig. Din inloggning finns kvar; försök igen om en minut.",
        Msg::SkipToContent => "Hoppa till innehållet",
        Msg::AccountTitle => "Ditt konto",
        Msg::SignedInAs => "Inloggad som {name}",
        Msg::SecondFactorTitle => "Bekräfta med en engångskod",
        Msg::ChooseChannel => "Vart ska vi skicka din kod?",
        Msg::ChannelSms => "Sms till {number}",
        Msg::ChannelEmail => "E-post till {address}",
        Msg::SendCode => "Skicka kod",
        Msg::CodeSentSms => "Vi har skickat en kod med sms till {number}. Koden gäller i {minutes} minuter.",
        Msg::CodeSentEmail => "Vi har skickat en kod med e-post till {address}. Koden gäller i {minutes} minuter.",
        Msg::CodeLabel => "Engångskod",
        Msg::CodeHelp => "Skriv koden som den står. Det går bra med både stora och små bokstäver, och mellanslag och bindestreck spelar ingen roll.",
        Msg::VerifyButton => "Bekräfta",
        Msg::SendNewCode => "Skicka en ny kod",
        Msg::UseOtherChannel => "Skicka koden på ett annat sätt",
        Msg::CodeWrong => "Koden stämmer inte. Du har {tries} försök kvar.",
        Msg::CodeExpired => "Koden har gått ut. Skicka en ny kod.",
        Msg::CodeTooManyTries => "Koden skrevs fel för många gånger. Skicka en ny kod.",
        Msg::CodeNone => "Ingen kod har skickats ännu, eller så har koden redan använts. Skicka en ny kod.",
        Msg::SecondFactorLocked => "För många felaktiga koder. För din säkerhet är koder spärrade i {minutes} minuter.",
        Msg::NoChannels => "Du har inte registrerat något mobilnummer eller någon e-postadress för koder. Registrera ditt mobilnummer under ”Mina sms-nummer” när du är ansluten till kommunens nätverk, eller logga in med e-legitimation.",
        Msg::SendFailedSms => "Det gick inte att skicka sms:et just nu. Prova e-post i stället, eller försök igen om några minuter.",
        Msg::SendFailedEmail => "Det gick inte att skicka e-postmeddelandet just nu. Prova sms i stället, eller försök igen om några minuter.",
        Msg::SendLimitCooldown => "Vi har precis skickat en kod. Vänta {seconds} sekunder innan du ber om en ny.",
        Msg::SendLimitReached => "För många koder har begärts. Försök igen om {minutes} minuter.",
        Msg::SendLimitCountry => "Det går inte att skicka koder till nummer i det här landet. Använd e-post eller e-legitimation.",
        Msg::CodeSmsText => "Din inloggningskod: {code}. Gäller i {minutes} min. Dela aldrig koden med någon.",
        Msg::CodeEmailSubject => "Din inloggningskod",
        Msg::CodeEmailBody => "Din engångskod är: {code}\n\nKoden gäller i {minutes} minuter och kan bara användas en gång.\n\nOm det inte var du som försökte logga in kan någon känna till ditt lösenord. Byt lösenord och kontakta IT-supporten.",
        Msg::PhonesTitle => "Mina sms-nummer",
        Msg::PhonesIntro => "När du loggar in utanför kommunens nätverk skickar vi koder till de här numren. Du kan registrera högst två.",
        Msg::PhonesCurrent => "Registrerade nu:",
        Msg::PhonesNone => "Inga nummer är registrerade.",
        Msg::Phone1Label => "Mobilnummer 1",
        Msg::Phone2Label => "Mobilnummer 2 (frivilligt)",
        Msg::PhonesHelp => "Bara siffror, till exempel 0701234567. Lämna ett fält tomt för att ta bort ett nummer.",
        Msg::ConfirmPassword => "Ditt lösenord, för att bekräfta ändringen",
        Msg::SaveButton => "Spara",
        Msg::PhonesSaved => "Dina nummer har sparats.",
        Msg::PhonesOnlyInternal => "För din säkerhet kan nummer bara ändras från kommunens nätverk (till exempel på din jobbdator).",
        Msg::PhonesPasswordWrong => "Lösenordet stämmer inte. Ingenting har ändrats.",
        Msg::PhoneInvalid => "”{input}” är inte ett mobilnummer som vi kan använda: {reason}.",
        Msg::PhonesTooMany => "Du kan registrera högst två nummer.",
        Msg::PhonesChangedSubject => "Dina nummer för inloggningskoder har ändrats",
        Msg::PhonesChangedBody => "Mobilnumren för dina inloggningskoder ändrades {time}. Om det inte var du som gjorde ändringen, kontakta IT-supporten direkt.",
        Msg::PhonesChangedSms => "Dina nummer för inloggningskoder har ändrats. Om det inte var du, kontakta IT-supporten.",
        Msg::PhoneReasonDigits => "använd bara siffror, till exempel 0701234567",
        Msg::PhoneReasonLength => "det har för få eller för många siffror",
        Msg::PhoneReasonCountry => "nummer i det landet kan inte ta emot koder",
        Msg::DirectoryDown => "Vi kan inte kontrollera ditt lösenord just nu eftersom katalogtjänsten inte svarar. Försök igen om några minuter. Försöket räknas inte som ett felaktigt lösenord.",
        Msg::PasswordMustChange => "Lösenordet stämmer, men du måste byta det innan du kan logga in.",
        Msg::PasswordChangeLink => "Byt lösenord",
        Msg::AccountDisabled => "Ditt konto är inaktiverat eller har gått ut. Kontakta IT-supporten.",
        Msg::AccountLocked => "Ditt konto är låst efter för många felaktiga lösenord. Försök igen senare eller kontakta IT-supporten.",
    }
}

/// Norwegian bokmål wording.
fn nb(msg: Msg) -> &'static str {
    match msg {
        Msg::LoginTitle => "Logg inn",
        Msg::LoginIntro => "Logg inn med brukernavnet og passordet ditt i kommunen – de samme som du bruker på jobb-PC-en.",
        Msg::Username => "Brukernavn",
        Msg::Password => "Passord",
        Msg::Realm => "Brukergruppe",
        Msg::RealmHelp => "Velg gruppen du hører til. Rektorer, helsesykepleiere og assistenter velger den administrative gruppen.",
        Msg::LoginButton => "Logg inn",
        Msg::LoginFailed => "Brukernavnet eller passordet er feil. Sjekk begge og prøv igjen.",
        Msg::PasswordHelp => "Har du glemt passordet?",
        Msg::PortalTitle => "Tjenestene dine",
        Msg::PortalIntro => "Du er logget inn som {name}. Dette er tjenestene du kan bruke nå:",
        Msg::PortalEmpty => "Ingen tjenester er åpne for deg akkurat nå.",
        Msg::PortalOpen => "Åpne",
        Msg::PortalNeedsStrongerLogin => "Krever sikrere innlogging",
        Msg::PortalStepUp => "Logg inn med engangskode",
        Msg::PortalNotFromThisNetwork => "Ikke tilgjengelig fra nettverket du er på nå",
        Msg::PortalClosedUntil => "Stengt til {time}",
        Msg::PortalNoAccess => "Du har ikke tilgang til denne tjenesten",
        Msg::PortalZone => "Du er koblet til fra: {zone}",
        Msg::ZoneInternal => "kommunens nettverk",
        Msg::ZoneRemote => "utenfor kommunens nettverk",
        Msg::Logout => "Logg ut",
        Msg::LoggedOutTitle => "Du er logget ut",
        Msg::LoggedOutBody => "Du er nå logget ut. Hvis du bruker en delt eller offentlig datamaskin, bør du også lukke nettleseren.",
        Msg::LoginAgain => "Logg inn igjen",
        Msg::SessionExpired => "Du ble logget ut fordi du ikke har vært aktiv på mer enn {minutes} minutter. Logg inn igjen.",
        Msg::BackToPortal => "Tilbake til tjenestene dine",
        Msg::ErrorTitle => "Noe gikk galt",
        Msg::ForbiddenTitle => "Ingen tilgang",
        Msg::ForbiddenCsrf => "Skjemaet var utløpt eller kom fra en annen side. Gå tilbake, last inn siden på nytt og prøv igjen.",
        Msg::FormTypeBody => "Skjemaet må sendes fra siden i en nettleser (som application/x-www-form-urlencoded). Gå tilbake, last inn siden på nytt og prøv igjen.",
        Msg::ForbiddenPolicy => "Du har ikke tilgang til {service} herfra akkurat nå.",
        Msg::NotFoundTitle => "Fant ikke siden",
        Msg::NotFoundBody => "Det finnes ingen side på denne adressen. Sjekk adressen, eller gå til tjenestene dine.",
        Msg::BadGatewayTitle => "Tjenesten svarer ikke",
        Msg::BadGatewayBody => "Vi får ikke kontakt med {service} akkurat nå. De andre tjenestene dine virker som vanlig. Prøv igjen om noen minutter. Hvis problemet fortsetter, kontakt IT-brukerstøtten.",
        Msg::TooLargeTitle => "Forespørselen var for stor",
        Msg::TooLargeBody => "Det du sendte, var større enn det som kan tas imot. Gå tilbake og prøv igjen med mindre innhold.",
        Msg::HeadersTooLargeBody => "Nettleseren din sendte for mye data, ofte på grunn av gamle informasjonskapsler (cookies). Slett informasjonskapslene for dette nettstedet og prøv igjen.",
        Msg::BadRequestTitle => "Forespørselen ble ikke forstått",
        Msg::BadRequestBody => "Vi forsto ikke forespørselen. Gå tilbake og prøv igjen.",
        Msg::BadPathBody => "Adressen i forespørselen har en form som innloggingstjenesten ikke godtar ({reason}). Kontroller lenken, eller skriv adressen på nytt.",
        Msg::TooManyAttemptsTitle => "For mange forsøk",
        Msg::TooManyAttemptsBody => "Det har vært for mange forsøk. Vent {seconds} sekunder og prøv igjen.",
        Msg::InternalErrorBody => "Det oppstod en feil i innloggingstjenesten. Prøv igjen om litt. Hvis problemet fortsetter, kontakt IT-brukerstøtten.",
        Msg::UnavailableTitle => "Midlertidig utilgjengelig",
        Msg::UnavailableBody => "Innloggingstjenesten er midlertidig utilgjengelig. Innloggingen din er tatt vare på; prøv igjen om et minutt.",
        Msg::SkipToContent => "Hopp til innholdet",
        Msg::AccountTitle => "Kontoen din",
        Msg::SignedInAs => "Logget inn som {name}",
        Msg::SecondFactorTitle => "Bekreft med en engangskode",
        Msg::ChooseChannel => "Hvor skal vi sende koden din?",
        Msg::ChannelSms => "SMS til {number}",
        Msg::ChannelEmail => "E-post til {address}",
        Msg::SendCode => "Send kode",
        Msg::CodeSentSms => "Vi har sendt en kode på SMS til {number}. Koden gjelder i {minutes} minutter.",
        Msg::CodeSentEmail => "Vi har sendt en kode på e-post til {address}. Koden gjelder i {minutes} minutter.",
        Msg::CodeLabel => "Engangskode",
        Msg::CodeHelp => "Skriv inn koden slik den står. Det går fint med både store og små bokstaver, og mellomrom og bindestreker spiller ingen rolle.",
        Msg::VerifyButton => "Bekreft",
        Msg::SendNewCode => "Send en ny kode",
        Msg::UseOtherChannel => "Send koden på en annen måte",
        Msg::CodeWrong => "Koden er ikke riktig. Du har {tries} forsøk igjen.",
        Msg::CodeExpired => "Koden har gått ut. Send en ny kode.",
        Msg::CodeTooManyTries => "Koden ble skrevet feil for mange ganger. Send en ny kode.",
        Msg::CodeNone => "Det er ikke sendt noen kode ennå, eller koden er allerede brukt. Send en ny kode.",
        Msg::SecondFactorLocked => "For mange feil koder. Av hensyn til sikkerheten din er koder sperret i {minutes} minutter.",
        Msg::NoChannels => "Du har ikke registrert noe mobilnummer eller noen e-postadresse for koder. Registrer mobilnummeret ditt under «Mine SMS-nummer» mens du er på kommunens nettverk, eller logg inn med eID.",
        Msg::SendFailedSms => "Vi fikk ikke sendt SMS-en akkurat nå. Prøv e-post i stedet, eller prøv igjen om noen minutter.",
        Msg::SendFailedEmail => "Vi fikk ikke sendt e-posten akkurat nå. Prøv SMS i stedet, eller prøv igjen om noen minutter.",
        Msg::SendLimitCooldown => "Vi har nettopp sendt en kode. Vent {seconds} sekunder før du ber om en ny.",
        Msg::SendLimitReached => "Det er bedt om for mange koder. Prøv igjen om {minutes} minutter.",
        Msg::SendLimitCountry => "Vi kan ikke sende koder til nummer i dette landet. Bruk e-post eller eID.",
        Msg::CodeSmsText => "Innloggingskoden din: {code}. Gjelder i {minutes} min. Del aldri koden med noen.",
        Msg::CodeEmailSubject => "Innloggingskoden din",
        Msg::CodeEmailBody => "Engangskoden din er: {code}\n\nKoden gjelder i {minutes} minutter og kan bare brukes én gang.\n\nHvis det ikke var du som prøvde å logge inn, kan noen kjenne passordet ditt. Bytt passord og kontakt IT-brukerstøtten.",
        Msg::PhonesTitle => "Mine SMS-nummer",
        Msg::PhonesIntro => "Når du logger inn utenfor kommunens nettverk, sender vi koder til disse numrene. Du kan registrere høyst to.",
        Msg::PhonesCurrent => "Registrert nå:",
        Msg::PhonesNone => "Ingen nummer er registrert.",
        Msg::Phone1Label => "Mobilnummer 1",
        Msg::Phone2Label => "Mobilnummer 2 (valgfritt)",
        Msg::PhonesHelp => "Bare sifre, for eksempel 0701234567. La et felt stå tomt for å fjerne et nummer.",
        Msg::ConfirmPassword => "Passordet ditt, for å bekrefte endringen",
        Msg::SaveButton => "Lagre",
        Msg::PhonesSaved => "Numrene dine er lagret.",
        Msg::PhonesOnlyInternal => "Av hensyn til sikkerheten din kan numrene bare endres fra kommunens nettverk (for eksempel på jobb-PC-en).",
        Msg::PhonesPasswordWrong => "Passordet er ikke riktig. Ingenting ble endret.",
        Msg::PhoneInvalid => "«{input}» er ikke et mobilnummer vi kan bruke: {reason}.",
        Msg::PhonesTooMany => "Du kan registrere høyst to nummer.",
        Msg::PhonesChangedSubject => "Numrene dine for innloggingskoder er endret",
        Msg::PhonesChangedBody => "Mobilnumrene for innloggingskodene dine ble endret {time}. Hvis det ikke var du som gjorde dette, kontakt IT-brukerstøtten med en gang.",
        Msg::PhonesChangedSms => "Numrene dine for innloggingskoder er endret. Hvis det ikke var deg, kontakt IT-brukerstøtten.",
        Msg::PhoneReasonDigits => "bruk bare sifre, for eksempel 0701234567",
        Msg::PhoneReasonLength => "det har for få eller for mange sifre",
        Msg::PhoneReasonCountry => "nummer i det landet kan ikke motta koder",
        Msg::DirectoryDown => "Vi kan ikke sjekke passordet ditt akkurat nå fordi katalogtjenesten ikke svarer. Prøv igjen om noen minutter. Forsøket telles ikke som feil passord.",
        Msg::PasswordMustChange => "Passordet er riktig, men du må bytte det før du kan logge inn.",
        Msg::PasswordChangeLink => "Bytt passord",
        Msg::AccountDisabled => "Kontoen din er deaktivert eller utløpt. Kontakt IT-brukerstøtte.",
        Msg::AccountLocked => "Kontoen din er låst etter for mange feil passord. Prøv igjen senere eller kontakt IT-brukerstøtte.",
    }
}

/// Norwegian nynorsk wording.
fn nn(msg: Msg) -> &'static str {
    match msg {
        Msg::LoginTitle => "Logg inn",
        Msg::LoginIntro => "Logg inn med brukarnamnet og passordet ditt i kommunen – dei same som du brukar på jobb-PC-en.",
        Msg::Username => "Brukarnamn",
        Msg::Password => "Passord",
        Msg::Realm => "Brukargruppe",
        Msg::RealmHelp => "Vel gruppa du høyrer til. Rektorar, helsesjukepleiarar og assistentar vel den administrative gruppa.",
        Msg::LoginButton => "Logg inn",
        Msg::LoginFailed => "Brukarnamnet eller passordet er feil. Sjekk begge og prøv igjen.",
        Msg::PasswordHelp => "Har du gløymt passordet?",
        Msg::PortalTitle => "Tenestene dine",
        Msg::PortalIntro => "Du er logga inn som {name}. Dette er tenestene du kan bruke no:",
        Msg::PortalEmpty => "Ingen tenester er opne for deg akkurat no.",
        Msg::PortalOpen => "Opne",
        Msg::PortalNeedsStrongerLogin => "Krev sikrare innlogging",
        Msg::PortalStepUp => "Logg inn med eingongskode",
        Msg::PortalNotFromThisNetwork => "Ikkje tilgjengeleg frå nettverket du er på no",
        Msg::PortalClosedUntil => "Stengd til {time}",
        Msg::PortalNoAccess => "Du har ikkje tilgang til denne tenesta",
        Msg::PortalZone => "Du er kopla til frå: {zone}",
        Msg::ZoneInternal => "nettverket til kommunen",
        Msg::ZoneRemote => "utanfor nettverket til kommunen",
        Msg::Logout => "Logg ut",
        Msg::LoggedOutTitle => "Du er logga ut",
        Msg::LoggedOutBody => "Du er no logga ut. Om du brukar ei delt eller offentleg datamaskin, bør du òg lukke nettlesaren.",
        Msg::LoginAgain => "Logg inn igjen",
        Msg::SessionExpired => "Du vart logga ut fordi du ikkje har vore aktiv på meir enn {minutes} minutt. Logg inn igjen.",
        Msg::BackToPortal => "Tilbake til tenestene dine",
        Msg::ErrorTitle => "Noko gjekk gale",
        Msg::ForbiddenTitle => "Ingen tilgang",
        Msg::ForbiddenCsrf => "Skjemaet hadde gått ut på tid eller kom frå ei anna side. Gå tilbake, last inn sida på nytt og prøv igjen.",
        Msg::FormTypeBody => "Skjemaet må sendast frå sida i ein nettlesar (som application/x-www-form-urlencoded). Gå tilbake, last inn sida på nytt og prøv igjen.",
        Msg::ForbiddenPolicy => "Du har ikkje tilgang til {service} herifrå akkurat no.",
        Msg::NotFoundTitle => "Fann ikkje sida",
        Msg::NotFoundBody => "Det finst inga side på denne adressa. Sjekk adressa, eller gå til tenestene dine.",
        Msg::BadGatewayTitle => "Tenesta svarar ikkje",
        Msg::BadGatewayBody => "Vi får ikkje kontakt med {service} akkurat no. Dei andre tenestene dine verkar som vanleg. Prøv igjen om nokre minutt. Viss problemet held fram, kontakt IT-brukarstøtta.",
        Msg::TooLargeTitle => "Førespurnaden var for stor",
        Msg::TooLargeBody => "Det du sende, var større enn det som kan takast imot. Gå tilbake og prøv igjen med mindre innhald.",
        Msg::HeadersTooLargeBody => "Nettlesaren din sende for mykje data, ofte på grunn av gamle informasjonskapslar (cookies). Slett informasjonskapslane for denne nettstaden og prøv igjen.",
        Msg::BadRequestTitle => "Førespurnaden vart ikkje forstått",
        Msg::BadRequestBody => "Vi forstod ikkje førespurnaden. Gå tilbake og prøv igjen.",
        Msg::BadPathBody => "Adressa i førespurnaden har ei form som innloggingstenesta ikkje godtek ({reason}). Kontroller lenkja, eller skriv adressa på nytt.",
        Msg::TooManyAttemptsTitle => "For mange forsøk",
        Msg::TooManyAttemptsBody => "Det har vore for mange forsøk. Vent {seconds} sekund og prøv igjen.",
        Msg::InternalErrorBody => "Det oppstod ein feil i innloggingstenesta. Prøv igjen om litt. Viss problemet held fram, kontakt IT-brukarstøtta.",
        Msg::UnavailableTitle => "Mellombels utilgjengeleg",
        Msg::UnavailableBody => "Innloggingstenesta er mellombels utilgjengeleg. Innlogginga di er teken vare på; prøv igjen om eit minutt.",
        Msg::SkipToContent => "Hopp til innhaldet",
        Msg::AccountTitle => "Kontoen din",
        Msg::SignedInAs => "Logga inn som {name}",
        Msg::SecondFactorTitle => "Stadfest med ein eingongskode",
        Msg::ChooseChannel => "Kvar skal vi sende koden din?",
        Msg::ChannelSms => "SMS til {number}",
        Msg::ChannelEmail => "E-post til {address}",
        Msg::SendCode => "Send kode",
        Msg::CodeSentSms => "Vi har sendt ein kode på SMS til {number}. Koden gjeld i {minutes} minutt.",
        Msg::CodeSentEmail => "Vi har sendt ein kode på e-post til {address}. Koden gjeld i {minutes} minutt.",
        Msg::CodeLabel => "Eingongskode",
        Msg::CodeHelp => "Skriv inn koden slik han står. Det går fint med både store og små bokstavar, og mellomrom og bindestrekar speler inga rolle.",
        Msg::VerifyButton => "Stadfest",
        Msg::SendNewCode => "Send ein ny kode",
        Msg::UseOtherChannel => "Send koden på ein annan måte",
        Msg::CodeWrong => "Koden er ikkje rett. Du har {tries} forsøk att.",
        Msg::CodeExpired => "Koden har gått ut på tid. Send ein ny kode.",
        Msg::CodeTooManyTries => "Koden vart skriven feil for mange gonger. Send ein ny kode.",
        Msg::CodeNone => "Det er ikkje sendt nokon kode enno, eller koden er allereie brukt. Send ein ny kode.",
        Msg::SecondFactorLocked => "For mange feil kodar. Av omsyn til tryggleiken din er kodar sperra i {minutes} minutt.",
        Msg::NoChannels => "Du har ikkje registrert noko mobilnummer eller noka e-postadresse for kodar. Registrer mobilnummeret ditt under «Mine SMS-nummer» medan du er på nettverket til kommunen, eller logg inn med eID.",
        Msg::SendFailedSms => "Vi fekk ikkje sendt SMS-en akkurat no. Prøv e-post i staden, eller prøv igjen om nokre minutt.",
        Msg::SendFailedEmail => "Vi fekk ikkje sendt e-posten akkurat no. Prøv SMS i staden, eller prøv igjen om nokre minutt.",
        Msg::SendLimitCooldown => "Vi har nettopp sendt ein kode. Vent {seconds} sekund før du ber om ein ny.",
        Msg::SendLimitReached => "Det er bede om for mange kodar. Prøv igjen om {minutes} minutt.",
        Msg::SendLimitCountry => "Vi kan ikkje sende kodar til nummer i dette landet. Bruk e-post eller eID.",
        Msg::CodeSmsText => "Innloggingskoden din: {code}. Gjeld i {minutes} min. Del aldri koden med nokon.",
        Msg::CodeEmailSubject => "Innloggingskoden din",
        Msg::CodeEmailBody => "Eingongskoden din er: {code}\n\nKoden gjeld i {minutes} minutt og kan berre brukast éin gong.\n\nViss det ikkje var du som prøvde å logge inn, kan nokon kjenne passordet ditt. Byt passord og kontakt IT-brukarstøtta.",
        Msg::PhonesTitle => "Mine SMS-nummer",
        Msg::PhonesIntro => "Når du loggar inn utanfor nettverket til kommunen, sender vi kodar til desse numra. Du kan registrere høgst to.",
        Msg::PhonesCurrent => "Registrert no:",
        Msg::PhonesNone => "Ingen nummer er registrerte.",
        Msg::Phone1Label => "Mobilnummer 1",
        Msg::Phone2Label => "Mobilnummer 2 (valfritt)",
        Msg::PhonesHelp => "Berre siffer, til dømes 0701234567. La eit felt stå tomt for å fjerne eit nummer.",
        Msg::ConfirmPassword => "Passordet ditt, for å stadfeste endringa",
        Msg::SaveButton => "Lagre",
        Msg::PhonesSaved => "Numra dine er lagra.",
        Msg::PhonesOnlyInternal => "Av omsyn til tryggleiken din kan numra berre endrast frå nettverket til kommunen (til dømes på jobb-PC-en).",
        Msg::PhonesPasswordWrong => "Passordet er ikkje rett. Ingenting vart endra.",
        Msg::PhoneInvalid => "«{input}» er ikkje eit mobilnummer vi kan bruke: {reason}.",
        Msg::PhonesTooMany => "Du kan registrere høgst to nummer.",
        Msg::PhonesChangedSubject => "Numra dine for innloggingskodar er endra",
        Msg::PhonesChangedBody => "Mobilnumra for innloggingskodane dine vart endra {time}. Viss det ikkje var du som gjorde dette, kontakt IT-brukarstøtta med ein gong.",
        Msg::PhonesChangedSms => "Numra dine for innloggingskodar er endra. Viss det ikkje var deg, kontakt IT-brukarstøtta.",
        Msg::PhoneReasonDigits => "bruk berre siffer, til dømes 0701234567",
        Msg::PhoneReasonLength => "det har for få eller for mange siffer",
        Msg::PhoneReasonCountry => "nummer i det landet kan ikkje ta imot kodar",
        Msg::DirectoryDown => "Vi kan ikkje sjekke passordet ditt akkurat no fordi katalogtenesta ikkje svarar. Prøv igjen om nokre minutt. Forsøket vert ikkje rekna som feil passord.",
        Msg::PasswordMustChange => "Passordet er rett, men du må byte det før du kan logge inn.",
        Msg::PasswordChangeLink => "Byt passord",
        Msg::AccountDisabled => "Kontoen din er deaktivert eller utgått. Kontakt IT-brukarstøtta.",
        Msg::AccountLocked => "Kontoen din er låst etter for mange feil passord. Prøv igjen seinare eller kontakt IT-brukarstøtta.",
    }
}

/// Danish wording.
fn da(msg: Msg) -> &'static str {
    match msg {
        Msg::LoginTitle => "Log ind",
        Msg::LoginIntro => "Log ind med dit brugernavn og din adgangskode fra kommunen – de samme, som du bruger på din arbejds-pc.",
        Msg::Username => "Brugernavn",
        Msg::Password => "Adgangskode",
        Msg::Realm => "Brugergruppe",
        Msg::RealmHelp => "Vælg den gruppe, du hører til. Skoleledere, sundhedsplejersker og assistenter vælger den administrative gruppe.",
        Msg::LoginButton => "Log ind",
        Msg::LoginFailed => "Brugernavnet eller adgangskoden er forkert. Tjek begge dele, og prøv igen.",
        Msg::PasswordHelp => "Har du glemt din adgangskode?",
        Msg::PortalTitle => "Dine tjenester",
        Msg::PortalIntro => "Du er logget ind som {name}. Her er de tjenester, du kan bruge nu:",
        Msg::PortalEmpty => "Der er ingen tjenester, du kan bruge lige nu.",
        Msg::PortalOpen => "Åbn",
        Msg::PortalNeedsStrongerLogin => "Kræver et mere sikkert login",
        Msg::PortalStepUp => "Log ind med engangskode",
        Msg::PortalNotFromThisNetwork => "Ikke tilgængelig fra det netværk, du er på nu",
        Msg::PortalClosedUntil => "Lukket indtil {time}",
        Msg::PortalNoAccess => "Du har ikke adgang til denne tjeneste",
        Msg::PortalZone => "Du er forbundet fra: {zone}",
        Msg::ZoneInternal => "kommunens netværk",
        Msg::ZoneRemote => "uden for kommunens netværk",
        Msg::Logout => "Log ud",
        Msg::LoggedOutTitle => "Du er logget ud",
        Msg::LoggedOutBody => "Du er nu logget ud. Hvis du sidder ved en delt eller offentlig computer, så luk også browseren.",
        Msg::LoginAgain => "Log ind igen",
        Msg::SessionExpired => "Du blev logget ud, fordi du ikke har været aktiv i mere end {minutes} minutter. Log ind igen.",
        Msg::BackToPortal => "Tilbage til dine tjenester",
        Msg::ErrorTitle => "Der gik noget galt",
        Msg::ForbiddenTitle => "Adgang nægtet",
        Msg::ForbiddenCsrf => "Formularen var udløbet eller kom fra en anden side. Gå tilbage, genindlæs siden, og prøv igen.",
        Msg::FormTypeBody => "Formularen skal sendes fra siden i en browser (som application/x-www-form-urlencoded). Gå tilbage, genindlæs siden, og prøv igen.",
        Msg::ForbiddenPolicy => "Du har ikke adgang til {service} herfra lige nu.",
        Msg::NotFoundTitle => "Siden blev ikke fundet",
        Msg::NotFoundBody => "Der er ingen side på denne adresse. Tjek adressen, eller gå til dine tjenester.",
        Msg::BadGatewayTitle => "Tjenesten svarer ikke",
        Msg::BadGatewayBody => "Vi kan ikke få forbindelse til {service} lige nu. Dine andre tjenester virker som normalt. Prøv igen om et par minutter. Hvis problemet fortsætter, så kontakt IT-supporten.",
        Msg::TooLargeTitle => "Forespørgslen var for stor",
        Msg::TooLargeBody => "Det, du sendte, var større, end der kan modtages. Gå tilbage, og prøv igen med mindre indhold.",
        Msg::HeadersTooLargeBody => "Din browser sendte for meget data, ofte på grund af gamle cookies. Ryd cookies for denne hjemmeside, og prøv igen.",
        Msg::BadRequestTitle => "Forespørgslen kunne ikke forstås",
        Msg::BadRequestBody => "Vi kunne ikke forstå forespørgslen. Gå tilbage, og prøv igen.",
        Msg::BadPathBody => "Adressen i forespørgslen har en form, som login-tjenesten ikke accepterer ({reason}). Kontrollér linket, eller skriv adressen igen.",
        Msg::TooManyAttemptsTitle => "For mange forsøg",
        Msg::TooManyAttemptsBody => "Der har været for mange forsøg. Vent {seconds} sekunder, og prøv igen.",
        Msg::InternalErrorBody => "Der opstod en fejl i login-tjenesten. Prøv igen om lidt. Hvis problemet fortsætter, så kontakt IT-supporten.",
        Msg::UnavailableTitle => "Midlertidigt utilgængelig",
        Msg::UnavailableBody => "Login-tjenesten er midlertidigt utilgængelig. Dit login er bevaret; prøv igen om et minut.",
        Msg::SkipToContent => "Spring til indholdet",
        Msg::AccountTitle => "Din konto",
        Msg::SignedInAs => "Logget ind som {name}",
        Msg::SecondFactorTitle => "Bekræft med en engangskode",
        Msg::ChooseChannel => "Hvor skal vi sende din kode hen?",
        Msg::ChannelSms => "Sms til {number}",
        Msg::ChannelEmail => "E-mail til {address}",
        Msg::SendCode => "Send kode",
        Msg::CodeSentSms => "Vi har sendt en kode på sms til {number}. Koden gælder i {minutes} minutter.",
        Msg::CodeSentEmail => "Vi har sendt en kode på e-mail til {address}. Koden gælder i {minutes} minutter.",
        Msg::CodeLabel => "Engangskode",
        Msg::CodeHelp => "Skriv koden, som den står. Både store og små bogstaver virker, og mellemrum og bindestreger er ligegyldige.",
        Msg::VerifyButton => "Bekræft",
        Msg::SendNewCode => "Send en ny kode",
        Msg::UseOtherChannel => "Send koden på en anden måde",
        Msg::CodeWrong => "Koden er ikke rigtig. Du har {tries} forsøg tilbage.",
        Msg::CodeExpired => "Koden er udløbet. Send en ny kode.",
        Msg::CodeTooManyTries => "Koden blev skrevet forkert for mange gange. Send en ny kode.",
        Msg::CodeNone => "Der er ikke sendt nogen kode endnu, eller også er koden allerede brugt. Send en ny kode.",
        Msg::SecondFactorLocked => "For mange forkerte koder. Af hensyn til din sikkerhed er koder spærret i {minutes} minutter.",
        Msg::NoChannels => "Du har ikke registreret et mobilnummer eller en e-mailadresse til koder. Registrer dit mobilnummer under »Mine sms-numre«, mens du er på kommunens netværk, eller log ind med eID.",
        Msg::SendFailedSms => "Sms'en kunne ikke sendes lige nu. Prøv e-mail i stedet, eller prøv igen om et par minutter.",
        Msg::SendFailedEmail => "E-mailen kunne ikke sendes lige nu. Prøv sms i stedet, eller prøv igen om et par minutter.",
        Msg::SendLimitCooldown => "Vi har lige sendt en kode. Vent {seconds} sekunder, før du beder om en ny.",
        Msg::SendLimitReached => "Der er bedt om for mange koder. Prøv igen om {minutes} minutter.",
        Msg::SendLimitCountry => "Vi kan ikke sende koder til numre i dette land. Brug e-mail eller eID.",
        Msg::CodeSmsText => "Din loginkode: {code}. Gælder i {minutes} min. Del aldrig koden med nogen.",
        Msg::CodeEmailSubject => "Din loginkode",
        Msg::CodeEmailBody => "Din engangskode er: {code}\n\nKoden gælder i {minutes} minutter og kan kun bruges én gang.\n\nHvis det ikke var dig, der prøvede at logge ind, kender en anden måske din adgangskode. Skift adgangskoden, og kontakt IT-supporten.",
        Msg::PhonesTitle => "Mine sms-numre",
        Msg::PhonesIntro => "Når du logger ind uden for kommunens netværk, sender vi koder til disse numre. Du kan registrere højst to.",
        Msg::PhonesCurrent => "Registreret nu:",
        Msg::PhonesNone => "Ingen numre er registreret.",
        Msg::Phone1Label => "Mobilnummer 1",
        Msg::Phone2Label => "Mobilnummer 2 (valgfrit)",
        Msg::PhonesHelp => "Kun cifre, for eksempel 0701234567. Lad et felt stå tomt for at fjerne et nummer.",
        Msg::ConfirmPassword => "Din adgangskode, for at bekræfte ændringen",
        Msg::SaveButton => "Gem",
        Msg::PhonesSaved => "Dine numre er gemt.",
        Msg::PhonesOnlyInternal => "Af hensyn til din sikkerhed kan numrene kun ændres fra kommunens netværk (for eksempel på din arbejds-pc).",
        Msg::PhonesPasswordWrong => "Adgangskoden er ikke rigtig. Der blev ikke ændret noget.",
        Msg::PhoneInvalid => "»{input}« er ikke et mobilnummer, vi kan bruge: {reason}.",
        Msg::PhonesTooMany => "Du kan registrere højst to numre.",
        Msg::PhonesChangedSubject => "Dine numre til loginkoder er blevet ændret",
        Msg::PhonesChangedBody => "Mobilnumrene til dine loginkoder blev ændret {time}. Hvis det ikke var dig, der gjorde det, så kontakt IT-supporten med det samme.",
        Msg::PhonesChangedSms => "Dine numre til loginkoder er blevet ændret. Hvis det ikke var dig, så kontakt IT-supporten.",
        Msg::PhoneReasonDigits => "brug kun cifre, for eksempel 0701234567",
        Msg::PhoneReasonLength => "det har for få eller for mange cifre",
        Msg::PhoneReasonCountry => "numre i det land kan ikke modtage koder",
        Msg::DirectoryDown => "Vi kan ikke kontrollere din adgangskode lige nu, fordi katalogtjenesten ikke svarer. Prøv igen om et par minutter. Forsøget tæller ikke som en forkert adgangskode.",
        Msg::PasswordMustChange => "Adgangskoden er rigtig, men du skal skifte den, før du kan logge ind.",
        Msg::PasswordChangeLink => "Skift adgangskode",
        Msg::AccountDisabled => "Din konto er deaktiveret eller udløbet. Kontakt IT-supporten.",
        Msg::AccountLocked => "Din konto er låst efter for mange forkerte adgangskoder. Prøv igen senere, eller kontakt IT-supporten.",
    }
}

/// English wording.
fn en(msg: Msg) -> &'static str {
    match msg {
        Msg::LoginTitle => "Log in",
        Msg::LoginIntro => "Log in with your municipal username and password — the same ones you use on your work PC.",
        Msg::Username => "Username",
        Msg::Password => "Password",
        Msg::Realm => "User group",
        Msg::RealmHelp => "Choose the group you belong to. Heads of schools, school nurses and assistants choose the administrative group.",
        Msg::LoginButton => "Log in",
        Msg::LoginFailed => "The username or password is wrong. Check both and try again.",
        Msg::PasswordHelp => "Forgotten your password?",
        Msg::PortalTitle => "Your services",
        Msg::PortalIntro => "You are logged in as {name}. These are the services you can use now:",
        Msg::PortalEmpty => "No services are open to you right now.",
        Msg::PortalOpen => "Open",
        Msg::PortalNeedsStrongerLogin => "Needs a stronger login",
        Msg::PortalStepUp => "Log in with a one-time code",
        Msg::PortalNotFromThisNetwork => "Not available from the network you are on now",
        Msg::PortalClosedUntil => "Closed until {time}",
        Msg::PortalNoAccess => "You do not have access to this service",
        Msg::PortalZone => "You are connected from: {zone}",
        Msg::ZoneInternal => "the municipality's network",
        Msg::ZoneRemote => "outside the municipality's network",
        Msg::Logout => "Log out",
        Msg::LoggedOutTitle => "You are logged out",
        Msg::LoggedOutBody => "You have been logged out. If you are on a shared or public computer, close the browser as well.",
        Msg::LoginAgain => "Log in again",
        Msg::SessionExpired => "You were logged out because you were inactive for more than {minutes} minutes. Please log in again.",
        Msg::BackToPortal => "Back to your services",
        Msg::ErrorTitle => "Something went wrong",
        Msg::ForbiddenTitle => "Access denied",
        Msg::ForbiddenCsrf => "The form had expired or came from another page. Go back, reload the page and try again.",
        Msg::FormTypeBody => "The form must be sent from the page in a browser (as application/x-www-form-urlencoded). Go back, reload the page and try again.",
        Msg::ForbiddenPolicy => "You do not have access to {service} from here right now.",
        Msg::NotFoundTitle => "Page not found",
        Msg::NotFoundBody => "There is no page at this address. Check the address, or go to your services.",
        Msg::BadGatewayTitle => "The service is not answering",
        Msg::BadGatewayBody => "{service} could not be reached just now. Your other services still work. Try again in a few minutes; if the problem continues, contact the service desk.",
        Msg::TooLargeTitle => "The request was too large",
        Msg::TooLargeBody => "What was sent was larger than the gateway accepts. Go back and try again with less content.",
        Msg::HeadersTooLargeBody => "Your browser sent too much data with the request, often because of old cookies. Clear the cookies for this site and try again.",
        Msg::BadRequestTitle => "The request could not be understood",
        Msg::BadRequestBody => "The gateway could not understand the request. Go back and try again.",
        Msg::BadPathBody => "The address in this request is in a form the gateway does not accept ({reason}). Check the link, or type the address again.",
        Msg::TooManyAttemptsTitle => "Too many attempts",
        Msg::TooManyAttemptsBody => "There have been too many attempts. Wait {seconds} seconds and try again.",
        Msg::InternalErrorBody => "An error occurred in the gateway. Try again in a moment; if the problem continues, contact the service desk.",
        Msg::UnavailableTitle => "Temporarily unavailable",
        Msg::UnavailableBody => "The login service is temporarily unavailable. Your session is kept; try again in a minute.",
        Msg::SkipToContent => "Skip to content",
        Msg::AccountTitle => "Your account",
        Msg::SignedInAs => "Logged in as {name}",
        Msg::SecondFactorTitle => "Confirm with a one-time code",
        Msg::ChooseChannel => "Where should we send your code?",
        Msg::ChannelSms => "SMS to {number}",
        Msg::ChannelEmail => "E-mail to {address}",
        Msg::SendCode => "Send code",
        Msg::CodeSentSms => "We sent a code by SMS to {number}. It is valid for {minutes} minutes.",
        Msg::CodeSentEmail => "We sent a code by e-mail to {address}. It is valid for {minutes} minutes.",
        Msg::CodeLabel => "One-time code",
        Msg::CodeHelp => "Type the code as it appears. Upper or lower case both work; spaces and dashes are ignored.",
        Msg::VerifyButton => "Confirm",
        Msg::SendNewCode => "Send a new code",
        Msg::UseOtherChannel => "Send the code another way",
        Msg::CodeWrong => "The code is not right. You have {tries} tries left.",
        Msg::CodeExpired => "The code has expired. Send a new code.",
        Msg::CodeTooManyTries => "The code was typed wrong too many times. Send a new code.",
        Msg::CodeNone => "No code has been sent yet, or it has already been used. Send a new code.",
        Msg::SecondFactorLocked => "Too many wrong codes. For your security, codes are blocked for {minutes} minutes.",
        Msg::NoChannels => "You have no mobile number or e-mail address registered for codes. Register your mobile number under “My SMS numbers” while you are on the municipality's network, or log in with eID.",
        Msg::SendFailedSms => "The SMS could not be sent just now. Try e-mail instead, or try again in a few minutes.",
        Msg::SendFailedEmail => "The e-mail could not be sent just now. Try SMS instead, or try again in a few minutes.",
        Msg::SendLimitCooldown => "A code was just sent. Wait {seconds} seconds before asking for another.",
        Msg::SendLimitReached => "Too many codes have been requested. Try again in {minutes} minutes.",
        Msg::SendLimitCountry => "Codes cannot be sent to numbers in this country. Use e-mail or eID.",
        Msg::CodeSmsText => "Your login code: {code}. Valid for {minutes} min. Never share it with anyone.",
        Msg::CodeEmailSubject => "Your login code",
        Msg::CodeEmailBody => "Your one-time code is: {code}\n\nIt is valid for {minutes} minutes and can be used once.\n\nIf you did not try to log in, someone may know your password: change it and contact the service desk.",
        Msg::PhonesTitle => "My SMS numbers",
        Msg::PhonesIntro => "Codes for logging in from outside the municipality's network are sent to these numbers. You can register at most two.",
        Msg::PhonesCurrent => "Registered now:",
        Msg::PhonesNone => "No numbers registered.",
        Msg::Phone1Label => "Mobile number 1",
        Msg::Phone2Label => "Mobile number 2 (optional)",
        Msg::PhonesHelp => "Digits only, for example 0701234567. Leave a field empty to remove a number.",
        Msg::ConfirmPassword => "Your password, to confirm the change",
        Msg::SaveButton => "Save",
        Msg::PhonesSaved => "Your numbers were saved.",
        Msg::PhonesOnlyInternal => "For your security, numbers can only be changed from the municipality's network (for example on your work PC).",
        Msg::PhonesPasswordWrong => "The password is not right. Nothing was changed.",
        Msg::PhoneInvalid => "“{input}” is not a mobile number we can use: {reason}.",
        Msg::PhonesTooMany => "You can register at most two numbers.",
        Msg::PhonesChangedSubject => "Your numbers for login codes were changed",
        Msg::PhonesChangedBody => "The mobile numbers for your login codes were changed on {time}. If you did not do this, contact the service desk at once.",
        Msg::PhonesChangedSms => "Your numbers for login codes were changed. If this was not you, contact the service desk.",
        Msg::PhoneReasonDigits => "use digits only, like 0701234567",
        Msg::PhoneReasonLength => "it has too few or too many digits",
        Msg::PhoneReasonCountry => "numbers in that country cannot receive codes",
        Msg::DirectoryDown => "We cannot check your password right now because the user directory is not answering. Please try again in a few minutes. This attempt does not count as a wrong password.",
        Msg::PasswordMustChange => "Your password is correct, but it must be changed before you can log in.",
        Msg::PasswordChangeLink => "Change your password",
        Msg::AccountDisabled => "Your account is disabled or has expired. Contact IT support.",
        Msg::AccountLocked => "Your account is locked after too many wrong passwords. Try again later or contact IT support.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every message variant; keep in step with `Msg` when adding one.
    const ALL_MSGS: &[Msg] = &[
        Msg::FormTypeBody,
        Msg::LoginTitle,
        Msg::LoginIntro,
        Msg::Username,
        Msg::Password,
        Msg::Realm,
        Msg::RealmHelp,
        Msg::LoginButton,
        Msg::LoginFailed,
        Msg::PasswordHelp,
        Msg::PortalTitle,
        Msg::PortalIntro,
        Msg::PortalEmpty,
        Msg::PortalOpen,
        Msg::PortalNeedsStrongerLogin,
        Msg::PortalStepUp,
        Msg::PortalNotFromThisNetwork,
        Msg::PortalClosedUntil,
        Msg::PortalNoAccess,
        Msg::PortalZone,
        Msg::ZoneInternal,
        Msg::ZoneRemote,
        Msg::Logout,
        Msg::LoggedOutTitle,
        Msg::LoggedOutBody,
        Msg::LoginAgain,
        Msg::SessionExpired,
        Msg::BackToPortal,
        Msg::ErrorTitle,
        Msg::ForbiddenTitle,
        Msg::ForbiddenCsrf,
        Msg::ForbiddenPolicy,
        Msg::NotFoundTitle,
        Msg::NotFoundBody,
        Msg::BadGatewayTitle,
        Msg::BadGatewayBody,
        Msg::TooLargeTitle,
        Msg::TooLargeBody,
        Msg::HeadersTooLargeBody,
        Msg::BadRequestTitle,
        Msg::BadRequestBody,
        Msg::BadPathBody,
        Msg::TooManyAttemptsTitle,
        Msg::TooManyAttemptsBody,
        Msg::InternalErrorBody,
        Msg::UnavailableTitle,
        Msg::UnavailableBody,
        Msg::SkipToContent,
        Msg::AccountTitle,
        Msg::SignedInAs,
        Msg::SecondFactorTitle,
        Msg::ChooseChannel,
        Msg::ChannelSms,
        Msg::ChannelEmail,
        Msg::SendCode,
        Msg::CodeSentSms,
        Msg::CodeSentEmail,
        Msg::CodeLabel,
        Msg::CodeHelp,
        Msg::VerifyButton,
        Msg::SendNewCode,
        Msg::UseOtherChannel,
        Msg::CodeWrong,
        Msg::CodeExpired,
        Msg::CodeTooManyTries,
        Msg::CodeNone,
        Msg::SecondFactorLocked,
        Msg::NoChannels,
        Msg::SendFailedSms,
        Msg::SendFailedEmail,
        Msg::SendLimitCooldown,
        Msg::SendLimitReached,
        Msg::SendLimitCountry,
        Msg::CodeSmsText,
        Msg::CodeEmailSubject,
        Msg::CodeEmailBody,
        Msg::PhonesTitle,
        Msg::PhonesIntro,
        Msg::PhonesCurrent,
        Msg::PhonesNone,
        Msg::Phone1Label,
        Msg::Phone2Label,
        Msg::PhonesHelp,
        Msg::ConfirmPassword,
        Msg::SaveButton,
        Msg::PhonesSaved,
        Msg::PhonesOnlyInternal,
        Msg::PhonesPasswordWrong,
        Msg::PhoneInvalid,
        Msg::PhonesTooMany,
        Msg::PhonesChangedSubject,
        Msg::PhonesChangedBody,
        Msg::PhonesChangedSms,
        Msg::PhoneReasonDigits,
        Msg::PhoneReasonLength,
        Msg::PhoneReasonCountry,
        Msg::DirectoryDown,
        Msg::PasswordMustChange,
        Msg::PasswordChangeLink,
        Msg::AccountDisabled,
        Msg::AccountLocked,
    ];

    /// Placeholders such as `{name}` found in a text, in order.
    fn placeholders(text: &str) -> Vec<&str> {
        let mut found = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            let after = &rest[start..];
            match after.find('}') {
                Some(end) => {
                    found.push(&after[..=end]);
                    rest = &after[end + 1..];
                }
                None => break,
            }
        }
        found.sort_unstable();
        found
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

    /// Every message is non-empty in every language and keeps exactly the English placeholders.
    #[test]
    fn every_message_is_complete_with_placeholders() {
        for &msg in ALL_MSGS {
            let english = placeholders(msg.text(Lang::En));
            for lang in Lang::ALL {
                let text = msg.text(lang);
                assert!(!text.trim().is_empty(), "{msg:?} is empty in {lang:?}");
                assert_eq!(placeholders(text), english, "{msg:?} in {lang:?} has different placeholders from English");
            }
        }
    }

    /// The message list used by the tests has no duplicates, so each variant is checked once.
    #[test]
    fn message_list_has_no_duplicates() {
        for (i, a) in ALL_MSGS.iter().enumerate() {
            for b in &ALL_MSGS[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
