//! Booking appointments inside opening hours, without double booking.

use serde_json::{Value, json};

use crate::harness::{Backend, TestApp, code};

const BOOK: &str = "mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) {
    id startsAt endsAt status staff { email } person { displayName } } }";

struct Center {
    app: TestApp,
    reception: String,
    worker_id: String,
    psychologist_id: String,
    person_id: String,
}

async fn veria(backend: Backend) -> Center {
    let app = TestApp::spawn(backend);
    let worker_id = app.login_as("social-worker", "veria").await.my_id().await;
    let psychologist_id = app.login_as("psychologist", "veria").await.my_id().await;
    let reception = app.login_as("reception", "veria").await;
    let person = reception
        .ok(
            "mutation { registerPerson(input: { givenNameEl: \"Θεόδωρος\", familyNameEl: \"Αλεξίου\" }) { id } }",
            json!({}),
        )
        .await;
    let person_id = person["registerPerson"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{person}"))
        .to_owned();
    Center {
        reception: reception.token,
        app,
        worker_id,
        psychologist_id,
        person_id,
    }
}

fn booking(
    center: &Center,
    staff: &str,
    room: Option<&str>,
    date: &str,
    start: &str,
    minutes: i32,
) -> Value {
    json!({ "input": {
        "personId": center.person_id, "staffId": staff, "centerKey": "main", "room": room,
        "kind": "INTAKE",
        "slot": { "date": date, "startTime": start, "durationMinutes": minutes }
    }})
}

impl Center {
    async fn book(&self, variables: Value) -> Value {
        self.app
            .server
            .graphql_as(Some(&self.reception), BOOK, variables)
            .await
    }
}

// 2026-11-30 is a Monday; Veria's center is open Monday to Friday, 08:00-16:00.
const MONDAY: &str = "2026-11-30";
const SATURDAY: &str = "2026-11-28";

#[tokio::test]
async fn appointments_are_booked_only_inside_opening_hours() {
    let center = veria(Backend::sqlite()).await;
    let ok = center
        .book(booking(
            &center,
            &center.worker_id,
            None,
            MONDAY,
            "09:00",
            45,
        ))
        .await;
    assert_eq!(
        ok["data"]["bookAppointment"]["startsAt"], "2026-11-30T09:00:00",
        "{ok}"
    );
    assert_eq!(
        ok["data"]["bookAppointment"]["endsAt"],
        "2026-11-30T09:45:00"
    );
    assert_eq!(
        ok["data"]["bookAppointment"]["person"]["displayName"],
        "Θεόδωρος Αλεξίου"
    );

    let late = center
        .book(booking(
            &center,
            &center.worker_id,
            None,
            MONDAY,
            "15:30",
            60,
        ))
        .await;
    assert_eq!(code(&late), "VALIDATION", "{late}");
    assert_eq!(late["errors"][0]["extensions"]["field"], "input.slot");
    assert!(
        late["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("08:00-16:00"),
        "{late}"
    );
    let weekend = center
        .book(booking(
            &center,
            &center.worker_id,
            None,
            SATURDAY,
            "10:00",
            30,
        ))
        .await;
    assert_eq!(code(&weekend), "VALIDATION", "{weekend}");
    assert!(
        weekend["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("closed on saturday")
    );
    let malformed = center
        .book(booking(
            &center,
            &center.worker_id,
            None,
            "30/11/2026",
            "9",
            0,
        ))
        .await;
    let fields: Vec<&str> = malformed["errors"][0]["extensions"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("{malformed}"))
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
    let center = veria(Backend::postgres().await).await;
    let first = center
        .book(booking(
            &center,
            &center.worker_id,
            Some("Γραφείο 1"),
            MONDAY,
            "10:00",
            60,
        ))
        .await;
    let first_id = first["data"]["bookAppointment"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();

    let same_staff = center
        .book(booking(
            &center,
            &center.worker_id,
            None,
            MONDAY,
            "10:30",
            30,
        ))
        .await;
    assert_eq!(code(&same_staff), "CONFLICT", "{same_staff}");
    assert_eq!(
        same_staff["errors"][0]["extensions"]["field"],
        "input.staffId"
    );

    let same_room = center
        .book(booking(
            &center,
            &center.psychologist_id,
            Some("Γραφείο 1"),
            MONDAY,
            "10:15",
            30,
        ))
        .await;
    assert_eq!(code(&same_room), "CONFLICT", "{same_room}");
    assert_eq!(same_room["errors"][0]["extensions"]["field"], "input.room");

    let back_to_back = center
        .book(booking(
            &center,
            &center.worker_id,
            Some("Γραφείο 1"),
            MONDAY,
            "11:00",
            30,
        ))
        .await;
    assert!(back_to_back.get("errors").is_none(), "{back_to_back}");

    // Cancelling frees the slot; the calendar shows what stands.
    let cancelled = center
        .app
        .server
        .graphql_as(
            Some(&center.reception),
            "mutation($id: ID!) { cancelAppointment(id: $id) { status } }",
            json!({ "id": first_id }),
        )
        .await;
    assert_eq!(
        cancelled["data"]["cancelAppointment"]["status"],
        "CANCELLED"
    );
    let rebooked = center
        .book(booking(
            &center,
            &center.psychologist_id,
            Some("Γραφείο 1"),
            MONDAY,
            "10:15",
            30,
        ))
        .await;
    assert!(rebooked.get("errors").is_none(), "{rebooked}");

    let calendar = center
        .app
        .server
        .graphql_as(
            Some(&center.reception),
            "query($staff: ID) { calendar(from: \"2026-11-30\", to: \"2026-12-01\", staffId: $staff) { startsAt status } }",
            json!({ "staff": center.worker_id }),
        )
        .await;
    assert_eq!(
        calendar["data"]["calendar"],
        json!([
            { "startsAt": "2026-11-30T10:00:00", "status": "CANCELLED" },
            { "startsAt": "2026-11-30T11:00:00", "status": "BOOKED" },
        ]),
        "{calendar}"
    );

    // Moving an appointment onto a taken slot is refused the same way.
    let second_id = back_to_back["data"]["bookAppointment"]["id"].clone();
    let moved = center
        .app
        .server
        .graphql_as(
            Some(&center.reception),
            "mutation($id: ID!) { rescheduleAppointment(id: $id, slot: { date: \"2026-11-30\", startTime: \"10:20\", durationMinutes: 20 }) { startsAt } }",
            json!({ "id": second_id }),
        )
        .await;
    assert_eq!(code(&moved), "CONFLICT", "{moved}");
}

/// Two desks booking the same staff member's slot at the same moment: one
/// booking, and a CONFLICT naming the staff member for the others.
async fn two_desks_booking_one_slot_at_once_get_one_booking(backend: Backend) {
    let center = veria(backend).await;
    let attempts = futures::future::join_all((0..4).map(|n| {
        let center = &center;
        async move {
            center
                .book(booking(
                    center,
                    &center.worker_id,
                    Some(["Γραφείο 1", "Γραφείο 2", "Γραφείο 3", "Γραφείο 4"][n]),
                    MONDAY,
                    "12:00",
                    45,
                ))
                .await
        }
    }))
    .await;
    let booked = attempts
        .iter()
        .filter(|a| a["data"]["bookAppointment"]["id"].is_string())
        .count();
    assert_eq!(booked, 1, "{attempts:?}");
    for refused in attempts.iter().filter(|a| a.get("errors").is_some()) {
        assert_eq!(code(refused), "CONFLICT", "{refused}");
        assert_eq!(refused["errors"][0]["extensions"]["field"], "input.staffId");
    }
    let calendar = center
        .app
        .server
        .graphql_as(
            Some(&center.reception),
            "query($s: ID) { calendar(from: \"2026-11-30\", to: \"2026-12-01\", staffId: $s) { id status } }",
            json!({ "s": center.worker_id }),
        )
        .await;
    let booked_there = calendar["data"]["calendar"]
        .as_array()
        .unwrap_or_else(|| panic!("{calendar}"))
        .iter()
        .filter(|a| a["status"] == "BOOKED")
        .count();
    assert_eq!(booked_there, 1, "{calendar}");
}

#[tokio::test]
async fn two_desks_booking_one_slot_at_once_get_one_booking_on_sqlite() {
    two_desks_booking_one_slot_at_once_get_one_booking(Backend::sqlite()).await;
}

#[tokio::test]
async fn two_desks_booking_one_slot_at_once_get_one_booking_on_postgres() {
    two_desks_booking_one_slot_at_once_get_one_booking(Backend::postgres().await).await;
}
