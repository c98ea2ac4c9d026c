### eID login, linking an eID to an account, and the notices about it.
### One key space for all files; every language has every key with the same variables (tested).

# Heading above the eID buttons on the login page.
eid-login-section = Or log in with eID
# Button label; uses `{provider}`.
eid-login-with = Log in with { $provider }
# Button label when a step-up asks for a level; uses `{provider}` and `{level}`.
eid-login-with-at = Log in with { $provider } (level { $level ->
        [high] high
       *[other] substantial
    })
# Title of the link page.
eid-link-title = Link your eID to your account
# Explains linking.
eid-link-intro = This is your first eID login here. Type your work e-mail address: we will send a code there, and when you enter it, your eID is linked to your account. After that, eID login works from anywhere.
# E-mail field label.
eid-email-label = Work e-mail address
# Send button.
eid-send-code = Send code
# Code sent; uses `{email}` and `{minutes}`.
eid-code-sent = We sent a code to { $email }. It is valid for { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    }.
# Code field label.
eid-code-label = Code from the e-mail
# Link button.
eid-link-button = Link and log in
# Private or foreign domain; uses `{domain}`.
eid-private-domain = { $domain } is not one of the municipality's e-mail domains. Use your work address: a private address could give you someone else's access.
# Not an e-mail address.
eid-not-an-email = That is not an e-mail address. Type your whole work address, for example name@municipality.no.
# No account with that address; uses `{email}`.
eid-no-account = No account has the address { $email }. Check the spelling, or use the address shown in your work e-mail program.
# The account already has an eID linked.
eid-already-linked = This account already has an eID linked. If that link is wrong, log in with your password, unlink it under “My account”, and link again.
# Title: linking only from work.
eid-link-only-at-work-title = First eID login must be made at work
# Body: linking only from work.
eid-link-only-at-work-body = Your eID is not linked to an account yet. Linking needs your work e-mail address, so the first eID login must be made on the municipality's network (for example on your work PC). After that, eID login works from anywhere. Until then, log in with username, password and a one-time code.
# The link step expired.
eid-link-expired = The link step took too long or was already finished. Start the eID login again.
# Title of eID failure pages.
eid-failed-title = The eID login did not go through
# Flow missing, used or from another browser.
eid-flow-missing = The eID login took too long, was already used, or was started in another browser. Start again from the login page.
# The user cancelled at the provider.
eid-cancelled = The eID login was cancelled. You can start it again, or log in with your username and password.
# The provider returned an error; uses `{error}`.
eid-provider-error = The eID service answered with an error ({ $error }). Try again in a moment.
# The provider cannot be reached.
eid-unavailable = The eID service cannot be reached right now. Try again in a few minutes, or log in with username, password and a one-time code.
# The answer could not be verified.
eid-invalid = The answer from the eID service could not be verified, so you have not been logged in. Start again; if it happens again, contact IT support.
# The login's level was too low.
eid-acr-too-low = Your eID login was at a lower security level than the login service accepts. Log in again with an eID at a higher level.
# The linked account no longer exists.
eid-account-gone = Your eID is linked to an account that no longer exists. Contact IT support to have the link removed.
# Account page heading.
eid-account-title = eID
# Linked; uses `{provider}`, `{person}`, `{date}`.
eid-account-linked = Your account has been linked to an eID from { $provider } (ID number { $person }) since { $date }.
# Nothing linked.
eid-account-none = No eID is linked. Log in with eID on the municipality's network to link one.
# Unlink explanation.
eid-unlink-intro = If this is not your eID, unlink it. Confirm with your password. Then log out, close the browser, and link again with the right e-mail address.
# Unlink button.
eid-unlink-button = Unlink eID
# Label of the unlink form's password field.
eid-unlink-confirm-password = Your password, to confirm unlinking the eID
# Unlinked notice.
eid-unlinked = Your eID is no longer linked. Log out and close the browser before you link again.
# Wrong password at unlink.
eid-unlink-password-wrong = The password is wrong. The eID is still linked.
# Subject of the code e-mail.
eid-code-subject = Your code for linking eID
# Body of the code e-mail; uses `{code}` and `{minutes}`.
eid-code-body =
    Your code is { $code }. It is valid for { $minutes ->
                [one] { $minutes } minute
               *[other] { $minutes } minutes
            }.

    If you did not try to link an eID to your account, ignore this e-mail and tell IT support.
# Subject of the "linked" notice.
eid-linked-subject = An eID was linked to your account
# Body of the "linked" notice; uses `{provider}` and `{time}`.
eid-linked-body =
    An eID from { $provider } was linked to your account on { $time }. From now on it can be used to log in from anywhere.

    If this was not you, contact IT support at once.
# Subject of the "unlinked" notice.
eid-unlinked-subject = The eID link to your account was removed
# Body of the "unlinked" notice; uses `{provider}` and `{time}`.
eid-unlinked-body =
    The eID from { $provider } was unlinked from your account on { $time }.

    If this was not you, contact IT support at once.
# The eID's provider may not be used from the zone the user is in.
eid-not-from-here = This eID cannot be used from where you are now. Log in another way, or from the municipality's network.
# The eID maps to an account in a directory, and that directory has no such account.
eid-no-mapped-account = The account you logged in with has no matching account in the municipality's user directory. Contact IT support.
