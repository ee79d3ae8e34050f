use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "referral")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub case_id: i64,
    pub person_id: i64,
    pub created_by: i64,
    pub target_scope: String,
    pub target_tenant_id: Option<i64>,
    pub service_id: String,
    pub service_name: String,
    pub organization_id: Option<String>,
    pub organization_name: Option<String>,
    pub receiver_email: Option<String>,
    pub level: String,
    pub reason: String,
    pub urgency: String,
    pub status: String,
    pub envelope_fields: String,
    pub envelope: Option<String>,
    pub decline_reason: Option<String>,
    pub response_note: Option<String>,
    pub outcome_reason: Option<String>,
    pub outcome_note: Option<String>,
    pub sent_at: Option<ChronoDateTimeUtc>,
    pub deadline_at: Option<ChronoDateTimeUtc>,
    pub responded_at: Option<ChronoDateTimeUtc>,
    pub closed_at: Option<ChronoDateTimeUtc>,
    pub overdue_notified_at: Option<ChronoDateTimeUtc>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
