### eID login, linking an eID to an account, and the notices about it.
### One key space for all files; every language has every key with the same variables (tested).

# Heading above the eID buttons on the login page.
eid-login-section = Eller logga in med e-legitimation
# Button label; uses `{provider}`.
eid-login-with = Logga in med { $provider }
# Button label when a step-up asks for a level; uses `{provider}` and `{level}`.
eid-login-with-at = Logga in med { $provider } (nivå { $level ->
        [high] hög
       *[other] väsentlig
    })
# Title of the link page.
eid-link-title = Koppla din e-legitimation till ditt konto
# Explains linking.
eid-link-intro = Det är första gången du loggar in med e-legitimation här. Skriv din e-postadress i jobbet: vi skickar en kod dit, och när du skriver in koden kopplas din e-legitimation till ditt konto. Därefter fungerar inloggning med e-legitimation varifrån som helst.
# E-mail field label.
eid-email-label = E-postadress i jobbet
# Send button.
eid-send-code = Skicka kod
# Code sent; uses `{email}` and `{minutes}`.
eid-code-sent = Vi har skickat en kod till { $email }. Den gäller i { $minutes ->
        [one] { $minutes } minut
       *[other] { $minutes } minuter
    }.
# Code field label.
eid-code-label = Koden från e-postmeddelandet
# Link button.
eid-link-button = Koppla och logga in
# Private or foreign domain; uses `{domain}`.
eid-private-domain = { $domain } är inte en av kommunens e-postdomäner. Använd din adress i jobbet: en privat adress kan ge dig någon annans behörigheter.
# Not an e-mail address.
eid-not-an-email = Det är inte en e-postadress. Skriv hela adressen i jobbet, till exempel namn@kommun.se.
# No account with that address; uses `{email}`.
eid-no-account = Inget konto har adressen { $email }. Kontrollera stavningen, eller använd adressen som syns i ditt e-postprogram i jobbet.
# The account already has an eID linked.
eid-already-linked = Det här kontot har redan en kopplad e-legitimation. Om kopplingen är fel: logga in med lösenord, ta bort kopplingen under ”Mitt konto” och koppla igen.
# Title: linking only from work.
eid-link-only-at-work-title = Första inloggningen med e-legitimation måste göras på jobbet
# Body: linking only from work.
eid-link-only-at-work-body = Din e-legitimation är inte kopplad till något konto än. Kopplingen kräver din e-postadress i jobbet, så den första inloggningen med e-legitimation måste göras i kommunens nätverk (till exempel på din jobbdator). Därefter fungerar den varifrån som helst. Till dess loggar du in med användarnamn, lösenord och engångskod.
# The link step expired.
eid-link-expired = Kopplingen tog för lång tid eller är redan klar. Börja om inloggningen med e-legitimation.
# Title of eID failure pages.
eid-failed-title = Inloggningen med e-legitimation gick inte igenom
# Flow missing, used or from another browser.
eid-flow-missing = Inloggningen med e-legitimation tog för lång tid, har redan använts eller startades i en annan webbläsare. Börja om från inloggningssidan.
# The user cancelled at the provider.
eid-cancelled = Inloggningen med e-legitimation avbröts. Du kan börja om, eller logga in med användarnamn och lösenord.
# The provider returned an error; uses `{error}`.
eid-provider-error = Tjänsten för e-legitimation svarade med ett fel ({ $error }). Försök igen om en stund.
# The provider can't be reached.
eid-unavailable = Tjänsten för e-legitimation går inte att nå just nu. Försök igen om några minuter, eller logga in med användarnamn, lösenord och engångskod.
# The answer could not be verified.
eid-invalid = Svaret från tjänsten för e-legitimation kunde inte kontrolleras, så du har inte loggats in. Börja om; händer det igen, kontakta IT-supporten.
# The login's level was too low.
eid-acr-too-low = Din inloggning med e-legitimation hade lägre säkerhetsnivå än inloggningstjänsten godtar. Logga in igen med en e-legitimation på högre nivå.
# The linked account no longer exists.
eid-account-gone = Din e-legitimation är kopplad till ett konto som inte längre finns. Kontakta IT-supporten så tas kopplingen bort.
# Account page heading.
eid-account-title = E-legitimation
# Linked; uses `{provider}`, `{person}`, `{date}`.
eid-account-linked = Ditt konto är kopplat till en e-legitimation hos { $provider } (id-nummer { $person }) sedan { $date }.
# Nothing linked.
eid-account-none = Ingen e-legitimation är kopplad. Logga in med e-legitimation i kommunens nätverk för att koppla en.
# Unlink explanation.
eid-unlink-intro = Om det här inte är din e-legitimation, ta bort kopplingen. Bekräfta med ditt lösenord. Logga sedan ut, stäng webbläsaren och koppla igen med rätt e-postadress.
# Unlink button.
eid-unlink-button = Ta bort kopplingen
# Label of the unlink form's password field.
eid-unlink-confirm-password = Ditt lösenord, för att bekräfta att kopplingen tas bort
# Unlinked notice.
eid-unlinked = Din e-legitimation är inte längre kopplad. Logga ut och stäng webbläsaren innan du kopplar igen.
# Wrong password at unlink.
eid-unlink-password-wrong = Lösenordet stämmer inte. E-legitimationen är fortfarande kopplad.
# Subject of the code e-mail.
eid-code-subject = Din kod för att koppla e-legitimation
# Body of the code e-mail; uses `{code}` and `{minutes}`.
eid-code-body =
    Din kod är { $code }. Den gäller i { $minutes ->
                [one] { $minutes } minut
               *[other] { $minutes } minuter
            }.

    Om du inte försökte koppla en e-legitimation till ditt konto, bortse från meddelandet och kontakta IT-supporten.
# Subject of the "linked" notice.
eid-linked-subject = En e-legitimation har kopplats till ditt konto
# Body of the "linked" notice; uses `{provider}` and `{time}`.
eid-linked-body =
    En e-legitimation hos { $provider } kopplades till ditt konto den { $time }. Från och med nu kan den användas för att logga in varifrån som helst.

    Om det inte var du, kontakta IT-supporten direkt.
# Subject of the "unlinked" notice.
eid-unlinked-subject = Kopplingen av e-legitimation till ditt konto har tagits bort
# Body of the "unlinked" notice; uses `{provider}` and `{time}`.
eid-unlinked-body =
    E-legitimationen hos { $provider } kopplades bort från ditt konto den { $time }.

    Om det inte var du, kontakta IT-supporten direkt.
eid-not-from-here = Den här e-legitimationen kan inte användas där du är nu. Logga in på ett annat sätt, eller från kommunens nätverk.
eid-no-mapped-account = Kontot du loggade in med har inget motsvarande konto i kommunens användarkatalog. Kontakta IT-supporten.
