# The staff workspace, in Greek (the default). Plain words a receptionist uses.
language-name = Ελληνικά
brand-subtitle = Κέντρο Κοινότητας
skip-to-content = Μετάβαση στο περιεχόμενο
nav-label = Κύριο μενού
nav-home = Αρχική
nav-people = Ωφελούμενοι
nav-calendar = Ημερολόγιο
logout = Αποσύνδεση
back = Πίσω
back-home = Επιστροφή στην αρχική
cancel = Ακύρωση
choose = Επιλέξτε
minutes = { $minutes } λεπτά
not-asked = Δεν ρωτήθηκε

error-title = Κάτι δεν πήγε καλά
error-summary-title = Υπάρχει πρόβλημα
error-prefix = Σφάλμα:
error-not-found = Η σελίδα ή η εγγραφή δεν βρέθηκε.
error-forbidden = Ο ρόλος σας δεν επιτρέπει αυτή την ενέργεια.
error-rate-limited = Πάρα πολλά αιτήματα. Περιμένετε λίγο και δοκιμάστε ξανά.
error-internal = Παρουσιάστηκε σφάλμα στο σύστημα. Δεν αποθηκεύτηκε τίποτα. Δοκιμάστε ξανά.
error-request-id = Αν το πρόβλημα επιμένει, δώστε στην υποστήριξη αυτόν τον κωδικό:
error-cross-site = Η φόρμα δεν στάλθηκε από σελίδα του Kentro. Δεν αποθηκεύτηκε τίποτα.
error-csrf = Η φόρμα έληξε ή δεν είναι έγκυρη. Δεν αποθηκεύτηκε τίποτα. Ανοίξτε ξανά τη σελίδα και δοκιμάστε πάλι.
error-bad-form = Η φόρμα δεν διαβάστηκε. Δεν αποθηκεύτηκε τίποτα.

idle-title = Η σύνδεσή σας λήγει σε 2 λεπτά
idle-text = Για την ασφάλεια των στοιχείων, θα αποσυνδεθείτε αν δεν κάνετε κάτι. Ό,τι δεν έχετε αποθηκεύσει θα χαθεί.
idle-stay = Παραμονή σε σύνδεση

login-title = Σύνδεση
login-submit = Σύνδεση
login-email-missing = Γράψτε το e-mail σας
login-password-missing = Γράψτε τον κωδικό σας
login-refused = Το e-mail ή ο κωδικός δεν είναι σωστά, ή ο λογαριασμός είναι απενεργοποιημένος
login-throttled = Πολλές αποτυχημένες προσπάθειες. Περιμένετε λίγα δευτερόλεπτα και δοκιμάστε ξανά
login-expired = Η σύνδεσή σας έληξε. Συνδεθείτε ξανά.

home-title = Αρχική
home-greeting = Καλημέρα,
home-today = Τα σημερινά μου ραντεβού
home-no-appointments = Δεν έχετε ραντεβού σήμερα.
home-my-cases = Οι ανοιχτές υποθέσεις μου
home-no-cases = Δεν έχετε ανοιχτές υποθέσεις.

search-title = Αναζήτηση ωφελούμενου
search-label = Όνομα, ΑΜΚΑ ή ΑΦΜ
search-hint = Με ελληνικούς ή λατινικούς χαρακτήρες· τα τονούμενα και τα κεφαλαία δεν μετράνε.
search-submit = Αναζήτηση
search-not-found-hint = Δεν είναι κανείς από αυτούς; Καταγράψτε νέο ωφελούμενο.
people-found = { $count ->
    [0] Δεν βρέθηκε κανείς
    [one] Βρέθηκε 1 ωφελούμενος
   *[other] Βρέθηκαν { $count } ωφελούμενοι
}

register-title = Νέα καταγραφή
register-identity = Ταυτότητα
register-names-hint = Γράψτε το όνομα με ελληνικούς ή με λατινικούς χαρακτήρες (ή και τα δύο).
register-document = Έγγραφο ταυτοποίησης
register-contact = Επικοινωνία
register-situation = Κατάσταση
register-special = Ειδικές κατηγορίες
register-special-hint = Ευαίσθητα στοιχεία: ρωτήστε μόνο αν χρειάζεται και σημειώστε αν ο ωφελούμενος δεν θέλει να απαντήσει.
register-submit = Καταγραφή
register-submit-new = Δεν είναι κανείς από αυτούς — καταγραφή νέου
duplicates-title = Πιθανοί διπλότυποι
duplicates-text = Μήπως ο ωφελούμενος είναι ήδη καταγεγραμμένος; Ελέγξτε πριν συνεχίσετε.
duplicates-same-person = Είναι το ίδιο πρόσωπο — άνοιγμα καρτέλας
notice-registered = Ο ωφελούμενος καταγράφηκε.
notice-booked = Το ραντεβού κλείστηκε.

hint-date = Για παράδειγμα 27/03/1985
hint-time = Ώρα και λεπτά, για παράδειγμα 09:30
hint-amka = 11 ψηφία. Αφήστε το κενό αν ο ωφελούμενος δεν έχει ΑΜΚΑ.
hint-afm = 9 ψηφία
hint-nationality = Δύο λατινικά γράμματα, για παράδειγμα GR, AL, SY

field-givenNameEl = Όνομα (ελληνικά)
field-familyNameEl = Επώνυμο (ελληνικά)
field-givenNameLatin = Όνομα (λατινικά)
field-familyNameLatin = Επώνυμο (λατινικά)
field-gender = Φύλο
field-birthDate = Ημερομηνία γέννησης
field-amka = ΑΜΚΑ
field-afm = ΑΦΜ
field-idDocumentType = Είδος εγγράφου
field-idDocumentNumber = Αριθμός εγγράφου
field-residencePermitNumber = Αριθμός άδειας διαμονής
field-residencePermitExpiry = Λήξη άδειας διαμονής
field-nationality = Υπηκοότητα
field-phone = Τηλέφωνο
field-email = E-mail
field-password = Κωδικός
field-address = Διεύθυνση
field-area = Περιοχή
field-preferredLanguage = Γλώσσα επικοινωνίας
field-employmentStatus = Εργασιακή κατάσταση
field-educationLevel = Εκπαίδευση
field-disability = Αναπηρία
field-minority = Μειονότητα (και Ρομά)
field-foreignBackground = Αλλοδαπής καταγωγής
field-homeless = Άστεγος ή σε στεγαστικό αποκλεισμό
field-createdAt = Καταγράφηκε
field-staffId = Με ποιον συνάδελφο
field-centerKey = Σημείο εξυπηρέτησης
field-kind = Είδος ραντεβού
field-date = Ημερομηνία
field-startTime = Ώρα έναρξης
field-durationMinutes = Διάρκεια
field-room = Αίθουσα (προαιρετικό)
field-slot = Ώρα ραντεβού
field-personId = Ωφελούμενος

problem-generic = Ελέγξτε το πεδίο «{ $label }»
problem-amka-format = Το ΑΜΚΑ έχει 11 ψηφία, χωρίς γράμματα ή κενά
problem-amka-not-a-date = Τα πρώτα 6 ψηφία του ΑΜΚΑ είναι η ημερομηνία γέννησης (ΗΗΜΜΕΕ)· ελέγξτε το
problem-amka-check-digit = Το ΑΜΚΑ δεν είναι σωστό· μάλλον έχει γίνει λάθος σε κάποιο ψηφίο
problem-amka-birth-date = Το ΑΜΚΑ δεν ταιριάζει με την ημερομηνία γέννησης· ελέγξτε και τα δύο
problem-amka-registered = Υπάρχει ήδη ωφελούμενος με αυτό το ΑΜΚΑ
problem-afm-format = Το ΑΦΜ έχει 9 ψηφία, χωρίς γράμματα ή κενά
problem-afm-check-digit = Το ΑΦΜ δεν είναι σωστό· μάλλον έχει γίνει λάθος σε κάποιο ψηφίο
problem-afm-registered = Υπάρχει ήδη ωφελούμενος με αυτό το ΑΦΜ
problem-name-missing = Γράψτε όνομα και επώνυμο, με ελληνικούς ή με λατινικούς χαρακτήρες
problem-name-latin = Γράψτε το με λατινικούς χαρακτήρες
problem-date-future = Η ημερομηνία δεν μπορεί να είναι στο μέλλον
problem-date-too-old = Η ημερομηνία είναι πριν το 1900· ελέγξτε τη
problem-date-format = Γράψτε την ημερομηνία ως ημέρα/μήνας/έτος, για παράδειγμα 27/03/1985
problem-phone = Γράψτε τηλέφωνο με 7 έως 15 ψηφία, για παράδειγμα 2331012345
problem-email = Γράψτε e-mail όπως όνομα@παράδειγμα.gr
problem-nationality = Γράψτε την υπηκοότητα με δύο λατινικά γράμματα, για παράδειγμα GR
problem-language = Γράψτε τη γλώσσα με δύο λατινικά γράμματα, για παράδειγμα el
problem-id-number = Γράψτε τον αριθμό του εγγράφου
problem-id-type = Επιλέξτε το είδος του εγγράφου
problem-outside-hours = Το ραντεβού πρέπει να είναι μέσα στο ωράριο λειτουργίας
problem-time-format = Γράψτε την ώρα ως ΩΩ:ΛΛ, για παράδειγμα 09:30
problem-closed-day = Το κέντρο είναι κλειστό αυτή την ημέρα· επιλέξτε άλλη
problem-staff-busy = Ο συνάδελφος έχει ήδη ραντεβού αυτή την ώρα· επιλέξτε άλλη ώρα ή άλλον συνάδελφο
problem-staff-not-case-worker = Επιλέξτε κοινωνικό λειτουργό, ψυχολόγο ή συντονιστή· η υποδοχή δεν κάνει συναντήσεις
problem-room-busy = Η αίθουσα είναι ήδη κλεισμένη αυτή την ώρα
problem-duration = Επιλέξτε διάρκεια
problem-staff = Επιλέξτε συνάδελφο

card-caption = Καρτέλα ωφελούμενου
card-tabs = Ενότητες καρτέλας
card-tab-details = Στοιχεία
card-tab-consents = Συναινέσεις
card-no-consents = Δεν έχει καταγραφεί συναίνεση.
card-book = Κλείσιμο ραντεβού
consent-given = Συναινεί
consent-refused = Δεν συναινεί

booking-title = Κλείσιμο ραντεβού
booking-hours = Ωράριο λειτουργίας
booking-submit = Κλείσιμο ραντεβού

calendar-title = Ημερολόγιο
calendar-everyone = Όλοι
calendar-view = Προβολή
calendar-day = Ημέρα
calendar-week = Εβδομάδα
calendar-show = Εμφάνιση
calendar-previous = Προηγούμενη
calendar-next = Επόμενη
calendar-empty = Κανένα ραντεβού.

col-time = Ώρα
col-person = Ωφελούμενος
col-kind = Είδος
col-room = Αίθουσα
col-status = Κατάσταση
col-since = Από
col-name = Ονοματεπώνυμο
col-staff = Συνάδελφος
col-purpose = Σκοπός
col-answer = Απάντηση
col-date = Ημερομηνία

role-platform-admin = Διαχειριστής πλατφόρμας
role-ministry-overseer = Εποπτεία υπουργείου
role-tenant-admin = Συντονιστής κέντρου
role-social-worker = Κοινωνικός λειτουργός
role-psychologist = Ψυχολόγος
role-reception = Υποδοχή

case-status-open = Ανοιχτή
case-status-in-progress = Σε εξέλιξη
case-status-closed = Κλειστή
case-status-reopened = Ξανανοιγμένη

appointment-kind-intake = Πρώτη συνάντηση
appointment-kind-counselling = Συμβουλευτική
appointment-status-booked = Κλεισμένο
appointment-status-cancelled = Ακυρώθηκε
appointment-status-kept = Πραγματοποιήθηκε
appointment-status-missed = Δεν ήρθε

gender-female = Γυναίκα
gender-male = Άνδρας
gender-non-binary = Μη δυαδικό
gender-not-stated = Δεν δηλώθηκε

id-document-identity-card = Δελτίο ταυτότητας
id-document-passport = Διαβατήριο
id-document-residence-permit = Άδεια διαμονής
id-document-asylum-seeker-card = Κάρτα αιτούντος άσυλο
id-document-other = Άλλο

employment-employed = Εργαζόμενος (και αυτοαπασχολούμενος)
employment-unemployed = Άνεργος
employment-long-term-unemployed = Μακροχρόνια άνεργος
employment-inactive = Οικονομικά μη ενεργός
employment-inactive-not-in-education-or-training = Μη ενεργός, εκτός εκπαίδευσης ή κατάρτισης

education-isced-0-to-2 = Έως γυμνάσιο
education-isced-3-to-4 = Λύκειο ή μεταλυκειακή
education-isced-5-to-8 = Ανώτατη εκπαίδευση

special-answer-yes = Ναι
special-answer-no = Όχι
special-answer-declined-to-answer = Δεν θέλει να απαντήσει

duplicate-reason-same-amka = Ίδιο ΑΜΚΑ
duplicate-reason-same-afm = Ίδιο ΑΦΜ
duplicate-reason-same-birth-date-and-similar-name = Ίδια ημερομηνία γέννησης και παρόμοιο όνομα

consent-purpose-record-keeping = Τήρηση αρχείου
consent-purpose-referral-sharing = Διαβίβαση στοιχείων σε παραπομπή
consent-purpose-contact = Επικοινωνία με SMS ή e-mail
consent-purpose-statistics = Στατιστικά

weekday-monday = Δευτέρα
weekday-tuesday = Τρίτη
weekday-wednesday = Τετάρτη
weekday-thursday = Πέμπτη
weekday-friday = Παρασκευή
weekday-saturday = Σάββατο
weekday-sunday = Κυριακή
