use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "case_file")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub person_id: i64,
    pub status: String,
    pub request_date: ChronoDate,
    pub channel: String,
    /// Comma-separated category codes.
    pub categories: String,
    pub needs_assessment: Option<String>,
    pub information_given: Option<String>,
    pub actions: Option<String>,
    pub outcome: Option<String>,
    pub assigned_to: Option<i64>,
    pub opened_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    pub closed_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
