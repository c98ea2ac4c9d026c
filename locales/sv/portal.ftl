### Kommunens egen inloggning: bekräfta utloggning, val av språk, kontouppgifter, support, tips om grupp.

# Heading of the page that asks before logging out.
logout-confirm-title = Logga ut?
# Question on the page that asks before logging out.
logout-confirm-body = Du loggas ut från alla tjänster som du har öppnat med den här inloggningen.
# Label of the language switcher.
language-choice = Språk
# Link to the account page.
account-link = Mitt konto
# Label before the username on the account page.
account-username = Användarnamn
# Label before the user group on the account page.
account-realm = Användargrupp
# Label before the address e-mail codes go to.
account-email = Engångskoder via e-post skickas till
# Shown when there is no e-mail address for codes.
account-email-none = Ingen e-postadress är registrerad för dig. Kontakta IT-supporten om du vill få koder via e-post.
# Button that removes one number; uses `{number}`.
phone-remove = Ta bort { $number }
# Shown after a number was removed; uses `{number}`.
phone-removed = Numret { $number } har tagits bort.
# Shown when the number to remove is not registered (removed already, in another tab).
phone-not-registered = Numret är inte registrerat, så inget togs bort.
# Heading of the support box.
support-title = Behöver du hjälp?
# Label before the support phone number.
support-phone = Telefon
# Label before the support e-mail address.
support-email = E-post
# Link text to the support web page.
support-web = Hjälpsidor
# Label before the support opening hours.
support-hours = Öppettider
# Shown after every failed login where there are several groups; uses `{groups}`.
wrong-group-hint = Kontrollera att du har valt rätt grupp: { $groups }.
