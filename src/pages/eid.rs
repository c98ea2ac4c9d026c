//! eID pages and texts: the login buttons, linking by a code to the municipal e-mail, the account page's eID part,
//! and the pages that explain why an eID login did not go through.

use super::{fill, hidden, layout, Lang, Msg, PageCtx};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

/// eID strings, in every page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EidMsg {
    /// Heading above the eID buttons on the login page.
    LoginSection,
    /// Button label; uses `{provider}`.
    LoginWith,
    /// Title of the link page.
    LinkTitle,
    /// Explains linking.
    LinkIntro,
    /// E-mail field label.
    EmailLabel,
    /// Send button.
    SendCode,
    /// Code sent; uses `{email}` and `{minutes}`.
    CodeSent,
    /// Code field label.
    CodeLabel,
    /// Link button.
    LinkButton,
    /// Private or foreign domain; uses `{domain}`.
    PrivateDomain,
    /// Not an e-mail address.
    NotAnEmail,
    /// No account with that address; uses `{email}`.
    NoAccount,
    /// The account already has an eID linked.
    AlreadyLinked,
    /// Title: linking only from work.
    LinkOnlyAtWorkTitle,
    /// Body: linking only from work.
    LinkOnlyAtWorkBody,
    /// The link step expired.
    LinkExpired,
    /// Title of eID failure pages.
    FailedTitle,
    /// Flow missing, used or from another browser.
    FlowMissing,
    /// The user cancelled at the provider.
    Cancelled,
    /// The provider returned an error; uses `{error}`.
    ProviderError,
    /// The provider can't be reached.
    Unavailable,
    /// The answer could not be verified.
    Invalid,
    /// The login's level was too low.
    AcrTooLow,
    /// The linked account no longer exists.
    AccountGone,
    /// Account page heading.
    AccountTitle,
    /// Linked; uses `{provider}`, `{person}`, `{date}`.
    AccountLinked,
    /// Nothing linked.
    AccountNone,
    /// Unlink explanation.
    UnlinkIntro,
    /// Unlink button.
    UnlinkButton,
    /// Unlinked notice.
    Unlinked,
    /// Wrong password at unlink.
    UnlinkPasswordWrong,
    /// Subject of the code e-mail.
    CodeSubject,
    /// Body of the code e-mail; uses `{code}` and `{minutes}`.
    CodeBody,
    /// Subject of the "linked" notice.
    LinkedSubject,
    /// Body of the "linked" notice; uses `{provider}` and `{time}`.
    LinkedBody,
    /// Subject of the "unlinked" notice.
    UnlinkedSubject,
    /// Body of the "unlinked" notice; uses `{provider}` and `{time}`.
    UnlinkedBody,
}

impl EidMsg {
    /// The text in `lang`.
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

fn en(m: EidMsg) -> &'static str {
    use EidMsg::*;
    match m {
        LoginSection => "Or log in with eID",
        LoginWith => "Log in with {provider}",
        LinkTitle => "Link your eID to your account",
        LinkIntro => "This is your first eID login here. Type your work e-mail address: we send a code there, and when you enter it your eID is linked to your account. After that, eID login works from anywhere.",
        EmailLabel => "Work e-mail address",
        SendCode => "Send code",
        CodeSent => "We sent a code to {email}. It is valid for {minutes} minutes.",
        CodeLabel => "Code from the e-mail",
        LinkButton => "Link and log in",
        PrivateDomain => "{domain} is not one of the municipality's e-mail domains. Use your work address: a private address could give you someone else's access.",
        NotAnEmail => "That is not an e-mail address. Type your whole work address, for example name@municipality.no.",
        NoAccount => "No account has the address {email}. Check the spelling, or use the address shown in your work e-mail program.",
        AlreadyLinked => "This account already has an eID linked. If that link is wrong, log in with your password, unlink it on the account page, and link again.",
        LinkOnlyAtWorkTitle => "First eID login must be made at work",
        LinkOnlyAtWorkBody => "Your eID is not linked to an account yet. Linking needs your work e-mail, so the first eID login must be made on the municipality's network (for example on your work computer). After that, eID login works from anywhere. Until then, log in with username, password and a code.",
        LinkExpired => "The link step took too long or was already finished. Start the eID login again.",
        FailedTitle => "The eID login did not go through",
        FlowMissing => "The eID login took too long, was already used, or was started in another browser. Start again from the login page.",
        Cancelled => "The eID login was cancelled. You can start it again, or log in with your username and password.",
        ProviderError => "The eID service answered with an error ({error}). Try again in a moment.",
        Unavailable => "The eID service can't be reached right now. Try again in a few minutes, or log in with username, password and a code.",
        Invalid => "The answer from the eID service could not be verified, so you have not been logged in. Start again; if it happens again, contact IT support.",
        AcrTooLow => "Your eID login had a lower security level than this portal requires. Log in again with a stronger eID (for example BankID).",
        AccountGone => "Your eID is linked to an account that no longer exists. Contact IT support to have the link removed.",
        AccountTitle => "eID",
        AccountLinked => "Your account is linked to an eID at {provider} (person {person}) since {date}.",
        AccountNone => "No eID is linked. Log in with eID on the municipality's network to link one.",
        UnlinkIntro => "If this is not your eID, unlink it. Confirm with your password. Then log out, close the browser, and link again with the right e-mail address.",
        UnlinkButton => "Unlink eID",
        Unlinked => "Your eID is no longer linked. Log out and close the browser before you link again.",
        UnlinkPasswordWrong => "The password is wrong. The eID is still linked.",
        CodeSubject => "Your code for linking eID",
        CodeBody => "Your code is {code}. It is valid for {minutes} minutes.\n\nIf you did not try to link an eID to your account, ignore this e-mail and tell IT support.",
        LinkedSubject => "An eID was linked to your account",
        LinkedBody => "An eID at {provider} was linked to your account {time}. From now on it can be used to log in from anywhere.\n\nIf it wasn't you, contact IT support right away.",
        UnlinkedSubject => "The eID link to your account was removed",
        UnlinkedBody => "The eID at {provider} was unlinked from your account {time}.\n\nIf it wasn't you, contact IT support right away.",
    }
}

fn sv(m: EidMsg) -> &'static str {
    use EidMsg::*;
    match m {
        LoginSection => "Eller logga in med e-legitimation",
        LoginWith => "Logga in med {provider}",
        LinkTitle => "Koppla din e-legitimation till ditt konto",
        LinkIntro => "Det här är din första inloggning med e-legitimation här. Skriv din e-postadress i jobbet: vi skickar en kod dit, och när du anger den kopplas din e-legitimation till ditt konto. Därefter fungerar inloggning med e-legitimation varifrån som helst.",
        EmailLabel => "E-postadress i jobbet",
        SendCode => "Skicka kod",
        CodeSent => "Vi har skickat en kod till {email}. Den gäller i {minutes} minuter.",
        CodeLabel => "Koden från e-postmeddelandet",
        LinkButton => "Koppla och logga in",
        PrivateDomain => "{domain} är inte en av kommunens e-postdomäner. Använd din adress i jobbet: en privat adress kan ge dig någon annans behörigheter.",
        NotAnEmail => "Det är inte en e-postadress. Skriv hela adressen i jobbet, till exempel namn@kommun.se.",
        NoAccount => "Inget konto har adressen {email}. Kontrollera stavningen, eller använd adressen som syns i ditt e-postprogram i jobbet.",
        AlreadyLinked => "Det här kontot har redan en kopplad e-legitimation. Om kopplingen är fel: logga in med lösenord, ta bort kopplingen på kontosidan och koppla igen.",
        LinkOnlyAtWorkTitle => "Första inloggningen med e-legitimation måste göras på jobbet",
        LinkOnlyAtWorkBody => "Din e-legitimation är inte kopplad till något konto än. Kopplingen kräver din e-post i jobbet, så den första inloggningen med e-legitimation måste göras i kommunens nätverk (till exempel på din jobbdator). Därefter fungerar den varifrån som helst. Till dess loggar du in med användarnamn, lösenord och kod.",
        LinkExpired => "Kopplingen tog för lång tid eller är redan klar. Börja om inloggningen med e-legitimation.",
        FailedTitle => "Inloggningen med e-legitimation gick inte igenom",
        FlowMissing => "Inloggningen med e-legitimation tog för lång tid, har redan använts eller startades i en annan webbläsare. Börja om från inloggningssidan.",
        Cancelled => "Inloggningen med e-legitimation avbröts. Du kan börja om, eller logga in med användarnamn och lösenord.",
        ProviderError => "Tjänsten för e-legitimation svarade med ett fel ({error}). Försök igen om en stund.",
        Unavailable => "Tjänsten för e-legitimation går inte att nå just nu. Försök igen om några minuter, eller logga in med användarnamn, lösenord och kod.",
        Invalid => "Svaret från tjänsten för e-legitimation kunde inte kontrolleras, så du har inte loggats in. Börja om; händer det igen, kontakta IT-supporten.",
        AcrTooLow => "Din inloggning med e-legitimation hade lägre säkerhetsnivå än portalen kräver. Logga in igen med en starkare e-legitimation (till exempel BankID).",
        AccountGone => "Din e-legitimation är kopplad till ett konto som inte längre finns. Kontakta IT-supporten så tas kopplingen bort.",
        AccountTitle => "E-legitimation",
        AccountLinked => "Ditt konto är kopplat till en e-legitimation hos {provider} (person {person}) sedan {date}.",
        AccountNone => "Ingen e-legitimation är kopplad. Logga in med e-legitimation i kommunens nätverk för att koppla en.",
        UnlinkIntro => "Om det här inte är din e-legitimation, ta bort kopplingen. Bekräfta med ditt lösenord. Logga sedan ut, stäng webbläsaren och koppla igen med rätt e-postadress.",
        UnlinkButton => "Ta bort kopplingen",
        Unlinked => "Din e-legitimation är inte längre kopplad. Logga ut och stäng webbläsaren innan du kopplar igen.",
        UnlinkPasswordWrong => "Lösenordet stämmer inte. E-legitimationen är fortfarande kopplad.",
        CodeSubject => "Din kod för att koppla e-legitimation",
        CodeBody => "Din kod är {code}. Den gäller i {minutes} minuter.\n\nOm du inte försökte koppla en e-legitimation till ditt konto, bortse från meddelandet och kontakta IT-supporten.",
        LinkedSubject => "En e-legitimation har kopplats till ditt konto",
        LinkedBody => "En e-legitimation hos {provider} kopplades till ditt konto {time}. Från och med nu kan den användas för att logga in varifrån som helst.\n\nOm det inte var du, kontakta IT-supporten direkt.",
        UnlinkedSubject => "Kopplingen av e-legitimation till ditt konto har tagits bort",
        UnlinkedBody => "E-legitimationen hos {provider} kopplades bort från ditt konto {time}.\n\nOm det inte var du, kontakta IT-supporten direkt.",
    }
}

fn nb(m: EidMsg) -> &'static str {
    use EidMsg::*;
    match m {
        LoginSection => "Eller logg inn med eID",
        LoginWith => "Logg inn med {provider}",
        LinkTitle => "Koble eID-en din til kontoen din",
        LinkIntro => "Dette er din første innlogging med eID her. Skriv jobb-e-postadressen din: vi sender en kode dit, og når du skriver den inn, blir eID-en koblet til kontoen din. Deretter virker innlogging med eID fra hvor som helst.",
        EmailLabel => "E-postadresse på jobb",
        SendCode => "Send kode",
        CodeSent => "Vi har sendt en kode til {email}. Den gjelder i {minutes} minutter.",
        CodeLabel => "Koden fra e-posten",
        LinkButton => "Koble og logg inn",
        PrivateDomain => "{domain} er ikke et av kommunens e-postdomener. Bruk jobbadressen din: en privat adresse kan gi deg noen andres tilganger.",
        NotAnEmail => "Det er ikke en e-postadresse. Skriv hele jobbadressen, for eksempel navn@kommune.no.",
        NoAccount => "Ingen konto har adressen {email}. Sjekk stavingen, eller bruk adressen som vises i e-postprogrammet ditt på jobb.",
        AlreadyLinked => "Denne kontoen har allerede en koblet eID. Hvis koblingen er feil: logg inn med passord, fjern koblingen på kontosiden og koble på nytt.",
        LinkOnlyAtWorkTitle => "Første innlogging med eID må gjøres på jobb",
        LinkOnlyAtWorkBody => "eID-en din er ikke koblet til noen konto ennå. Koblingen krever jobb-e-posten din, så første innlogging med eID må gjøres på kommunens nettverk (for eksempel på jobbdatamaskinen). Deretter virker den fra hvor som helst. Inntil da logger du inn med brukernavn, passord og kode.",
        LinkExpired => "Koblingen tok for lang tid eller er allerede fullført. Start innloggingen med eID på nytt.",
        FailedTitle => "Innloggingen med eID gikk ikke gjennom",
        FlowMissing => "Innloggingen med eID tok for lang tid, er allerede brukt, eller ble startet i en annen nettleser. Start på nytt fra innloggingssiden.",
        Cancelled => "Innloggingen med eID ble avbrutt. Du kan starte på nytt, eller logge inn med brukernavn og passord.",
        ProviderError => "eID-tjenesten svarte med en feil ({error}). Prøv igjen om litt.",
        Unavailable => "eID-tjenesten kan ikke nås akkurat nå. Prøv igjen om noen minutter, eller logg inn med brukernavn, passord og kode.",
        Invalid => "Svaret fra eID-tjenesten kunne ikke kontrolleres, så du er ikke logget inn. Start på nytt; skjer det igjen, kontakt IT-brukerstøtten.",
        AcrTooLow => "Innloggingen med eID hadde lavere sikkerhetsnivå enn portalen krever. Logg inn igjen med en sterkere eID (for eksempel BankID).",
        AccountGone => "eID-en din er koblet til en konto som ikke finnes lenger. Kontakt IT-brukerstøtten for å få fjernet koblingen.",
        AccountTitle => "eID",
        AccountLinked => "Kontoen din er koblet til en eID hos {provider} (person {person}) siden {date}.",
        AccountNone => "Ingen eID er koblet. Logg inn med eID på kommunens nettverk for å koble en.",
        UnlinkIntro => "Hvis dette ikke er din eID, fjern koblingen. Bekreft med passordet ditt. Logg deretter ut, lukk nettleseren og koble på nytt med riktig e-postadresse.",
        UnlinkButton => "Fjern koblingen",
        Unlinked => "eID-en din er ikke lenger koblet. Logg ut og lukk nettleseren før du kobler på nytt.",
        UnlinkPasswordWrong => "Passordet stemmer ikke. eID-en er fortsatt koblet.",
        CodeSubject => "Koden din for å koble eID",
        CodeBody => "Koden din er {code}. Den gjelder i {minutes} minutter.\n\nHvis du ikke prøvde å koble en eID til kontoen din, se bort fra denne e-posten og si fra til IT-brukerstøtten.",
        LinkedSubject => "En eID er koblet til kontoen din",
        LinkedBody => "En eID hos {provider} ble koblet til kontoen din {time}. Fra nå av kan den brukes til å logge inn fra hvor som helst.\n\nHvis det ikke var deg, kontakt IT-brukerstøtten med en gang.",
        UnlinkedSubject => "Koblingen av eID til kontoen din er fjernet",
        UnlinkedBody => "eID-en hos {provider} ble koblet fra kontoen din {time}.\n\nHvis det ikke var deg, kontakt IT-brukerstøtten med en gang.",
    }
}

fn nn(m: EidMsg) -> &'static str {
    use EidMsg::*;
    match m {
        LoginSection => "Eller logg inn med eID",
        LoginWith => "Logg inn med {provider}",
        LinkTitle => "Kople eID-en din til kontoen din",
        LinkIntro => "Dette er den første innlogginga di med eID her. Skriv e-postadressa di på jobb: vi sender ein kode dit, og når du skriv han inn, blir eID-en kopla til kontoen din. Deretter verkar innlogging med eID frå kvar som helst.",
        EmailLabel => "E-postadresse på jobb",
        SendCode => "Send kode",
        CodeSent => "Vi har sendt ein kode til {email}. Han gjeld i {minutes} minutt.",
        CodeLabel => "Koden frå e-posten",
        LinkButton => "Kople og logg inn",
        PrivateDomain => "{domain} er ikkje eit av e-postdomena til kommunen. Bruk jobbadressa di: ei privat adresse kan gi deg tilgangane til nokon andre.",
        NotAnEmail => "Det er ikkje ei e-postadresse. Skriv heile jobbadressa, til dømes namn@kommune.no.",
        NoAccount => "Ingen konto har adressa {email}. Sjekk stavinga, eller bruk adressa som står i e-postprogrammet ditt på jobb.",
        AlreadyLinked => "Denne kontoen har alt ein kopla eID. Viss koplinga er feil: logg inn med passord, fjern koplinga på kontosida og kople på nytt.",
        LinkOnlyAtWorkTitle => "Første innlogging med eID må gjerast på jobb",
        LinkOnlyAtWorkBody => "eID-en din er ikkje kopla til nokon konto enno. Koplinga krev e-posten din på jobb, så første innlogging med eID må gjerast på nettverket til kommunen (til dømes på jobbdatamaskina). Deretter verkar ho frå kvar som helst. Inntil då loggar du inn med brukarnamn, passord og kode.",
        LinkExpired => "Koplinga tok for lang tid eller er alt fullført. Start innlogginga med eID på nytt.",
        FailedTitle => "Innlogginga med eID gjekk ikkje gjennom",
        FlowMissing => "Innlogginga med eID tok for lang tid, er alt brukt, eller vart starta i ein annan nettlesar. Start på nytt frå innloggingssida.",
        Cancelled => "Innlogginga med eID vart avbroten. Du kan starte på nytt, eller logge inn med brukarnamn og passord.",
        ProviderError => "eID-tenesta svarte med ein feil ({error}). Prøv igjen om litt.",
        Unavailable => "eID-tenesta kan ikkje nåast akkurat no. Prøv igjen om nokre minutt, eller logg inn med brukarnamn, passord og kode.",
        Invalid => "Svaret frå eID-tenesta kunne ikkje kontrollerast, så du er ikkje logga inn. Start på nytt; skjer det igjen, kontakt IT-brukarstøtta.",
        AcrTooLow => "Innlogginga med eID hadde lågare tryggleiksnivå enn portalen krev. Logg inn igjen med ein sterkare eID (til dømes BankID).",
        AccountGone => "eID-en din er kopla til ein konto som ikkje finst lenger. Kontakt IT-brukarstøtta for å få fjerna koplinga.",
        AccountTitle => "eID",
        AccountLinked => "Kontoen din er kopla til ein eID hos {provider} (person {person}) sidan {date}.",
        AccountNone => "Ingen eID er kopla. Logg inn med eID på nettverket til kommunen for å kople ein.",
        UnlinkIntro => "Viss dette ikkje er eID-en din, fjern koplinga. Stadfest med passordet ditt. Logg så ut, lukk nettlesaren og kople på nytt med rett e-postadresse.",
        UnlinkButton => "Fjern koplinga",
        Unlinked => "eID-en din er ikkje lenger kopla. Logg ut og lukk nettlesaren før du koplar på nytt.",
        UnlinkPasswordWrong => "Passordet stemmer ikkje. eID-en er framleis kopla.",
        CodeSubject => "Koden din for å kople eID",
        CodeBody => "Koden din er {code}. Han gjeld i {minutes} minutt.\n\nViss du ikkje prøvde å kople ein eID til kontoen din, sjå bort frå denne e-posten og sei frå til IT-brukarstøtta.",
        LinkedSubject => "Ein eID er kopla til kontoen din",
        LinkedBody => "Ein eID hos {provider} vart kopla til kontoen din {time}. Frå no av kan han brukast til å logge inn frå kvar som helst.\n\nViss det ikkje var deg, kontakt IT-brukarstøtta med ein gong.",
        UnlinkedSubject => "Koplinga av eID til kontoen din er fjerna",
        UnlinkedBody => "eID-en hos {provider} vart kopla frå kontoen din {time}.\n\nViss det ikkje var deg, kontakt IT-brukarstøtta med ein gong.",
    }
}

fn da(m: EidMsg) -> &'static str {
    use EidMsg::*;
    match m {
        LoginSection => "Eller log ind med eID",
        LoginWith => "Log ind med {provider}",
        LinkTitle => "Knyt dit eID til din konto",
        LinkIntro => "Det er første gang, du logger ind med eID her. Skriv din arbejdsmail: vi sender en kode dertil, og når du indtaster den, bliver dit eID knyttet til din konto. Derefter virker login med eID overalt.",
        EmailLabel => "Arbejdsmailadresse",
        SendCode => "Send kode",
        CodeSent => "Vi har sendt en kode til {email}. Den gælder i {minutes} minutter.",
        CodeLabel => "Koden fra mailen",
        LinkButton => "Knyt og log ind",
        PrivateDomain => "{domain} er ikke et af kommunens maildomæner. Brug din arbejdsadresse: en privat adresse kan give dig en andens adgang.",
        NotAnEmail => "Det er ikke en mailadresse. Skriv hele din arbejdsadresse, for eksempel navn@kommune.dk.",
        NoAccount => "Ingen konto har adressen {email}. Tjek stavningen, eller brug adressen, der står i dit mailprogram på arbejdet.",
        AlreadyLinked => "Denne konto har allerede et tilknyttet eID. Hvis tilknytningen er forkert: log ind med adgangskode, fjern den på kontosiden, og knyt igen.",
        LinkOnlyAtWorkTitle => "Første login med eID skal ske på arbejdet",
        LinkOnlyAtWorkBody => "Dit eID er endnu ikke knyttet til en konto. Tilknytningen kræver din arbejdsmail, så første login med eID skal ske på kommunens netværk (for eksempel på din arbejdscomputer). Derefter virker det overalt. Indtil da logger du ind med brugernavn, adgangskode og kode.",
        LinkExpired => "Tilknytningen tog for lang tid eller er allerede gennemført. Start login med eID forfra.",
        FailedTitle => "Login med eID gik ikke igennem",
        FlowMissing => "Login med eID tog for lang tid, er allerede brugt, eller blev startet i en anden browser. Start forfra fra login-siden.",
        Cancelled => "Login med eID blev afbrudt. Du kan starte forfra eller logge ind med brugernavn og adgangskode.",
        ProviderError => "eID-tjenesten svarede med en fejl ({error}). Prøv igen om lidt.",
        Unavailable => "eID-tjenesten kan ikke nås lige nu. Prøv igen om et par minutter, eller log ind med brugernavn, adgangskode og kode.",
        Invalid => "Svaret fra eID-tjenesten kunne ikke kontrolleres, så du er ikke logget ind. Start forfra; sker det igen, kontakt IT-supporten.",
        AcrTooLow => "Dit login med eID havde et lavere sikkerhedsniveau, end portalen kræver. Log ind igen med et stærkere eID (for eksempel MitID med app).",
        AccountGone => "Dit eID er knyttet til en konto, der ikke længere findes. Kontakt IT-supporten for at få tilknytningen fjernet.",
        AccountTitle => "eID",
        AccountLinked => "Din konto er knyttet til et eID hos {provider} (person {person}) siden {date}.",
        AccountNone => "Intet eID er knyttet. Log ind med eID på kommunens netværk for at knytte et.",
        UnlinkIntro => "Hvis dette ikke er dit eID, så fjern tilknytningen. Bekræft med din adgangskode. Log derefter ud, luk browseren, og knyt igen med den rigtige mailadresse.",
        UnlinkButton => "Fjern tilknytningen",
        Unlinked => "Dit eID er ikke længere knyttet. Log ud og luk browseren, før du knytter igen.",
        UnlinkPasswordWrong => "Adgangskoden er forkert. Dit eID er stadig knyttet.",
        CodeSubject => "Din kode til at knytte eID",
        CodeBody => "Din kode er {code}. Den gælder i {minutes} minutter.\n\nHvis du ikke forsøgte at knytte et eID til din konto, så se bort fra denne mail og giv IT-supporten besked.",
        LinkedSubject => "Et eID er knyttet til din konto",
        LinkedBody => "Et eID hos {provider} blev knyttet til din konto {time}. Fra nu af kan det bruges til at logge ind overalt.\n\nHvis det ikke var dig, så kontakt IT-supporten med det samme.",
        UnlinkedSubject => "Tilknytningen af eID til din konto er fjernet",
        UnlinkedBody => "Dit eID hos {provider} blev fjernet fra din konto {time}.\n\nHvis det ikke var dig, så kontakt IT-supporten med det samme.",
    }
}

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
    b.push_str(&text(EidMsg::LoginSection.text(ctx.lang)));
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
        b.push_str(&fill(EidMsg::LoginWith.text(ctx.lang), &[("provider", &p.title)]));
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
    /// Problem to show (already escaped).
    pub error: Option<String>,
}

/// The link page: e-mail form, then the code form.
pub fn link_page(ctx: &PageCtx<'_>, v: &LinkView<'_>) -> String {
    let t = |m: EidMsg| text(m.text(ctx.lang));
    let mut b = String::new();
    if let Some(e) = &v.error {
        b.push_str("<p class=\"error\" role=\"alert\">");
        b.push_str(e);
        b.push_str("</p>");
    }
    b.push_str("<div class=\"card\"><p>");
    b.push_str(&t(EidMsg::LinkIntro));
    b.push_str("</p>");
    if let Some(sent) = v.code_sent_to {
        b.push_str("<p class=\"notice\" role=\"status\">");
        b.push_str(&fill(EidMsg::CodeSent.text(ctx.lang), &[("email", sent), ("minutes", &v.minutes.to_string())]));
        b.push_str("</p><form method=\"post\" action=\"/.portvakt/eid/link\">");
        b.push_str(&hidden("csrf", v.csrf));
        b.push_str("<label for=\"code\">");
        b.push_str(&t(EidMsg::CodeLabel));
        b.push_str("</label><input type=\"text\" id=\"code\" name=\"code\" inputmode=\"text\" autocomplete=\"one-time-code\" autocapitalize=\"characters\" spellcheck=\"false\" required><button type=\"submit\">");
        b.push_str(&t(EidMsg::LinkButton));
        b.push_str("</button></form>");
    }
    b.push_str("<form method=\"post\" action=\"/.portvakt/eid/link\">");
    b.push_str(&hidden("csrf", v.csrf));
    b.push_str("<label for=\"email\">");
    b.push_str(&t(EidMsg::EmailLabel));
    b.push_str("</label><input type=\"email\" id=\"email\" name=\"email\" autocomplete=\"email\" autocapitalize=\"none\" spellcheck=\"false\" required value=\"");
    b.push_str(&attr(v.email));
    b.push_str("\"><button type=\"submit\"");
    if v.code_sent_to.is_some() {
        b.push_str(" class=\"secondary\"");
    }
    b.push('>');
    b.push_str(&t(EidMsg::SendCode));
    b.push_str("</button></form></div>");
    layout(ctx, EidMsg::LinkTitle.text(ctx.lang), &b)
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
    let t = |m: EidMsg| text(m.text(ctx.lang));
    let mut b = String::from("<div class=\"card\"><h2>");
    b.push_str(&t(EidMsg::AccountTitle));
    b.push_str("</h2><p>");
    match &v.linked {
        None => b.push_str(&t(EidMsg::AccountNone)),
        Some((provider, person, date)) => {
            b.push_str(&fill(
                EidMsg::AccountLinked.text(ctx.lang),
                &[("provider", provider), ("person", person), ("date", date)],
            ));
            b.push_str("</p><p>");
            b.push_str(&t(EidMsg::UnlinkIntro));
            b.push_str("</p><form method=\"post\" action=\"/.portvakt/account/eid/unlink\">");
            b.push_str(&hidden("csrf", v.csrf));
            b.push_str("<label for=\"unlink-password\">");
            b.push_str(&text(Msg::ConfirmPassword.text(ctx.lang)));
            b.push_str("</label><input type=\"password\" id=\"unlink-password\" name=\"password\" autocomplete=\"current-password\" required><button type=\"submit\">");
            b.push_str(&t(EidMsg::UnlinkButton));
            b.push_str("</button></form><p>");
        }
    }
    b.push_str("</p></div>");
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every eID text exists in every language and placeholders survive translation.
    #[test]
    fn texts_complete() {
        for lang in Lang::ALL {
            for (m, keys) in [
                (EidMsg::LoginWith, &["{provider}"][..]),
                (EidMsg::CodeSent, &["{email}", "{minutes}"][..]),
                (EidMsg::PrivateDomain, &["{domain}"][..]),
                (EidMsg::NoAccount, &["{email}"][..]),
                (EidMsg::ProviderError, &["{error}"][..]),
                (EidMsg::AccountLinked, &["{provider}", "{person}", "{date}"][..]),
                (EidMsg::CodeBody, &["{code}", "{minutes}"][..]),
                (EidMsg::LinkedBody, &["{provider}", "{time}"][..]),
                (EidMsg::UnlinkedBody, &["{provider}", "{time}"][..]),
            ] {
                for k in keys {
                    assert!(m.text(lang).contains(k), "{m:?} in {lang:?} lacks {k}");
                }
            }
        }
    }

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
