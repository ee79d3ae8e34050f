//! Appointments: booked inside the center's opening hours (from its
//! manifest), never overlapping for one staff member or one room. Bookings
//! in a tenant are serialized so two desks cannot take the same slot.

use chrono::{DateTime, NaiveDateTime, Utc};
use kentro_domain::TenantManifest;
use kentro_domain::access::{Permission, Role};
use kentro_domain::appointment::{
    AppointmentKind, AppointmentStatus, check_within_hours, overlaps,
};
use kentro_domain::keys::{AccountId, AppointmentId, PersonId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, Statement,
};

use crate::StoreError;
use crate::audit::{self, Access};
use crate::codes::decode;
use crate::entity::{appointment, person, tenant, user_account};
use crate::ids::next_id;
use crate::scope::{ScopedTxn, TenantEntity, TenantScope};
use crate::transaction::Db;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentRecord {
    pub id: AppointmentId,
    pub person_id: PersonId,
    pub staff_id: AccountId,
    pub center_key: String,
    pub room: Option<String>,
    pub kind: AppointmentKind,
    pub status: AppointmentStatus,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub updated_at: DateTime<Utc>,
}

pub struct Booking {
    pub person_id: PersonId,
    pub staff_id: AccountId,
    pub center_key: String,
    pub room: Option<String>,
    pub kind: AppointmentKind,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
}

fn record_from(row: appointment::Model) -> Result<AppointmentRecord, StoreError> {
    let what = format!("appointment {}", row.id);
    Ok(AppointmentRecord {
        id: AppointmentId::new(row.id),
        person_id: PersonId::new(row.person_id),
        staff_id: AccountId::new(row.staff_id),
        kind: decode(&row.kind, &what)?,
        status: decode(&row.status, &what)?,
        center_key: row.center_key,
        room: row.room,
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        updated_at: row.updated_at,
    })
}

/// One booking at a time per tenant, until the transaction ends.
async fn lock_bookings(txn: &ScopedTxn) -> Result<(), StoreError> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(7278, $1::int)",
            [(txn.tenant_id() as i32).into()],
        ))
        .await?;
    }
    Ok(())
}

/// When and where an appointment would take place, and with whom.
struct Slot<'a> {
    staff_id: i64,
    center_key: &'a str,
    room: Option<&'a str>,
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
}

impl Booking {
    fn slot(&self) -> Slot<'_> {
        Slot {
            staff_id: self.staff_id.get(),
            center_key: &self.center_key,
            room: self.room.as_deref(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
        }
    }
}

/// Checks a slot against the center's hours and the other bookings of the
/// staff member and the room (`except` is the appointment being moved).
async fn check_slot(
    txn: &ScopedTxn,
    booking: &Slot<'_>,
    except: Option<i64>,
) -> Result<(), StoreError> {
    let tenant = tenant::Entity::find_by_id(txn.tenant_id())
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::invalid("tenant", "is not registered"))?;
    let manifest =
        TenantManifest::from_json(&tenant.manifest).map_err(|e| StoreError::CorruptManifest {
            slug: tenant.slug.clone(),
            problems: e.to_string(),
        })?;
    let center = manifest
        .centers
        .iter()
        .find(|c| c.key.as_str() == booking.center_key)
        .ok_or_else(|| {
            StoreError::invalid(
                "centerKey",
                format!(
                    "{:?} is not a center of this municipality",
                    booking.center_key
                ),
            )
        })?;
    let day = booking.starts_at.date();
    if let Some(reason) = center.closed_because(day) {
        return Err(StoreError::invalid(
            "startsAt",
            format!("the center is closed on {day}: {reason}"),
        ));
    }
    check_within_hours(&center.opening_hours, booking.starts_at, booking.ends_at)
        .map_err(|problem| StoreError::invalid("startsAt", problem))?;

    let same_day = appointment::Entity::find_in(txn)
        .filter(appointment::Column::Status.eq(AppointmentStatus::Booked.code()))
        .filter(appointment::Column::StartsAt.lt(booking.ends_at))
        .filter(appointment::Column::EndsAt.gt(booking.starts_at))
        .order_by_asc(appointment::Column::StartsAt)
        .all(txn)
        .await?;
    for other in same_day.iter().filter(|a| Some(a.id) != except) {
        if !overlaps(
            (other.starts_at, other.ends_at),
            (booking.starts_at, booking.ends_at),
        ) {
            continue;
        }
        if other.staff_id == booking.staff_id {
            return Err(StoreError::conflict(
                "staffId",
                format!(
                    "is already booked from {} to {}",
                    other.starts_at.format("%H:%M"),
                    other.ends_at.format("%H:%M")
                ),
            ));
        }
        let same_room = other.center_key == booking.center_key
            && booking.room.is_some()
            && other.room.as_deref() == booking.room;
        if same_room {
            return Err(StoreError::conflict(
                "room",
                format!(
                    "is already booked from {} to {}",
                    other.starts_at.format("%H:%M"),
                    other.ends_at.format("%H:%M")
                ),
            ));
        }
    }
    Ok(())
}

async fn check_staff(txn: &ScopedTxn, staff_id: AccountId) -> Result<(), StoreError> {
    let account = user_account::Entity::find_in(txn)
        .filter(user_account::Column::Id.eq(staff_id.get()))
        .filter(user_account::Column::DisabledAt.is_null())
        .one(txn)
        .await?;
    let sees_people = account
        .and_then(|a| Role::parse(&a.role).ok())
        .is_some_and(|r| r.can(Permission::ManageCases));
    if sees_people {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "staffId",
            "is not an active case worker of this center",
        ))
    }
}

fn audit_booking(txn: &ScopedTxn, access: &Access<'_>, action: &str, id: i64) {
    audit::record(txn, access, action, "appointment", id.to_string());
}

pub struct Appointments<'a> {
    db: &'a Db,
}

impl<'a> Appointments<'a> {
    pub(crate) fn new(db: &'a Db) -> Self {
        Appointments { db }
    }

    pub async fn book(
        &self,
        scope: TenantScope,
        booking: Booking,
        access: &Access<'_>,
    ) -> Result<AppointmentRecord, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        lock_bookings(&txn).await?;
        if person::Entity::find_id_in(&txn, booking.person_id.get())
            .one(&txn)
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("Person"));
        }
        check_staff(&txn, booking.staff_id).await?;
        check_slot(&txn, &booking.slot(), None).await?;
        let id = next_id(&txn, "appointment").await?;
        let now = Utc::now();
        let row = appointment::ActiveModel {
            tenant_id: Set(scope.tenant_id()),
            id: Set(id),
            person_id: Set(booking.person_id.get()),
            staff_id: Set(booking.staff_id.get()),
            center_key: Set(booking.center_key),
            room: Set(booking.room),
            kind: Set(booking.kind.code().to_owned()),
            status: Set(AppointmentStatus::Booked.code().to_owned()),
            starts_at: Set(booking.starts_at),
            ends_at: Set(booking.ends_at),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        audit_booking(&txn, access, "appointment.book", id);
        txn.commit().await?;
        record_from(row)
    }

    pub async fn reschedule(
        &self,
        scope: TenantScope,
        id: AppointmentId,
        starts_at: NaiveDateTime,
        ends_at: NaiveDateTime,
        access: &Access<'_>,
    ) -> Result<AppointmentRecord, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        lock_bookings(&txn).await?;
        let row = appointment::Entity::find_id_in(&txn, id.get())
            .one(&txn)
            .await?
            .ok_or(StoreError::not_found("Appointment"))?;
        if row.status != AppointmentStatus::Booked.code() {
            return Err(StoreError::invalid(
                "id",
                format!("the appointment is {}, not booked", row.status),
            ));
        }
        let slot = Slot {
            staff_id: row.staff_id,
            center_key: &row.center_key,
            room: row.room.as_deref(),
            starts_at,
            ends_at,
        };
        check_slot(&txn, &slot, Some(id.get())).await?;
        let mut active: appointment::ActiveModel = row.into();
        active.starts_at = Set(starts_at);
        active.ends_at = Set(ends_at);
        active.updated_at = Set(Utc::now());
        let row = active.update(&txn).await?;
        audit_booking(&txn, access, "appointment.reschedule", id.get());
        txn.commit().await?;
        record_from(row)
    }

    /// Cancels, or records whether a booked appointment was kept.
    pub async fn set_status(
        &self,
        scope: TenantScope,
        id: AppointmentId,
        to: AppointmentStatus,
        access: &Access<'_>,
    ) -> Result<AppointmentRecord, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let row = appointment::Entity::find_id_in(&txn, id.get())
            .one(&txn)
            .await?
            .ok_or(StoreError::not_found("Appointment"))?;
        if row.status != AppointmentStatus::Booked.code() || to == AppointmentStatus::Booked {
            return Err(StoreError::invalid(
                "status",
                format!(
                    "an appointment that is {} cannot become {}",
                    row.status,
                    to.code()
                ),
            ));
        }
        let mut active: appointment::ActiveModel = row.into();
        active.status = Set(to.code().to_owned());
        active.updated_at = Set(Utc::now());
        let row = active.update(&txn).await?;
        audit_booking(
            &txn,
            access,
            &format!("appointment.{}", to.code()),
            id.get(),
        );
        txn.commit().await?;
        record_from(row)
    }

    /// Appointments starting in `from..to`, of one staff member when given.
    /// A person's appointments, latest first.
    pub async fn of_person(
        &self,
        scope: TenantScope,
        person_id: PersonId,
    ) -> Result<Vec<AppointmentRecord>, StoreError> {
        let person_id = person_id.get();
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let rows = appointment::Entity::find_in(&txn)
            .filter(appointment::Column::PersonId.eq(person_id))
            .order_by_desc(appointment::Column::StartsAt)
            .limit(200)
            .all(&txn)
            .await?;
        txn.commit().await?;
        rows.into_iter().map(record_from).collect()
    }

    pub async fn calendar(
        &self,
        scope: TenantScope,
        from: NaiveDateTime,
        to: NaiveDateTime,
        staff_id: Option<AccountId>,
    ) -> Result<Vec<AppointmentRecord>, StoreError> {
        let txn = ScopedTxn::begin(self.db, scope).await?;
        let mut query = appointment::Entity::find_in(&txn)
            .filter(appointment::Column::StartsAt.gte(from))
            .filter(appointment::Column::StartsAt.lt(to))
            .order_by_asc(appointment::Column::StartsAt);
        if let Some(staff) = staff_id {
            query = query.filter(appointment::Column::StaffId.eq(staff.get()));
        }
        let rows = query.all(&txn).await?;
        txn.commit().await?;
        rows.into_iter().map(record_from).collect()
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, NaiveDateTime};
    use kentro_domain::access::{DisplayName, NewPassword, Role};
    use kentro_domain::appointment::AppointmentKind;
    use kentro_domain::contact::Email;

    use crate::test_databases::{as_operator, details, two_centers};
    use crate::{Booking, NewAccount, StoreError};

    /// 2026-11-30 is a Monday; the test centers open Mondays 09:00-17:00.
    fn monday_at(hour: u32, minute: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 30)
            .unwrap()
            .and_hms_opt(hour, minute, 0)
            .unwrap()
    }

    #[tokio::test]
    async fn a_booking_stays_inside_opening_hours_and_a_worker_is_never_booked_twice() {
        let centers = two_centers().await;
        let (store, scope) = (&centers.store, centers.ours);
        let access = as_operator();
        let email = Email::parse("worker@ours.example").unwrap();
        let worker = store
            .accounts()
            .create(
                NewAccount {
                    tenant: Some(scope),
                    password: NewPassword::parse("a long enough passphrase 7", &email).unwrap(),
                    email,
                    display_name: DisplayName::parse("Κοινωνική Λειτουργός").unwrap(),
                    role: Role::SocialWorker,
                    region: None,
                },
                access.actor,
                "test",
            )
            .await
            .unwrap();
        let person = store
            .people()
            .register(scope, &details("Ραντεβού"), &access)
            .await
            .unwrap();
        let booking = |start: NaiveDateTime, minutes: i64| Booking {
            person_id: person.id,
            staff_id: worker.id,
            center_key: "main".into(),
            room: None,
            kind: AppointmentKind::Intake,
            starts_at: start,
            ends_at: start + chrono::Duration::minutes(minutes),
        };
        let appointments = store.appointments();

        let booked = appointments
            .book(scope, booking(monday_at(10, 0), 60), &access)
            .await
            .unwrap();
        assert_eq!(booked.starts_at, monday_at(10, 0));

        let refused = |result: Result<_, StoreError>| match result {
            Err(StoreError::Invalid { .. }) | Err(StoreError::Conflict { .. }) => {}
            other => panic!("expected a refusal: {other:?}"),
        };
        // Running past closing time.
        refused(
            appointments
                .book(scope, booking(monday_at(16, 30), 60), &access)
                .await,
        );
        // Overlapping the worker's booking.
        refused(
            appointments
                .book(scope, booking(monday_at(10, 30), 30), &access)
                .await,
        );
        // Back to back is fine.
        appointments
            .book(scope, booking(monday_at(11, 0), 30), &access)
            .await
            .unwrap();
        let of_person = appointments.of_person(scope, person.id).await.unwrap();
        assert_eq!(
            of_person.len(),
            2,
            "nothing of the refused bookings was saved"
        );
    }
}
