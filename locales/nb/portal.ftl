### Kommunens egen innlogging: bekrefte utlogging, valg av språk, kontoopplysninger, brukerstøtte, tips om gruppe.

# Heading of the page that asks before logging out.
logout-confirm-title = Logge ut?
# Question on the page that asks before logging out.
logout-confirm-body = Du blir logget ut av alle tjenestene du har åpnet med denne innloggingen.
# Label of the language switcher.
language-choice = Språk
# Link to the account page.
account-link = Min konto
# Label before the username on the account page.
account-username = Brukernavn
# Label before the user group on the account page.
account-realm = Brukergruppe
# Label before the address e-mail codes go to.
account-email = Engangskoder på e-post sendes til
# Shown when there is no e-mail address for codes.
account-email-none = Det er ikke registrert noen e-postadresse for deg. Kontakt IT-brukerstøtten hvis du vil få koder på e-post.
# Button that removes one number; uses `{number}`.
phone-remove = Fjern { $number }
# Shown after a number was removed; uses `{number}`.
phone-removed = Nummeret { $number } er fjernet.
# Shown when the number to remove is not registered (removed already, in another tab).
phone-not-registered = Nummeret er ikke registrert, så ingenting ble fjernet.
# Heading of the support box.
support-title = Trenger du hjelp?
# Label before the support phone number.
support-phone = Telefon
# Label before the support e-mail address.
support-email = E-post
# Link text to the support web page.
support-web = Hjelpesider
# Label before the support opening hours.
support-hours = Åpningstider
# Shown after every failed login where there are several groups; uses `{groups}`.
wrong-group-hint = Sjekk at du har valgt riktig gruppe: { $groups }.
