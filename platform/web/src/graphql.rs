//! The workspace as a client of the contract: typed documents from
//! `queries/`, checked at compile time against the committed
//! `platform/api/schema.graphql`, run in-process with the caller's own
//! `RequestContext`. Authorization, field rules, audit and limits stay the
//! API's.

use graphql_client::GraphQLQuery;
use kentro_api::{KentroSchema, RequestContext};
use serde::Deserialize;

// The contract's custom scalars, as the documents see them.
pub type DateTime = String;
pub type NaiveDate = String;
pub type NaiveDateTime = String;
#[allow(clippy::upper_case_acronyms)]
pub type JSON = serde_json::Value;

/// One error the API answered with.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// `extensions.code`, e.g. `VALIDATION`.
    pub code: String,
    pub message: String,
    /// For `VALIDATION`: each field path (e.g. `input.amka`) and its problem.
    pub fields: Vec<FieldProblem>,
    /// `extensions.field` of other codes (e.g. `DUPLICATE_IDENTIFIER`).
    pub field: Option<String>,
    pub existing_person_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FieldProblem {
    pub field: String,
    pub problem: String,
}

impl ApiError {
    pub fn is(&self, code: &str) -> bool {
        self.code == code
    }
}

/// The errors of one operation: never empty.
#[derive(Debug, Clone)]
pub struct ApiErrors(pub Vec<ApiError>);

impl ApiErrors {
    pub fn first(&self) -> &ApiError {
        &self.0[0]
    }

    pub fn has(&self, code: &str) -> bool {
        self.0.iter().any(|e| e.is(code))
    }

    fn internal(message: impl Into<String>) -> ApiErrors {
        ApiErrors(vec![ApiError {
            code: "INTERNAL".into(),
            message: message.into(),
            fields: Vec::new(),
            field: None,
            existing_person_id: None,
        }])
    }
}

/// Runs one typed document for the caller. Fields the caller's role may
/// not read come back null with `FORBIDDEN_FIELD`: that is the contract
/// working, so such errors alone still give the data.
pub async fn run<Q: GraphQLQuery>(
    schema: &KentroSchema,
    context: &RequestContext,
    variables: Q::Variables,
) -> Result<Q::ResponseData, ApiErrors> {
    let body = Q::build_query(variables);
    let variables = serde_json::to_value(&body.variables)
        .map_err(|e| ApiErrors::internal(format!("variables: {e}")))?;
    let request = async_graphql::Request::new(body.query)
        .operation_name(body.operation_name)
        .variables(async_graphql::Variables::from_json(variables));
    let response = match kentro_api::execute(
        schema,
        async_graphql::BatchRequest::Single(request),
        context.clone(),
    )
    .await
    {
        async_graphql::BatchResponse::Single(response) => response,
        async_graphql::BatchResponse::Batch(_) => {
            return Err(ApiErrors::internal("a batch answered a single request"));
        }
    };
    let errors: Vec<ApiError> = response.errors.iter().map(api_error).collect();
    let only_hidden_fields = errors.iter().all(|e| e.is("FORBIDDEN_FIELD"));
    if !errors.is_empty() && (!only_hidden_fields || response.data == async_graphql::Value::Null) {
        return Err(ApiErrors(errors));
    }
    let data = response
        .data
        .into_json()
        .map_err(|e| ApiErrors::internal(format!("data: {e}")))?;
    serde_json::from_value(data).map_err(|e| {
        tracing::error!(error = %e, operation = body.operation_name, "a document's answer does not fit its types");
        ApiErrors::internal(format!("data: {e}"))
    })
}

fn api_error(error: &async_graphql::ServerError) -> ApiError {
    let extensions = serde_json::to_value(&error.extensions).unwrap_or_default();
    let text = |key: &str| {
        extensions
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    ApiError {
        code: text("code").unwrap_or_else(|| "INTERNAL".into()),
        message: error.message.clone(),
        fields: extensions
            .get("fields")
            .and_then(|f| serde_json::from_value(f.clone()).ok())
            .unwrap_or_default(),
        field: text("field"),
        existing_person_id: text("existingPersonId"),
    }
}

macro_rules! document {
    ($name:ident, $file:tt) => {
        #[derive(GraphQLQuery)]
        #[graphql(
                                                    schema_path = "../api/schema.graphql",
                                                    query_path = $file,
                                                    response_derives = "Debug, Clone",
                                                    variables_derives = "Debug, Clone, Deserialize"
                                                )]
        pub struct $name;
    };
}

document!(Me, "queries/me.graphql");
document!(Login, "queries/login.graphql");
document!(Logout, "queries/logout.graphql");
document!(Home, "queries/home.graphql");
document!(SearchPeople, "queries/search_people.graphql");
document!(PossibleDuplicates, "queries/possible_duplicates.graphql");
document!(RegisterPerson, "queries/register_person.graphql");
document!(PersonCard, "queries/person_card.graphql");
document!(BookingForm, "queries/booking_form.graphql");
document!(BookAppointment, "queries/book_appointment.graphql");
document!(Calendar, "queries/calendar.graphql");
document!(Colleagues, "queries/colleagues.graphql");
document!(MyCases, "queries/my_cases.graphql");
document!(PersonCases, "queries/person_cases.graphql");
document!(PersonAppointments, "queries/person_appointments.graphql");
document!(PersonReferrals, "queries/person_referrals.graphql");
document!(PersonHousehold, "queries/person_household.graphql");
document!(OpenCase, "queries/open_case.graphql");
document!(RecordConsent, "queries/record_consent.graphql");
document!(CreateHousehold, "queries/create_household.graphql");
document!(AddHouseholdMember, "queries/add_household_member.graphql");
document!(CasePage, "queries/case_page.graphql");
document!(TransitionCase, "queries/transition_case.graphql");
document!(UpdateCase, "queries/update_case.graphql");
document!(AddNote, "queries/add_note.graphql");
document!(ReferralServices, "queries/referral_services.graphql");
document!(ReferralForm, "queries/referral_form.graphql");
document!(CreateReferral, "queries/create_referral.graphql");
document!(SendReferral, "queries/send_referral.graphql");
document!(ReferralPage, "queries/referral_page.graphql");
document!(KeaPage, "queries/kea_page.graphql");
document!(StartKea, "queries/start_kea.graphql");
document!(RecordKeaDocument, "queries/record_kea_document.graphql");
document!(TransitionKea, "queries/transition_kea.graphql");
document!(ChangePassword, "queries/change_password.graphql");
document!(PluginsPage, "queries/plugins_page.graphql");
document!(PluginOperation, "queries/plugin_operation.graphql");
document!(DirectoryPage, "queries/directory_page.graphql");
document!(DirectoryServicePage, "queries/directory_service.graphql");
document!(HomeReferrals, "queries/home_referrals.graphql");
document!(PrintContext, "queries/print_context.graphql");
// One file, three operations: graphql_client picks each by its name.
document!(CancelAppointment, "queries/appointment_change.graphql");
document!(RecordAttendance, "queries/appointment_change.graphql");
document!(RescheduleAppointment, "queries/appointment_change.graphql");
document!(UpdatePerson, "queries/update_person.graphql");
document!(MergePersons, "queries/merge_persons.graphql");
document!(SetLanguage, "queries/set_language.graphql");
document!(PersonSuggestions, "queries/person_suggestions.graphql");
document!(DismissSuggestion, "queries/dismiss_suggestion.graphql");
document!(HomeCasework, "queries/home_casework.graphql");
document!(AdminUsers, "queries/admin_users.graphql");
document!(InviteUser, "queries/admin_users.graphql");
document!(ChangeUserRole, "queries/admin_users.graphql");
document!(DisableUser, "queries/admin_users.graphql");
document!(EnableUser, "queries/admin_users.graphql");
document!(RevokeInvitation, "queries/admin_users.graphql");
document!(AdminAudit, "queries/admin_audit.graphql");
document!(AdminPartners, "queries/admin_partners.graphql");
document!(AdminPlugins, "queries/admin_plugins.graphql");
document!(AdminDirectory, "queries/admin_directory.graphql");
document!(ImportDirectoryDocument, "queries/admin_directory.graphql");
document!(ImportDirectoryPackage, "queries/admin_directory.graphql");
document!(ServiceOrganizations, "queries/admin_directory.graphql");
document!(ServiceToEdit, "queries/admin_directory.graphql");
document!(EnablePlugin, "queries/admin_plugins.graphql");
document!(DisablePlugin, "queries/admin_plugins.graphql");
document!(CreatePartnerKey, "queries/admin_partners.graphql");
document!(RevokePartnerKey, "queries/admin_partners.graphql");
document!(InvitationPreview, "queries/invitation.graphql");
document!(AcceptInvitation, "queries/invitation.graphql");
document!(RequestPasswordReset, "queries/password_reset.graphql");
document!(ResetPassword, "queries/password_reset.graphql");
// One file, three operations sharing the tables' fragments.
document!(Oversight, "queries/oversight.graphql");
document!(OversightTrend, "queries/oversight.graphql");
document!(OversightExport, "queries/oversight.graphql");
document!(CenterSlug, "queries/oversight.graphql");
document!(CenterStatistics, "queries/oversight.graphql");
document!(Municipalities, "queries/municipalities.graphql");
document!(CreateTenant, "queries/municipalities.graphql");
document!(InviteCoordinator, "queries/municipalities.graphql");
document!(Municipality, "queries/municipality.graphql");
document!(SuspendTenant, "queries/municipality.graphql");
document!(ReactivateTenant, "queries/municipality.graphql");
document!(OffboardTenant, "queries/municipality.graphql");
document!(TenantExport, "queries/municipality.graphql");
document!(CenterSettings, "queries/center_settings.graphql");
document!(UpdateCenters, "queries/center_settings.graphql");
