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

use chrono::{DateTime, Utc};
use sea_orm::sqlx::{self, Postgres, Row, TypeInfo, ValueRef};
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryResult, QuerySelect, QueryTrait,
    RuntimeErr, Select, Statement, TryGetError, TryGetable,
};

use crate::StoreError;
use crate::scope::ScopedTxn;

/// A model that can be read from a row, starting at a column.
pub(crate) trait AtPosition: Sized {
    /// The model's columns, in the order the model reads them.
    const COLUMNS: &'static [&'static str];

    /// Adds the model's columns to `select`, in the order it reads them.
    fn select<S: QuerySelect>(select: S) -> S;

    /// Where among its columns the model's `id` is.
    const KEY: usize = position_of_id(Self::COLUMNS);

    fn at(row: &mut Columns<'_>) -> Result<Self, TryGetError>;

    /// A joined model, read on the first row of a result that names it:
    /// `None` on a later row naming the same one (a page's rows repeat their
    /// worker), as where the join found nothing. `read` holds the keys read.
    fn once_at(row: &mut Columns<'_>, read: &mut Vec<i64>) -> Result<Option<Self>, DbErr> {
        let start = row.next;
        match row.peek::<Option<i64>>(start + Self::KEY)? {
            Some(key) if !read.contains(&key) => {
                read.push(key);
                Self::optional_at(row)
            }
            _ => {
                row.next = start + Self::COLUMNS.len();
                Ok(None)
            }
        }
    }

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

/// The index of `id` among `columns`; a model without one does not compile.
const fn position_of_id(columns: &[&str]) -> usize {
    let mut index = 0;
    while index < columns.len() {
        if let [b'i', b'd'] = columns[index].as_bytes() {
            return index;
        }
        index += 1;
    }
    panic!("a model read by position has an `id` column")
}

/// The columns of one row, read in order.
pub(crate) struct Columns<'r> {
    row: &'r QueryResult,
    next: usize,
    /// The columns whose type an earlier row of the same result has shown
    /// to fit the field reading them. The rows of a result share their
    /// columns' types, so each column is checked once, not once a row:
    /// sqlx's check, a comparison of type names for every value, was a
    /// twentieth of the case page.
    typed: ColumnSet,
}

/// Which columns of a result have been type-checked (the first 128; those
/// after are checked on every row).
#[derive(Clone, Copy, Default)]
pub(crate) struct ColumnSet(u128);

impl ColumnSet {
    fn contains(self, index: usize) -> bool {
        index < 128 && self.0 & (1 << index) != 0
    }

    fn insert(&mut self, index: usize) {
        if index < 128 {
            self.0 |= 1 << index;
        }
    }
}

impl<'r> Columns<'r> {
    /// The row's columns from the first, with what earlier rows of its
    /// result showed of their types.
    fn of(row: &'r QueryResult, typed: ColumnSet) -> Columns<'r> {
        Columns {
            row,
            next: 0,
            typed,
        }
    }

    /// The value of the column at `index`, leaving the next column where it was.
    fn peek<T>(&mut self, index: usize) -> Result<T, DbErr>
    where
        T: TryGetable + sqlx::Type<Postgres> + for<'v> sqlx::Decode<'v, Postgres> + 'static,
    {
        let next = std::mem::replace(&mut self.next, index);
        let value = self.take();
        self.next = next;
        value.map_err(DbErr::from)
    }

    /// The next column's value. On PostgreSQL read through sqlx itself:
    /// sea-orm reports each NULL with a `format!` of the column's index, and
    /// a page of cases has a hundred NULLs (notes not written yet, Latin
    /// names not given), each an allocation to say nothing anyone reads.
    pub(crate) fn take<T>(&mut self) -> Result<T, TryGetError>
    where
        T: TryGetable + sqlx::Type<Postgres> + for<'v> sqlx::Decode<'v, Postgres> + 'static,
    {
        let index = self.next;
        self.next += 1;
        let Some(row) = self.row.try_as_pg_row() else {
            return self.row.try_get_by_index_nullable(index);
        };
        let value = row.try_get_raw(index).map_err(sqlx_error)?;
        let null = value.is_null();
        if !null && !self.typed.contains(index) {
            let found = value.type_info();
            if !found.is_null() && !T::compatible(&found) {
                return Err(sqlx_error(sqlx::Error::ColumnDecode {
                    index: index.to_string(),
                    source: format!(
                        "the column is {}, which the field's type {} does not read",
                        found.name(),
                        T::type_info().name()
                    )
                    .into(),
                }));
            }
            self.typed.insert(index);
        }
        if !null && let Some(instant) = timestamp::<T>(&value) {
            return instant;
        }
        T::decode(value).map_err(|source| {
            if null {
                TryGetError::Null(String::new())
            } else {
                sqlx_error(sqlx::Error::ColumnDecode {
                    index: index.to_string(),
                    source,
                })
            }
        })
    }
}

/// A `timestamptz` value as `T`, when `T` is a `DateTime<Utc>` (or an
/// optional one) and the value came in binary: microseconds since
/// 2000-01-01 UTC. sqlx goes through a naive date-time, a fixed offset and
/// a `Duration` added to an epoch it builds anew for each value, and a
/// page's fifty timestamps were 4% of its server time. `None` for any other
/// `T` or form, which sqlx reads.
fn timestamp<T: 'static>(value: &sqlx::postgres::PgValueRef<'_>) -> Option<Result<T, TryGetError>> {
    use std::any::Any;
    const UNIX_SECONDS_AT_2000: i64 = 946_684_800;
    let mut read: Option<T> = None;
    let wanted = &mut read as &mut dyn Any;
    let optional = if wanted.is::<Option<DateTime<Utc>>>() {
        false
    } else if wanted.is::<Option<Option<DateTime<Utc>>>>() {
        true
    } else {
        return None;
    };
    if value.format() != sqlx::postgres::PgValueFormat::Binary {
        return None;
    }
    let instant = (value.as_bytes().ok())
        .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
        .map(i64::from_be_bytes)
        .and_then(|micros| micros.checked_add(UNIX_SECONDS_AT_2000 * 1_000_000))
        .and_then(DateTime::<Utc>::from_timestamp_micros);
    let Some(instant) = instant else {
        return Some(Err(sqlx_error(sqlx::Error::Decode(
            "a timestamptz out of range or not 8 bytes".into(),
        ))));
    };
    if optional {
        if let Some(slot) = wanted.downcast_mut::<Option<Option<DateTime<Utc>>>>() {
            *slot = Some(Some(instant));
        }
    } else if let Some(slot) = wanted.downcast_mut::<Option<DateTime<Utc>>>() {
        *slot = Some(instant);
    }
    read.map(Ok)
}

fn sqlx_error(e: sqlx::Error) -> TryGetError {
    TryGetError::DbErr(DbErr::Query(RuntimeErr::SqlxError(e.into())))
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

listing! {
    /// A case as a list shows it: not its four free texts (needs assessment,
    /// information given, actions, outcome), which run to pages each.
    CaseListing of case_file {
        tenant_id: i64 = TenantId,
        id: i64 = Id,
        person_id: i64 = PersonId,
        status: String = Status,
        request_date: sea_orm::prelude::ChronoDate = RequestDate,
        channel: String = Channel,
        categories: String = Categories,
        assigned_to: Option<i64> = AssignedTo,
        opened_at: sea_orm::prelude::ChronoDateTimeUtc = OpenedAt,
        updated_at: sea_orm::prelude::ChronoDateTimeUtc = UpdatedAt,
        closed_at: Option<sea_orm::prelude::ChronoDateTimeUtc> = ClosedAt,
    }
}

/// A listed case as its model, its free texts unread (none).
impl From<CaseListing> for crate::entity::case_file::Model {
    fn from(listed: CaseListing) -> Self {
        Self {
            tenant_id: listed.tenant_id,
            id: listed.id,
            person_id: listed.person_id,
            status: listed.status,
            request_date: listed.request_date,
            channel: listed.channel,
            categories: listed.categories,
            needs_assessment: None,
            information_given: None,
            actions: None,
            outcome: None,
            assigned_to: listed.assigned_to,
            opened_at: listed.opened_at,
            updated_at: listed.updated_at,
            closed_at: listed.closed_at,
        }
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

/// The statement of a select of `A` with two tables joined (`select` joins
/// them; the columns it asks for are replaced), asking for the columns of
/// the models `RA`, `RB` and `RC` alone, for [`read_three`]. sea-orm's
/// `find_also_related` would add every column of each joined table under an
/// alias it formats, only for them to be replaced.
pub(crate) fn three_statement<A, RA, RB, RC>(select: Select<A>, backend: DbBackend) -> Statement
where
    A: EntityTrait,
    RA: AtPosition,
    RB: AtPosition,
    RC: AtPosition,
{
    narrowed::<_, RA, RB, RC>(select).build(backend)
}

/// Runs a statement of [`three_statement`]'s and reads each row's models by
/// position. A joined `RB` or `RC` comes with the first row that names it
/// and is `None` on the rows after it.
pub(crate) async fn read_three<RA, RB, RC>(
    txn: &ScopedTxn,
    statement: Statement,
) -> Result<Vec<(RA, Option<RB>, Option<RC>)>, StoreError>
where
    RA: AtPosition,
    RB: AtPosition,
    RC: AtPosition,
{
    let rows = txn.query_all_raw(statement).await?;
    let mut models = Vec::with_capacity(rows.len());
    let mut typed = ColumnSet::default();
    let (mut seconds_read, mut thirds_read) = (Vec::new(), Vec::new());
    for row in &rows {
        let mut columns = Columns::of(row, typed);
        let first = RA::at(&mut columns).map_err(DbErr::from)?;
        let second = RB::once_at(&mut columns, &mut seconds_read)?;
        let third = RC::once_at(&mut columns, &mut thirds_read)?;
        typed = columns.typed;
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
    use crate::entity::{case_file, person};

    /// Reads each row's first column as `T`, as a listing's field would.
    async fn read_first_column<T>(sql: &str) -> Vec<Result<T, sea_orm::TryGetError>>
    where
        T: sea_orm::TryGetable
            + sea_orm::sqlx::Type<sea_orm::sqlx::Postgres>
            + for<'v> sea_orm::sqlx::Decode<'v, sea_orm::sqlx::Postgres>
            + 'static,
    {
        use sea_orm::ConnectionTrait;
        let url = std::env::var("KENTRO_TEST_POSTGRES_URL")
            .expect("KENTRO_TEST_POSTGRES_URL: run the tests with infra/test.sh");
        let db = sea_orm::Database::connect(url.as_str()).await.unwrap();
        let rows = db
            .query_all_raw(sea_orm::Statement::from_string(DbBackend::Postgres, sql))
            .await
            .unwrap();
        let mut typed = super::ColumnSet::default();
        rows.iter()
            .map(|row| {
                let mut columns = super::Columns::of(row, typed);
                let value = columns.take::<T>();
                typed = columns.typed;
                value
            })
            .collect()
    }

    #[tokio::test]
    async fn a_column_of_another_type_fails_on_every_row_it_has_a_value() {
        let read = read_first_column::<Option<i64>>(
            "SELECT * FROM (VALUES (NULL::text), ('open'), ('closed')) AS v(status)",
        )
        .await;
        assert!(matches!(read[0], Ok(None)), "a NULL is read as none");
        for later in &read[1..] {
            match later {
                Err(sea_orm::TryGetError::DbErr(e)) => {
                    assert!(e.to_string().contains("TEXT"), "{e}")
                }
                other => panic!("text read as a number: {other:?}"),
            }
        }
        let read = read_first_column::<String>(
            "SELECT * FROM (VALUES ('open'), ('closed'), (NULL)) AS v(status)",
        )
        .await;
        assert_eq!(read[0].as_deref().ok(), Some("open"));
        assert_eq!(read[1].as_deref().ok(), Some("closed"));
        assert!(
            matches!(read[2], Err(sea_orm::TryGetError::Null(_))),
            "a NULL where a value must be is told apart from a fault"
        );
    }

    #[tokio::test]
    async fn timestamps_read_as_the_instants_they_are() {
        use chrono::{DateTime, Utc};
        let instants = [
            "2000-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999999Z",
            "2026-12-03T14:12:12.123456Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999Z",
        ];
        let rows: Vec<String> = (instants.iter())
            .map(|at| format!("('{at}'::timestamptz)"))
            .collect();
        let sql = format!("SELECT * FROM (VALUES {}) AS v(at)", rows.join(", "));
        let read = read_first_column::<DateTime<Utc>>(&sql).await;
        for (at, read) in instants.iter().zip(read) {
            assert_eq!(read.ok(), Some(at.parse().unwrap()), "{at}");
        }
        let read = read_first_column::<Option<DateTime<Utc>>>(
            "SELECT * FROM (VALUES (NULL::timestamptz), ('2026-12-03 16:12:12.5+02')) AS v(at)",
        )
        .await;
        assert!(matches!(read[0], Ok(None)), "a NULL is read as none");
        let expected: DateTime<Utc> = "2026-12-03T14:12:12.5Z".parse().unwrap();
        assert_eq!(read[1].as_ref().ok(), Some(&Some(expected)));
        let read = read_first_column::<DateTime<Utc>>("SELECT 'infinity'::timestamptz").await;
        assert!(
            matches!(read[0], Err(sea_orm::TryGetError::DbErr(_))),
            "an instant no date-time holds is a fault, not a panic"
        );
    }

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
        assert_eq!(
            super::CaseListing::source_columns(),
            super::CaseListing::COLUMNS.to_vec()
        );
    }

    #[test]
    fn a_joined_select_lists_each_models_columns_after_the_last() {
        let select = crate::cases::with_person_and_worker(case_file::Entity::find()).limit(1);
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
