use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "user_account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<i64>,
    #[sea_orm(unique)]
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub disabled_at: Option<ChronoDateTimeUtc>,
    pub password_changed_at: Option<ChronoDateTimeUtc>,
    pub sessions_ended_at: Option<ChronoDateTimeUtc>,
    pub last_login_at: Option<ChronoDateTimeUtc>,
    pub language: String,
    /// A regional overseer's region (its code); `None` for every other role.
    pub region: Option<String>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
