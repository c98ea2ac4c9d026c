### eID login, linking an eID to an account, and the notices about it.
### One key space for all files; every language has every key with the same variables (tested).

# Heading above the eID buttons on the login page.
eid-login-section = Eller logg inn med eID
# Button label; uses `{provider}`.
eid-login-with = Logg inn med { $provider }
# Button label when a step-up asks for a level; uses `{provider}` and `{level}`.
eid-login-with-at = Logg inn med { $provider } (nivå { $level ->
        [high] høgt
       *[other] betydeleg
    })
# Title of the link page.
eid-link-title = Kople eID-en din til kontoen din
# Explains linking.
eid-link-intro = Det er første gongen du loggar inn med eID her. Skriv e-postadressa di på jobb: vi sender ein kode dit, og når du skriv han inn, blir eID-en kopla til kontoen din. Deretter verkar innlogging med eID frå kvar som helst.
# E-mail field label.
eid-email-label = E-postadresse på jobb
# Send button.
eid-send-code = Send kode
# Code sent; uses `{email}` and `{minutes}`.
eid-code-sent = Vi har sendt ein kode til { $email }. Han gjeld i { $minutes } minutt.
# Code field label.
eid-code-label = Koden frå e-posten
# Link button.
eid-link-button = Kople og logg inn
# Private or foreign domain; uses `{domain}`.
eid-private-domain = { $domain } er ikkje eit av e-postdomena til kommunen. Bruk jobbadressa di: ei privat adresse kan gi deg tilgangane til nokon andre.
# Not an e-mail address.
eid-not-an-email = Det er ikkje ei e-postadresse. Skriv heile jobbadressa, til dømes namn@kommune.no.
# No account with that address; uses `{email}`.
eid-no-account = Ingen konto har adressa { $email }. Sjekk stavinga, eller bruk adressa som står i e-postprogrammet ditt på jobb.
# The account already has an eID linked.
eid-already-linked = Denne kontoen har alt ein kopla eID. Viss koplinga er feil: logg inn med passord, fjern koplinga under «Min konto» og kople på nytt.
# Title: linking only from work.
eid-link-only-at-work-title = Første innlogging med eID må gjerast på jobb
# Body: linking only from work.
eid-link-only-at-work-body = eID-en din er ikkje kopla til nokon konto enno. Koplinga krev e-postadressa di på jobb, så første innlogging med eID må gjerast på nettverket til kommunen (til dømes på jobb-PC-en). Deretter verkar ho frå kvar som helst. Inntil då loggar du inn med brukarnamn, passord og eingongskode.
# The link step expired.
eid-link-expired = Koplinga tok for lang tid eller er alt fullført. Start innlogginga med eID på nytt.
# Title of eID failure pages.
eid-failed-title = Innlogginga med eID gjekk ikkje gjennom
# Flow missing, used or from another browser.
eid-flow-missing = Innlogginga med eID tok for lang tid, er alt brukt, eller vart starta i ein annan nettlesar. Start på nytt frå innloggingssida.
# The user cancelled at the provider.
eid-cancelled = Innlogginga med eID vart avbroten. Du kan starte på nytt, eller logge inn med brukarnamn og passord.
# The provider returned an error; uses `{error}`.
eid-provider-error = eID-tenesta svarte med ein feil ({ $error }). Prøv igjen om litt.
# The provider can't be reached.
eid-unavailable = eID-tenesta kan ikkje nåast akkurat no. Prøv igjen om nokre minutt, eller logg inn med brukarnamn, passord og eingongskode.
# The answer could not be verified.
eid-invalid = Svaret frå eID-tenesta kunne ikkje kontrollerast, så du er ikkje logga inn. Start på nytt; skjer det igjen, kontakt IT-brukarstøtta.
# The login's level was too low.
eid-acr-too-low = Innlogginga med eID hadde lågare tryggleiksnivå enn innloggingstenesta godtek. Logg inn igjen med ein eID på høgare nivå.
# The linked account no longer exists.
eid-account-gone = eID-en din er kopla til ein konto som ikkje finst lenger. Kontakt IT-brukarstøtta for å få fjerna koplinga.
# Account page heading.
eid-account-title = eID
# Linked; uses `{provider}`, `{person}`, `{date}`.
eid-account-linked = Kontoen din er kopla til ein eID hos { $provider } (ID-nummer { $person }) sidan { $date }.
# Nothing linked.
eid-account-none = Ingen eID er kopla. Logg inn med eID på nettverket til kommunen for å kople ein.
# Unlink explanation.
eid-unlink-intro = Viss dette ikkje er eID-en din, fjern koplinga. Stadfest med passordet ditt. Logg så ut, lukk nettlesaren og kople på nytt med rett e-postadresse.
# Unlink button.
eid-unlink-button = Fjern koplinga
# Label of the unlink form's password field.
eid-unlink-confirm-password = Passordet ditt, for å stadfeste at koplinga blir fjerna
# Unlinked notice.
eid-unlinked = eID-en din er ikkje lenger kopla. Logg ut og lukk nettlesaren før du koplar på nytt.
# Wrong password at unlink.
eid-unlink-password-wrong = Passordet er feil. eID-en er framleis kopla.
# Subject of the code e-mail.
eid-code-subject = Koden din for å kople eID
# Body of the code e-mail; uses `{code}` and `{minutes}`.
eid-code-body =
    Koden din er { $code }. Han gjeld i { $minutes } minutt.

    Viss du ikkje prøvde å kople ein eID til kontoen din, sjå bort frå denne e-posten og sei frå til IT-brukarstøtta.
# Subject of the "linked" notice.
eid-linked-subject = Ein eID er kopla til kontoen din
# Body of the "linked" notice; uses `{provider}` and `{time}`.
eid-linked-body =
    Ein eID hos { $provider } vart kopla til kontoen din { $time }. Frå no av kan han brukast til å logge inn frå kvar som helst.

    Viss det ikkje var deg, kontakt IT-brukarstøtta med ein gong.
# Subject of the "unlinked" notice.
eid-unlinked-subject = Koplinga av eID til kontoen din er fjerna
# Body of the "unlinked" notice; uses `{provider}` and `{time}`.
eid-unlinked-body =
    eID-en hos { $provider } vart kopla frå kontoen din { $time }.

    Viss det ikkje var deg, kontakt IT-brukarstøtta med ein gong.
eid-not-from-here = Denne eID-en kan ikkje brukast der du er no. Logg inn på ein annan måte, eller frå nettverket til kommunen.
eid-no-mapped-account = Kontoen du logga inn med, har ingen tilsvarande konto i brukarkatalogen til kommunen. Kontakt IT-brukarstøtta.
