### Kommunen si eiga innlogging: stadfeste utlogging, val av språk, kontoopplysingar, brukarstøtte, tips om gruppe.

# Heading of the page that asks before logging out.
logout-confirm-title = Logge ut?
# Question on the page that asks before logging out.
logout-confirm-body = Du blir logga ut av alle tenestene du har opna med denne innlogginga.
# Label of the language switcher.
language-choice = Språk
# Link to the account page.
account-link = Min konto
# Label before the username on the account page.
account-username = Brukarnamn
# Label before the user group on the account page.
account-realm = Brukargruppe
# Label before the address e-mail codes go to.
account-email = Eingongskodar på e-post blir sende til
# Shown when there is no e-mail address for codes.
account-email-none = Det er ikkje registrert nokon e-postadresse for deg. Kontakt IT-brukarstøtta om du vil få kodar på e-post.
# Button that removes one number; uses `{number}`.
phone-remove = Fjern { $number }
# Shown after a number was removed; uses `{number}`.
phone-removed = Nummeret { $number } er fjerna.
# Shown when the number to remove is not registered (removed already, in another tab).
phone-not-registered = Nummeret er ikkje registrert, så ingenting vart fjerna.
# Heading of the support box.
support-title = Treng du hjelp?
# Label before the support phone number.
support-phone = Telefon
# Label before the support e-mail address.
support-email = E-post
# Link text to the support web page.
support-web = Hjelpesider
# Label before the support opening hours.
support-hours = Opningstider
# Shown after every failed login where there are several groups; uses `{groups}`.
wrong-group-hint = Sjekk at du har valt rett gruppe: { $groups }.
