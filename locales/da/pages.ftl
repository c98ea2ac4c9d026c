### Strings of the gateway's own pages, error pages and the codes it sends.
### One key space for all files; every language has every key with the same variables (tested).

# Heading of the login page.
login-title = Log ind
# Explanation at the top of the login page.
login-intro = Log ind med dit brugernavn og din adgangskode fra kommunen – de samme, som du bruger på din arbejds-pc.
# Label of the username field.
username = Brugernavn
# Label of the password field.
password = Adgangskode
# Label of the user group (realm) choice.
realm = Brugergruppe
# Help text for the user group choice.
realm-help = Vælg den gruppe, du hører til. Skoleledere, sundhedsplejersker og assistenter vælger den administrative gruppe.
# Text of the login button.
login-button = Log ind
# Shown when the username or password is wrong.
login-failed = Brugernavnet eller adgangskoden er forkert. Tjek begge dele, og prøv igen.
# Link to password help.
password-help = Har du glemt din adgangskode?
# Heading of the service portal.
portal-title = Dine tjenester
# Introduction on the portal; uses `{name}`.
portal-intro = Du er logget ind som { $name }. Her er dine tjenester:
# Shown on the portal when no services are open.
portal-empty = Der er ingen tjenester, du kan bruge lige nu.
# Button to open a service.
portal-open = Åbn
# Service status: a stronger login is needed.
portal-needs-stronger-login = Kræver et mere sikkert login
# Link to log in with a one-time code.
portal-step-up = Log ind med engangskode
# Portal button when only an eID login helps; uses `{level}` ("substantial" or "high").
portal-step-up-eid = Log ind med eID på niveau { $level ->
        [high] høj
       *[other] betydelig
    }
# Service status: not reachable from the current network.
portal-not-from-this-network = Ikke tilgængelig fra det netværk, du er på nu
# Service status: closed until a time; uses `{time}`.
portal-closed-until = Lukket indtil { $time }
# Service status: the user has no access.
portal-no-access = Du har ikke adgang til denne tjeneste
# Where the user is connected from; uses `{zone}`.
portal-zone = Du er forbundet { $zone }.
# Where from, for {zone}: the municipality's own network.
zone-internal = fra kommunens netværk
# Where from, for {zone}: anywhere outside the municipality's network.
zone-remote = fra et sted uden for kommunens netværk
# Log out link or button.
logout = Log ud
# Heading of the logged-out page.
logged-out-title = Du er logget ud
# Body of the logged-out page.
logged-out-body = Du er nu logget ud. Hvis du sidder ved en delt eller offentlig computer, så luk også browseren.
# Link to log in again.
login-again = Log ind igen
# Shown after logout for inactivity; uses `{minutes}`.
session-expired = Du blev logget ud, fordi du ikke havde været aktiv i mere end { $minutes ->
        [one] { $minutes } minut
       *[other] { $minutes } minutter
    }. Log ind igen.
# Link back to the service portal.
back-to-portal = Tilbage til dine tjenester
# Generic error heading.
error-title = Der gik noget galt
# Heading for access denied (403).
forbidden-title = Adgang nægtet
# Body for a failed form (CSRF) check.
forbidden-csrf = Formularen var udløbet eller kom fra en anden side. Gå tilbage, genindlæs siden, og prøv igen.
# Body for a form posted with another content type than a browser's form (415).
form-type-body = Formularen skal sendes fra siden i en browser (som application/x-www-form-urlencoded). Gå tilbage, genindlæs siden, og prøv igen.
# Body for access denied by an explicit deny rule without its own message; uses `{service}`.
forbidden-policy = Kommunens adgangsregler giver dig ikke adgang til { $service }. Har du brug for tjenesten i dit arbejde, så kontakt IT-supporten.
# Body for access denied because no rule gives the user's groups the service; uses `{service}`.
forbidden-groups = Din konto giver ikke adgang til { $service }. Har du brug for tjenesten i dit arbejde, så bed din leder om at skaffe dig adgang.
# Heading for page not found (404).
not-found-title = Siden blev ikke fundet
# Body for page not found (404).
not-found-body = Der er ingen side på denne adresse. Tjek adressen, eller gå til dine tjenester.
# Heading when a service does not answer (502/504).
bad-gateway-title = Tjenesten svarer ikke
# Body when a service does not answer; uses `{service}`.
bad-gateway-body = Vi kan ikke få forbindelse til { $service } lige nu. Dine andre tjenester virker som normalt. Prøv igen om et par minutter. Hvis problemet fortsætter, så kontakt IT-supporten.
# Heading when a request body is too large (413).
too-large-title = Forespørgslen var for stor
# Body when a request body is too large (413).
too-large-body = Det, du sendte, var større, end login-tjenesten kan modtage. Gå tilbage, og prøv igen med mindre indhold.
# Body when request headers are too large (431).
headers-too-large-body = Din browser sendte for meget data, ofte på grund af gamle cookies. Ryd cookies for dette websted, og prøv igen.
# Heading for a malformed request (400).
bad-request-title = Forespørgslen kunne ikke forstås
# Body for a malformed request (400).
bad-request-body = Login-tjenesten kunne ikke forstå forespørgslen. Gå tilbage, og prøv igen.
# Plain-text body of the 401 a client that does not ask for HTML gets without a session.
plain-login-required = login kræves: log ind på /.portvakt/login
# Plain-text body of the 401 a client that does not ask for HTML gets when this network needs a stronger login.
plain-step-up-required = et stærkere login kræves fra dette netværk
# Body when the request's path is refused (400); uses `{reason}` (bad-path-reason, technical).
bad-path-body = Adressen i forespørgslen har en form, som login-tjenesten ikke accepterer (teknisk detalje: { $reason }). Tjek linket, eller skriv adressen igen.
# Why a request's path is refused, shown in bad-path-body as `{reason}`; `$why` is the reason's code.
bad-path-reason = { $why ->
    [not-absolute] stien begynder ikke med »/«
    [invalid-escape] et »%«, der ikke efterfølges af to hexadecimale cifre
    [encoded-slash] en kodet skråstreg (%2F)
    [backslash] en omvendt skråstreg
    [nul] en NUL-byte (%00)
    [control] et kontroltegn
    [invalid-utf8] bytes, der ikke er gyldig UTF-8 efter afkodning (som den overlange %C0%AF)
    [double-encoding] dobbelt kodning (%25 efterfulgt af to hexadecimale cifre)
    [path-params] en »;«-parameter i stien, som denne tjeneste afviser
    [dot-params] et punktsegment med en »;«-parameter
    [trailing-dot-or-space] et stisegment, der ender på punktum eller mellemrum, som denne tjenestes backend ignorerer
   *[ambiguous] stiparametre, der ændrer, hvilken tjeneste stien hører til
}
# Heading when rate limited (429).
too-many-attempts-title = For mange forsøg
# Body when rate limited; uses `{seconds}`.
too-many-attempts-body = Der har været for mange forsøg. Vent { $seconds ->
        [one] { $seconds } sekund
       *[other] { $seconds } sekunder
    }, og prøv igen.
# Body for an internal error (500).
internal-error-body = Der opstod en fejl i login-tjenesten. Prøv igen om lidt. Hvis problemet fortsætter, så kontakt IT-supporten.
# Heading when the gateway is unavailable (503).
unavailable-title = Midlertidigt utilgængelig
# Body when the gateway is unavailable (503).
unavailable-body = Login-tjenesten er midlertidigt utilgængelig. Er du logget ind, forbliver du logget ind. Prøv igen om et minut.
# Text of the skip link for keyboard and screen reader users.
skip-to-content = Spring til indholdet
# Heading of the account page.
account-title = Min konto
# Shows who is logged in; uses `{name}`.
signed-in-as = Logget ind som { $name }
# Heading of the page where a one-time code is sent and typed.
second-factor-title = Bekræft med en engangskode
# Question above the choice of where to send the code.
choose-channel = Hvor skal vi sende din kode hen?
# Choice to get the code by SMS; uses `{number}`.
channel-sms = Sms til { $number }
# Choice to get the code by e-mail; uses `{address}`.
channel-email = E-mail til { $address }
# Button to send a one-time code.
send-code = Send kode
# Shown after a code was sent by SMS; uses `{number}` and `{minutes}`.
code-sent-sms = Vi har sendt en kode på sms til { $number }. Koden gælder i { $minutes ->
        [one] { $minutes } minut
       *[other] { $minutes } minutter
    }.
# Shown after a code was sent by e-mail; uses `{address}` and `{minutes}`.
code-sent-email = Vi har sendt en kode på e-mail til { $address }. Koden gælder i { $minutes ->
        [one] { $minutes } minut
       *[other] { $minutes } minutter
    }.
# Label of the one-time code field.
code-label = Engangskode
# Help text for the one-time code field.
code-help = Skriv koden, som den står. Både store og små bogstaver virker, og mellemrum og bindestreger er ligegyldige.
# Text of the button that checks the typed code.
verify-button = Bekræft
# Button or link to send a new code.
send-new-code = Send en ny kode
# Link to get the code another way.
use-other-channel = Send koden på en anden måde
# Shown when the typed code is wrong; uses `{tries}`.
code-wrong = Koden er forkert. Du har { $tries } forsøg tilbage.
# Shown when the code has expired.
code-expired = Koden er udløbet. Send en ny kode.
# Shown when the code was typed wrong too many times.
code-too-many-tries = Koden blev skrevet forkert for mange gange. Send en ny kode.
# Shown when there is no code to check: none was sent, or it was already used.
code-none = Der er ikke sendt nogen kode endnu, eller også er koden allerede brugt. Send en ny kode.
# Shown when codes are blocked after too many wrong ones; uses `{minutes}`.
second-factor-locked = For mange forkerte koder. Af hensyn til din sikkerhed er koder spærret i { $minutes ->
        [one] { $minutes } minut
       *[other] { $minutes } minutter
    }.
# Shown when the user has no number or address to get codes at.
no-channels = Du har ikke registreret et mobilnummer eller en e-mailadresse til koder. Registrer dit mobilnummer under »Mine sms-numre«, mens du er på kommunens netværk, eller log ind med eID.
# Shown when the SMS with the code could not be sent.
send-failed-sms = Sms'en kunne ikke sendes lige nu. Prøv e-mail i stedet, eller prøv igen om et par minutter.
# Shown when the e-mail with the code could not be sent.
send-failed-email = E-mailen kunne ikke sendes lige nu. Prøv sms i stedet, eller prøv igen om et par minutter.
# Shown when a new code is asked for too soon; uses `{seconds}`.
send-limit-cooldown = Vi har lige sendt en kode. Vent { $seconds ->
        [one] { $seconds } sekund
       *[other] { $seconds } sekunder
    }, før du beder om en ny.
# Shown when a new code is asked for too soon after one sent for another login; uses `{seconds}`.
send-limit-cooldown-elsewhere = En kode blev lige sendt til samme nummer eller adresse for et andet login, og den gælder kun der. Vent { $seconds ->
        [one] { $seconds } sekund
       *[other] { $seconds } sekunder
    }, og bed så om en ny kode her.
# Shown when too many codes have been asked for; uses `{minutes}`.
send-limit-reached = Der er bedt om for mange koder. Prøv igen om { $minutes ->
        [one] { $minutes } minut
       *[other] { $minutes } minutter
    }.
# Shown when codes cannot be sent to the number's country.
send-limit-country = Vi kan ikke sende koder til numre i dette land. Brug e-mail eller eID i stedet.
# Text of the SMS with the code; uses `{code}` and `{minutes}`; keep under 160 characters.
code-sms-text = Din engangskode: { $code }. Gælder i { $minutes } min. Del aldrig koden med nogen.
# Subject of the e-mail with the code.
code-email-subject = Din engangskode
# Body of the e-mail with the code; uses `{code}` and `{minutes}`.
code-email-body =
    Din engangskode er: { $code }

    Koden gælder i { $minutes ->
                [one] { $minutes } minut
               *[other] { $minutes } minutter
            } og kan kun bruges én gang.

    Hvis det ikke var dig, der prøvede at logge ind, kender en anden måske din adgangskode. Skift adgangskoden, og kontakt IT-supporten.
# Heading of the page for the user's SMS numbers.
phones-title = Mine sms-numre
# Explanation at the top of the SMS numbers page.
phones-intro = Når du logger ind uden for kommunens netværk, sender vi koder til disse numre. Du kan registrere højst to.
# Label before the numbers registered now.
phones-current = Registreret nu:
# Shown when no numbers are registered.
phones-none = Ingen numre er registreret.
# Label of the first mobile number field.
phone1-label = Mobilnummer 1
# Label of the second, optional mobile number field.
phone2-label = Mobilnummer 2 (valgfrit)
# Help text for the mobile number fields; uses `{example}` (a mobile number of the reader's country).
phones-help = For eksempel { $example }. Et nummer fra et andet land begynder med + og landekoden. Lad et felt stå tomt for at fjerne et nummer.
# Label of the password field that confirms a change.
confirm-password = Din adgangskode, for at bekræfte ændringen
# Text of the save button.
save-button = Gem
# Shown after the numbers were saved.
phones-saved = Dine numre er gemt.
# Shown when numbers are changed from outside the municipality's network.
phones-only-internal = Af hensyn til din sikkerhed kan numrene kun ændres fra kommunens netværk (for eksempel på din arbejds-pc).
# Shown when the confirming password is wrong.
phones-password-wrong = Adgangskoden er forkert. Der blev ikke ændret noget.
# Shown when a typed number is refused; uses `{input}` and `{reason}`.
phone-invalid = »{ $input }« er ikke et mobilnummer, vi kan bruge: { $reason }.
# Shown when more than two numbers are given.
phones-too-many = Du kan registrere højst to numre.
# Subject of the e-mail telling that the numbers were changed.
phones-changed-subject = Dine numre til engangskoder er blevet ændret
# Body of the e-mail telling that the numbers were changed; uses `{time}`.
phones-changed-body = Mobilnumrene til dine engangskoder blev ændret den { $time }. Hvis det ikke var dig, der gjorde det, så kontakt IT-supporten med det samme.
# SMS telling that the numbers were changed; keep under 160 characters.
phones-changed-sms = Dine numre til engangskoder er blevet ændret. Hvis det ikke var dig, så kontakt IT-supporten.
# Why a number was refused: not only digits; fills `{reason}`; uses `{example}`.
phone-reason-digits = brug kun cifre, for eksempel { $example }
# Why a number was refused: too short or too long; fills `{reason}`.
phone-reason-length = det har for få eller for mange cifre
# Why a number was refused: no phone has it in its country; fills `{reason}`.
phone-reason-invalid = det nummer findes ikke; tjek cifrene, og skriv et nummer fra et andet land med + og landekoden
# Why a number was refused: a real number that cannot get an SMS; fills `{reason}`.
phone-reason-not-mobile = det er ikke et mobilnummer; skriv et nummer fra et andet land med + og landekoden
# Why a number was refused: its country is not allowed; fills `{reason}`.
phone-reason-country = numre i det land kan ikke modtage koder
# Shown when the user directory cannot be reached: the password was not checked and nothing was counted.
directory-down = Vi kan ikke kontrollere din adgangskode lige nu, fordi brugerkataloget ikke svarer. Prøv igen om et par minutter. Forsøget tæller ikke som en forkert adgangskode.
# Shown after a right password that the directory says must be changed first.
password-must-change = Adgangskoden er rigtig, men du skal skifte den, før du kan logge ind.
# Link text to the page where the password is changed.
password-change-link = Skift adgangskode
# Shown when the directory says the account is disabled or expired.
account-disabled = Din konto er deaktiveret eller udløbet. Kontakt IT-supporten.
# Shown when the directory says the account is locked.
account-locked = Din konto er låst efter for mange forkerte adgangskoder. Prøv igen senere, eller kontakt IT-supporten.
# Next to the send button while a new code may not be asked for yet; uses `{seconds}`.
resend-in = Du kan bede om en ny kode om { $seconds ->
        [one] { $seconds } sekund
       *[other] { $seconds } sekunder
    }.
# Heading of the step-up page when only an eID login helps.
step-up-title = Et mere sikkert login er nødvendigt
# What the service needs when only eID helps and its rule has no message; uses `{level}`.
step-up-needs-eid = Denne tjeneste kræver login med eID på niveau { $level ->
        [high] høj
       *[other] betydelig
    }. En engangskode er ikke nok.
# Heading of the page for a step-up this user cannot make here.
step-up-impossible-title = Det login, tjenesten kræver, findes ikke her
# No configured eID can give the level needed; uses `{level}`.
step-up-eid-not-offered = Denne tjeneste kræver login med eID på niveau { $level ->
        [high] høj
       *[other] betydelig
    }, og her kan du ikke logge ind med eID på det niveau. Åbn tjenesten fra kommunens netværk, eller kontakt IT-supporten.
