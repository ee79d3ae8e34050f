//! Intake and counselling appointments, and the calendar.

use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use kentro_domain::access::Permission;
use kentro_domain::appointment::{AppointmentStatus as DomainStatus, MAX_MINUTES};
use kentro_domain::keys::{AccountId, AppointmentId, PersonId};
use kentro_domain::person::parse_date;
use kentro_store::{AppointmentRecord, Booking, TenantScope};

use crate::context::{Accessor, services, tenant_scope};
use crate::error::{ApiError, from_store, invalid_fields, renamed_field};
use crate::id;
use crate::people::Person;
use crate::users::User;

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::appointment::AppointmentKind")]
pub enum AppointmentKind {
    Intake,
    Counselling,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "kentro_domain::appointment::AppointmentStatus")]
pub enum AppointmentStatus {
    Booked,
    Cancelled,
    Kept,
    Missed,
}

pub struct Appointment {
    record: AppointmentRecord,
    scope: TenantScope,
}

/// A person's appointments, latest first.
pub(crate) async fn appointments_of(
    ctx: &Context<'_>,
    person_id: PersonId,
) -> Result<Vec<Appointment>, ApiError> {
    appointments_from(ctx, person_id, None).await
}

/// A person's appointments starting on or after `from`, latest first.
pub(crate) async fn appointments_from(
    ctx: &Context<'_>,
    person_id: PersonId,
    from: Option<NaiveDateTime>,
) -> Result<Vec<Appointment>, ApiError> {
    let scope = tenant_scope(ctx, Permission::BookAppointments)?;
    let records = services(ctx)
        .store
        .appointments()
        .of_person(scope, person_id)
        .await?;
    Ok(records
        .into_iter()
        .filter(|record| from.is_none_or(|from| record.starts_at >= from))
        .map(|record| Appointment { record, scope })
        .collect())
}

#[Object]
impl Appointment {
    async fn id(&self) -> ID {
        id::encode_key(self.record.id)
    }

    async fn kind(&self) -> AppointmentKind {
        self.record.kind.into()
    }

    async fn status(&self) -> AppointmentStatus {
        self.record.status.into()
    }

    /// Local time at the center, `YYYY-MM-DDTHH:MM:SS`.
    async fn starts_at(&self) -> NaiveDateTime {
        self.record.starts_at
    }

    async fn ends_at(&self) -> NaiveDateTime {
        self.record.ends_at
    }

    async fn center_key(&self) -> &str {
        &self.record.center_key
    }

    async fn room(&self) -> Option<&str> {
        self.record.room.as_deref()
    }

    async fn person(&self, ctx: &Context<'_>) -> Result<Person, ApiError> {
        crate::people::load(ctx, self.scope, self.record.person_id, "appointment.person").await
    }

    async fn staff(&self, ctx: &Context<'_>) -> Result<Option<User>, ApiError> {
        crate::users::load(ctx, self.scope, self.record.staff_id).await
    }
}

/// When: a date, a start time and a length.
#[derive(InputObject)]
pub struct SlotInput {
    /// `YYYY-MM-DD`.
    date: String,
    /// `HH:MM`, local time at the center.
    start_time: String,
    duration_minutes: i32,
}

impl SlotInput {
    fn parse(
        &self,
        prefix: &str,
        problems: &mut Vec<(String, String)>,
    ) -> Option<(NaiveDateTime, NaiveDateTime)> {
        let date = parse_date(&self.date)
            .map_err(|p| problems.push((format!("{prefix}.date"), p)))
            .ok();
        let time = NaiveTime::parse_from_str(self.start_time.trim(), "%H:%M")
            .map_err(|_| {
                problems.push((
                    format!("{prefix}.startTime"),
                    format!("{:?} is not a time (expected HH:MM)", self.start_time),
                ))
            })
            .ok();
        let minutes = u32::try_from(self.duration_minutes)
            .ok()
            .filter(|m| (5..=MAX_MINUTES).contains(m));
        if minutes.is_none() {
            problems.push((
                format!("{prefix}.durationMinutes"),
                format!("must be 5 to {MAX_MINUTES} minutes"),
            ));
        }
        let start = date?.and_time(time?);
        Some((start, start + Duration::minutes(i64::from(minutes?))))
    }
}

#[derive(InputObject)]
pub struct BookAppointmentInput {
    person_id: ID,
    staff_id: ID,
    /// The center's key from its manifest, e.g. `main`.
    center_key: String,
    room: Option<String>,
    kind: AppointmentKind,
    slot: SlotInput,
}

#[derive(Default)]
pub struct AppointmentQuery;

#[Object]
impl AppointmentQuery {
    /// Appointments starting from `from` up to (not including) `to`, dates as
    /// `YYYY-MM-DD`, of one staff member when given.
    async fn calendar(
        &self,
        ctx: &Context<'_>,
        from: String,
        to: String,
        staff_id: Option<ID>,
    ) -> Result<Vec<Appointment>, ApiError> {
        let scope = tenant_scope(ctx, Permission::BookAppointments)?;
        let mut problems = Vec::new();
        let mut day = |field: &str, raw: &str| {
            parse_date(raw)
                .map_err(|p| problems.push((field.to_owned(), p)))
                .ok()
        };
        let (from, to) = (day("from", &from), day("to", &to));
        let staff = (staff_id.as_ref())
            .and_then(|s| id::decode_field::<AccountId>("staffId", s, &mut problems));
        let (Some(from), Some(to), true) = (from, to, problems.is_empty()) else {
            return Err(invalid_fields(&problems));
        };
        if to <= from || (to - from).num_days() > 62 {
            return Err(invalid_fields(&[(
                "to".into(),
                "must be after `from`, at most 62 days later".into(),
            )]));
        }
        let midnight = |d: NaiveDate| d.and_time(NaiveTime::MIN);
        let records = services(ctx)
            .store
            .appointments()
            .calendar(scope, midnight(from), midnight(to), staff)
            .await?;
        Ok(records
            .into_iter()
            .map(|record| Appointment { record, scope })
            .collect())
    }
}

#[derive(Default)]
pub struct AppointmentMutation;

#[Object]
impl AppointmentMutation {
    /// Books an appointment inside the center's opening hours; a staff member
    /// or room already booked then is a `CONFLICT`.
    async fn book_appointment(
        &self,
        ctx: &Context<'_>,
        input: BookAppointmentInput,
    ) -> Result<Appointment, ApiError> {
        let scope = tenant_scope(ctx, Permission::BookAppointments)?;
        let mut problems = Vec::new();
        let person_id =
            id::decode_field::<PersonId>("input.personId", &input.person_id, &mut problems);
        let staff_id =
            id::decode_field::<AccountId>("input.staffId", &input.staff_id, &mut problems);
        let times = input.slot.parse("input.slot", &mut problems);
        let (Some(person_id), Some(staff_id), Some((starts_at, ends_at)), true) =
            (person_id, staff_id, times, problems.is_empty())
        else {
            return Err(invalid_fields(&problems));
        };
        let accessor = Accessor::new(ctx, "bookAppointment")?;
        let record = services(ctx)
            .store
            .appointments()
            .book(
                scope,
                Booking {
                    person_id,
                    staff_id,
                    center_key: input.center_key,
                    room: input
                        .room
                        .map(|r| r.trim().to_owned())
                        .filter(|r| !r.is_empty()),
                    kind: input.kind.into(),
                    starts_at,
                    ends_at,
                },
                &accessor.access(),
            )
            .await
            .map_err(|e| {
                renamed_field(from_store(e), |field| match field {
                    "startsAt" => "input.slot".to_owned(),
                    other => format!("input.{other}"),
                })
            })?;
        crate::plugins::emit(
            ctx,
            scope,
            "appointment-booked",
            serde_json::json!({
                "appointment_id": crate::id::encode_key(record.id).0,
                "person_id": crate::id::encode_key(record.person_id).0,
                "starts_at": record.starts_at.to_string(),
            }),
        );
        Ok(Appointment { record, scope })
    }

    /// Moves a booked appointment to another slot, with the same checks as booking.
    async fn reschedule_appointment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        slot: SlotInput,
    ) -> Result<Appointment, ApiError> {
        let scope = tenant_scope(ctx, Permission::BookAppointments)?;
        let key = id::decode_key::<AppointmentId>(&id)?;
        let mut problems = Vec::new();
        let Some((starts_at, ends_at)) = slot.parse("slot", &mut problems) else {
            return Err(invalid_fields(&problems));
        };
        let accessor = Accessor::new(ctx, "rescheduleAppointment")?;
        let record = services(ctx)
            .store
            .appointments()
            .reschedule(scope, key, starts_at, ends_at, &accessor.access())
            .await?;
        Ok(Appointment { record, scope })
    }

    async fn cancel_appointment(&self, ctx: &Context<'_>, id: ID) -> Result<Appointment, ApiError> {
        set_status(ctx, &id, DomainStatus::Cancelled, "cancelAppointment").await
    }

    /// Records whether the person came to a booked appointment.
    async fn record_attendance(
        &self,
        ctx: &Context<'_>,
        id: ID,
        kept: bool,
    ) -> Result<Appointment, ApiError> {
        let to = if kept {
            DomainStatus::Kept
        } else {
            DomainStatus::Missed
        };
        set_status(ctx, &id, to, "recordAttendance").await
    }
}

async fn set_status(
    ctx: &Context<'_>,
    id: &ID,
    to: DomainStatus,
    purpose: &'static str,
) -> Result<Appointment, ApiError> {
    let scope = tenant_scope(ctx, Permission::BookAppointments)?;
    let key = id::decode_key::<AppointmentId>(id)?;
    let accessor = Accessor::new(ctx, purpose)?;
    let record = services(ctx)
        .store
        .appointments()
        .set_status(scope, key, to, &accessor.access())
        .await?;
    Ok(Appointment { record, scope })
}
