### Strings of the gateway's own pages, error pages and the codes it sends.
### One key space for all files; every language has every key with the same variables (tested).

# Heading of the login page.
login-title = Logg inn
# Explanation at the top of the login page.
login-intro = Logg inn med brukarnamnet og passordet ditt i kommunen – dei same som du brukar på jobb-PC-en.
# Label of the username field.
username = Brukarnamn
# Label of the password field.
password = Passord
# Label of the user group (realm) choice.
realm = Brukargruppe
# Help text for the user group choice.
realm-help = Vel gruppa du høyrer til. Rektorar, helsesjukepleiarar og assistentar vel den administrative gruppa.
# Text of the login button.
login-button = Logg inn
# Shown when the username or password is wrong.
login-failed = Brukarnamnet eller passordet er feil. Sjekk begge og prøv igjen.
# Link to password help.
password-help = Har du gløymt passordet?
# Heading of the service portal.
portal-title = Tenestene dine
# Introduction on the portal; uses `{name}`.
portal-intro = Du er logga inn som { $name }. Dette er tenestene dine:
# Shown on the portal when no services are open.
portal-empty = Ingen tenester er opne for deg akkurat no.
# Button to open a service.
portal-open = Opne
# Service status: a stronger login is needed.
portal-needs-stronger-login = Krev sikrare innlogging
# Link to log in with a one-time code.
portal-step-up = Logg inn med eingongskode
# Portal button when only an eID login helps; uses `{level}` ("substantial" or "high").
portal-step-up-eid = Logg inn med eID på nivå { $level ->
        [high] høgt
       *[other] betydeleg
    }
# Service status: not reachable from the current network.
portal-not-from-this-network = Ikkje tilgjengeleg frå nettverket du er på no
# Service status: closed until a time; uses `{time}`.
portal-closed-until = Stengd til { $time }
# Service status: the user has no access.
portal-no-access = Du har ikkje tilgang til denne tenesta
# Where the user is connected from; uses `{zone}`.
portal-zone = Du er tilkopla { $zone }.
# Where from, for {zone}: the municipality's own network.
zone-internal = frå nettverket til kommunen
# Where from, for {zone}: anywhere outside the municipality's network.
zone-remote = frå ein stad utanfor nettverket til kommunen
# Log out link or button.
logout = Logg ut
# Heading of the logged-out page.
logged-out-title = Du er logga ut
# Body of the logged-out page.
logged-out-body = Du er no logga ut. Om du brukar ei delt eller offentleg datamaskin, bør du òg lukke nettlesaren.
# Link to log in again.
login-again = Logg inn igjen
# Shown after logout for inactivity; uses `{minutes}`.
session-expired = Du vart logga ut fordi du ikkje hadde vore aktiv på meir enn { $minutes } minutt. Logg inn igjen.
# Link back to the service portal.
back-to-portal = Tilbake til tenestene dine
# Generic error heading.
error-title = Noko gjekk gale
# Heading for access denied (403).
forbidden-title = Ingen tilgang
# Body for a failed form (CSRF) check.
forbidden-csrf = Skjemaet hadde gått ut på tid eller kom frå ei anna side. Gå tilbake, last inn sida på nytt og prøv igjen.
# Body for a form posted with another content type than a browser's form (415).
form-type-body = Skjemaet må sendast frå sida i ein nettlesar (som application/x-www-form-urlencoded). Gå tilbake, last inn sida på nytt og prøv igjen.
# Body for access denied by an explicit deny rule without its own message; uses `{service}`.
forbidden-policy = Tilgangsreglane til kommunen lèt deg ikkje opne { $service }. Treng du tenesta i arbeidet ditt, kontakt IT-brukarstøtta.
# Body for access denied because no rule gives the user's groups the service; uses `{service}`.
forbidden-groups = Kontoen din gir ikkje tilgang til { $service }. Treng du tenesta i arbeidet ditt, be leiaren din om å ordne tilgang for deg.
# Heading for page not found (404).
not-found-title = Fann ikkje sida
# Body for page not found (404).
not-found-body = Det finst inga side på denne adressa. Sjekk adressa, eller gå til tenestene dine.
# Heading when a service does not answer (502/504).
bad-gateway-title = Tenesta svarar ikkje
# Body when a service does not answer; uses `{service}`.
bad-gateway-body = Vi får ikkje kontakt med { $service } akkurat no. Dei andre tenestene dine verkar som vanleg. Prøv igjen om nokre minutt. Viss problemet held fram, kontakt IT-brukarstøtta.
# Heading when a request body is too large (413).
too-large-title = Førespurnaden var for stor
# Body when a request body is too large (413).
too-large-body = Det du sende, var større enn det innloggingstenesta tek imot. Gå tilbake og prøv igjen med mindre innhald.
# Body when request headers are too large (431).
headers-too-large-body = Nettlesaren din sende for mykje data, ofte på grunn av gamle informasjonskapslar (cookies). Slett informasjonskapslane for denne nettstaden og prøv igjen.
# Heading for a malformed request (400).
bad-request-title = Førespurnaden vart ikkje forstått
# Body for a malformed request (400).
bad-request-body = Innloggingstenesta forstod ikkje førespurnaden. Gå tilbake og prøv igjen.
# Plain-text body of the 401 a client that does not ask for HTML gets without a session.
plain-login-required = innlogging krevst: logg inn på /.portvakt/login
# Plain-text body of the 401 a client that does not ask for HTML gets when this network needs a stronger login.
plain-step-up-required = ei sterkare innlogging krevst frå dette nettverket
# Body when the request's path is refused (400); uses `{reason}` (bad-path-reason, technical).
bad-path-body = Adressa i førespurnaden har ei form som innloggingstenesta ikkje godtek (teknisk detalj: { $reason }). Sjekk lenkja, eller skriv adressa på nytt.
# Why a request's path is refused, shown in bad-path-body as `{reason}`; `$why` is the reason's code.
bad-path-reason = { $why ->
    [not-absolute] stien byrjar ikkje med «/»
    [invalid-escape] ein «%» som ikkje blir følgd av to heksadesimale siffer
    [encoded-slash] ein koda skråstrek (%2F)
    [backslash] ein omvend skråstrek
    [nul] ein NUL-byte (%00)
    [control] eit kontrollteikn
    [invalid-utf8] byte som ikkje er gyldig UTF-8 etter dekoding (som den overlange %C0%AF)
    [double-encoding] dobbel koding (%25 følgd av to heksadesimale siffer)
    [path-params] ein «;»-parameter i stien, som denne tenesta avviser
    [dot-params] eit punktsegment med ein «;»-parameter
    [trailing-dot-or-space] eit stisegment som sluttar på punktum eller mellomrom, som bakenden til denne tenesta overser
   *[ambiguous] stiparametrar som endrar kva teneste stien høyrer til
}
# Heading when rate limited (429).
too-many-attempts-title = For mange forsøk
# Body when rate limited; uses `{seconds}`.
too-many-attempts-body = Det har vore for mange forsøk. Vent { $seconds } sekund og prøv igjen.
# Body for an internal error (500).
internal-error-body = Det oppstod ein feil i innloggingstenesta. Prøv igjen om litt. Viss problemet held fram, kontakt IT-brukarstøtta.
# Heading when the gateway is unavailable (503).
unavailable-title = Mellombels utilgjengeleg
# Body when the gateway is unavailable (503).
unavailable-body = Innloggingstenesta er mellombels utilgjengeleg. Er du logga inn, er du framleis logga inn. Prøv igjen om eit minutt.
# Text of the skip link for keyboard and screen reader users.
skip-to-content = Hopp til innhaldet
# Heading of the account page.
account-title = Min konto
# Shows who is logged in; uses `{name}`.
signed-in-as = Logga inn som { $name }
# Heading of the page where a one-time code is sent and typed.
second-factor-title = Stadfest med ein eingongskode
# Question above the choice of where to send the code.
choose-channel = Kvar skal vi sende koden din?
# Choice to get the code by SMS; uses `{number}`.
channel-sms = SMS til { $number }
# Choice to get the code by e-mail; uses `{address}`.
channel-email = E-post til { $address }
# Button to send a one-time code.
send-code = Send kode
# Shown after a code was sent by SMS; uses `{number}` and `{minutes}`.
code-sent-sms = Vi har sendt ein kode på SMS til { $number }. Koden gjeld i { $minutes } minutt.
# Shown after a code was sent by e-mail; uses `{address}` and `{minutes}`.
code-sent-email = Vi har sendt ein kode på e-post til { $address }. Koden gjeld i { $minutes } minutt.
# Label of the one-time code field.
code-label = Eingongskode
# Help text for the one-time code field.
code-help = Skriv inn koden slik han står. Det går fint med både store og små bokstavar, og mellomrom og bindestrekar speler inga rolle.
# Text of the button that checks the typed code.
verify-button = Stadfest
# Button or link to send a new code.
send-new-code = Send ein ny kode
# Link to get the code another way.
use-other-channel = Send koden på ein annan måte
# Shown when the typed code is wrong; uses `{tries}`.
code-wrong = Koden er feil. Du har { $tries } forsøk att.
# Shown when the code has expired.
code-expired = Koden har gått ut på tid. Send ein ny kode.
# Shown when the code was typed wrong too many times.
code-too-many-tries = Koden vart skriven feil for mange gonger. Send ein ny kode.
# Shown when there is no code to check: none was sent, or it was already used.
code-none = Det er ikkje sendt nokon kode enno, eller koden er allereie brukt. Send ein ny kode.
# Shown when codes are blocked after too many wrong ones; uses `{minutes}`.
second-factor-locked = For mange feil kodar. Av omsyn til tryggleiken din er kodar sperra i { $minutes } minutt.
# Shown when the user has no number or address to get codes at.
no-channels = Du har ikkje registrert noko mobilnummer eller noka e-postadresse for kodar. Registrer mobilnummeret ditt under «Mine SMS-nummer» medan du er på nettverket til kommunen, eller logg inn med eID.
# Shown when the SMS with the code could not be sent.
send-failed-sms = Vi fekk ikkje sendt SMS-en akkurat no. Prøv e-post i staden, eller prøv igjen om nokre minutt.
# Shown when the e-mail with the code could not be sent.
send-failed-email = Vi fekk ikkje sendt e-posten akkurat no. Prøv SMS i staden, eller prøv igjen om nokre minutt.
# Shown when a new code is asked for too soon; uses `{seconds}`.
send-limit-cooldown = Vi har nettopp sendt ein kode. Vent { $seconds } sekund før du ber om ein ny.
# Shown when a new code is asked for too soon after one sent for another login; uses `{seconds}`.
send-limit-cooldown-elsewhere = Ein kode vart nettopp send til same nummer eller adresse for ei anna innlogging, og han gjeld berre der. Vent { $seconds } sekund og be så om ein ny kode her.
# Shown when too many codes have been asked for; uses `{minutes}`.
send-limit-reached = Det er bede om for mange kodar. Prøv igjen om { $minutes } minutt.
# Shown when codes cannot be sent to the number's country.
send-limit-country = Vi kan ikkje sende kodar til nummer i dette landet. Bruk e-post eller eID i staden.
# Text of the SMS with the code; uses `{code}` and `{minutes}`; keep under 160 characters.
code-sms-text = Eingongskoden din: { $code }. Gjeld i { $minutes } min. Del aldri koden med nokon.
# Subject of the e-mail with the code.
code-email-subject = Eingongskoden din
# Body of the e-mail with the code; uses `{code}` and `{minutes}`.
code-email-body =
    Eingongskoden din er: { $code }

    Koden gjeld i { $minutes } minutt og kan berre brukast éin gong.

    Viss det ikkje var du som prøvde å logge inn, kan nokon kjenne passordet ditt. Byt passord og kontakt IT-brukarstøtta.
# Heading of the page for the user's SMS numbers.
phones-title = Mine SMS-nummer
# Explanation at the top of the SMS numbers page.
phones-intro = Når du loggar inn utanfor nettverket til kommunen, sender vi kodar til desse numra. Du kan registrere høgst to.
# Label before the numbers registered now.
phones-current = Registrert no:
# Shown when no numbers are registered.
phones-none = Ingen nummer er registrerte.
# Label of the first mobile number field.
phone1-label = Mobilnummer 1
# Label of the second, optional mobile number field.
phone2-label = Mobilnummer 2 (valfritt)
# Help text for the mobile number fields; uses `{example}` (a mobile number of the reader's country).
phones-help = Til dømes { $example }. Eit nummer frå eit anna land byrjar med + og landskoden. La eit felt stå tomt for å fjerne eit nummer.
# Label of the password field that confirms a change.
confirm-password = Passordet ditt, for å stadfeste endringa
# Text of the save button.
save-button = Lagre
# Shown after the numbers were saved.
phones-saved = Numra dine er lagra.
# Shown when numbers are changed from outside the municipality's network.
phones-only-internal = Av omsyn til tryggleiken din kan numra berre endrast frå nettverket til kommunen (til dømes på jobb-PC-en).
# Shown when the confirming password is wrong.
phones-password-wrong = Passordet er feil. Ingenting vart endra.
# Shown when a typed number is refused; uses `{input}` and `{reason}`.
phone-invalid = «{ $input }» er ikkje eit mobilnummer vi kan bruke: { $reason }.
# Shown when more than two numbers are given.
phones-too-many = Du kan registrere høgst to nummer.
# Subject of the e-mail telling that the numbers were changed.
phones-changed-subject = Numra dine for eingongskodar er endra
# Body of the e-mail telling that the numbers were changed; uses `{time}`.
phones-changed-body = Mobilnumra for eingongskodane dine vart endra { $time }. Viss det ikkje var du som gjorde dette, kontakt IT-brukarstøtta med ein gong.
# SMS telling that the numbers were changed; keep under 160 characters.
phones-changed-sms = Numra dine for eingongskodar er endra. Viss det ikkje var deg, kontakt IT-brukarstøtta.
# Why a number was refused: not only digits; fills `{reason}`; uses `{example}`.
phone-reason-digits = bruk berre siffer, til dømes { $example }
# Why a number was refused: too short or too long; fills `{reason}`.
phone-reason-length = det har for få eller for mange siffer
# Why a number was refused: no phone has it in its country; fills `{reason}`.
phone-reason-invalid = det nummeret finst ikkje; sjekk sifra, og skriv eit nummer frå eit anna land med + og landskoden
# Why a number was refused: a real number that cannot get an SMS; fills `{reason}`.
phone-reason-not-mobile = det er ikkje eit mobilnummer; skriv eit nummer frå eit anna land med + og landskoden
# Why a number was refused: its country is not allowed; fills `{reason}`.
phone-reason-country = nummer i det landet kan ikkje ta imot kodar
# Shown when the user directory cannot be reached: the password was not checked and nothing was counted.
directory-down = Vi kan ikkje sjekke passordet ditt akkurat no fordi brukarkatalogen ikkje svarar. Prøv igjen om nokre minutt. Forsøket blir ikkje rekna som feil passord.
# Shown after a right password that the directory says must be changed first.
password-must-change = Passordet er rett, men du må byte det før du kan logge inn.
# Link text to the page where the password is changed.
password-change-link = Byt passord
# Shown when the directory says the account is disabled or expired.
account-disabled = Kontoen din er deaktivert eller utgått. Kontakt IT-brukarstøtta.
# Shown when the directory says the account is locked.
account-locked = Kontoen din er låst etter for mange feil passord. Prøv igjen seinare eller kontakt IT-brukarstøtta.
# Next to the send button while a new code may not be asked for yet; uses `{seconds}`.
resend-in = Du kan be om ein ny kode om { $seconds ->
        [one] { $seconds } sekund
       *[other] { $seconds } sekund
    }.
# Heading of the step-up page when only an eID login helps.
step-up-title = Sikrare innlogging trengst
# What the service needs when only eID helps and its rule has no message; uses `{level}`.
step-up-needs-eid = Denne tenesta krev innlogging med eID på nivå { $level ->
        [high] høgt
       *[other] betydeleg
    }. Ein eingongskode er ikkje nok.
# Heading of the page for a step-up this user cannot make here.
step-up-impossible-title = Innlogginga tenesta krev, er ikkje tilgjengeleg her
# No configured eID can give the level needed; uses `{level}`.
step-up-eid-not-offered = Denne tenesta krev innlogging med eID på nivå { $level ->
        [high] høgt
       *[other] betydeleg
    }, og her kan du ikkje logge inn med eID på det nivået. Opne tenesta frå nettverket til kommunen, eller kontakt IT-brukarstøtta.
