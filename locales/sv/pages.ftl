### Strings of the gateway's own pages, error pages and the codes it sends.
### One key space for all files; every language has every key with the same variables (tested).

# Heading of the login page.
login-title = Logga in
# Explanation at the top of the login page.
login-intro = Logga in med ditt användarnamn och lösenord i kommunen – samma som du använder på din jobbdator.
# Label of the username field.
username = Användarnamn
# Label of the password field.
password = Lösenord
# Label of the user group (realm) choice.
realm = Användargrupp
# Help text for the user group choice.
realm-help = Välj den grupp du tillhör. Rektorer, skolsköterskor och assistenter väljer den administrativa gruppen.
# Text of the login button.
login-button = Logga in
# Shown when the username or password is wrong.
login-failed = Användarnamnet eller lösenordet är fel. Kontrollera båda och försök igen.
# Link to password help.
password-help = Har du glömt ditt lösenord?
# Heading of the service portal.
portal-title = Dina tjänster
# Introduction on the portal; uses `{name}`.
portal-intro = Du är inloggad som { $name }. Det här är dina tjänster:
# Shown on the portal when no services are open.
portal-empty = Inga tjänster är öppna för dig just nu.
# Button to open a service.
portal-open = Öppna
# Service status: a stronger login is needed.
portal-needs-stronger-login = Kräver en säkrare inloggning
# Link to log in with a one-time code.
portal-step-up = Logga in med engångskod
# Portal button when only an eID login helps; uses `{level}` ("substantial" or "high").
portal-step-up-eid = Logga in med e-legitimation på nivå { $level ->
        [high] hög
       *[other] väsentlig
    }
# Service status: not reachable from the current network.
portal-not-from-this-network = Går inte att nå från nätverket du är på nu
# Service status: closed until a time; uses `{time}`.
portal-closed-until = Stängd till { $time }
# Service status: the user has no access.
portal-no-access = Du har inte behörighet till den här tjänsten
# Where the user is connected from; uses `{zone}`.
portal-zone = Du är ansluten { $zone }.
# Where from, for {zone}: the municipality's own network.
zone-internal = från kommunens nätverk
# Where from, for {zone}: anywhere outside the municipality's network.
zone-remote = från en plats utanför kommunens nätverk
# Log out link or button.
logout = Logga ut
# Heading of the logged-out page.
logged-out-title = Du är utloggad
# Body of the logged-out page.
logged-out-body = Du har loggats ut. Om du sitter vid en delad eller offentlig dator ska du också stänga webbläsaren.
# Link to log in again.
login-again = Logga in igen
# Shown after logout for inactivity; uses `{minutes}`.
session-expired = Du har loggats ut eftersom du inte har varit aktiv på mer än { $minutes ->
        [one] { $minutes } minut
       *[other] { $minutes } minuter
    }. Logga in igen.
# Link back to the service portal.
back-to-portal = Tillbaka till dina tjänster
# Generic error heading.
error-title = Något gick fel
# Heading for access denied (403).
forbidden-title = Åtkomst nekad
# Body for a failed form (CSRF) check.
forbidden-csrf = Formuläret hade gått ut eller kom från en annan sida. Gå tillbaka, ladda om sidan och försök igen.
# Body for a form posted with another content type than a browser's form (415).
form-type-body = Formuläret måste skickas från sidan i en webbläsare (som application/x-www-form-urlencoded). Gå tillbaka, ladda om sidan och försök igen.
# Body for access denied by an explicit deny rule without its own message; uses `{service}`.
forbidden-policy = Enligt kommunens behörighetsregler får du inte öppna { $service }. Behöver du tjänsten i ditt arbete, kontakta IT-supporten.
# Body for access denied because no rule gives the user's groups the service; uses `{service}`.
forbidden-groups = Ditt konto ger inte tillgång till { $service }. Behöver du tjänsten i ditt arbete, be din chef att ordna behörighet åt dig.
# Heading for page not found (404).
not-found-title = Sidan hittades inte
# Body for page not found (404).
not-found-body = Det finns ingen sida på den här adressen. Kontrollera adressen eller gå till dina tjänster.
# Heading when a service does not answer (502/504).
bad-gateway-title = Tjänsten svarar inte
# Body when a service does not answer; uses `{service}`.
bad-gateway-body = Det gick inte att nå { $service } just nu. Dina andra tjänster fungerar som vanligt. Försök igen om några minuter. Om problemet finns kvar, kontakta IT-supporten.
# Heading when a request body is too large (413).
too-large-title = Förfrågan var för stor
# Body when a request body is too large (413).
too-large-body = Det du skickade var större än vad inloggningstjänsten tar emot. Gå tillbaka och försök igen med mindre innehåll.
# Body when request headers are too large (431).
headers-too-large-body = Din webbläsare skickade för mycket data, ofta på grund av gamla kakor (cookies). Rensa kakorna för den här webbplatsen och försök igen.
# Heading for a malformed request (400).
bad-request-title = Förfrågan kunde inte förstås
# Body for a malformed request (400).
bad-request-body = Inloggningstjänsten kunde inte förstå förfrågan. Gå tillbaka och försök igen.
# Plain-text body of the 401 a client that does not ask for HTML gets without a session.
plain-login-required = inloggning krävs: logga in på /.portvakt/login
# Plain-text body of the 401 a client that does not ask for HTML gets when this network needs a stronger login.
plain-step-up-required = en starkare inloggning krävs från det här nätverket
# Body when the request's path is refused (400); uses `{reason}` (bad-path-reason, technical).
bad-path-body = Adressen i förfrågan har en form som inloggningstjänsten inte godtar (teknisk uppgift: { $reason }). Kontrollera länken eller skriv adressen igen.
# Why a request's path is refused, shown in bad-path-body as `{reason}`; `$why` is the reason's code.
bad-path-reason = { $why ->
    [not-absolute] sökvägen börjar inte med ”/”
    [invalid-escape] ett ”%” som inte följs av två hexadecimala siffror
    [encoded-slash] ett kodat snedstreck (%2F)
    [backslash] ett omvänt snedstreck
    [nul] en NUL-byte (%00)
    [control] ett styrtecken
    [invalid-utf8] byte som inte är giltig UTF-8 efter avkodning (som den överlånga %C0%AF)
    [double-encoding] dubbel kodning (%25 följt av två hexadecimala siffror)
    [path-params] en ”;”-parameter i sökvägen, som den här tjänsten avvisar
    [dot-params] ett punktsegment med en ”;”-parameter
    [trailing-dot-or-space] ett sökvägssegment som slutar med punkt eller blanksteg, som den här tjänstens bakände bortser från
   *[ambiguous] sökvägsparametrar som ändrar vilken tjänst sökvägen hör till
}
# Heading when rate limited (429).
too-many-attempts-title = För många försök
# Body when rate limited; uses `{seconds}`.
too-many-attempts-body = Det har gjorts för många försök. Vänta { $seconds ->
        [one] { $seconds } sekund
       *[other] { $seconds } sekunder
    } och försök igen.
# Body for an internal error (500).
internal-error-body = Ett fel uppstod i inloggningstjänsten. Försök igen om en stund. Om problemet finns kvar, kontakta IT-supporten.
# Heading when the gateway is unavailable (503).
unavailable-title = Tillfälligt otillgänglig
# Body when the gateway is unavailable (503).
unavailable-body = Inloggningstjänsten är tillfälligt otillgänglig. Om du är inloggad förblir du inloggad. Försök igen om en minut.
# Text of the skip link for keyboard and screen reader users.
skip-to-content = Hoppa till innehållet
# Heading of the account page.
account-title = Mitt konto
# Shows who is logged in; uses `{name}`.
signed-in-as = Inloggad som { $name }
# Heading of the page where a one-time code is sent and typed.
second-factor-title = Bekräfta med en engångskod
# Question above the choice of where to send the code.
choose-channel = Vart ska vi skicka din kod?
# Choice to get the code by SMS; uses `{number}`.
channel-sms = Sms till { $number }
# Choice to get the code by e-mail; uses `{address}`.
channel-email = E-post till { $address }
# Button to send a one-time code.
send-code = Skicka kod
# Shown after a code was sent by SMS; uses `{number}` and `{minutes}`.
code-sent-sms = Vi har skickat en kod med sms till { $number }. Koden gäller i { $minutes ->
        [one] { $minutes } minut
       *[other] { $minutes } minuter
    }.
# Shown after a code was sent by e-mail; uses `{address}` and `{minutes}`.
code-sent-email = Vi har skickat en kod med e-post till { $address }. Koden gäller i { $minutes ->
        [one] { $minutes } minut
       *[other] { $minutes } minuter
    }.
# Label of the one-time code field.
code-label = Engångskod
# Help text for the one-time code field.
code-help = Skriv koden som den står. Det går bra med både stora och små bokstäver, och mellanslag och bindestreck spelar ingen roll.
# Text of the button that checks the typed code.
verify-button = Bekräfta
# Button or link to send a new code.
send-new-code = Skicka en ny kod
# Link to get the code another way.
use-other-channel = Skicka koden på ett annat sätt
# Shown when the typed code is wrong; uses `{tries}`.
code-wrong = Koden stämmer inte. Du har { $tries } försök kvar.
# Shown when the code has expired.
code-expired = Koden har gått ut. Skicka en ny kod.
# Shown when the code was typed wrong too many times.
code-too-many-tries = Koden skrevs fel för många gånger. Skicka en ny kod.
# Shown when there is no code to check: none was sent, or it was already used.
code-none = Ingen kod har skickats ännu, eller så har koden redan använts. Skicka en ny kod.
# Shown when codes are blocked after too many wrong ones; uses `{minutes}`.
second-factor-locked = För många felaktiga koder. För din säkerhet är koder spärrade i { $minutes ->
        [one] { $minutes } minut
       *[other] { $minutes } minuter
    }.
# Shown when the user has no number or address to get codes at.
no-channels = Du har inte registrerat något mobilnummer eller någon e-postadress för koder. Registrera ditt mobilnummer under ”Mina sms-nummer” när du är ansluten till kommunens nätverk, eller logga in med e-legitimation.
# Shown when the SMS with the code could not be sent.
send-failed-sms = Det gick inte att skicka sms:et just nu. Prova e-post i stället, eller försök igen om några minuter.
# Shown when the e-mail with the code could not be sent.
send-failed-email = Det gick inte att skicka e-postmeddelandet just nu. Prova sms i stället, eller försök igen om några minuter.
# Shown when a new code is asked for too soon; uses `{seconds}`.
send-limit-cooldown = Vi har precis skickat en kod. Vänta { $seconds ->
        [one] { $seconds } sekund
       *[other] { $seconds } sekunder
    } innan du ber om en ny.
# Shown when a new code is asked for too soon after one sent for another login; uses `{seconds}`.
send-limit-cooldown-elsewhere = En kod skickades nyss till samma nummer eller adress för en annan inloggning, och den gäller bara där. Vänta { $seconds ->
        [one] { $seconds } sekund
       *[other] { $seconds } sekunder
    } och be sedan om en ny kod här.
# Shown when too many codes have been asked for; uses `{minutes}`.
send-limit-reached = För många koder har begärts. Försök igen om { $minutes ->
        [one] { $minutes } minut
       *[other] { $minutes } minuter
    }.
# Shown when codes cannot be sent to the number's country.
send-limit-country = Det går inte att skicka koder till nummer i det här landet. Använd e-post eller e-legitimation i stället.
# Text of the SMS with the code; uses `{code}` and `{minutes}`; keep under 160 characters.
code-sms-text = Din engångskod: { $code }. Gäller i { $minutes } min. Dela aldrig koden med någon.
# Subject of the e-mail with the code.
code-email-subject = Din engångskod
# Body of the e-mail with the code; uses `{code}` and `{minutes}`.
code-email-body =
    Din engångskod är: { $code }

    Koden gäller i { $minutes ->
                [one] { $minutes } minut
               *[other] { $minutes } minuter
            } och kan bara användas en gång.

    Om det inte var du som försökte logga in kan någon känna till ditt lösenord. Byt lösenord och kontakta IT-supporten.
# Heading of the page for the user's SMS numbers.
phones-title = Mina sms-nummer
# Explanation at the top of the SMS numbers page.
phones-intro = När du loggar in utanför kommunens nätverk skickar vi koder till de här numren. Du kan registrera högst två.
# Label before the numbers registered now.
phones-current = Registrerade nu:
# Shown when no numbers are registered.
phones-none = Inga nummer är registrerade.
# Label of the first mobile number field.
phone1-label = Mobilnummer 1
# Label of the second, optional mobile number field.
phone2-label = Mobilnummer 2 (frivilligt)
# Help text for the mobile number fields; uses `{example}` (a mobile number of the reader's country).
phones-help = Till exempel { $example }. Ett nummer från ett annat land börjar med + och landsnumret. Lämna ett fält tomt för att ta bort ett nummer.
# Label of the password field that confirms a change.
confirm-password = Ditt lösenord, för att bekräfta ändringen
# Text of the save button.
save-button = Spara
# Shown after the numbers were saved.
phones-saved = Dina nummer har sparats.
# Shown when numbers are changed from outside the municipality's network.
phones-only-internal = För din säkerhet kan nummer bara ändras från kommunens nätverk (till exempel på din jobbdator).
# Shown when the confirming password is wrong.
phones-password-wrong = Lösenordet stämmer inte. Ingenting har ändrats.
# Shown when a typed number is refused; uses `{input}` and `{reason}`.
phone-invalid = ”{ $input }” är inte ett mobilnummer som vi kan använda: { $reason }.
# Shown when more than two numbers are given.
phones-too-many = Du kan registrera högst två nummer.
# Subject of the e-mail telling that the numbers were changed.
phones-changed-subject = Dina nummer för engångskoder har ändrats
# Body of the e-mail telling that the numbers were changed; uses `{time}`.
phones-changed-body = Mobilnumren för dina engångskoder ändrades den { $time }. Om det inte var du som gjorde ändringen, kontakta IT-supporten direkt.
# SMS telling that the numbers were changed; keep under 160 characters.
phones-changed-sms = Dina nummer för engångskoder har ändrats. Om det inte var du, kontakta IT-supporten.
# Why a number was refused: not only digits; fills `{reason}`; uses `{example}`.
phone-reason-digits = använd bara siffror, till exempel { $example }
# Why a number was refused: too short or too long; fills `{reason}`.
phone-reason-length = det har för få eller för många siffror
# Why a number was refused: no phone has it in its country; fills `{reason}`.
phone-reason-invalid = det numret finns inte; kontrollera siffrorna, och skriv ett nummer från ett annat land med + och landsnumret
# Why a number was refused: a real number that cannot get an SMS; fills `{reason}`.
phone-reason-not-mobile = det är inte ett mobilnummer; skriv ett nummer från ett annat land med + och landsnumret
# Why a number was refused: its country is not allowed; fills `{reason}`.
phone-reason-country = nummer i det landet kan inte ta emot koder
# Shown when the user directory cannot be reached: the password was not checked and nothing was counted.
directory-down = Vi kan inte kontrollera ditt lösenord just nu eftersom användarkatalogen inte svarar. Försök igen om några minuter. Försöket räknas inte som ett felaktigt lösenord.
# Shown after a right password that the directory says must be changed first.
password-must-change = Lösenordet stämmer, men du måste byta det innan du kan logga in.
# Link text to the page where the password is changed.
password-change-link = Byt lösenord
# Shown when the directory says the account is disabled or expired.
account-disabled = Ditt konto är inaktiverat eller har gått ut. Kontakta IT-supporten.
# Shown when the directory says the account is locked.
account-locked = Ditt konto är låst efter för många felaktiga lösenord. Försök igen senare eller kontakta IT-supporten.
# Next to the send button while a new code may not be asked for yet; uses `{seconds}`.
resend-in = Du kan be om en ny kod om { $seconds ->
        [one] { $seconds } sekund
       *[other] { $seconds } sekunder
    }.
# Heading of the step-up page when only an eID login helps.
step-up-title = En säkrare inloggning behövs
# What the service needs when only eID helps and its rule has no message; uses `{level}`.
step-up-needs-eid = Den här tjänsten kräver inloggning med e-legitimation på nivå { $level ->
        [high] hög
       *[other] väsentlig
    }. En engångskod räcker inte.
# Heading of the page for a step-up this user cannot make here.
step-up-impossible-title = Inloggningen som tjänsten kräver finns inte här
# No configured eID can give the level needed; uses `{level}`.
step-up-eid-not-offered = Den här tjänsten kräver inloggning med e-legitimation på nivå { $level ->
        [high] hög
       *[other] väsentlig
    }, och här går det inte att logga in med e-legitimation på den nivån. Öppna tjänsten från kommunens nätverk eller kontakta IT-supporten.
