//! Joined rows decoded by position.
//!
//! sea-orm reads a joined row's models by name, each column under its
//! model's prefix (`B_given_name_el`): a `format!` and a hash lookup per
//! column per row, and another `format!` for every NULL. On the case page
//! (twenty cases with their people and workers, about sixty columns a row)
//! that decoding was a fifth of the server's time. A joined select lists
//! each model's columns in the entity's column order, one model after the
//! other, so a model can be read from where its columns start.
//!
//! Each model read this way is declared with [`at_position!`], which names
//! its fields in column order; a struct literal that misses a field does not
//! compile, and `positions_follow_the_entities_column_order` fails when the
//! order differs from the entity's. A model of only some of a table's
//! columns is declared with [`listing!`]: the select then asks for those
//! alone, so a page of cases never reads its workers' password hashes.

use sea_orm::sqlx::{self, Postgres, Row, ValueRef};
use sea_orm::{
    ConnectionTrait, DbErr, EntityTrait, QueryResult, QuerySelect, QueryTrait, RuntimeErr,
    SelectThree, TryGetError, TryGetable,
};

use crate::StoreError;
use crate::scope::ScopedTxn;

/// A model that can be read from a row, starting at a column.
pub(crate) trait AtPosition: Sized {
    /// The model's columns, in the order the model reads them.
    const COLUMNS: &'static [&'static str];

    /// Adds the model's columns to `select`, in the order it reads them.
    fn select<S: QuerySelect>(select: S) -> S;

    fn at(row: &mut Columns<'_>) -> Result<Self, TryGetError>;

    /// A model from an outer join: `None` when its columns are NULL.
    fn optional_at(row: &mut Columns<'_>) -> Result<Option<Self>, DbErr> {
        let start = row.next;
        match Self::at(row) {
            Ok(model) => Ok(Some(model)),
            Err(TryGetError::Null(_)) => {
                row.next = start + Self::COLUMNS.len();
                Ok(None)
            }
            Err(TryGetError::DbErr(e)) => Err(e),
        }
    }
}

/// The columns of one row, read in order.
pub(crate) struct Columns<'r> {
    row: &'r QueryResult,
    next: usize,
}

impl Columns<'_> {
    /// The next column's value. On PostgreSQL read through sqlx itself:
    /// sea-orm reports each NULL with a `format!` of the column's index, and
    /// a page of cases has a hundred NULLs (notes not written yet, Latin
    /// names not given), each an allocation to say nothing anyone reads.
    pub(crate) fn take<T>(&mut self) -> Result<T, TryGetError>
    where
        T: TryGetable + sqlx::Type<Postgres> + for<'r> sqlx::Decode<'r, Postgres>,
    {
        let index = self.next;
        self.next += 1;
        match self.row.try_as_pg_row() {
            Some(row) => row.try_get::<T, usize>(index).map_err(|e| {
                if row.try_get_raw(index).is_ok_and(|value| value.is_null()) {
                    TryGetError::Null(String::new())
                } else {
                    TryGetError::DbErr(DbErr::Query(RuntimeErr::SqlxError(e.into())))
                }
            }),
            None => self.row.try_get_by_index_nullable(index),
        }
    }
}

/// Declares how a model is read by position: its fields, in the entity's
/// column order.
macro_rules! at_position {
    ($($table:ident { $($field:ident),* $(,)? })*) => {
        $(
            impl AtPosition for crate::entity::$table::Model {
                const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),*];

                fn select<S: QuerySelect>(mut select: S) -> S {
                    use sea_orm::Iterable;
                    for column in <crate::entity::$table::Entity as EntityTrait>::Column::iter() {
                        select = select.column(column);
                    }
                    select
                }

                fn at(row: &mut Columns<'_>) -> Result<Self, TryGetError> {
                    Ok(Self { $($field: row.take()?),* })
                }
            }
        )*

        #[cfg(test)]
        mod declared {
            use sea_orm::{EntityTrait, IdenStatic, Iterable};

            use super::AtPosition;

            /// Each model's declared columns and its entity's, in order.
            pub(super) fn models() -> Vec<(&'static str, Vec<&'static str>, Vec<&'static str>)> {
                vec![$((
                    stringify!($table),
                    <crate::entity::$table::Model as AtPosition>::COLUMNS.to_vec(),
                    <crate::entity::$table::Entity as EntityTrait>::Column::iter()
                        .map(|column| column.as_str())
                        .collect(),
                )),*]
            }
        }
    };
}

/// Declares a model of some of a table's columns, read by position: each
/// field with the column it reads, in the order selected.
macro_rules! listing {
    ($(#[$meta:meta])* $name:ident of $table:ident {
        $($field:ident: $type:ty = $column:ident),* $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        pub(crate) struct $name {
            $(pub(crate) $field: $type),*
        }

        impl AtPosition for $name {
            const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),*];

            fn select<S: QuerySelect>(select: S) -> S {
                select$(.column(crate::entity::$table::Column::$column))*
            }

            fn at(row: &mut Columns<'_>) -> Result<Self, TryGetError> {
                Ok(Self { $($field: row.take()?),* })
            }
        }

        impl From<crate::entity::$table::Model> for $name {
            fn from(model: crate::entity::$table::Model) -> Self {
                Self { $($field: model.$field),* }
            }
        }

        impl $name {
            /// The columns the fields read, by the entity's names.
            #[cfg(test)]
            fn source_columns() -> Vec<&'static str> {
                use sea_orm::IdenStatic;
                vec![$(crate::entity::$table::Column::$column.as_str()),*]
            }
        }
    };
}

listing! {
    /// An account as a list of colleagues shows it: not its password hash,
    /// nor when its password and sessions last changed.
    AccountListing of user_account {
        id: i64 = Id,
        tenant_id: Option<i64> = TenantId,
        email: String = Email,
        display_name: String = DisplayName,
        role: String = Role,
        disabled_at: Option<sea_orm::prelude::ChronoDateTimeUtc> = DisabledAt,
        last_login_at: Option<sea_orm::prelude::ChronoDateTimeUtc> = LastLoginAt,
        language: String = Language,
        region: Option<String> = Region,
        created_at: sea_orm::prelude::ChronoDateTimeUtc = CreatedAt,
    }
}

listing! {
    /// A person as a list of cases shows them: names, gender and birth
    /// date, not their identifiers, contacts or special categories.
    PersonListing of person {
        id: i64 = Id,
        given_name_el: Option<String> = GivenNameEl,
        family_name_el: Option<String> = FamilyNameEl,
        given_name_latin: Option<String> = GivenNameLatin,
        family_name_latin: Option<String> = FamilyNameLatin,
        gender: String = Gender,
        birth_date: Option<sea_orm::prelude::ChronoDate> = BirthDate,
    }
}

at_position! {
    case_file {
        tenant_id, id, person_id, status, request_date, channel, categories,
        needs_assessment, information_given, actions, outcome, assigned_to,
        opened_at, updated_at, closed_at,
    }
    person {
        tenant_id, id, given_name_el, family_name_el, given_name_latin,
        family_name_latin, gender, birth_date, amka, afm, id_document_type,
        id_document_number, residence_permit_number, residence_permit_expiry,
        nationality, third_country_national, phone, email, address, area, rural,
        preferred_language, employment_status, education_level, disability,
        minority, foreign_background, homeless, name_key, created_at, updated_at,
    }
    user_account {
        id, tenant_id, email, display_name, role, password_hash, disabled_at,
        password_changed_at, sessions_ended_at, last_login_at, language, region,
        created_at,
    }
}

/// Runs a select of `A` with `B` and `C` joined, as sea-orm's `all` would,
/// asking for the columns of the models `RA`, `RB` and `RC` alone and
/// reading each row's by position.
pub(crate) async fn all_three<A, B, C, Topology, RA, RB, RC>(
    txn: &ScopedTxn,
    select: SelectThree<A, B, C, Topology>,
) -> Result<Vec<(RA, Option<RB>, Option<RC>)>, StoreError>
where
    A: EntityTrait,
    B: EntityTrait,
    C: EntityTrait,
    Topology: sea_orm::Topology,
    RA: AtPosition,
    RB: AtPosition,
    RC: AtPosition,
{
    let statement = narrowed::<_, RA, RB, RC>(select).build(txn.get_database_backend());
    let rows = txn.query_all_raw(statement).await?;
    let mut models = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut columns = Columns { row, next: 0 };
        let first = RA::at(&mut columns).map_err(DbErr::from)?;
        let second = RB::optional_at(&mut columns)?;
        let third = RC::optional_at(&mut columns)?;
        models.push((first, second, third));
    }
    Ok(models)
}

/// `select` asking for the models' columns alone, one model after the other.
fn narrowed<S: QuerySelect, RA: AtPosition, RB: AtPosition, RC: AtPosition>(select: S) -> S {
    RC::select(RB::select(RA::select(select.select_only())))
}

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, EntityTrait, QuerySelect, QueryTrait};

    use super::{AccountListing, AtPosition};
    use crate::entity::{case_file, person, user_account};

    #[test]
    fn positions_follow_the_entities_column_order() {
        for (table, declared, entity) in super::declared::models() {
            assert_eq!(declared, entity, "{table}'s columns as read by position");
        }
    }

    #[test]
    fn a_listing_reads_the_columns_its_fields_name() {
        assert_eq!(
            super::AccountListing::source_columns(),
            super::AccountListing::COLUMNS.to_vec()
        );
        assert_eq!(
            super::PersonListing::source_columns(),
            super::PersonListing::COLUMNS.to_vec()
        );
    }

    #[test]
    fn a_joined_select_lists_each_models_columns_after_the_last() {
        let select = case_file::Entity::find()
            .find_also_related(person::Entity)
            .find_also_related(user_account::Entity)
            .limit(1);
        let sql = super::narrowed::<_, case_file::Model, person::Model, AccountListing>(select)
            .build(DbBackend::Sqlite)
            .to_string();
        let listed = sql["SELECT ".len()..sql.find(" FROM ").unwrap()].to_owned();
        let expected: Vec<String> = [
            ("case_file", case_file::Model::COLUMNS),
            ("person", person::Model::COLUMNS),
            ("user_account", AccountListing::COLUMNS),
        ]
        .iter()
        .flat_map(|(table, columns)| columns.iter().map(move |c| format!("\"{table}\".\"{c}\"")))
        .collect();
        assert_eq!(listed, expected.join(", "), "{sql}");
        assert!(!sql.contains("password_hash"), "{sql}");
    }
}
