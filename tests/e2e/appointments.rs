//! Booking appointments inside opening hours, without double booking.

use serde_json::json;

use crate::harness::{Answer, Backend, Client, TestApp};
use crate::operations::{
    BookAppointment, CancelAppointment, MondayOf, RegisterPerson, RescheduleAppointment,
    book_appointment, cancel_appointment, from_json, monday_of,
};

// 2026-11-30 is a Monday; Veria's center is open Monday to Friday, 08:00-16:00.
const MONDAY: &str = "2026-11-30";
const SATURDAY: &str = "2026-11-28";

/// Registers Θεόδωρος Αλεξίου at the desk; his id.
async fn theodoros(desk: &Client<'_>) -> String {
    desk.run::<RegisterPerson>(from_json(json!({ "input": {
        "givenNameEl": "Θεόδωρος", "familyNameEl": "Αλεξίου"
    }})))
    .await
    .ok()
    .register_person
    .id
}

/// One booking at the main center: who, with whom, where, and when.
struct Slot<'s> {
    person: &'s str,
    staff: &'s str,
    room: Option<&'s str>,
    date: &'s str,
    start: &'s str,
    minutes: i64,
}

async fn book(desk: &Client<'_>, slot: Slot<'_>) -> Answer<book_appointment::ResponseData> {
    desk.run::<BookAppointment>(from_json(json!({ "input": {
        "personId": slot.person, "staffId": slot.staff, "centerKey": "main", "room": slot.room,
        "kind": "INTAKE",
        "slot": { "date": slot.date, "startTime": slot.start, "durationMinutes": slot.minutes }
    }})))
    .await
}

/// What the calendar holds for `staff` on Monday 30 November.
async fn mondays_calendar(desk: &Client<'_>, staff: &str) -> Vec<monday_of::MondayOfCalendar> {
    desk.run::<MondayOf>(monday_of::Variables {
        staff: Some(staff.to_owned()),
    })
    .await
    .ok()
    .calendar
}

#[tokio::test]
async fn appointments_are_booked_only_inside_opening_hours() {
    let app = TestApp::spawn(Backend::sqlite());
    let worker = app.login_as("social-worker", "veria").await.my_id().await;
    let reception = app.login_as("reception", "veria").await;
    let person = theodoros(&reception).await;
    let at = |date, start, minutes| Slot {
        person: &person,
        staff: &worker,
        room: None,
        date,
        start,
        minutes,
    };

    let booked = book(&reception, at(MONDAY, "09:00", 45))
        .await
        .ok()
        .book_appointment;
    assert_eq!(booked.starts_at, "2026-11-30T09:00:00");
    assert_eq!(booked.ends_at, "2026-11-30T09:45:00");
    assert_eq!(booked.person.display_name, "Θεόδωρος Αλεξίου");

    let late = book(&reception, at(MONDAY, "15:30", 60))
        .await
        .refused("VALIDATION");
    assert_eq!(late.extensions["field"], "input.slot");
    assert!(late.message.contains("08:00-16:00"), "{late:?}");

    let weekend = book(&reception, at(SATURDAY, "10:00", 30))
        .await
        .refused("VALIDATION");
    assert!(
        weekend.message.contains("closed on saturday"),
        "{weekend:?}"
    );

    let malformed = book(&reception, at("30/11/2026", "9", 0))
        .await
        .refused("VALIDATION");
    let fields: Vec<&str> = malformed.extensions["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("{malformed:?}"))
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "input.slot.date",
            "input.slot.startTime",
            "input.slot.durationMinutes"
        ]
    );
}

#[tokio::test]
async fn a_staff_member_or_a_room_cannot_be_double_booked() {
    let app = TestApp::spawn(Backend::postgres().await);
    let worker = app.login_as("social-worker", "veria").await.my_id().await;
    let psychologist = app.login_as("psychologist", "veria").await.my_id().await;
    let reception = app.login_as("reception", "veria").await;
    let person = theodoros(&reception).await;
    let at = |staff, room, start, minutes| Slot {
        person: &person,
        staff,
        room,
        date: MONDAY,
        start,
        minutes,
    };
    let office = Some("Γραφείο 1");

    let first = book(&reception, at(&worker, office, "10:00", 60))
        .await
        .ok()
        .book_appointment
        .id;

    let same_staff = book(&reception, at(&worker, None, "10:30", 30))
        .await
        .refused("CONFLICT");
    assert_eq!(same_staff.extensions["field"], "input.staffId");

    let same_room = book(&reception, at(&psychologist, office, "10:15", 30))
        .await
        .refused("CONFLICT");
    assert_eq!(same_room.extensions["field"], "input.room");

    let back_to_back = book(&reception, at(&worker, office, "11:00", 30))
        .await
        .ok()
        .book_appointment
        .id;

    // Cancelling frees the slot; the calendar shows what stands.
    let cancelled = reception
        .run::<CancelAppointment>(cancel_appointment::Variables { id: first })
        .await
        .ok();
    assert_eq!(
        cancelled.cancel_appointment.status,
        cancel_appointment::AppointmentStatus::CANCELLED
    );
    book(&reception, at(&psychologist, office, "10:15", 30))
        .await
        .ok();
    let standing: Vec<(String, monday_of::AppointmentStatus)> =
        mondays_calendar(&reception, &worker)
            .await
            .into_iter()
            .map(|a| (a.starts_at, a.status))
            .collect();
    assert_eq!(
        standing,
        [
            (
                "2026-11-30T10:00:00".to_owned(),
                monday_of::AppointmentStatus::CANCELLED
            ),
            (
                "2026-11-30T11:00:00".to_owned(),
                monday_of::AppointmentStatus::BOOKED
            ),
        ]
    );

    // Moving an appointment onto a taken slot is refused the same way.
    reception
        .run::<RescheduleAppointment>(from_json(json!({
            "id": back_to_back,
            "slot": { "date": MONDAY, "startTime": "10:20", "durationMinutes": 20 }
        })))
        .await
        .refused("CONFLICT");
}

/// Two desks booking the same staff member's slot at the same moment: one
/// booking, and a CONFLICT naming the staff member for the others.
async fn two_desks_booking_one_slot_at_once_get_one_booking(backend: Backend) {
    let app = TestApp::spawn(backend);
    let worker = app.login_as("social-worker", "veria").await.my_id().await;
    let reception = app.login_as("reception", "veria").await;
    let person = theodoros(&reception).await;
    let attempts = futures::future::join_all(
        ["Γραφείο 1", "Γραφείο 2", "Γραφείο 3", "Γραφείο 4"].map(|room| {
            book(
                &reception,
                Slot {
                    person: &person,
                    staff: &worker,
                    room: Some(room),
                    date: MONDAY,
                    start: "12:00",
                    minutes: 45,
                },
            )
        }),
    )
    .await;
    let (booked, refused): (Vec<_>, Vec<_>) =
        attempts.into_iter().partition(|a| a.errors.is_empty());
    assert_eq!(booked.len(), 1, "{booked:?}");
    for answer in refused {
        assert_eq!(
            answer.refused("CONFLICT").extensions["field"],
            "input.staffId"
        );
    }
    let standing = mondays_calendar(&reception, &worker).await;
    assert_eq!(
        standing
            .iter()
            .filter(|a| a.status == monday_of::AppointmentStatus::BOOKED)
            .count(),
        1,
        "{standing:?}"
    );
}

#[tokio::test]
async fn two_desks_booking_one_slot_at_once_get_one_booking_on_sqlite() {
    two_desks_booking_one_slot_at_once_get_one_booking(Backend::sqlite()).await;
}

#[tokio::test]
async fn two_desks_booking_one_slot_at_once_get_one_booking_on_postgres() {
    two_desks_booking_one_slot_at_once_get_one_booking(Backend::postgres().await).await;
}
