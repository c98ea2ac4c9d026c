### eID login, linking an eID to an account, and the notices about it.
### One key space for all files; every language has every key with the same variables (tested).

# Heading above the eID buttons on the login page.
eid-login-section = Eller logg inn med eID
# Button label; uses `{provider}`.
eid-login-with = Logg inn med { $provider }
# Button label when a step-up asks for a level; uses `{provider}` and `{level}`.
eid-login-with-at = Logg inn med { $provider } (nivå { $level ->
        [high] høyt
       *[other] betydelig
    })
# Title of the link page.
eid-link-title = Koble eID-en din til kontoen din
# Explains linking.
eid-link-intro = Det er første gang du logger inn med eID her. Skriv e-postadressen din på jobb: vi sender en kode dit, og når du skriver den inn, blir eID-en koblet til kontoen din. Deretter virker innlogging med eID fra hvor som helst.
# E-mail field label.
eid-email-label = E-postadresse på jobb
# Send button.
eid-send-code = Send kode
# Code sent; uses `{email}` and `{minutes}`.
eid-code-sent = Vi har sendt en kode til { $email }. Den gjelder i { $minutes ->
        [one] { $minutes } minutt
       *[other] { $minutes } minutter
    }.
# Code field label.
eid-code-label = Koden fra e-posten
# Link button.
eid-link-button = Koble og logg inn
# Private or foreign domain; uses `{domain}`.
eid-private-domain = { $domain } er ikke et av kommunens e-postdomener. Bruk jobbadressen din: en privat adresse kan gi deg noen andres tilganger.
# Not an e-mail address.
eid-not-an-email = Det er ikke en e-postadresse. Skriv hele jobbadressen, for eksempel navn@kommune.no.
# No account with that address; uses `{email}`.
eid-no-account = Ingen konto har adressen { $email }. Sjekk stavingen, eller bruk adressen som vises i e-postprogrammet ditt på jobb.
# The account already has an eID linked.
eid-already-linked = Denne kontoen har allerede en koblet eID. Hvis koblingen er feil: logg inn med passord, fjern koblingen under «Min konto» og koble på nytt.
# Title: linking only from work.
eid-link-only-at-work-title = Første innlogging med eID må gjøres på jobb
# Body: linking only from work.
eid-link-only-at-work-body = eID-en din er ikke koblet til noen konto ennå. Koblingen krever e-postadressen din på jobb, så første innlogging med eID må gjøres på kommunens nettverk (for eksempel på jobb-PC-en). Deretter virker den fra hvor som helst. Inntil da logger du inn med brukernavn, passord og engangskode.
# The link step expired.
eid-link-expired = Koblingen tok for lang tid eller er allerede fullført. Start innloggingen med eID på nytt.
# Title of eID failure pages.
eid-failed-title = Innloggingen med eID gikk ikke gjennom
# Flow missing, used or from another browser.
eid-flow-missing = Innloggingen med eID tok for lang tid, er allerede brukt, eller ble startet i en annen nettleser. Start på nytt fra innloggingssiden.
# The user cancelled at the provider.
eid-cancelled = Innloggingen med eID ble avbrutt. Du kan starte på nytt, eller logge inn med brukernavn og passord.
# The provider returned an error; uses `{error}`.
eid-provider-error = eID-tjenesten svarte med en feil ({ $error }). Prøv igjen om litt.
# The provider can't be reached.
eid-unavailable = eID-tjenesten kan ikke nås akkurat nå. Prøv igjen om noen minutter, eller logg inn med brukernavn, passord og engangskode.
# The answer could not be verified.
eid-invalid = Svaret fra eID-tjenesten kunne ikke kontrolleres, så du er ikke logget inn. Start på nytt; skjer det igjen, kontakt IT-brukerstøtten.
# The login's level was too low.
eid-acr-too-low = Innloggingen med eID hadde lavere sikkerhetsnivå enn innloggingstjenesten godtar. Logg inn igjen med en eID på høyere nivå.
# The linked account no longer exists.
eid-account-gone = eID-en din er koblet til en konto som ikke finnes lenger. Kontakt IT-brukerstøtten for å få fjernet koblingen.
# Account page heading.
eid-account-title = eID
# Linked; uses `{provider}`, `{person}`, `{date}`.
eid-account-linked = Kontoen din er koblet til en eID hos { $provider } (ID-nummer { $person }) siden { $date }.
# Nothing linked.
eid-account-none = Ingen eID er koblet. Logg inn med eID på kommunens nettverk for å koble en.
# Unlink explanation.
eid-unlink-intro = Hvis dette ikke er din eID, fjern koblingen. Bekreft med passordet ditt. Logg deretter ut, lukk nettleseren og koble på nytt med riktig e-postadresse.
# Unlink button.
eid-unlink-button = Fjern koblingen
# Label of the unlink form's password field.
eid-unlink-confirm-password = Passordet ditt, for å bekrefte at koblingen fjernes
# Unlinked notice.
eid-unlinked = eID-en din er ikke lenger koblet. Logg ut og lukk nettleseren før du kobler på nytt.
# Wrong password at unlink.
eid-unlink-password-wrong = Passordet er feil. eID-en er fortsatt koblet.
# Subject of the code e-mail.
eid-code-subject = Koden din for å koble eID
# Body of the code e-mail; uses `{code}` and `{minutes}`.
eid-code-body =
    Koden din er { $code }. Den gjelder i { $minutes ->
                [one] { $minutes } minutt
               *[other] { $minutes } minutter
            }.

    Hvis du ikke prøvde å koble en eID til kontoen din, se bort fra denne e-posten og si fra til IT-brukerstøtten.
# Subject of the "linked" notice.
eid-linked-subject = En eID er koblet til kontoen din
# Body of the "linked" notice; uses `{provider}` and `{time}`.
eid-linked-body =
    En eID hos { $provider } ble koblet til kontoen din { $time }. Fra nå av kan den brukes til å logge inn fra hvor som helst.

    Hvis det ikke var deg, kontakt IT-brukerstøtten med en gang.
# Subject of the "unlinked" notice.
eid-unlinked-subject = Koblingen av eID til kontoen din er fjernet
# Body of the "unlinked" notice; uses `{provider}` and `{time}`.
eid-unlinked-body =
    eID-en hos { $provider } ble koblet fra kontoen din { $time }.

    Hvis det ikke var deg, kontakt IT-brukerstøtten med en gang.
eid-not-from-here = Denne eID-en kan ikke brukes der du er nå. Logg inn på en annen måte, eller fra kommunens nettverk.
eid-no-mapped-account = Kontoen du logget inn med, har ingen tilsvarende konto i kommunens brukerkatalog. Kontakt IT-brukerstøtten.
