use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "referral_suggestion")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub person_id: i64,
    pub plugin_id: String,
    pub title: String,
    pub reason: String,
    pub created_at: ChronoDateTimeUtc,
    pub dismissed_at: Option<ChronoDateTimeUtc>,
    pub dismissed_by: Option<i64>,
    pub dismissed_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
