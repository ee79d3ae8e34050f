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
//! order differs from the entity's.

use sea_orm::{
    ConnectionTrait, DbErr, EntityTrait, QueryResult, QueryTrait, SelectThree, TryGetError,
    TryGetable,
};

use crate::StoreError;
use crate::scope::ScopedTxn;

/// A model that can be read from a row, starting at a column.
pub(crate) trait AtPosition: Sized {
    /// The model's columns, in the order the model reads them.
    const COLUMNS: &'static [&'static str];

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
    pub(crate) fn take<T: TryGetable>(&mut self) -> Result<T, TryGetError> {
        let index = self.next;
        self.next += 1;
        self.row.try_get_by_index_nullable(index)
    }
}

/// Declares how a model is read by position: its fields, in the entity's
/// column order.
macro_rules! at_position {
    ($($table:ident { $($field:ident),* $(,)? })*) => {
        $(
            impl AtPosition for crate::entity::$table::Model {
                const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),*];

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
/// reading each row's models by position.
pub(crate) async fn all_three<A, B, C, Topology>(
    txn: &ScopedTxn,
    select: SelectThree<A, B, C, Topology>,
) -> Result<Vec<(A::Model, Option<B::Model>, Option<C::Model>)>, StoreError>
where
    A: EntityTrait,
    B: EntityTrait,
    C: EntityTrait,
    Topology: sea_orm::Topology,
    A::Model: AtPosition,
    B::Model: AtPosition,
    C::Model: AtPosition,
{
    let statement = select.build(txn.get_database_backend());
    let rows = txn.query_all_raw(statement).await?;
    let mut models = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut columns = Columns { row, next: 0 };
        let first = A::Model::at(&mut columns).map_err(DbErr::from)?;
        let second = B::Model::optional_at(&mut columns)?;
        let third = C::Model::optional_at(&mut columns)?;
        models.push((first, second, third));
    }
    Ok(models)
}

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, EntityTrait, QuerySelect, QueryTrait};

    use super::AtPosition;
    use crate::entity::{case_file, person, user_account};

    #[test]
    fn positions_follow_the_entities_column_order() {
        for (table, declared, entity) in super::declared::models() {
            assert_eq!(declared, entity, "{table}'s columns as read by position");
        }
    }

    #[test]
    fn a_joined_select_lists_each_models_columns_after_the_last() {
        let sql = case_file::Entity::find()
            .find_also_related(person::Entity)
            .find_also_related(user_account::Entity)
            .limit(1)
            .build(DbBackend::Sqlite)
            .to_string();
        let aliases: Vec<&str> = sql
            .split(" AS ")
            .skip(1)
            .map(|rest| rest.split([',', ' ']).next().unwrap_or_default())
            .map(|alias| alias.trim_matches('"'))
            .collect();
        let expected: Vec<String> = [
            ("A_", case_file::Model::COLUMNS),
            ("B_", person::Model::COLUMNS),
            ("C_", user_account::Model::COLUMNS),
        ]
        .iter()
        .flat_map(|(prefix, columns)| columns.iter().map(move |c| format!("{prefix}{c}")))
        .collect();
        assert_eq!(aliases, expected, "{sql}");
    }
}
