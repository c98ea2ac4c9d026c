### The municipality's gateway: logout confirmation, language choice, account details, support, group hint.

# Heading of the page that asks before logging out.
logout-confirm-title = Log out?
# Question on the page that asks before logging out.
logout-confirm-body = You will be logged out of all the services you have opened with this login.
# Label of the language switcher.
language-choice = Language
# Link to the account page.
account-link = My account
# Label before the username on the account page.
account-username = Username
# Label before the user group on the account page.
account-realm = User group
# Label before the address e-mail codes go to.
account-email = One-time codes by e-mail go to
# Shown when there is no e-mail address for codes.
account-email-none = No e-mail address is registered for you. Contact IT support if you want codes by e-mail.
# Button that removes one number; uses `{number}`.
phone-remove = Remove { $number }
# Shown after a number was removed; uses `{number}`.
phone-removed = The number { $number } has been removed.
# Shown when the number to remove is not registered (removed already, in another tab).
phone-not-registered = The number is not registered, so nothing was removed.
# Heading of the support box.
support-title = Need help?
# Label before the support phone number.
support-phone = Phone
# Label before the support e-mail address.
support-email = E-mail
# Link text to the support web page.
support-web = Help pages
# Label before the support opening hours.
support-hours = Opening hours
# Shown after every failed login where there are several groups; uses `{groups}`.
wrong-group-hint = Check that you chose the right group: { $groups }.
