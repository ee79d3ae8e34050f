# The staff workspace, in English.
language-name = English
brand-subtitle = Community Center
skip-to-content = Skip to content
nav-label = Main menu
nav-home = Home
nav-people = People
nav-calendar = Calendar
logout = Log out
back = Back
back-home = Back to home
cancel = Cancel
choose = Choose
minutes = { $minutes } minutes
not-asked = Not asked

error-title = Something went wrong
error-summary-title = There is a problem
error-prefix = Error:
error-not-found = The page or record was not found.
error-forbidden = Your role does not allow this.
error-rate-limited = Too many requests. Wait a moment and try again.
error-internal = The system failed. Nothing was saved. Try again.
error-request-id = If the problem persists, give support this code:
error-cross-site = The form was not sent from a Kentro page. Nothing was saved.
error-csrf = The form has expired or is not valid. Nothing was saved. Open the page again and retry.
error-bad-form = The form could not be read. Nothing was saved.

idle-title = You will be logged out in 2 minutes
idle-text = To keep people's records safe, you will be logged out if you do nothing. Anything unsaved will be lost.
idle-stay = Stay logged in

login-title = Log in
login-submit = Log in
login-email-missing = Enter your e-mail
login-password-missing = Enter your password
login-refused = The e-mail or password is wrong, or the account is disabled
login-throttled = Too many failed attempts. Wait a few seconds and try again
login-expired = Your session has ended. Log in again.

home-title = Home
home-greeting = Good morning,
home-today = My appointments today
home-no-appointments = You have no appointments today.
home-my-cases = My open cases
home-no-cases = You have no open cases.

search-title = Find a person
search-label = Name, AMKA or AFM
search-hint = In Greek or Latin letters; accents and capitals do not matter.
search-submit = Search
search-not-found-hint = Not one of them? Register a new person.
people-found = { $count ->
    [0] Nobody found
    [one] 1 person found
   *[other] { $count } people found
}

register-title = Register a person
register-identity = Identity
register-names-hint = Write the name in Greek or in Latin letters (or both).
register-document = Identity document
register-contact = Contact
register-situation = Situation
register-special = Special categories
register-special-hint = Sensitive data: ask only when needed, and record when the person prefers not to answer.
register-submit = Register
register-submit-new = None of them — register a new person
duplicates-title = Possible duplicates
duplicates-text = Is this person already registered? Check before you go on.
duplicates-same-person = It is the same person — open the record
notice-registered = The person was registered.
notice-booked = The appointment was booked.

hint-date = For example 27/03/1985
hint-time = Hours and minutes, for example 09:30
hint-amka = 11 digits. Leave it empty if the person has no AMKA.
hint-afm = 9 digits
hint-nationality = Two Latin letters, for example GR, AL, SY

field-givenNameEl = Given name (Greek)
field-familyNameEl = Family name (Greek)
field-givenNameLatin = Given name (Latin)
field-familyNameLatin = Family name (Latin)
field-gender = Gender
field-birthDate = Date of birth
field-amka = AMKA
field-afm = AFM
field-idDocumentType = Document type
field-idDocumentNumber = Document number
field-residencePermitNumber = Residence permit number
field-residencePermitExpiry = Residence permit expiry
field-nationality = Nationality
field-phone = Phone
field-email = E-mail
field-password = Password
field-address = Address
field-area = Area
field-preferredLanguage = Preferred language
field-employmentStatus = Employment
field-educationLevel = Education
field-disability = Disability
field-minority = Minority (including Roma)
field-foreignBackground = Foreign background
field-homeless = Homeless or in housing exclusion
field-createdAt = Registered
field-staffId = With which colleague
field-centerKey = Service point
field-kind = Kind of appointment
field-date = Date
field-startTime = Start time
field-durationMinutes = Duration
field-room = Room (optional)
field-slot = Appointment time
field-personId = Person

problem-generic = Check the field “{ $label }”
problem-amka-format = An AMKA has 11 digits, without letters or spaces
problem-amka-not-a-date = The first 6 digits of an AMKA are the birth date (DDMMYY); check it
problem-amka-check-digit = The AMKA is not right; a digit was probably mistyped
problem-amka-birth-date = The AMKA does not match the date of birth; check both
problem-amka-registered = A person with this AMKA is already registered
problem-afm-format = An AFM has 9 digits, without letters or spaces
problem-afm-check-digit = The AFM is not right; a digit was probably mistyped
problem-afm-registered = A person with this AFM is already registered
problem-name-missing = Enter a given and a family name, in Greek or in Latin letters
problem-name-latin = Write it in Latin letters
problem-date-future = The date cannot be in the future
problem-date-too-old = The date is before 1900; check it
problem-date-format = Enter the date as day/month/year, for example 27/03/1985
problem-phone = Enter a phone number of 7 to 15 digits, for example 2331012345
problem-email = Enter an e-mail such as name@example.gr
problem-nationality = Enter the nationality as two Latin letters, for example GR
problem-language = Enter the language as two Latin letters, for example el
problem-id-number = Enter the document's number
problem-id-type = Choose the document's type
problem-outside-hours = The appointment must be within opening hours
problem-time-format = Enter the time as HH:MM, for example 09:30
problem-closed-day = The center is closed on that day; choose another
problem-staff-busy = The colleague already has an appointment then; choose another time or colleague
problem-staff-not-case-worker = Choose a social worker, psychologist or coordinator; reception does not hold appointments
problem-room-busy = The room is already booked then
problem-duration = Choose a duration
problem-staff = Choose a colleague

card-caption = Person's record
card-tabs = Record sections
card-tab-details = Details
card-tab-consents = Consents
card-no-consents = No consent recorded.
card-book = Book an appointment
consent-given = Consents
consent-refused = Does not consent

booking-title = Book an appointment
booking-hours = Opening hours
booking-submit = Book the appointment

calendar-title = Calendar
calendar-everyone = Everyone
calendar-view = View
calendar-day = Day
calendar-week = Week
calendar-show = Show
calendar-previous = Previous
calendar-next = Next
calendar-empty = No appointments.

col-time = Time
col-person = Person
col-kind = Kind
col-room = Room
col-status = Status
col-since = Since
col-name = Name
col-staff = Colleague
col-purpose = Purpose
col-answer = Answer
col-date = Date

role-platform-admin = Platform administrator
role-ministry-overseer = Ministry overseer
role-tenant-admin = Center coordinator
role-social-worker = Social worker
role-psychologist = Psychologist
role-reception = Reception

case-status-open = Open
case-status-in-progress = In progress
case-status-closed = Closed
case-status-reopened = Reopened

appointment-kind-intake = Intake
appointment-kind-counselling = Counselling
appointment-status-booked = Booked
appointment-status-cancelled = Cancelled
appointment-status-kept = Kept
appointment-status-missed = Missed

gender-female = Female
gender-male = Male
gender-non-binary = Non-binary
gender-not-stated = Not stated

id-document-identity-card = Identity card
id-document-passport = Passport
id-document-residence-permit = Residence permit
id-document-asylum-seeker-card = Asylum seeker's card
id-document-other = Other

employment-employed = Employed (including self-employed)
employment-unemployed = Unemployed
employment-long-term-unemployed = Long-term unemployed
employment-inactive = Inactive
employment-inactive-not-in-education-or-training = Inactive, not in education or training

education-isced-0-to-2 = Up to lower secondary
education-isced-3-to-4 = Upper secondary or post-secondary
education-isced-5-to-8 = Tertiary

special-answer-yes = Yes
special-answer-no = No
special-answer-declined-to-answer = Prefers not to answer

duplicate-reason-same-amka = Same AMKA
duplicate-reason-same-afm = Same AFM
duplicate-reason-same-birth-date-and-similar-name = Same date of birth and a similar name

consent-purpose-record-keeping = Record keeping
consent-purpose-referral-sharing = Sharing data in a referral
consent-purpose-contact = Contact by SMS or e-mail
consent-purpose-statistics = Statistics

weekday-monday = Monday
weekday-tuesday = Tuesday
weekday-wednesday = Wednesday
weekday-thursday = Thursday
weekday-friday = Friday
weekday-saturday = Saturday
weekday-sunday = Sunday
