### Strings of the gateway's own pages, error pages and the codes it sends.
### One key space for all files; every language has every key with the same variables (tested).

# Heading of the login page.
login-title = Logg inn
# Explanation at the top of the login page.
login-intro = Logg inn med brukernavnet og passordet ditt i kommunen – de samme som du bruker på jobb-PC-en.
# Label of the username field.
username = Brukernavn
# Label of the password field.
password = Passord
# Label of the user group (realm) choice.
realm = Brukergruppe
# Help text for the user group choice.
realm-help = Velg gruppen du hører til. Rektorer, helsesykepleiere og assistenter velger den administrative gruppen.
# Text of the login button.
login-button = Logg inn
# Shown when the username or password is wrong.
login-failed = Brukernavnet eller passordet er feil. Sjekk begge og prøv igjen.
# Link to password help.
password-help = Har du glemt passordet?
# Heading of the service portal.
portal-title = Tjenestene dine
# Introduction on the portal; uses `{name}`.
portal-intro = Du er logget inn som { $name }. Dette er tjenestene dine:
# Shown on the portal when no services are open.
portal-empty = Ingen tjenester er åpne for deg akkurat nå.
# Button to open a service.
portal-open = Åpne
# Service status: a stronger login is needed.
portal-needs-stronger-login = Krever sikrere innlogging
# Link to log in with a one-time code.
portal-step-up = Logg inn med engangskode
# Portal button when only an eID login helps; uses `{level}` ("substantial" or "high").
portal-step-up-eid = Logg inn med eID på nivå { $level ->
        [high] høyt
       *[other] betydelig
    }
# Service status: not reachable from the current network.
portal-not-from-this-network = Ikke tilgjengelig fra nettverket du er på nå
# Service status: closed until a time; uses `{time}`.
portal-closed-until = Stengt til { $time }
# Service status: the user has no access.
portal-no-access = Du har ikke tilgang til denne tjenesten
# Where the user is connected from; uses `{zone}`.
portal-zone = Du er tilkoblet { $zone }.
# Where from, for {zone}: the municipality's own network.
zone-internal = fra kommunens nettverk
# Where from, for {zone}: anywhere outside the municipality's network.
zone-remote = fra et sted utenfor kommunens nettverk
# Log out link or button.
logout = Logg ut
# Heading of the logged-out page.
logged-out-title = Du er logget ut
# Body of the logged-out page.
logged-out-body = Du er nå logget ut. Hvis du bruker en delt eller offentlig datamaskin, bør du også lukke nettleseren.
# Link to log in again.
login-again = Logg inn igjen
# Shown after logout for inactivity; uses `{minutes}`.
session-expired = Du ble logget ut fordi du ikke hadde vært aktiv på mer enn { $minutes ->
        [one] { $minutes } minutt
       *[other] { $minutes } minutter
    }. Logg inn igjen.
# Link back to the service portal.
back-to-portal = Tilbake til tjenestene dine
# Generic error heading.
error-title = Noe gikk galt
# Heading for access denied (403).
forbidden-title = Ingen tilgang
# Body for a failed form (CSRF) check.
forbidden-csrf = Skjemaet var utløpt eller kom fra en annen side. Gå tilbake, last inn siden på nytt og prøv igjen.
# Body for a form posted with another content type than a browser's form (415).
form-type-body = Skjemaet må sendes fra siden i en nettleser (som application/x-www-form-urlencoded). Gå tilbake, last inn siden på nytt og prøv igjen.
# Body for access denied by an explicit deny rule without its own message; uses `{service}`.
forbidden-policy = Kommunens tilgangsregler lar deg ikke åpne { $service }. Trenger du tjenesten i arbeidet ditt, kontakt IT-brukerstøtten.
# Body for access denied because no rule gives the user's groups the service; uses `{service}`.
forbidden-groups = Kontoen din gir ikke tilgang til { $service }. Trenger du tjenesten i arbeidet ditt, be lederen din om å ordne tilgang for deg.
# Heading for page not found (404).
not-found-title = Fant ikke siden
# Body for page not found (404).
not-found-body = Det finnes ingen side på denne adressen. Sjekk adressen, eller gå til tjenestene dine.
# Heading when a service does not answer (502/504).
bad-gateway-title = Tjenesten svarer ikke
# Body when a service does not answer; uses `{service}`.
bad-gateway-body = Vi får ikke kontakt med { $service } akkurat nå. De andre tjenestene dine virker som vanlig. Prøv igjen om noen minutter. Hvis problemet fortsetter, kontakt IT-brukerstøtten.
# Heading when a request body is too large (413).
too-large-title = Forespørselen var for stor
# Body when a request body is too large (413).
too-large-body = Det du sendte, var større enn det innloggingstjenesten tar imot. Gå tilbake og prøv igjen med mindre innhold.
# Body when request headers are too large (431).
headers-too-large-body = Nettleseren din sendte for mye data, ofte på grunn av gamle informasjonskapsler (cookies). Slett informasjonskapslene for dette nettstedet og prøv igjen.
# Heading for a malformed request (400).
bad-request-title = Forespørselen ble ikke forstått
# Body for a malformed request (400).
bad-request-body = Innloggingstjenesten forsto ikke forespørselen. Gå tilbake og prøv igjen.
# Plain-text body of the 401 a client that does not ask for HTML gets without a session.
plain-login-required = innlogging kreves: logg inn på /.portvakt/login
# Plain-text body of the 401 a client that does not ask for HTML gets when this network needs a stronger login.
plain-step-up-required = en sterkere innlogging kreves fra dette nettverket
# Body when the request's path is refused (400); uses `{reason}` (bad-path-reason, technical).
bad-path-body = Adressen i forespørselen har en form som innloggingstjenesten ikke godtar (teknisk detalj: { $reason }). Sjekk lenken, eller skriv adressen på nytt.
# Why a request's path is refused, shown in bad-path-body as `{reason}`; `$why` is the reason's code.
bad-path-reason = { $why ->
    [not-absolute] stien begynner ikke med «/»
    [invalid-escape] et «%» som ikke følges av to heksadesimale sifre
    [encoded-slash] en kodet skråstrek (%2F)
    [backslash] en omvendt skråstrek
    [nul] en NUL-byte (%00)
    [control] et kontrolltegn
    [invalid-utf8] byte som ikke er gyldig UTF-8 etter dekoding (som den overlange %C0%AF)
    [double-encoding] dobbel koding (%25 fulgt av to heksadesimale sifre)
    [path-params] en «;»-parameter i stien, som denne tjenesten avviser
    [dot-params] et punktsegment med en «;»-parameter
    [trailing-dot-or-space] et stisegment som slutter på punktum eller mellomrom, som denne tjenestens bakende overser
   *[ambiguous] stiparametere som endrer hvilken tjeneste stien hører til
}
# Heading when rate limited (429).
too-many-attempts-title = For mange forsøk
# Body when rate limited; uses `{seconds}`.
too-many-attempts-body = Det har vært for mange forsøk. Vent { $seconds ->
        [one] { $seconds } sekund
       *[other] { $seconds } sekunder
    } og prøv igjen.
# Body for an internal error (500).
internal-error-body = Det oppstod en feil i innloggingstjenesten. Prøv igjen om litt. Hvis problemet fortsetter, kontakt IT-brukerstøtten.
# Heading when the gateway is unavailable (503).
unavailable-title = Midlertidig utilgjengelig
# Body when the gateway is unavailable (503).
unavailable-body = Innloggingstjenesten er midlertidig utilgjengelig. Er du logget inn, forblir du logget inn. Prøv igjen om et minutt.
# Text of the skip link for keyboard and screen reader users.
skip-to-content = Hopp til innholdet
# Heading of the account page.
account-title = Min konto
# Shows who is logged in; uses `{name}`.
signed-in-as = Logget inn som { $name }
# Heading of the page where a one-time code is sent and typed.
second-factor-title = Bekreft med en engangskode
# Question above the choice of where to send the code.
choose-channel = Hvor skal vi sende koden din?
# Choice to get the code by SMS; uses `{number}`.
channel-sms = SMS til { $number }
# Choice to get the code by e-mail; uses `{address}`.
channel-email = E-post til { $address }
# Button to send a one-time code.
send-code = Send kode
# Shown after a code was sent by SMS; uses `{number}` and `{minutes}`.
code-sent-sms = Vi har sendt en kode på SMS til { $number }. Koden gjelder i { $minutes ->
        [one] { $minutes } minutt
       *[other] { $minutes } minutter
    }.
# Shown after a code was sent by e-mail; uses `{address}` and `{minutes}`.
code-sent-email = Vi har sendt en kode på e-post til { $address }. Koden gjelder i { $minutes ->
        [one] { $minutes } minutt
       *[other] { $minutes } minutter
    }.
# Label of the one-time code field.
code-label = Engangskode
# Help text for the one-time code field.
code-help = Skriv inn koden slik den står. Det går fint med både store og små bokstaver, og mellomrom og bindestreker spiller ingen rolle.
# Text of the button that checks the typed code.
verify-button = Bekreft
# Button or link to send a new code.
send-new-code = Send en ny kode
# Link to get the code another way.
use-other-channel = Send koden på en annen måte
# Shown when the typed code is wrong; uses `{tries}`.
code-wrong = Koden er feil. Du har { $tries } forsøk igjen.
# Shown when the code has expired.
code-expired = Koden har gått ut. Send en ny kode.
# Shown when the code was typed wrong too many times.
code-too-many-tries = Koden ble skrevet feil for mange ganger. Send en ny kode.
# Shown when there is no code to check: none was sent, or it was already used.
code-none = Det er ikke sendt noen kode ennå, eller koden er allerede brukt. Send en ny kode.
# Shown when codes are blocked after too many wrong ones; uses `{minutes}`.
second-factor-locked = For mange feil koder. Av hensyn til sikkerheten din er koder sperret i { $minutes ->
        [one] { $minutes } minutt
       *[other] { $minutes } minutter
    }.
# Shown when the user has no number or address to get codes at.
no-channels = Du har ikke registrert noe mobilnummer eller noen e-postadresse for koder. Registrer mobilnummeret ditt under «Mine SMS-nummer» mens du er på kommunens nettverk, eller logg inn med eID.
# Shown when the SMS with the code could not be sent.
send-failed-sms = Vi fikk ikke sendt SMS-en akkurat nå. Prøv e-post i stedet, eller prøv igjen om noen minutter.
# Shown when the e-mail with the code could not be sent.
send-failed-email = Vi fikk ikke sendt e-posten akkurat nå. Prøv SMS i stedet, eller prøv igjen om noen minutter.
# Shown when a new code is asked for too soon; uses `{seconds}`.
send-limit-cooldown = Vi har nettopp sendt en kode. Vent { $seconds ->
        [one] { $seconds } sekund
       *[other] { $seconds } sekunder
    } før du ber om en ny.
# Shown when a new code is asked for too soon after one sent for another login; uses `{seconds}`.
send-limit-cooldown-elsewhere = En kode ble nettopp sendt til samme nummer eller adresse for en annen innlogging, og den gjelder bare der. Vent { $seconds ->
        [one] { $seconds } sekund
       *[other] { $seconds } sekunder
    } og be så om en ny kode her.
# Shown when too many codes have been asked for; uses `{minutes}`.
send-limit-reached = Det er bedt om for mange koder. Prøv igjen om { $minutes ->
        [one] { $minutes } minutt
       *[other] { $minutes } minutter
    }.
# Shown when codes cannot be sent to the number's country.
send-limit-country = Vi kan ikke sende koder til nummer i dette landet. Bruk e-post eller eID i stedet.
# Text of the SMS with the code; uses `{code}` and `{minutes}`; keep under 160 characters.
code-sms-text = Engangskoden din: { $code }. Gjelder i { $minutes } min. Del aldri koden med noen.
# Subject of the e-mail with the code.
code-email-subject = Engangskoden din
# Body of the e-mail with the code; uses `{code}` and `{minutes}`.
code-email-body =
    Engangskoden din er: { $code }

    Koden gjelder i { $minutes ->
                [one] { $minutes } minutt
               *[other] { $minutes } minutter
            } og kan bare brukes én gang.

    Hvis det ikke var du som prøvde å logge inn, kan noen kjenne passordet ditt. Bytt passord og kontakt IT-brukerstøtten.
# Heading of the page for the user's SMS numbers.
phones-title = Mine SMS-nummer
# Explanation at the top of the SMS numbers page.
phones-intro = Når du logger inn utenfor kommunens nettverk, sender vi koder til disse numrene. Du kan registrere høyst to.
# Label before the numbers registered now.
phones-current = Registrert nå:
# Shown when no numbers are registered.
phones-none = Ingen nummer er registrert.
# Label of the first mobile number field.
phone1-label = Mobilnummer 1
# Label of the second, optional mobile number field.
phone2-label = Mobilnummer 2 (valgfritt)
# Help text for the mobile number fields; uses `{example}` (a mobile number of the reader's country).
phones-help = For eksempel { $example }. Et nummer fra et annet land begynner med + og landskoden. La et felt stå tomt for å fjerne et nummer.
# Label of the password field that confirms a change.
confirm-password = Passordet ditt, for å bekrefte endringen
# Text of the save button.
save-button = Lagre
# Shown after the numbers were saved.
phones-saved = Numrene dine er lagret.
# Shown when numbers are changed from outside the municipality's network.
phones-only-internal = Av hensyn til sikkerheten din kan numrene bare endres fra kommunens nettverk (for eksempel på jobb-PC-en).
# Shown when the confirming password is wrong.
phones-password-wrong = Passordet er feil. Ingenting ble endret.
# Shown when a typed number is refused; uses `{input}` and `{reason}`.
phone-invalid = «{ $input }» er ikke et mobilnummer vi kan bruke: { $reason }.
# Shown when more than two numbers are given.
phones-too-many = Du kan registrere høyst to nummer.
# Subject of the e-mail telling that the numbers were changed.
phones-changed-subject = Numrene dine for engangskoder er endret
# Body of the e-mail telling that the numbers were changed; uses `{time}`.
phones-changed-body = Mobilnumrene for engangskodene dine ble endret { $time }. Hvis det ikke var du som gjorde dette, kontakt IT-brukerstøtten med en gang.
# SMS telling that the numbers were changed; keep under 160 characters.
phones-changed-sms = Numrene dine for engangskoder er endret. Hvis det ikke var deg, kontakt IT-brukerstøtten.
# Why a number was refused: not only digits; fills `{reason}`; uses `{example}`.
phone-reason-digits = bruk bare sifre, for eksempel { $example }
# Why a number was refused: too short or too long; fills `{reason}`.
phone-reason-length = det har for få eller for mange sifre
# Why a number was refused: no phone has it in its country; fills `{reason}`.
phone-reason-invalid = det nummeret finnes ikke; sjekk sifrene, og skriv et nummer fra et annet land med + og landskoden
# Why a number was refused: a real number that cannot get an SMS; fills `{reason}`.
phone-reason-not-mobile = det er ikke et mobilnummer; skriv et nummer fra et annet land med + og landskoden
# Why a number was refused: its country is not allowed; fills `{reason}`.
phone-reason-country = nummer i det landet kan ikke motta koder
# Shown when the user directory cannot be reached: the password was not checked and nothing was counted.
directory-down = Vi kan ikke sjekke passordet ditt akkurat nå fordi brukerkatalogen ikke svarer. Prøv igjen om noen minutter. Forsøket telles ikke som feil passord.
# Shown after a right password that the directory says must be changed first.
password-must-change = Passordet er riktig, men du må bytte det før du kan logge inn.
# Link text to the page where the password is changed.
password-change-link = Bytt passord
# Shown when the directory says the account is disabled or expired.
account-disabled = Kontoen din er deaktivert eller utløpt. Kontakt IT-brukerstøtten.
# Shown when the directory says the account is locked.
account-locked = Kontoen din er låst etter for mange feil passord. Prøv igjen senere eller kontakt IT-brukerstøtten.
# Next to the send button while a new code may not be asked for yet; uses `{seconds}`.
resend-in = Du kan be om en ny kode om { $seconds ->
        [one] { $seconds } sekund
       *[other] { $seconds } sekunder
    }.
# Heading of the step-up page when only an eID login helps.
step-up-title = Sikrere innlogging trengs
# What the service needs when only eID helps and its rule has no message; uses `{level}`.
step-up-needs-eid = Denne tjenesten krever innlogging med eID på nivå { $level ->
        [high] høyt
       *[other] betydelig
    }. En engangskode er ikke nok.
# Heading of the page for a step-up this user cannot make here.
step-up-impossible-title = Innloggingen tjenesten krever, er ikke tilgjengelig her
# No configured eID can give the level needed; uses `{level}`.
step-up-eid-not-offered = Denne tjenesten krever innlogging med eID på nivå { $level ->
        [high] høyt
       *[other] betydelig
    }, og her kan du ikke logge inn med eID på det nivået. Åpne tjenesten fra kommunens nettverk, eller kontakt IT-brukerstøtten.
