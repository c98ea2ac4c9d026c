### Strings of the gateway's own pages, error pages and the codes it sends.
### One key space for all files; every language has every key with the same variables (tested).

# Heading of the login page.
login-title = Log in
# Explanation at the top of the login page.
login-intro = Log in with your municipal username and password – the same ones you use on your work PC.
# Label of the username field.
username = Username
# Label of the password field.
password = Password
# Label of the user group (realm) choice.
realm = User group
# Help text for the user group choice.
realm-help = Choose the group you belong to. Head teachers, school nurses and assistants choose the administrative group.
# Text of the login button.
login-button = Log in
# Shown when the username or password is wrong.
login-failed = The username or password is wrong. Check both and try again.
# Link to password help.
password-help = Forgotten your password?
# Heading of the service portal.
portal-title = Your services
# Introduction on the portal; uses `{name}`.
portal-intro = You are logged in as { $name }. These are your services:
# Shown on the portal when no services are open.
portal-empty = No services are open to you right now.
# Button to open a service.
portal-open = Open
# Service status: a stronger login is needed.
portal-needs-stronger-login = Needs a stronger login
# Link to log in with a one-time code.
portal-step-up = Log in with a one-time code
# Portal button when only an eID login helps; uses `{level}` ("substantial" or "high").
portal-step-up-eid = Log in with eID at level { $level ->
        [high] high
       *[other] substantial
    }
# Service status: not reachable from the current network.
portal-not-from-this-network = Not available from the network you are on now
# Service status: closed until a time; uses `{time}`.
portal-closed-until = Closed until { $time }
# Service status: the user has no access.
portal-no-access = You do not have access to this service
# Where the user is connected from; uses `{zone}`.
portal-zone = You are connected { $zone }.
# Where from, for {zone}: the municipality's own network.
zone-internal = from the municipality's network
# Where from, for {zone}: anywhere outside the municipality's network.
zone-remote = from outside the municipality's network
# Log out link or button.
logout = Log out
# Heading of the logged-out page.
logged-out-title = You are logged out
# Body of the logged-out page.
logged-out-body = You have been logged out. If you are on a shared or public computer, close the browser as well.
# Link to log in again.
login-again = Log in again
# Shown after logout for inactivity; uses `{minutes}`.
session-expired = You were logged out because you were inactive for more than { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    }. Log in again.
# Link back to the service portal.
back-to-portal = Back to your services
# Generic error heading.
error-title = Something went wrong
# Heading for access denied (403).
forbidden-title = Access denied
# Body for a failed form (CSRF) check.
forbidden-csrf = The form had expired or came from another page. Go back, reload the page and try again.
# Body for a form posted with another content type than a browser's form (415).
form-type-body = The form must be sent from the page in a browser (as application/x-www-form-urlencoded). Go back, reload the page and try again.
# Body for access denied by an explicit deny rule without its own message; uses `{service}`.
forbidden-policy = The municipality's access rules do not let you open { $service }. If you need the service for your work, contact IT support.
# Body for access denied because no rule gives the user's groups the service; uses `{service}`.
forbidden-groups = Your account does not give access to { $service }. If you need the service for your work, ask your manager to arrange access for you.
# Heading for page not found (404).
not-found-title = Page not found
# Body for page not found (404).
not-found-body = There is no page at this address. Check the address, or go to your services.
# Heading when a service does not answer (502/504).
bad-gateway-title = The service is not answering
# Body when a service does not answer; uses `{service}`.
bad-gateway-body = { $service } could not be reached just now. Your other services still work. Try again in a few minutes. If the problem continues, contact IT support.
# Heading when a request body is too large (413).
too-large-title = The request was too large
# Body when a request body is too large (413).
too-large-body = What was sent was larger than the login service accepts. Go back and try again with less content.
# Body when request headers are too large (431).
headers-too-large-body = Your browser sent too much data with the request, often because of old cookies. Clear the cookies for this site and try again.
# Heading for a malformed request (400).
bad-request-title = The request could not be understood
# Body for a malformed request (400).
bad-request-body = The login service could not understand the request. Go back and try again.
# Plain-text body of the 401 a client that does not ask for HTML gets without a session.
plain-login-required = authentication required: log in at /.portvakt/login
# Plain-text body of the 401 a client that does not ask for HTML gets when this network needs a stronger login.
plain-step-up-required = a stronger login is required from this network
# Body when the request's path is refused (400); uses `{reason}` (bad-path-reason, technical).
bad-path-body = The address in this request is in a form the login service does not accept (technical detail: { $reason }). Check the link, or type the address again.
# Why a request's path is refused, shown in bad-path-body as `{reason}`; `$why` is the reason's code.
bad-path-reason = { $why ->
    [not-absolute] the path does not start with '/'
    [invalid-escape] a '%' not followed by two hex digits
    [encoded-slash] an encoded slash (%2F)
    [backslash] a backslash
    [nul] a NUL byte (%00)
    [control] a control character
    [invalid-utf8] bytes that are not valid UTF-8 after decoding (such as the overlong %C0%AF)
    [double-encoding] a double encoding (%25 followed by two hex digits)
    [path-params] a ';' path parameter, which this service refuses
    [dot-params] a dot segment with a ';' parameter
    [trailing-dot-or-space] a path segment ending in a dot or a space, which this service's backend ignores
   *[ambiguous] path parameters that change which service the path belongs to
}
# Heading when rate limited (429).
too-many-attempts-title = Too many attempts
# Body when rate limited; uses `{seconds}`.
too-many-attempts-body = There have been too many attempts. Wait { $seconds ->
        [one] { $seconds } second
       *[other] { $seconds } seconds
    } and try again.
# Body for an internal error (500).
internal-error-body = An error occurred in the login service. Try again in a moment. If the problem continues, contact IT support.
# Heading when the gateway is unavailable (503).
unavailable-title = Temporarily unavailable
# Body when the gateway is unavailable (503).
unavailable-body = The login service is temporarily unavailable. If you are logged in, you stay logged in. Try again in a minute.
# Text of the skip link for keyboard and screen reader users.
skip-to-content = Skip to content
# Heading of the account page.
account-title = My account
# Shows who is logged in; uses `{name}`.
signed-in-as = Logged in as { $name }
# Heading of the page where a one-time code is sent and typed.
second-factor-title = Confirm with a one-time code
# Question above the choice of where to send the code.
choose-channel = Where should we send your code?
# Choice to get the code by SMS; uses `{number}`.
channel-sms = SMS to { $number }
# Choice to get the code by e-mail; uses `{address}`.
channel-email = E-mail to { $address }
# Button to send a one-time code.
send-code = Send code
# Shown after a code was sent by SMS; uses `{number}` and `{minutes}`.
code-sent-sms = We sent a code by SMS to { $number }. It is valid for { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    }.
# Shown after a code was sent by e-mail; uses `{address}` and `{minutes}`.
code-sent-email = We sent a code by e-mail to { $address }. It is valid for { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    }.
# Label of the one-time code field.
code-label = One-time code
# Help text for the one-time code field.
code-help = Type the code as it appears. Upper or lower case both work; spaces and dashes are ignored.
# Text of the button that checks the typed code.
verify-button = Confirm
# Button or link to send a new code.
send-new-code = Send a new code
# Link to get the code another way.
use-other-channel = Send the code another way
# Shown when the typed code is wrong; uses `{tries}`.
code-wrong = The code is wrong. You have { $tries ->
        [one] { $tries } try
       *[other] { $tries } tries
    } left.
# Shown when the code has expired.
code-expired = The code has expired. Send a new code.
# Shown when the code was typed wrong too many times.
code-too-many-tries = The code was typed wrong too many times. Send a new code.
# Shown when there is no code to check: none was sent, or it was already used.
code-none = No code has been sent yet, or it has already been used. Send a new code.
# Shown when codes are blocked after too many wrong ones; uses `{minutes}`.
second-factor-locked = Too many wrong codes. For your security, codes are blocked for { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    }.
# Shown when the user has no number or address to get codes at.
no-channels = You have no mobile number or e-mail address registered for codes. Register your mobile number under “My SMS numbers” while you are on the municipality's network, or log in with eID.
# Shown when the SMS with the code could not be sent.
send-failed-sms = The SMS could not be sent just now. Try e-mail instead, or try again in a few minutes.
# Shown when the e-mail with the code could not be sent.
send-failed-email = The e-mail could not be sent just now. Try SMS instead, or try again in a few minutes.
# Shown when a new code is asked for too soon; uses `{seconds}`.
send-limit-cooldown = A code was just sent. Wait { $seconds ->
        [one] { $seconds } second
       *[other] { $seconds } seconds
    } before asking for another.
# Shown when a new code is asked for too soon after one sent for another login; uses `{seconds}`.
send-limit-cooldown-elsewhere = A code was sent to the same number or address moments ago for another login, and it works only there. Wait { $seconds ->
        [one] { $seconds } second
       *[other] { $seconds } seconds
    }, then ask for a new code here.
# Shown when too many codes have been asked for; uses `{minutes}`.
send-limit-reached = Too many codes have been requested. Try again in { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    }.
# Shown when codes cannot be sent to the number's country.
send-limit-country = Codes cannot be sent to numbers in this country. Use e-mail or eID instead.
# Text of the SMS with the code; uses `{code}` and `{minutes}`; keep under 160 characters.
code-sms-text = Your one-time code: { $code }. Valid for { $minutes } min. Never share it with anyone.
# Subject of the e-mail with the code.
code-email-subject = Your one-time code
# Body of the e-mail with the code; uses `{code}` and `{minutes}`.
code-email-body =
    Your one-time code is: { $code }

    It is valid for { $minutes ->
                [one] { $minutes } minute
               *[other] { $minutes } minutes
            } and can be used once.

    If you did not try to log in, someone may know your password. Change your password and contact IT support.
# Heading of the page for the user's SMS numbers.
phones-title = My SMS numbers
# Explanation at the top of the SMS numbers page.
phones-intro = Codes for logging in from outside the municipality's network are sent to these numbers. You can register at most two.
# Label before the numbers registered now.
phones-current = Registered now:
# Shown when no numbers are registered.
phones-none = No numbers registered.
# Label of the first mobile number field.
phone1-label = Mobile number 1
# Label of the second, optional mobile number field.
phone2-label = Mobile number 2 (optional)
# Help text for the mobile number fields; uses `{example}` (a mobile number of the reader's country).
phones-help = For example { $example }. A number from another country begins with + and its country code. Leave a field empty to remove a number.
# Label of the password field that confirms a change.
confirm-password = Your password, to confirm the change
# Text of the save button.
save-button = Save
# Shown after the numbers were saved.
phones-saved = Your numbers were saved.
# Shown when numbers are changed from outside the municipality's network.
phones-only-internal = For your security, numbers can only be changed from the municipality's network (for example on your work PC).
# Shown when the confirming password is wrong.
phones-password-wrong = The password is wrong. Nothing was changed.
# Shown when a typed number is refused; uses `{input}` and `{reason}`.
phone-invalid = “{ $input }” is not a mobile number we can use: { $reason }.
# Shown when more than two numbers are given.
phones-too-many = You can register at most two numbers.
# Subject of the e-mail telling that the numbers were changed.
phones-changed-subject = Your numbers for one-time codes were changed
# Body of the e-mail telling that the numbers were changed; uses `{time}`.
phones-changed-body = The mobile numbers for your one-time codes were changed on { $time }. If you did not do this, contact IT support at once.
# SMS telling that the numbers were changed; keep under 160 characters.
phones-changed-sms = Your numbers for one-time codes were changed. If this was not you, contact IT support.
# Why a number was refused: not only digits; fills `{reason}`; uses `{example}`.
phone-reason-digits = use digits only, like { $example }
# Why a number was refused: too short or too long; fills `{reason}`.
phone-reason-length = it has too few or too many digits
# Why a number was refused: no phone has it in its country; fills `{reason}`.
phone-reason-invalid = no phone has that number; check the digits, and begin a number from another country with + and its country code
# Why a number was refused: a real number that cannot get an SMS; fills `{reason}`.
phone-reason-not-mobile = it is not a mobile number; begin a number from another country with + and its country code
# Why a number was refused: its country is not allowed; fills `{reason}`.
phone-reason-country = numbers in that country cannot receive codes
# Shown when the user directory cannot be reached: the password was not checked and nothing was counted.
directory-down = We cannot check your password right now because the user directory is not answering. Try again in a few minutes. This attempt does not count as a wrong password.
# Shown after a right password that the directory says must be changed first.
password-must-change = Your password is correct, but it must be changed before you can log in.
# Link text to the page where the password is changed.
password-change-link = Change your password
# Shown when the directory says the account is disabled or expired.
account-disabled = Your account is disabled or has expired. Contact IT support.
# Shown when the directory says the account is locked.
account-locked = Your account is locked after too many wrong passwords. Try again later or contact IT support.
# Next to the send button while a new code may not be asked for yet; uses `{seconds}`.
resend-in = You can ask for a new code in { $seconds ->
        [one] { $seconds } second
       *[other] { $seconds } seconds
    }.
# Heading of the step-up page when only an eID login helps.
step-up-title = A stronger login is needed
# What the service needs when only eID helps and its rule has no message; uses `{level}`.
step-up-needs-eid = This service needs an eID login at level { $level ->
        [high] high
       *[other] substantial
    }. A one-time code is not enough.
# Heading of the page for a step-up this user cannot make here.
step-up-impossible-title = The login this service needs is not offered here
# No configured eID can give the level needed; uses `{level}`.
step-up-eid-not-offered = This service needs an eID login at level { $level ->
        [high] high
       *[other] substantial
    }, and no eID at that level can be used here. Open the service from the municipality's network, or contact IT support.
