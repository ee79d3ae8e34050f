//! Closed-loop referrals: staff refer a person (with consent) to a directory
//! service; the receiver answers through a single-purpose link or with its
//! API key; the sender hears every change live, from any replica.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::harness::{Answer, Backend, Client, Server, TestApp, fake_smtp, mail_body};
use crate::operations::{
    CancelReferral, CreatePartnerKey, CreateReferral, Notifications, OpenCase, OverdueReferrals,
    PartnerReferrals, RecordConsent, ReferralOutcome, ReferralPerson, RegisterPerson,
    RespondToReferral, RevokePartnerKey, RevokePartnerLinks, SendReferral, StaffReferralIds,
    cancel_referral, create_partner_key, create_referral, from_json, notifications,
    overdue_referrals, partner_referrals, referral_outcome, referral_person, respond_to_referral,
    revoke_partner_key, revoke_partner_links, send_referral, staff_referral_ids,
};

/// A seeded service (`tenants/*/directory.hsds.json`) and whose directory
/// it is in.
struct Service {
    scope: &'static str,
    tenant: Option<&'static str>,
    id: &'static str,
}

const PAIANIA_GROCERY: Service = Service {
    scope: "OWN",
    tenant: None,
    id: "2a0243e2-a45f-5683-aed0-b54d10c33aff",
};
const NATIONAL_KEA: Service = Service {
    scope: "NATIONAL",
    tenant: None,
    id: "2143fb2a-2444-565e-a100-32177e488204",
};
const VERIA_SOUP_KITCHEN: Service = Service {
    scope: "TENANT",
    tenant: Some("veria"),
    id: "8b6cb85d-0abb-5b83-bde5-cdb0d054085f",
};
const NO_SUCH_SERVICE: Service = Service {
    scope: "OWN",
    tenant: None,
    id: "00000000-0000-0000-0000-000000000000",
};
const PAIANIA_ORGANIZATION: &str = "71e0266e-a92e-53d5-801e-e27257be7400";

fn fast_notifications() -> Vec<(&'static str, String)> {
    vec![("KENTRO_NOTIFY_INTERVAL_SECONDS", "1".into())]
}

/// Whether the person agreed to share what a referral needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sharing {
    Consented,
    NeverAsked,
}

/// Ελένη Κωστοπούλου, registered by `worker` with an open food-aid case and
/// (or without) her consent to referral sharing: the case's id.
async fn case_to_refer(worker: &Client<'_>, sharing: Sharing) -> String {
    let person = worker
        .run::<RegisterPerson>(from_json(json!({ "input": {
            "givenNameEl": "Ελένη", "familyNameEl": "Κωστοπούλου", "phone": "6912345678"
        }})))
        .await
        .ok()
        .register_person
        .id;
    if sharing == Sharing::Consented {
        consent_to_sharing(worker, &person, true, "2026-11-20").await;
    }
    worker
        .run::<OpenCase>(from_json(json!({ "input": {
            "personId": person, "channel": "WALK_IN", "categories": ["FOOD_AID"]
        }})))
        .await
        .ok()
        .open_case
        .id
}

/// Records the person's consent to referral sharing (`given`) or its
/// withdrawal, on a signed form.
async fn consent_to_sharing(worker: &Client<'_>, person: &str, given: bool, on: &str) {
    worker
        .run::<RecordConsent>(from_json(json!({ "input": {
            "personId": person, "purpose": "REFERRAL_SHARING", "given": given,
            "onDate": on, "method": "SIGNED_FORM"
        }})))
        .await
        .ok();
}

/// A draft referral of the case to `service`, priority, sharing the name,
/// the phone and the request.
async fn draft(
    worker: &Client<'_>,
    case: &str,
    service: &Service,
) -> Answer<create_referral::ResponseData> {
    worker
        .run::<CreateReferral>(from_json(json!({ "input": {
            "caseId": case, "scope": service.scope, "tenant": service.tenant,
            "serviceId": service.id, "level": "LOCAL", "urgency": "PRIORITY",
            "reason": "Οικογένεια με δύο ανήλικα, χωρίς εισόδημα τον τελευταίο μήνα.",
            "envelopeFields": ["NAME", "PHONE", "REQUEST_SUMMARY"]
        }})))
        .await
}

async fn send(worker: &Client<'_>, referral: &str) -> Answer<send_referral::ResponseData> {
    worker
        .run::<SendReferral>(send_referral::Variables {
            id: referral.to_owned(),
        })
        .await
}

/// Drafts and sends; the referral's id and the partner link.
async fn refer(worker: &Client<'_>, case: &str, service: &Service) -> (String, String) {
    let id = draft(worker, case, service).await.ok().create_referral.id;
    let link = send(worker, &id).await.ok().send_referral.partner_link;
    (id, link)
}

/// The center's notifications, as its coordinator lists them.
async fn notifications_of(admin: &Client<'_>) -> Vec<notifications::NotificationsNotifications> {
    admin
        .run::<Notifications>(notifications::Variables {})
        .await
        .ok()
        .notifications
}

/// A GraphQL subscription over WebSocket (graphql-transport-ws).
struct Subscription {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Subscription {
    /// Follows one referral. The stream begins with the referral as it is
    /// now, so that first message is the sign that the subscription is live:
    /// nothing the test does afterwards can be missed.
    async fn follow(server: &Server, token: &str, referral: &str) -> (Subscription, Value) {
        let url = format!(
            "{}/graphql/ws",
            server.base_url.replacen("http://", "ws://", 1)
        );
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (mut socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the WebSocket opens");
        let init = json!({ "type": "connection_init",
                           "payload": { "authorization": format!("Bearer {token}") } });
        socket.send(Message::text(init.to_string())).await.unwrap();
        let ack = Self::next_message(&mut socket).await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        let subscribe = json!({ "id": "1", "type": "subscribe",
                                "payload": { "query": UPDATED, "variables": { "id": referral } } });
        socket
            .send(Message::text(subscribe.to_string()))
            .await
            .unwrap();
        let mut subscription = Subscription { socket };
        let current = subscription.next().await;
        (subscription, current)
    }

    async fn next_message(
        socket: &mut tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
    ) -> Value {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(15), socket.next())
                .await
                .expect("a message within 15 s")
                .expect("the socket stays open")
                .expect("a readable message");
            if let Message::Text(text) = message {
                return serde_json::from_str(text.as_str()).unwrap();
            }
        }
    }

    /// The next `next` payload's data.
    async fn next(&mut self) -> Value {
        loop {
            let message = Self::next_message(&mut self.socket).await;
            match message["type"].as_str() {
                Some("next") => return message["payload"]["data"].clone(),
                Some("ping") => {
                    let pong = json!({ "type": "pong" });
                    self.socket
                        .send(Message::text(pong.to_string()))
                        .await
                        .unwrap();
                }
                _ => panic!("unexpected message: {message}"),
            }
        }
    }
}

const UPDATED: &str =
    "subscription($id: ID) { referralUpdated(id: $id) { id status declineReason } }";

async fn partner_answer(link: &str, fields: &[(&str, &str)]) -> u16 {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let body: String = fields
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    client
        .post(link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn get(link: &str) -> (u16, String) {
    let response = reqwest::get(link).await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn a_partner_accepts_through_the_link_reports_completion_and_the_sender_sees_it_live() {
    use create_referral::ReferralStatus as Draft;
    use send_referral::ReferralStatus as Sent;
    let app = TestApp::spawn_with(Backend::sqlite(), &fast_notifications());
    let worker = app.login_as("social-worker", "paiania").await;
    let case = case_to_refer(&worker, Sharing::Consented).await;

    let referral = draft(&worker, &case, &PAIANIA_GROCERY)
        .await
        .ok()
        .create_referral;
    assert_eq!(referral.status, Draft::DRAFT);
    assert_eq!(
        referral.service.receiver_email.as_deref(),
        Some("pantopoleio@paiania.kentro.example")
    );
    let id = referral.id;
    let (mut live, current) = Subscription::follow(&app.server, &worker.token, &id).await;
    assert_eq!(current["referralUpdated"]["status"], "DRAFT");
    let sent = send(&worker, &id).await.ok().send_referral;
    assert_eq!(sent.referral.status, Sent::SENT);
    assert!(sent.receiver_notified);
    let envelope = sent
        .referral
        .envelope
        .expect("the envelope of a sent referral");
    assert_eq!(
        envelope,
        json!({ "name": "Ελένη Κωστοπούλου", "phone": "6912345678",
                "request": { "date": envelope["request"]["date"], "categories": ["food_aid"] } }),
        "only the chosen fields travel"
    );
    assert_eq!(live.next().await["referralUpdated"]["status"], "SENT");
    let link = sent.partner_link.as_str();

    let (status, page) = get(link).await;
    assert_eq!(status, 200);
    assert!(page.contains("Ελένη Κωστοπούλου"), "{page}");
    assert!(
        !page.contains("ΑΜΚΑ"),
        "the ΑΜΚΑ was not chosen, so the page does not show it"
    );
    assert_eq!(partner_answer(link, &[("action", "accept")]).await, 303);
    assert_eq!(live.next().await["referralUpdated"]["status"], "ACCEPTED");
    assert_eq!(
        partner_answer(link, &[("action", "decline"), ("reason", "no_capacity")]).await,
        409,
        "an accepted referral can no longer be declined"
    );
    let (_, accepted) = get(link).await;
    assert!(
        accepted.contains("value=\"start\"") && !accepted.contains("value=\"complete\""),
        "an accepted referral is started before it is completed"
    );
    assert_eq!(partner_answer(link, &[("action", "start")]).await, 303);
    assert_eq!(
        live.next().await["referralUpdated"]["status"],
        "IN_PROGRESS"
    );
    assert_eq!(
        partner_answer(link, &[("action", "complete"), ("note", "Εντάχθηκε")]).await,
        303
    );
    assert_eq!(live.next().await["referralUpdated"]["status"], "COMPLETED");

    let after = worker
        .run::<ReferralOutcome>(referral_outcome::Variables { id: id.clone() })
        .await
        .ok()
        .referral;
    assert_eq!(after.status, referral_outcome::ReferralStatus::COMPLETED);
    assert_eq!(after.outcome_note.as_deref(), Some("Εντάχθηκε"));
    assert!(after.responded_at.is_some(), "{after:?}");
    let (status, closed) = get(link).await;
    assert_eq!(status, 200);
    assert!(closed.contains("έχει κλείσει"), "{closed}");
    assert!(
        !closed.contains("Ελένη Κωστοπούλου") && !closed.contains("6912345678"),
        "the shared data does not outlive the referral: {closed}"
    );
    assert!(
        closed.contains("COMPLETED") || closed.contains("completed"),
        "{closed}"
    );

    // The outbox delivered the e-mail to the receiver and the answers to the sender.
    let admin = app.login_as("tenant-admin", "paiania").await;
    let mut kinds = Vec::new();
    for _ in 0..50 {
        kinds = notifications_of(&admin)
            .await
            .into_iter()
            .filter(|n| n.status == "sent")
            .map(|n| n.kind)
            .collect();
        if kinds.len() >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "new_referral",
            "response_received",
            "response_received",
            "response_received"
        ]
    );
    // Once sent, the notification keeps no link: the token lived only in
    // the e-mail the receiver got.
    let token = link.rsplit('/').next().unwrap();
    let Backend::Sqlite { data_dir } = app.backend() else {
        unreachable!()
    };
    let db = sea_orm::Database::connect(format!(
        "sqlite://{}?mode=ro",
        data_dir.path().join("kentro.db").display()
    ))
    .await
    .unwrap();
    use sea_orm::ConnectionTrait;
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Sqlite,
            "SELECT body FROM notification WHERE kind = 'new_referral' AND status = 'sent'",
        ))
        .await
        .unwrap();
    let body: String = rows[0].try_get("", "body").unwrap();
    assert!(body.contains("/partner/referrals/…"), "{body}");
    assert!(!body.contains(token), "{body}");
}

#[tokio::test]
async fn a_change_on_one_replica_reaches_a_subscriber_on_another() {
    let app = TestApp::spawn(Backend::postgres().await);
    let second = Server::start(&app.backend().demo_env(), &[]);
    let worker = app.login_as("social-worker", "paiania").await;
    let case = case_to_refer(&worker, Sharing::Consented).await;
    let on_second = Client {
        server: &second,
        token: second
            .login(
                &crate::harness::demo_account("social-worker", "paiania"),
                &crate::harness::demo_password(app.backend()),
            )
            .await,
    };
    let id = draft(&worker, &case, &NATIONAL_KEA)
        .await
        .ok()
        .create_referral
        .id;
    let (mut live, draft) = Subscription::follow(&second, &on_second.token, &id).await;
    assert_eq!(draft["referralUpdated"]["id"], id.as_str());
    assert_eq!(draft["referralUpdated"]["status"], "DRAFT");

    // Sent on the first replica, heard on the second.
    let link = send(&worker, &id).await.ok().send_referral.partner_link;
    assert_eq!(live.next().await["referralUpdated"]["status"], "SENT");
    assert_eq!(
        partner_answer(&link, &[("action", "decline"), ("reason", "not_eligible")]).await,
        303
    );
    let declined = live.next().await;
    assert_eq!(declined["referralUpdated"]["status"], "DECLINED");
    assert_eq!(declined["referralUpdated"]["declineReason"], "NOT_ELIGIBLE");
}

#[tokio::test]
async fn without_consent_to_sharing_no_referral_is_made() {
    let app = TestApp::spawn(Backend::sqlite());
    let worker = app.login_as("social-worker", "paiania").await;
    let never_asked = case_to_refer(&worker, Sharing::NeverAsked).await;
    let refused = draft(&worker, &never_asked, &PAIANIA_GROCERY)
        .await
        .refused("CONSENT_REQUIRED");
    assert_eq!(refused.extensions["purpose"], "referral_sharing");

    // Consent given, a draft made, then consent withdrawn: the draft cannot be sent.
    let case = case_to_refer(&worker, Sharing::Consented).await;
    let id = draft(&worker, &case, &VERIA_SOUP_KITCHEN)
        .await
        .ok()
        .create_referral
        .id;
    let person = worker
        .run::<ReferralPerson>(referral_person::Variables { id: id.clone() })
        .await
        .ok()
        .referral
        .person
        .id;
    consent_to_sharing(&worker, &person, false, "2026-11-21").await;
    send(&worker, &id).await.refused("CONSENT_REQUIRED");
    draft(&worker, &case, &PAIANIA_GROCERY)
        .await
        .refused("CONSENT_REQUIRED");
}

#[tokio::test]
async fn a_referral_names_its_problems_and_a_lifecycle_move_must_be_allowed() {
    let app = TestApp::spawn(Backend::sqlite());
    let worker = app.login_as("social-worker", "paiania").await;
    let case = case_to_refer(&worker, Sharing::Consented).await;
    let bad = worker
        .run::<CreateReferral>(from_json(json!({ "input": {
            "caseId": "nonsense", "scope": "TENANT", "serviceId": PAIANIA_GROCERY.id,
            "level": "LOCAL", "urgency": "ROUTINE", "reason": "x", "envelopeFields": []
        }})))
        .await
        .refused("VALIDATION");
    let fields: Vec<&str> = bad.extensions["fields"]
        .as_array()
        .expect("the fields")
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["input.caseId", "input.tenant", "input.envelopeFields"]
    );
    let unknown = draft(&worker, &case, &NO_SUCH_SERVICE)
        .await
        .refused("VALIDATION");
    assert_eq!(unknown.extensions["field"], "input.serviceId");

    let (id, _) = refer(&worker, &case, &PAIANIA_GROCERY).await;
    let twice = send(&worker, &id).await.refused("INVALID_TRANSITION");
    assert_eq!(twice.extensions["from"], "sent");
    let cancelled = worker
        .run::<CancelReferral>(cancel_referral::Variables { id: id.clone() })
        .await
        .ok()
        .cancel_referral;
    assert_eq!(cancelled.status, cancel_referral::ReferralStatus::CANCELLED);

    let reception = app.login_as("reception", "paiania").await;
    reception
        .run::<ReferralOutcome>(referral_outcome::Variables { id })
        .await
        .refused("FORBIDDEN");
}

#[tokio::test]
async fn an_expired_or_revoked_link_is_gone_and_an_unknown_one_not_found() {
    let app = TestApp::spawn(Backend::postgres().await);
    let worker = app.login_as("social-worker", "paiania").await;
    let case = case_to_refer(&worker, Sharing::Consented).await;
    let (revoked_id, revoked) = refer(&worker, &case, &PAIANIA_GROCERY).await;
    let (_, expired) = refer(&worker, &case, &PAIANIA_GROCERY).await;

    let revoke = worker
        .run::<RevokePartnerLinks>(revoke_partner_links::Variables {
            referral: revoked_id,
        })
        .await
        .ok();
    assert_eq!(revoke.revoke_partner_links, 1);
    assert_eq!(get(&revoked).await.0, 410);
    assert_eq!(partner_answer(&revoked, &[("action", "accept")]).await, 410);

    let database = app.backend().database().unwrap();
    let superuser = sea_orm::Database::connect(database.superuser_url.as_str())
        .await
        .unwrap();
    use sea_orm::ConnectionTrait;
    let token = expired.rsplit('/').next().unwrap().to_owned();
    let hash: String = {
        use sea_orm::Statement;
        let row = superuser
            .query_one_raw(Statement::from_string(
                sea_orm::DbBackend::Postgres,
                format!("SELECT encode(sha256('{token}'::bytea), 'hex') AS h"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get("", "h").unwrap()
    };
    superuser
        .execute_unprepared(&format!(
            "UPDATE partner_link SET expires_at = now() - interval '1 minute' WHERE token_hash = '{hash}'"
        ))
        .await
        .unwrap();
    let (status, page) = get(&expired).await;
    assert_eq!(status, 410, "{page}");
    assert!(page.contains("expired"), "{page}");

    let base = &app.server.base_url;
    let unknown = format!("{base}/partner/referrals/1-{}", "0".repeat(64));
    assert_eq!(get(&unknown).await.0, 404);
    assert_eq!(
        get(&format!("{base}/partner/referrals/garbage")).await.0,
        404
    );
}

#[tokio::test]
async fn a_partner_key_sees_and_answers_only_referrals_sent_to_its_organization() {
    use respond_to_referral::ResponseAction::{ACCEPT, DECLINE};
    let app = TestApp::spawn(Backend::sqlite());
    let worker = app.login_as("social-worker", "paiania").await;
    let case = case_to_refer(&worker, Sharing::Consented).await;
    let (ours, _) = refer(&worker, &case, &PAIANIA_GROCERY).await;
    let (national, _) = refer(&worker, &case, &NATIONAL_KEA).await;

    let admin = app.login_as("tenant-admin", "paiania").await;
    let issue = |organization: &str, label: &str| create_partner_key::Variables {
        organization: organization.to_owned(),
        label: label.to_owned(),
    };
    let issued = admin
        .run::<CreatePartnerKey>(issue(PAIANIA_ORGANIZATION, "Κοινωνικές Δομές"))
        .await
        .ok()
        .create_partner_key;
    let unknown_org = admin
        .run::<CreatePartnerKey>(issue("00000000-0000-0000-0000-000000000000", "x"))
        .await
        .refused("VALIDATION");
    assert_eq!(unknown_org.extensions["field"], "organizationId");

    let partner = Client {
        server: &app.server,
        token: issued.secret.clone(),
    };
    let seen = partner
        .run::<PartnerReferrals>(partner_referrals::Variables {})
        .await
        .ok()
        .partner_referrals;
    let ids: Vec<&str> = seen.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [ours.as_str()],
        "only the referral sent to this partner"
    );
    assert_eq!(
        seen[0].envelope.as_ref().map(|e| e["name"].clone()),
        Some(json!("Ελένη Κωστοπούλου"))
    );

    let respond = |id: &str, action, reason: Option<&str>| respond_to_referral::Variables {
        id: id.to_owned(),
        action,
        reason: reason.map(str::to_owned),
    };
    partner
        .run::<RespondToReferral>(respond(&national, ACCEPT, None))
        .await
        .refused("NOT_FOUND");
    partner
        .run::<RespondToReferral>(respond(&ours, DECLINE, None))
        .await
        .refused("VALIDATION");
    let declined = partner
        .run::<RespondToReferral>(respond(&ours, DECLINE, Some("no_capacity")))
        .await
        .ok()
        .respond_to_referral;
    assert_eq!(
        declined.decline_reason,
        Some(respond_to_referral::DeclineReason::NO_CAPACITY)
    );
    // Declined, it is closed: the partner keeps its status, not the person.
    let after = partner
        .run::<PartnerReferrals>(partner_referrals::Variables {})
        .await
        .ok()
        .partner_referrals;
    assert_eq!(after[0].status, partner_referrals::ReferralStatus::DECLINED);
    assert_eq!(after[0].envelope, None, "{after:?}");

    // A partner key is not a staff session, and another tenant's key sees nothing here.
    partner
        .run::<StaffReferralIds>(staff_referral_ids::Variables {})
        .await
        .refused("UNAUTHENTICATED");
    let veria_admin = app.login_as("tenant-admin", "veria").await;
    let veria_key = veria_admin
        .run::<CreatePartnerKey>(issue(PAIANIA_ORGANIZATION, "x"))
        .await
        .refused("VALIDATION");
    assert_eq!(
        veria_key.extensions["field"], "organizationId",
        "Veria cannot issue keys for Paiania's organization: {veria_key:?}"
    );

    let revoked = admin
        .run::<RevokePartnerKey>(revoke_partner_key::Variables {
            id: issued.key.id.clone(),
        })
        .await
        .ok()
        .revoke_partner_key;
    assert!(revoked.revoked_at.is_some(), "{revoked:?}");
    let (status, _) = app
        .server
        .post_graphql(
            Some(&issued.secret),
            &json!({ "query": "{ partnerReferrals { id } }" }),
        )
        .await;
    assert_eq!(status, 401, "a revoked key is refused");
}

#[tokio::test]
async fn the_receiver_is_emailed_over_smtp_and_a_failed_delivery_is_retried_later() {
    let (port, mut mailbox) = fake_smtp().await;
    let mut env = fast_notifications();
    env.push(("KENTRO_SMTP_URL", format!("smtp://127.0.0.1:{port}")));
    env.push((
        "KENTRO_MAIL_FROM",
        "Kentro <no-reply@kentro.example>".into(),
    ));
    let app = TestApp::spawn_with(Backend::sqlite(), &env);
    let worker = app.login_as("social-worker", "paiania").await;
    let case = case_to_refer(&worker, Sharing::Consented).await;
    let (_, link) = refer(&worker, &case, &PAIANIA_GROCERY).await;
    let mail = tokio::time::timeout(Duration::from_secs(20), mailbox.recv())
        .await
        .expect("an e-mail within 20 s")
        .unwrap();
    assert!(
        mail.contains("RCPT TO:<pantopoleio@paiania.kentro.example>"),
        "{mail}"
    );
    let token = link.rsplit('/').next().unwrap();
    let body = mail_body(&mail);
    assert!(
        body.contains(token),
        "the e-mail carries the partner link: {body}"
    );
    assert!(body.contains("Κοινωνικό Παντοπωλείο"), "{body}");
    drop(worker);
    drop(app);

    // Nobody listens on this port: every attempt fails and waits longer.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut env = fast_notifications();
    env.push(("KENTRO_SMTP_URL", format!("smtp://127.0.0.1:{closed_port}")));
    let app = TestApp::spawn_with(Backend::sqlite(), &env);
    let worker = app.login_as("social-worker", "paiania").await;
    let case = case_to_refer(&worker, Sharing::Consented).await;
    refer(&worker, &case, &PAIANIA_GROCERY).await;
    let admin = app.login_as("tenant-admin", "paiania").await;
    let mut seen = None;
    for _ in 0..50 {
        seen = notifications_of(&admin).await.into_iter().next();
        if seen.as_ref().is_some_and(|n| n.attempts >= 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let seen = seen.expect("the receiver's notification");
    assert_eq!(seen.kind, "new_referral", "{seen:?}");
    assert_eq!(
        seen.status, "pending",
        "retried later, not given up: {seen:?}"
    );
    assert_eq!(seen.attempts, 1, "{seen:?}");
    assert!(seen.last_error.as_deref().is_some_and(|e| !e.is_empty()));
    // State, not the test's clock: the failed attempt came after the
    // notification was queued, and the next waits one backoff (60 s after
    // one failure) from it.
    let at = |stamp: &str| {
        chrono::DateTime::parse_from_rfc3339(stamp)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    assert!(
        at(&seen.next_attempt_at) - at(&seen.created_at) >= chrono::Duration::seconds(60),
        "the retry waits a backoff after the failure: {seen:?}"
    );
}

#[tokio::test]
async fn an_unanswered_referral_past_its_deadline_is_flagged_listed_and_its_sender_told() {
    let app = TestApp::spawn_with(Backend::postgres().await, &fast_notifications());
    let worker = app.login_as("social-worker", "paiania").await;
    let case = case_to_refer(&worker, Sharing::Consented).await;
    let (late, _) = refer(&worker, &case, &PAIANIA_GROCERY).await;
    let (on_time, _) = refer(&worker, &case, &PAIANIA_GROCERY).await;
    let superuser =
        sea_orm::Database::connect(app.backend().database().unwrap().superuser_url.as_str())
            .await
            .unwrap();
    use sea_orm::ConnectionTrait;
    // Every referral id is unique across tenants; the late one is the lower.
    superuser
        .execute_unprepared(
            "UPDATE referral SET deadline_at = now() - interval '1 hour'
              WHERE id = (SELECT min(id) FROM referral)",
        )
        .await
        .unwrap();

    let listed = worker
        .run::<OverdueReferrals>(overdue_referrals::Variables {})
        .await
        .ok()
        .referrals
        .edges;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].node.id, late);
    assert!(listed[0].node.overdue);
    let fine = worker
        .run::<ReferralOutcome>(referral_outcome::Variables { id: on_time })
        .await
        .ok()
        .referral;
    assert!(!fine.overdue);

    let admin = app.login_as("tenant-admin", "paiania").await;
    let overdue_notices = || async {
        notifications_of(&admin)
            .await
            .into_iter()
            .filter(|n| n.kind == "overdue")
            .collect::<Vec<_>>()
    };
    let mut overdue = Vec::new();
    for _ in 0..50 {
        overdue = overdue_notices().await;
        if !overdue.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(overdue.len(), 1, "one notice, once: {overdue:?}");
    assert_eq!(
        overdue[0].recipient,
        crate::harness::demo_account("social-worker", "paiania")
    );
    // The worker keeps running; the notice is not repeated. The proof that
    // it ran again is the next referral's notice: one sweep flags it, and
    // that same sweep would have repeated the first notice.
    superuser
        .execute_unprepared(
            "UPDATE referral SET deadline_at = now() - interval '1 hour'
              WHERE id = (SELECT max(id) FROM referral)",
        )
        .await
        .unwrap();
    let mut subjects = Vec::new();
    for _ in 0..100 {
        subjects = overdue_notices()
            .await
            .into_iter()
            .map(|n| n.subject)
            .collect::<Vec<_>>();
        let distinct: std::collections::BTreeSet<_> = subjects.iter().collect();
        if distinct.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    subjects.sort();
    subjects.dedup();
    assert_eq!(
        subjects.len(),
        2,
        "the second referral's notice: {subjects:?}"
    );
    assert_eq!(
        overdue_notices().await.len(),
        2,
        "one notice for each overdue referral, never two"
    );
}

/// Two replicas' outbox workers share one queue: every notification is
/// delivered once (one attempt each, one e-mail each), never by both.
#[tokio::test]
async fn two_replicas_send_each_notification_exactly_once() {
    let (port, mut mailbox) = fake_smtp().await;
    let mut env = fast_notifications();
    env.push(("KENTRO_SMTP_URL", format!("smtp://127.0.0.1:{port}")));
    let app = TestApp::spawn_with(Backend::postgres().await, &env);
    let mut second_env = app.backend().demo_env();
    second_env.extend(env);
    let second = Server::start(&second_env, &[]);
    let worker = app.login_as("social-worker", "paiania").await;
    let case = case_to_refer(&worker, Sharing::Consented).await;
    const REFERRALS: usize = 6;
    for _ in 0..REFERRALS {
        refer(&worker, &case, &PAIANIA_GROCERY).await;
    }
    let admin = Client {
        server: &second,
        token: second
            .login(
                &crate::harness::demo_account("tenant-admin", "paiania"),
                &crate::harness::demo_password(app.backend()),
            )
            .await,
    };
    let mut sent = Vec::new();
    for _ in 0..150 {
        sent = notifications_of(&admin)
            .await
            .into_iter()
            .filter(|n| n.kind == "new_referral")
            .collect();
        if sent.len() == REFERRALS && sent.iter().all(|n| n.status == "sent") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(sent.len(), REFERRALS, "{sent:?}");
    for n in &sent {
        assert_eq!(n.status, "sent", "{sent:?}");
        assert_eq!(n.attempts, 1, "sent by one worker, once: {sent:?}");
    }
    let mut mails = 0;
    while let Ok(Some(mail)) =
        tokio::time::timeout(Duration::from_millis(500), mailbox.recv()).await
    {
        if mail.contains("RCPT TO:<pantopoleio@paiania.kentro.example>") {
            mails += 1;
        }
    }
    assert_eq!(mails, REFERRALS, "one e-mail per referral");
}
