### eID login, linking an eID to an account, and the notices about it.
### One key space for all files; every language has every key with the same variables (tested).

# Heading above the eID buttons on the login page.
eid-login-section = Eller log ind med eID
# Button label; uses `{provider}`.
eid-login-with = Log ind med { $provider }
# Button label when a step-up asks for a level; uses `{provider}` and `{level}`.
eid-login-with-at = Log ind med { $provider } (niveau { $level ->
        [high] høj
       *[other] betydelig
    })
# Title of the link page.
eid-link-title = Knyt dit eID til din konto
# Explains linking.
eid-link-intro = Det er første gang, du logger ind med eID her. Skriv din e-mailadresse på arbejdet: vi sender en kode dertil, og når du indtaster den, bliver dit eID knyttet til din konto. Derefter virker login med eID overalt.
# E-mail field label.
eid-email-label = E-mailadresse på arbejdet
# Send button.
eid-send-code = Send kode
# Code sent; uses `{email}` and `{minutes}`.
eid-code-sent = Vi har sendt en kode til { $email }. Den gælder i { $minutes ->
        [one] { $minutes } minut
       *[other] { $minutes } minutter
    }.
# Code field label.
eid-code-label = Koden fra e-mailen
# Link button.
eid-link-button = Knyt og log ind
# Private or foreign domain; uses `{domain}`.
eid-private-domain = { $domain } er ikke et af kommunens e-maildomæner. Brug din e-mailadresse på arbejdet: en privat adresse kan give dig en andens adgang.
# Not an e-mail address.
eid-not-an-email = Det er ikke en e-mailadresse. Skriv hele din e-mailadresse på arbejdet, for eksempel navn@kommune.dk.
# No account with that address; uses `{email}`.
eid-no-account = Ingen konto har adressen { $email }. Tjek stavningen, eller brug adressen, der står i dit e-mailprogram på arbejdet.
# The account already has an eID linked.
eid-already-linked = Denne konto har allerede et tilknyttet eID. Hvis tilknytningen er forkert: log ind med adgangskode, fjern den under »Min konto«, og knyt igen.
# Title: linking only from work.
eid-link-only-at-work-title = Første login med eID skal ske på arbejdet
# Body: linking only from work.
eid-link-only-at-work-body = Dit eID er endnu ikke knyttet til en konto. Tilknytningen kræver din e-mailadresse på arbejdet, så første login med eID skal ske på kommunens netværk (for eksempel på din arbejds-pc). Derefter virker det overalt. Indtil da logger du ind med brugernavn, adgangskode og engangskode.
# The link step expired.
eid-link-expired = Tilknytningen tog for lang tid eller er allerede gennemført. Start login med eID forfra.
# Title of eID failure pages.
eid-failed-title = Login med eID gik ikke igennem
# Flow missing, used or from another browser.
eid-flow-missing = Login med eID tog for lang tid, er allerede brugt, eller blev startet i en anden browser. Start igen fra login-siden.
# The user cancelled at the provider.
eid-cancelled = Login med eID blev afbrudt. Du kan starte forfra eller logge ind med brugernavn og adgangskode.
# The provider returned an error; uses `{error}`.
eid-provider-error = eID-tjenesten svarede med en fejl ({ $error }). Prøv igen om lidt.
# The provider can't be reached.
eid-unavailable = eID-tjenesten kan ikke nås lige nu. Prøv igen om et par minutter, eller log ind med brugernavn, adgangskode og engangskode.
# The answer could not be verified.
eid-invalid = Svaret fra eID-tjenesten kunne ikke kontrolleres, så du er ikke logget ind. Start forfra; sker det igen, kontakt IT-supporten.
# The login's level was too low.
eid-acr-too-low = Dit login med eID havde et lavere sikkerhedsniveau, end login-tjenesten accepterer. Log ind igen med et eID på et højere niveau.
# The linked account no longer exists.
eid-account-gone = Dit eID er knyttet til en konto, der ikke længere findes. Kontakt IT-supporten for at få tilknytningen fjernet.
# Account page heading.
eid-account-title = eID
# Linked; uses `{provider}`, `{person}`, `{date}`.
eid-account-linked = Din konto er knyttet til et eID hos { $provider } (ID-nummer { $person }) siden { $date }.
# Nothing linked.
eid-account-none = Intet eID er knyttet. Log ind med eID på kommunens netværk for at knytte et.
# Unlink explanation.
eid-unlink-intro = Hvis dette ikke er dit eID, så fjern tilknytningen. Bekræft med din adgangskode. Log derefter ud, luk browseren, og knyt igen med den rigtige e-mailadresse.
# Unlink button.
eid-unlink-button = Fjern tilknytningen
# Label of the unlink form's password field.
eid-unlink-confirm-password = Din adgangskode, for at bekræfte at tilknytningen fjernes
# Unlinked notice.
eid-unlinked = Dit eID er ikke længere knyttet. Log ud og luk browseren, før du knytter igen.
# Wrong password at unlink.
eid-unlink-password-wrong = Adgangskoden er forkert. Dit eID er stadig knyttet.
# Subject of the code e-mail.
eid-code-subject = Din kode til at knytte eID
# Body of the code e-mail; uses `{code}` and `{minutes}`.
eid-code-body =
    Din kode er { $code }. Den gælder i { $minutes ->
                [one] { $minutes } minut
               *[other] { $minutes } minutter
            }.

    Hvis du ikke forsøgte at knytte et eID til din konto, så se bort fra denne e-mail og giv IT-supporten besked.
# Subject of the "linked" notice.
eid-linked-subject = Et eID er knyttet til din konto
# Body of the "linked" notice; uses `{provider}` and `{time}`.
eid-linked-body =
    Et eID hos { $provider } blev knyttet til din konto den { $time }. Fra nu af kan det bruges til at logge ind overalt.

    Hvis det ikke var dig, så kontakt IT-supporten med det samme.
# Subject of the "unlinked" notice.
eid-unlinked-subject = Tilknytningen af eID til din konto er fjernet
# Body of the "unlinked" notice; uses `{provider}` and `{time}`.
eid-unlinked-body =
    Dit eID hos { $provider } blev fjernet fra din konto den { $time }.

    Hvis det ikke var dig, så kontakt IT-supporten med det samme.
eid-not-from-here = Dette eID kan ikke bruges, hvor du er nu. Log ind på en anden måde eller fra kommunens netværk.
eid-no-mapped-account = Den konto, du loggede ind med, har ingen tilsvarende konto i kommunens brugerkatalog. Kontakt IT-supporten.
