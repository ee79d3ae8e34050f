use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "national_participants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: ChronoDate,
    pub value: i64,
    pub cell_key: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
