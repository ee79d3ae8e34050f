use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_indicator_state")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: i64,
    pub audit_watermark: i64,
    pub computed_at: ChronoDateTimeUtc,
    pub last_activity: Option<ChronoDateTimeUtc>,
    pub users: i64,
    pub open_cases: i64,
    pub overdue_referrals: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
