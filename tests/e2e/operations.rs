//! Typed GraphQL documents for the suites, generated from the committed
//! `platform/api/schema.graphql` (as the workspace's are): a document that
//! no longer fits the contract fails to compile, and answers are read as
//! fields rather than `["data"][..]` chains. Run them with
//! [`Client::run`](crate::harness::Client::run).

use graphql_client::GraphQLQuery;

// The contract's custom scalars, as the documents see them (a document
// that names one uses its alias).
#[allow(
    dead_code,
    reason = "each alias is used once a document names its scalar"
)]
mod scalars {
    pub type DateTime = String;
    pub type NaiveDate = String;
    pub type NaiveDateTime = String;
    #[allow(clippy::upper_case_acronyms)]
    pub type JSON = serde_json::Value;
}
#[allow(unused_imports, reason = "as above")]
use scalars::*;

// rustfmt does not keep an attribute inside a macro's body in one place.
#[rustfmt::skip]
macro_rules! operations {
    ($file:tt: $($name:ident),* $(,)?) => {
        $(
            #[derive(GraphQLQuery)]
            #[graphql(
                schema_path = "../api/schema.graphql",
                query_path = $file,
                response_derives = "Debug, Clone, PartialEq",
                variables_derives = "Debug, Clone, Deserialize"
            )]
            pub struct $name;
        )*
    };
}

operations!("../../tests/e2e/operations/people.graphql":
    RegisterPerson,
    PeopleIds,
    SearchPeople,
    PersonForDesk,
    PossibleDuplicates,
    PersonAuditTrail,
    OpenPhoneCase,
    MergePersons,
    CasePerson,
);

operations!("../../tests/e2e/operations/appointments.graphql":
    BookAppointment,
    CancelAppointment,
    RescheduleAppointment,
    MondayOf,
);

operations!("../../tests/e2e/operations/cases.graphql":
    OpenCase,
    TransitionCase,
    AssessNeeds,
    RecordOutcome,
    AddNote,
    CaseStatusOf,
    CaseTimeline,
    CaseNotes,
    CaseAsItStands,
    CaseIds,
    TwoCaseStatuses,
    TwoCasesPeople,
    PersonReads,
    CasesPeopleAsListed,
    CasesPeopleWithIdentifiers,
    CasesWithTheirTexts,
);

operations!("../../tests/e2e/operations/referrals.graphql":
    RecordConsent,
    CreateReferral,
    SendReferral,
    CancelReferral,
    RevokePartnerLinks,
    ReferralOutcome,
    ReferralPerson,
    OverdueReferrals,
    StaffReferralIds,
    CreatePartnerKey,
    RevokePartnerKey,
    PartnerReferrals,
    RespondToReferral,
    Notifications,
);

operations!("../../tests/e2e/operations/invitations.graphql":
    InviteUser,
    AcceptInvitation,
    RevokeInvitation,
    OpenInvitations,
    InvitationPreview,
    Me,
    UserEmails,
    ChangeUserRole,
    DisableUser,
    EnableUser,
    LogIn,
    RequestPasswordReset,
    ResetPassword,
    PlatformAuditActions,
);

operations!("../../tests/e2e/operations/access.graphql":
    Users,
    MyEmail,
    TenantSlugs,
    TenantName,
    LogOut,
    AuditTrail,
    AuditByActor,
    AuditSequencesOf,
    WhoRead,
    RegisterNamed,
    OpenHousingCase,
    PeopleAndCaseIds,
);

operations!("../../tests/e2e/operations/tenants.graphql":
    TenantProfile,
    TenantStatusOf,
    DemoWeek,
    KeaChecklists,
    SuspendTenant,
    ReactivateTenant,
    OffboardTenant,
    CreateTenant,
    UpdateTenant,
    InviteCoordinator,
    MeAndMyTenant,
    TenantReadinessOf,
    PlatformLog,
    TenantExport,
);

operations!("../../tests/e2e/operations/workspace.graphql":
    SocialWorkerDay,
    PeopleFound,
    RegisterInLatin,
    OpenHousingPhoneCase,
    PartnerKeyLabels,
    PluginSettings,
    TenantActivityTimes,
    CenterIndicators,
    MyCenters,
    OwnDirectoryServices,
);

operations!("../../tests/e2e/operations/directory.graphql":
    ImportDirectory,
    ImportDirectoryPackage,
    FindServices,
);

operations!("../../tests/e2e/operations/generate.graphql":
    GeneratedPeople,
    GeneratedCases,
);

operations!("../../tests/e2e/operations/plugins.graphql":
    PluginOperation,
    EnableHostilePlugin,
    MyTenantPlugins,
);

operations!("../../tests/e2e/operations/oversight.graphql":
    MyRoleAndRegion,
    ScopedIndicators,
    ScopedExport,
    CentersActivity,
);

/// Variables (or one input object) from JSON, for inputs with many
/// optional fields: a missing required field or a wrong type fails here.
pub fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("{value} does not fit the document's variables: {e}"))
}
