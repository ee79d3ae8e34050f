//! Closed-loop referrals: staff refer a person (with consent) to a directory
//! service; the receiver answers through a single-purpose link or with its
//! API key; the sender hears every change live, from any replica.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::harness::{
    Backend, Client, Server, code, demo_account, demo_password, fake_smtp, mail_body,
};

/// The seeded services (`tenants/*/directory.hsds.json`).
const PAIANIA_GROCERY: &str = "2a0243e2-a45f-5683-aed0-b54d10c33aff";
const PAIANIA_ORGANIZATION: &str = "71e0266e-a92e-53d5-801e-e27257be7400";
const NATIONAL_KEA: &str = "2143fb2a-2444-565e-a100-32177e488204";
const VERIA_SOUP_KITCHEN: &str = "8b6cb85d-0abb-5b83-bde5-cdb0d054085f";

fn env_with_fast_notifications(backend: &Backend) -> Vec<(&'static str, String)> {
    let mut env = backend.demo_env();
    env.push(("KENTRO_NOTIFY_INTERVAL_SECONDS", "1".into()));
    env
}

/// A social worker at a center with one person who has (or has not)
/// consented to referral sharing, and an open case.
struct Desk<'a> {
    worker: Client<'a>,
    case_id: String,
}

/// The desk is its social worker's client (`call`, `ok`) with a case.
impl<'a> std::ops::Deref for Desk<'a> {
    type Target = Client<'a>;

    fn deref(&self) -> &Client<'a> {
        &self.worker
    }
}

impl<'a> Desk<'a> {
    async fn open(server: &'a Server, backend: &Backend, slug: &str, consent: bool) -> Desk<'a> {
        let worker = Client {
            server,
            token: server
                .login(
                    &demo_account("social-worker", slug),
                    &demo_password(backend),
                )
                .await,
        };
        let person = worker
            .ok(
                "mutation($input: PersonInput!) { registerPerson(input: $input) { id } }",
                json!({ "input": { "givenNameEl": "Ελένη", "familyNameEl": "Κωστοπούλου",
                                   "phone": "6912345678" } }),
            )
            .await["registerPerson"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        if consent {
            worker
                .ok(
                    "mutation($input: ConsentInput!) { recordConsent(input: $input) { given } }",
                    json!({ "input": { "personId": person, "purpose": "REFERRAL_SHARING", "given": true,
                                       "onDate": "2026-11-20", "method": "SIGNED_FORM" } }),
                )
                .await;
        }
        let case_id = worker
            .ok(
                "mutation($input: OpenCaseInput!) { openCase(input: $input) { id } }",
                json!({ "input": { "personId": person, "channel": "WALK_IN", "categories": ["FOOD_AID"] } }),
            )
            .await["openCase"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        Desk { worker, case_id }
    }

    async fn create(&self, scope: &str, tenant: Option<&str>, service: &str) -> Value {
        self.call(
            CREATE,
            json!({ "input": {
                "caseId": self.case_id, "scope": scope, "tenant": tenant, "serviceId": service,
                "level": "LOCAL", "urgency": "PRIORITY",
                "reason": "Οικογένεια με δύο ανήλικα, χωρίς εισόδημα τον τελευταίο μήνα.",
                "envelopeFields": ["NAME", "PHONE", "REQUEST_SUMMARY"] } }),
        )
        .await
    }

    /// Creates and sends; returns the referral's id and the partner link.
    async fn refer(&self, scope: &str, tenant: Option<&str>, service: &str) -> (String, String) {
        let created = self.create(scope, tenant, service).await;
        assert!(created.get("errors").is_none(), "{created}");
        let id = created["data"]["createReferral"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let sent = self.ok(SEND, json!({ "id": id })).await;
        let link = sent["sendReferral"]["partnerLink"]
            .as_str()
            .unwrap()
            .to_owned();
        (id, link)
    }
}

const CREATE: &str = "mutation($input: CreateReferralInput!) {
    createReferral(input: $input) { id status service { name organizationName receiverEmail } } }";
const SEND: &str = "mutation($id: ID!) { sendReferral(id: $id) {
    partnerLink partnerLinkExpiresAt receiverNotified referral { status deadlineAt envelope } } }";

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
    let backend = Backend::sqlite();
    let server = Server::start(&env_with_fast_notifications(&backend), &["--demo"]);
    let desk = Desk::open(&server, &backend, "paiania", true).await;

    let created = desk.create("OWN", None, PAIANIA_GROCERY).await;
    let referral = &created["data"]["createReferral"];
    assert_eq!(referral["status"], "DRAFT", "{created}");
    assert_eq!(
        referral["service"]["receiverEmail"],
        "pantopoleio@paiania.kentro.example"
    );
    let id = referral["id"].as_str().unwrap();
    let (mut live, current) = Subscription::follow(&server, &desk.token, id).await;
    assert_eq!(current["referralUpdated"]["status"], "DRAFT");
    let sent = desk.ok(SEND, json!({ "id": id })).await;
    let sent = &sent["sendReferral"];
    assert_eq!(sent["referral"]["status"], "SENT");
    assert_eq!(sent["receiverNotified"], true);
    assert_eq!(
        sent["referral"]["envelope"],
        json!({ "name": "Ελένη Κωστοπούλου", "phone": "6912345678",
                "request": { "date": sent["referral"]["envelope"]["request"]["date"], "categories": ["food_aid"] } }),
        "only the chosen fields travel"
    );
    assert_eq!(live.next().await["referralUpdated"]["status"], "SENT");
    let link = sent["partnerLink"].as_str().unwrap();

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

    let after = desk
        .ok(
            "query($id: ID!) { referral(id: $id) { status respondedAt closedAt outcomeNote overdue } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(after["referral"]["status"], "COMPLETED");
    assert_eq!(after["referral"]["outcomeNote"], "Εντάχθηκε");
    assert!(after["referral"]["respondedAt"].is_string());
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
    let admin = server
        .login(
            &demo_account("tenant-admin", "paiania"),
            &demo_password(&backend),
        )
        .await;
    let mut kinds = Vec::new();
    for _ in 0..50 {
        let notifications = server
            .graphql_as(
                Some(&admin),
                "{ notifications { kind status recipient } }",
                json!({}),
            )
            .await;
        kinds = notifications["data"]["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["status"] == "sent")
            .map(|n| n["kind"].as_str().unwrap().to_owned())
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
    let Backend::Sqlite { data_dir } = &backend else {
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
    let backend = Backend::postgres().await;
    let first = Server::start(&backend.demo_env(), &["--demo"]);
    let second = Server::start(&backend.demo_env(), &[]);
    let desk = Desk::open(&first, &backend, "paiania", true).await;
    let on_second = second
        .login(
            &demo_account("social-worker", "paiania"),
            &demo_password(&backend),
        )
        .await;
    let created = desk.create("NATIONAL", None, NATIONAL_KEA).await;
    let id = created["data"]["createReferral"]["id"]
        .as_str()
        .expect("a draft")
        .to_owned();
    let (mut live, draft) = Subscription::follow(&second, &on_second, &id).await;
    assert_eq!(draft["referralUpdated"]["id"], id.as_str());
    assert_eq!(draft["referralUpdated"]["status"], "DRAFT");

    // Sent on the first replica, heard on the second.
    let sent = desk.ok(SEND, json!({ "id": id })).await;
    let link = sent["sendReferral"]["partnerLink"]
        .as_str()
        .unwrap()
        .to_owned();
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
    let backend = Backend::sqlite();
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let never = Desk::open(&server, &backend, "paiania", false).await;
    let refused = never.create("OWN", None, PAIANIA_GROCERY).await;
    assert_eq!(code(&refused), "CONSENT_REQUIRED", "{refused}");
    assert_eq!(
        refused["errors"][0]["extensions"]["purpose"],
        "referral_sharing"
    );

    // Consent given, a draft made, then consent withdrawn: the draft cannot be sent.
    let desk = Desk::open(&server, &backend, "paiania", true).await;
    let draft = desk
        .create("TENANT", Some("veria"), VERIA_SOUP_KITCHEN)
        .await;
    let id = draft["data"]["createReferral"]["id"].as_str().unwrap();
    let person = desk
        .ok(
            "query($id: ID!) { referral(id: $id) { person { id } } }",
            json!({ "id": id }),
        )
        .await["referral"]["person"]["id"]
        .clone();
    desk.ok(
        "mutation($input: ConsentInput!) { recordConsent(input: $input) { given } }",
        json!({ "input": { "personId": person, "purpose": "REFERRAL_SHARING", "given": false,
                           "onDate": "2026-11-21", "method": "SIGNED_FORM" } }),
    )
    .await;
    let refused = desk.call(SEND, json!({ "id": id })).await;
    assert_eq!(code(&refused), "CONSENT_REQUIRED", "{refused}");
    let again = desk.create("OWN", None, PAIANIA_GROCERY).await;
    assert_eq!(code(&again), "CONSENT_REQUIRED");
}

#[tokio::test]
async fn a_referral_names_its_problems_and_a_lifecycle_move_must_be_allowed() {
    let backend = Backend::sqlite();
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let desk = Desk::open(&server, &backend, "paiania", true).await;
    let bad = desk
        .call(
            CREATE,
            json!({ "input": {
                "caseId": "nonsense", "scope": "TENANT", "serviceId": PAIANIA_GROCERY,
                "level": "LOCAL", "urgency": "ROUTINE", "reason": "x", "envelopeFields": [] } }),
        )
        .await;
    assert_eq!(code(&bad), "VALIDATION");
    let fields: Vec<&str> = bad["errors"][0]["extensions"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["input.caseId", "input.tenant", "input.envelopeFields"]
    );
    let unknown = desk
        .create("OWN", None, "00000000-0000-0000-0000-000000000000")
        .await;
    assert_eq!(code(&unknown), "VALIDATION");
    assert_eq!(
        unknown["errors"][0]["extensions"]["field"],
        "input.serviceId"
    );

    let (id, _) = desk.refer("OWN", None, PAIANIA_GROCERY).await;
    let twice = desk.call(SEND, json!({ "id": id })).await;
    assert_eq!(code(&twice), "INVALID_TRANSITION");
    assert_eq!(twice["errors"][0]["extensions"]["from"], "sent");
    let cancelled = desk
        .ok(
            "mutation($id: ID!) { cancelReferral(id: $id) { status closedAt } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(cancelled["cancelReferral"]["status"], "CANCELLED");

    let reception = server
        .login(
            &demo_account("reception", "paiania"),
            &demo_password(&backend),
        )
        .await;
    let forbidden = server
        .graphql_as(
            Some(&reception),
            "query($id: ID!) { referral(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(code(&forbidden), "FORBIDDEN");
}

#[tokio::test]
async fn an_expired_or_revoked_link_is_gone_and_an_unknown_one_not_found() {
    let backend = Backend::postgres().await;
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let desk = Desk::open(&server, &backend, "paiania", true).await;
    let (revoked_id, revoked) = desk.refer("OWN", None, PAIANIA_GROCERY).await;
    let (_, expired) = desk.refer("OWN", None, PAIANIA_GROCERY).await;

    let revoke = desk
        .ok(
            "mutation($id: ID!) { revokePartnerLinks(referralId: $id) }",
            json!({ "id": revoked_id }),
        )
        .await;
    assert_eq!(revoke["revokePartnerLinks"], 1);
    assert_eq!(get(&revoked).await.0, 410);
    assert_eq!(partner_answer(&revoked, &[("action", "accept")]).await, 410);

    let database = backend.database().unwrap();
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

    let unknown = format!("{}/partner/referrals/1-{}", server.base_url, "0".repeat(64));
    assert_eq!(get(&unknown).await.0, 404);
    assert_eq!(
        get(&format!("{}/partner/referrals/garbage", server.base_url))
            .await
            .0,
        404
    );
}

const PARTNER_LIST: &str = "{ partnerReferrals { id status serviceName envelope } }";
const RESPOND: &str = "mutation($id: ID!, $action: ResponseAction!, $reason: String) {
    respondToReferral(id: $id, action: $action, reason: $reason) { id status declineReason } }";

#[tokio::test]
async fn a_partner_key_sees_and_answers_only_referrals_sent_to_its_organization() {
    let backend = Backend::sqlite();
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let password = demo_password(&backend);
    let desk = Desk::open(&server, &backend, "paiania", true).await;
    let (ours, _) = desk.refer("OWN", None, PAIANIA_GROCERY).await;
    let (national, _) = desk.refer("NATIONAL", None, NATIONAL_KEA).await;

    let admin = server
        .login(&demo_account("tenant-admin", "paiania"), &password)
        .await;
    let issue = "mutation($org: String!, $label: String!) {
        createPartnerKey(organizationId: $org, label: $label) { secret key { id label } } }";
    let issued = server
        .graphql_as(
            Some(&admin),
            issue,
            json!({ "org": PAIANIA_ORGANIZATION, "label": "Κοινωνικές Δομές" }),
        )
        .await;
    let secret = issued["data"]["createPartnerKey"]["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("{issued}"))
        .to_owned();
    let unknown_org = server
        .graphql_as(
            Some(&admin),
            issue,
            json!({ "org": "00000000-0000-0000-0000-000000000000", "label": "x" }),
        )
        .await;
    assert_eq!(
        unknown_org["errors"][0]["extensions"]["field"],
        "organizationId"
    );

    let seen = server
        .graphql_as(Some(&secret), PARTNER_LIST, json!({}))
        .await;
    let ids: Vec<&str> = seen["data"]["partnerReferrals"]
        .as_array()
        .unwrap_or_else(|| panic!("{seen}"))
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [ours.as_str()],
        "only the referral sent to this partner"
    );
    assert_eq!(
        seen["data"]["partnerReferrals"][0]["envelope"]["name"],
        "Ελένη Κωστοπούλου"
    );

    let not_theirs = server
        .graphql_as(
            Some(&secret),
            RESPOND,
            json!({ "id": national, "action": "ACCEPT" }),
        )
        .await;
    assert_eq!(code(&not_theirs), "NOT_FOUND");
    let no_reason = server
        .graphql_as(
            Some(&secret),
            RESPOND,
            json!({ "id": ours, "action": "DECLINE" }),
        )
        .await;
    assert_eq!(code(&no_reason), "VALIDATION");
    let declined = server
        .graphql_as(
            Some(&secret),
            RESPOND,
            json!({ "id": ours, "action": "DECLINE", "reason": "no_capacity" }),
        )
        .await;
    assert_eq!(
        declined["data"]["respondToReferral"]["declineReason"], "NO_CAPACITY",
        "{declined}"
    );
    // Declined, it is closed: the partner keeps its status, not the person.
    let after = server
        .graphql_as(Some(&secret), PARTNER_LIST, json!({}))
        .await;
    let closed = &after["data"]["partnerReferrals"][0];
    assert_eq!(closed["status"], "DECLINED", "{after}");
    assert!(closed["envelope"].is_null(), "{after}");

    // A partner key is not a staff session, and another tenant's key sees nothing here.
    let staff_only = server
        .graphql_as(
            Some(&secret),
            "{ referrals { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&staff_only), "UNAUTHENTICATED");
    let veria_admin = server
        .login(&demo_account("tenant-admin", "veria"), &password)
        .await;
    let veria_key = server
        .graphql_as(
            Some(&veria_admin),
            issue,
            json!({ "org": PAIANIA_ORGANIZATION, "label": "x" }),
        )
        .await;
    assert_eq!(
        veria_key["errors"][0]["extensions"]["field"], "organizationId",
        "Veria cannot issue keys for Paiania's organization: {veria_key}"
    );

    let key_id = issued["data"]["createPartnerKey"]["key"]["id"].clone();
    let revoked = server
        .graphql_as(
            Some(&admin),
            "mutation($id: ID!) { revokePartnerKey(id: $id) { revokedAt } }",
            json!({ "id": key_id }),
        )
        .await;
    assert!(revoked["data"]["revokePartnerKey"]["revokedAt"].is_string());
    let (status, _) = server
        .post_graphql(Some(&secret), &json!({ "query": PARTNER_LIST }))
        .await;
    assert_eq!(status, 401, "a revoked key is refused");
}

#[tokio::test]
async fn the_receiver_is_emailed_over_smtp_and_a_failed_delivery_is_retried_later() {
    let (port, mut mailbox) = fake_smtp().await;
    let backend = Backend::sqlite();
    let mut env = env_with_fast_notifications(&backend);
    env.push(("KENTRO_SMTP_URL", format!("smtp://127.0.0.1:{port}")));
    env.push((
        "KENTRO_MAIL_FROM",
        "Kentro <no-reply@kentro.example>".into(),
    ));
    let server = Server::start(&env, &["--demo"]);
    let desk = Desk::open(&server, &backend, "paiania", true).await;
    let (_, link) = desk.refer("OWN", None, PAIANIA_GROCERY).await;
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
    drop(server);

    // Nobody listens on this port: every attempt fails and waits longer.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let backend = Backend::sqlite();
    let mut env = env_with_fast_notifications(&backend);
    env.push(("KENTRO_SMTP_URL", format!("smtp://127.0.0.1:{closed_port}")));
    let server = Server::start(&env, &["--demo"]);
    let desk = Desk::open(&server, &backend, "paiania", true).await;
    desk.refer("OWN", None, PAIANIA_GROCERY).await;
    let admin = server
        .login(
            &demo_account("tenant-admin", "paiania"),
            &demo_password(&backend),
        )
        .await;
    let mut seen = Value::Null;
    for _ in 0..50 {
        let list = server
            .graphql_as(
                Some(&admin),
                "{ notifications { kind status attempts lastError nextAttemptAt createdAt } }",
                json!({}),
            )
            .await;
        seen = list["data"]["notifications"][0].clone();
        if seen["attempts"].as_i64().unwrap_or(0) >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(seen["kind"], "new_referral", "{seen}");
    assert_eq!(
        seen["status"], "pending",
        "retried later, not given up: {seen}"
    );
    assert_eq!(seen["attempts"], 1, "{seen}");
    assert!(seen["lastError"].as_str().is_some_and(|e| !e.is_empty()));
    // State, not the test's clock: the failed attempt came after the
    // notification was queued, and the next waits one backoff (60 s after
    // one failure) from it.
    let at = |field: &str| {
        chrono::DateTime::parse_from_rfc3339(seen[field].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    assert!(
        at("nextAttemptAt") - at("createdAt") >= chrono::Duration::seconds(60),
        "the retry waits a backoff after the failure: {seen}"
    );
}

#[tokio::test]
async fn an_unanswered_referral_past_its_deadline_is_flagged_listed_and_its_sender_told() {
    let backend = Backend::postgres().await;
    let server = Server::start(&env_with_fast_notifications(&backend), &["--demo"]);
    let desk = Desk::open(&server, &backend, "paiania", true).await;
    let (late, _) = desk.refer("OWN", None, PAIANIA_GROCERY).await;
    let (on_time, _) = desk.refer("OWN", None, PAIANIA_GROCERY).await;
    let superuser = sea_orm::Database::connect(backend.database().unwrap().superuser_url.as_str())
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

    let listed = desk
        .ok(
            "{ referrals(filter: { overdueOnly: true }) { edges { node { id overdue status } } } }",
            json!({}),
        )
        .await;
    let edges = listed["referrals"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1, "{listed}");
    assert_eq!(edges[0]["node"]["id"], late.as_str());
    assert_eq!(edges[0]["node"]["overdue"], true);
    let fine = desk
        .ok(
            "query($id: ID!) { referral(id: $id) { overdue } }",
            json!({ "id": on_time }),
        )
        .await;
    assert_eq!(fine["referral"]["overdue"], false);

    let admin = server
        .login(
            &demo_account("tenant-admin", "paiania"),
            &demo_password(&backend),
        )
        .await;
    let mut overdue = Vec::new();
    for _ in 0..50 {
        let list = server
            .graphql_as(
                Some(&admin),
                "{ notifications { kind recipient subject } }",
                json!({}),
            )
            .await;
        overdue = list["data"]["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "overdue")
            .cloned()
            .collect();
        if !overdue.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(overdue.len(), 1, "one notice, once: {overdue:?}");
    assert_eq!(
        overdue[0]["recipient"],
        demo_account("social-worker", "paiania")
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
        let list = server
            .graphql_as(
                Some(&admin),
                "{ notifications { kind subject } }",
                json!({}),
            )
            .await;
        subjects = list["data"]["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "overdue")
            .map(|n| n["subject"].as_str().unwrap().to_owned())
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
    let again = server
        .graphql_as(Some(&admin), "{ notifications { kind } }", json!({}))
        .await;
    let count = again["data"]["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "overdue")
        .count();
    assert_eq!(count, 2, "one notice for each overdue referral, never two");
}

/// Two replicas' outbox workers share one queue: every notification is
/// delivered once (one attempt each, one e-mail each), never by both.
#[tokio::test]
async fn two_replicas_send_each_notification_exactly_once() {
    let (port, mut mailbox) = fake_smtp().await;
    let backend = Backend::postgres().await;
    let mut env = env_with_fast_notifications(&backend);
    env.push(("KENTRO_SMTP_URL", format!("smtp://127.0.0.1:{port}")));
    let first = Server::start(&env, &["--demo"]);
    let second = Server::start(&env, &[]);
    let desk = Desk::open(&first, &backend, "paiania", true).await;
    const REFERRALS: usize = 6;
    for _ in 0..REFERRALS {
        desk.refer("OWN", None, PAIANIA_GROCERY).await;
    }
    let admin = second
        .login(
            &demo_account("tenant-admin", "paiania"),
            &demo_password(&backend),
        )
        .await;
    let mut sent = Vec::new();
    for _ in 0..150 {
        let list = second
            .graphql_as(
                Some(&admin),
                "{ notifications { kind status attempts } }",
                json!({}),
            )
            .await;
        sent = list["data"]["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "new_referral")
            .cloned()
            .collect();
        if sent.len() == REFERRALS && sent.iter().all(|n| n["status"] == "sent") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(sent.len(), REFERRALS, "{sent:?}");
    for n in &sent {
        assert_eq!(n["status"], "sent", "{sent:?}");
        assert_eq!(n["attempts"], 1, "sent by one worker, once: {sent:?}");
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
