//! The keys of records, one type per kind, so that a person's key is never
//! passed where a case's or a municipality's is meant. The store hands them
//! out and takes them back; the API shows each as a global ID of its kind.

/// What every kind of key is: a number of the database's, named by its kind
/// in global IDs.
pub trait RecordKey: Copy {
    const KIND: &'static str;

    fn from_raw(raw: i64) -> Self;

    fn raw(self) -> i64;
}

macro_rules! keys {
    ($($(#[$doc:meta])* $name:ident => $kind:literal,)*) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// The key as the database keeps it.
            pub const fn new(raw: i64) -> $name {
                $name(raw)
            }

            pub const fn get(self) -> i64 {
                self.0
            }

            pub fn global_id(self) -> String {
                crate::global_id::encode($kind, self.0)
            }

            /// The key a global ID of this kind names; `None` for an ID of
            /// another kind or for no ID at all.
            pub fn from_global_id(id: &str) -> Option<$name> {
                crate::global_id::decode($kind, id).map($name)
            }
        }

        impl RecordKey for $name {
            const KIND: &'static str = $kind;

            fn from_raw(raw: i64) -> $name {
                $name(raw)
            }

            fn raw(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

keys! {
    /// A municipality, whose center's data is one tenant's.
    TenantId => "Tenant",
    /// A staff member's (or a platform role's) account.
    AccountId => "User",
    /// A person of a center's registry.
    PersonId => "Person",
    /// A case file.
    CaseId => "Case",
    /// A household: a head and their members.
    HouseholdId => "Household",
    /// A household's application for the minimum income (ΚΕΑ).
    KeaApplicationId => "KeaApplication",
    /// An appointment with a person.
    AppointmentId => "Appointment",
    /// A note on a case.
    NoteId => "Note",
    /// A referral of a case to a service.
    ReferralId => "Referral",
    /// A plugin's suggestion that a person be referred.
    SuggestionId => "ReferralSuggestion",
    /// A partner organization's API key.
    PartnerKeyId => "PartnerKey",
    /// An invitation to a center's staff.
    InvitationId => "Invitation",
    /// A message in an outbox.
    NotificationId => "Notification",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_reads_back_only_from_a_global_id_of_its_own_kind() {
        let person = PersonId::new(42);
        assert_eq!(PersonId::from_global_id(&person.global_id()), Some(person));
        assert_eq!(CaseId::from_global_id(&person.global_id()), None);
        assert_eq!(PersonId::from_global_id("42"), None);
    }
}
