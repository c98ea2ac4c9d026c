### Kommunens eget login: bekræft log ud, valg af sprog, kontooplysninger, support, tip om gruppe.

# Heading of the page that asks before logging out.
logout-confirm-title = Log ud?
# Question on the page that asks before logging out.
logout-confirm-body = Du bliver logget ud af alle de tjenester, du har åbnet med dette login.
# Label of the language switcher.
language-choice = Sprog
# Link to the account page.
account-link = Min konto
# Label before the username on the account page.
account-username = Brugernavn
# Label before the user group on the account page.
account-realm = Brugergruppe
# Label before the address e-mail codes go to.
account-email = Engangskoder på e-mail sendes til
# Shown when there is no e-mail address for codes.
account-email-none = Der er ikke registreret nogen e-mailadresse til dig. Kontakt IT-supporten, hvis du vil have koder på e-mail.
# Button that removes one number; uses `{number}`.
phone-remove = Fjern { $number }
# Shown after a number was removed; uses `{number}`.
phone-removed = Nummeret { $number } er fjernet.
# Shown when the number to remove is not registered (removed already, in another tab).
phone-not-registered = Nummeret er ikke registreret, så intet blev fjernet.
# Heading of the support box.
support-title = Brug for hjælp?
# Label before the support phone number.
support-phone = Telefon
# Label before the support e-mail address.
support-email = E-mail
# Link text to the support web page.
support-web = Hjælpesider
# Label before the support opening hours.
support-hours = Åbningstider
# Shown after every failed login where there are several groups; uses `{groups}`.
wrong-group-hint = Tjek, at du har valgt den rigtige gruppe: { $groups }.
