use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "person")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub given_name_el: Option<String>,
    pub family_name_el: Option<String>,
    pub given_name_latin: Option<String>,
    pub family_name_latin: Option<String>,
    pub gender: String,
    pub birth_date: Option<ChronoDate>,
    pub amka: Option<String>,
    pub afm: Option<String>,
    pub id_document_type: Option<String>,
    pub id_document_number: Option<String>,
    pub residence_permit_number: Option<String>,
    pub residence_permit_expiry: Option<ChronoDate>,
    pub nationality: Option<String>,
    pub third_country_national: Option<bool>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub area: Option<String>,
    pub rural: Option<bool>,
    pub preferred_language: Option<String>,
    pub employment_status: Option<String>,
    pub education_level: Option<String>,
    pub disability: Option<String>,
    pub minority: Option<String>,
    pub foreign_background: Option<String>,
    pub homeless: Option<String>,
    pub name_key: String,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
