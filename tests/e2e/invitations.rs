//! Accounts without shared passwords: a coordinator invites, the invitee
//! chooses their own password through an e-mailed single-use link, and the
//! coordinator manages roles and access without ever knowing a password.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{
    Backend, Server, demo_account, demo_password, fake_smtp, mail_body, optional_code, repo_root,
};

fn field(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["field"].as_str()
}

const INVITE: &str = "mutation($input: InviteUserInput!) {
    inviteUser(input: $input) { id email name role status expiresAt } }";
const ACCEPT: &str = "mutation($token: String!, $password: String!) {
    acceptInvitation(token: $token, password: $password) { token user { email role } } }";

/// A server that sends its e-mail to a real SMTP conversation in the test.
struct Center {
    server: Server,
    backend: Backend,
    mailbox: tokio::sync::mpsc::UnboundedReceiver<String>,
}

impl Center {
    async fn start(backend: Backend) -> Center {
        let (port, mailbox) = fake_smtp().await;
        let mut env = backend.demo_env();
        env.push(("KENTRO_NOTIFY_INTERVAL_SECONDS", "1".into()));
        env.push(("KENTRO_SMTP_URL", format!("smtp://127.0.0.1:{port}")));
        let server = Server::start(&env, &["--demo"]);
        Center {
            server,
            backend,
            mailbox,
        }
    }

    async fn admin(&self, slug: &str) -> String {
        self.server
            .login(
                &demo_account("tenant-admin", slug),
                &demo_password(&self.backend),
            )
            .await
    }
}

/// The next e-mail to `recipient`, decoded.
pub(crate) async fn mail_to(
    mailbox: &mut tokio::sync::mpsc::UnboundedReceiver<String>,
    recipient: &str,
) -> String {
    loop {
        let mail = tokio::time::timeout(Duration::from_secs(20), mailbox.recv())
            .await
            .expect("an e-mail within 20 s")
            .expect("the mailbox stays open");
        if mail.contains(&format!("RCPT TO:<{recipient}>")) {
            return mail_body(&mail);
        }
    }
}

/// The token of the invitation link in an e-mail.
pub(crate) fn invitation_token(body: &str) -> String {
    let at = body.find("/invitation/").expect("an invitation link") + "/invitation/".len();
    body[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

#[tokio::test]
async fn an_invited_colleague_chooses_their_own_password_and_the_link_works_once() {
    let mut center = Center::start(Backend::sqlite()).await;
    let server = &center.server;
    let admin = center.admin("veria").await;

    let invited = server
        .graphql_as(
            Some(&admin),
            INVITE,
            json!({ "input": { "email": "Anna.K@veria.demo", "name": "Άννα Κ.", "role": "SOCIAL_WORKER" } }),
        )
        .await;
    let invitation = &invited["data"]["inviteUser"];
    assert_eq!(invitation["email"], "anna.k@veria.demo", "{invited}");
    assert_eq!(invitation["status"], "PENDING");

    // Bad input names the field, and nothing is saved.
    for (input, problem_field, problem_code) in [
        (
            json!({ "email": "not-an-email", "name": "X", "role": "RECEPTION" }),
            "input.email",
            "VALIDATION",
        ),
        (
            json!({ "email": "x@veria.demo", "name": "  ", "role": "RECEPTION" }),
            "input.name",
            "VALIDATION",
        ),
        (
            json!({ "email": "y@veria.demo", "name": "Y", "role": "PLATFORM_ADMIN" }),
            "input.role",
            "VALIDATION",
        ),
        (
            json!({ "email": demo_account("reception", "veria"), "name": "Z", "role": "RECEPTION" }),
            "input.email",
            "CONFLICT",
        ),
    ] {
        let refused = server
            .graphql_as(Some(&admin), INVITE, json!({ "input": input }))
            .await;
        assert_eq!(optional_code(&refused), Some(problem_code), "{refused}");
        assert_eq!(field(&refused), Some(problem_field), "{refused}");
    }
    let open = server
        .graphql_as(Some(&admin), "{ invitations { email status } }", json!({}))
        .await;
    assert_eq!(
        open["data"]["invitations"],
        json!([{ "email": "anna.k@veria.demo", "status": "PENDING" }]),
        "only the good invitation exists: {open}"
    );

    // The link reaches only the invitee; the center's list of
    // notifications keeps the subject, never the link.
    let body = mail_to(&mut center.mailbox, "anna.k@veria.demo").await;
    assert!(body.contains("Κοινωνικός λειτουργός"), "{body}");
    let token = invitation_token(&body);
    let notifications = server
        .graphql_as(
            Some(&admin),
            "{ notifications { kind subject } }",
            json!({}),
        )
        .await;
    assert!(
        !notifications.to_string().contains(&token),
        "{notifications}"
    );

    let preview = server
        .graphql(
            "query($token: String!) { invitation(token: $token) { centerName email name role } }",
            json!({ "token": token }),
        )
        .await;
    assert_eq!(
        preview["data"]["invitation"]["role"], "SOCIAL_WORKER",
        "{preview}"
    );
    assert_eq!(preview["data"]["invitation"]["name"], "Άννα Κ.");

    let weak = server
        .graphql(ACCEPT, json!({ "token": token, "password": "short" }))
        .await;
    assert_eq!(optional_code(&weak), Some("VALIDATION"), "{weak}");
    assert_eq!(field(&weak), Some("password"));
    let accepted = server
        .graphql(
            ACCEPT,
            json!({ "token": token, "password": "η δική μου μεγάλη φράση" }),
        )
        .await;
    assert_eq!(
        accepted["data"]["acceptInvitation"]["user"]["role"], "SOCIAL_WORKER",
        "{accepted}"
    );
    let session = accepted["data"]["acceptInvitation"]["token"]
        .as_str()
        .unwrap();
    let me = server
        .graphql_as(Some(session), "{ me { email } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["email"], "anna.k@veria.demo");
    server
        .login("anna.k@veria.demo", "η δική μου μεγάλη φράση")
        .await;

    // Used once, the link is gone.
    let again = server
        .graphql(
            ACCEPT,
            json!({ "token": token, "password": "μια άλλη μεγάλη φράση" }),
        )
        .await;
    assert_eq!(optional_code(&again), Some("NOT_FOUND"), "{again}");
    let forged = server
        .graphql(
            ACCEPT,
            json!({ "token": format!("1-{}", "ab".repeat(32)), "password": "μια άλλη μεγάλη φράση" }),
        )
        .await;
    assert_eq!(optional_code(&forged), Some("NOT_FOUND"), "{forged}");

    let log = server
        .graphql_as(
            Some(&admin),
            "{ auditLog(first: 50) { edges { node { action } } } }",
            json!({}),
        )
        .await;
    let actions = log.to_string();
    for action in ["account.invite", "account.create"] {
        assert!(actions.contains(action), "{action} in {log}");
    }
}

#[tokio::test]
async fn a_withdrawn_or_replaced_invitation_link_no_longer_works() {
    let mut center = Center::start(Backend::sqlite()).await;
    let admin = center.admin("veria").await;
    let input =
        json!({ "input": { "email": "late@veria.demo", "name": "Late", "role": "RECEPTION" } });
    center
        .server
        .graphql_as(Some(&admin), INVITE, input.clone())
        .await;
    let first = invitation_token(&mail_to(&mut center.mailbox, "late@veria.demo").await);
    // Inviting again is a resend: the earlier link stops working.
    let second = center.server.graphql_as(Some(&admin), INVITE, input).await;
    let second_id = second["data"]["inviteUser"]["id"].clone();
    let resent = invitation_token(&mail_to(&mut center.mailbox, "late@veria.demo").await);
    assert_ne!(first, resent);
    let old = center
        .server
        .graphql(
            ACCEPT,
            json!({ "token": first, "password": "μια αρκετά μεγάλη φράση" }),
        )
        .await;
    assert_eq!(optional_code(&old), Some("NOT_FOUND"), "{old}");

    let revoked = center
        .server
        .graphql_as(
            Some(&admin),
            "mutation($id: ID!) { revokeInvitation(id: $id) { status } }",
            json!({ "id": second_id }),
        )
        .await;
    assert_eq!(
        revoked["data"]["revokeInvitation"]["status"], "REVOKED",
        "{revoked}"
    );
    let withdrawn = center
        .server
        .graphql(
            ACCEPT,
            json!({ "token": resent, "password": "μια αρκετά μεγάλη φράση" }),
        )
        .await;
    assert_eq!(optional_code(&withdrawn), Some("NOT_FOUND"), "{withdrawn}");
}

/// Inviting an address that has an account at another center answers as any
/// invitation does: the inviting center learns nothing of other centers'
/// staff. Only the invitee, who owns the address, is told on accepting.
#[tokio::test]
async fn inviting_another_centers_staff_reveals_nothing_to_the_inviting_center() {
    let mut center = Center::start(Backend::sqlite()).await;
    let paiania = center.admin("paiania").await;
    let shape = |response: &Value| {
        let mut invitation = response["data"]["inviteUser"].clone();
        for volatile in ["id", "email", "expiresAt"] {
            invitation[volatile] = Value::Null;
        }
        (response.get("errors").cloned(), invitation)
    };
    let elsewhere = demo_account("social-worker", "veria");
    let taken = center
        .server
        .graphql_as(
            Some(&paiania),
            INVITE,
            json!({ "input": { "email": elsewhere, "name": "Νέα", "role": "RECEPTION" } }),
        )
        .await;
    let fresh = center
        .server
        .graphql_as(
            Some(&paiania),
            INVITE,
            json!({ "input": { "email": "nobody.yet@paiania.demo", "name": "Νέα", "role": "RECEPTION" } }),
        )
        .await;
    assert_eq!(shape(&taken), shape(&fresh), "{taken} vs {fresh}");
    assert_eq!(taken["data"]["inviteUser"]["status"], "PENDING");

    // The owner of the address is told, and no second account appears.
    let token = invitation_token(&mail_to(&mut center.mailbox, &elsewhere).await);
    let refused = center
        .server
        .graphql(
            ACCEPT,
            json!({ "token": token, "password": "μια αρκετά μεγάλη φράση" }),
        )
        .await;
    assert_eq!(optional_code(&refused), Some("CONFLICT"), "{refused}");
    assert_eq!(field(&refused), Some("email"));
    center
        .server
        .login(&elsewhere, &demo_password(&center.backend))
        .await;
}

#[tokio::test]
async fn accepting_one_invitation_in_several_tabs_at_once_gives_one_account() {
    let mut center = Center::start(Backend::postgres().await).await;
    let admin = center.admin("veria").await;
    center
        .server
        .graphql_as(
            Some(&admin),
            INVITE,
            json!({ "input": { "email": "tabs@veria.demo", "name": "Tabs", "role": "RECEPTION" } }),
        )
        .await;
    let token = invitation_token(&mail_to(&mut center.mailbox, "tabs@veria.demo").await);
    let server = &center.server;
    let attempts = (0..5).map(|_| {
        server.graphql(
            ACCEPT,
            json!({ "token": token, "password": "μια αρκετά μεγάλη φράση" }),
        )
    });
    let results = futures::future::join_all(attempts).await;
    let accepted = results
        .iter()
        .filter(|r| r["data"]["acceptInvitation"]["token"].is_string())
        .count();
    assert_eq!(accepted, 1, "{results:?}");
    for refused in results.iter().filter(|r| r.get("errors").is_some()) {
        assert!(
            matches!(optional_code(refused), Some("NOT_FOUND") | Some("CONFLICT")),
            "{refused}"
        );
    }
    let users = server
        .graphql_as(
            Some(&admin),
            "{ users(first: 50) { edges { node { email } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        users.to_string().matches("tabs@veria.demo").count(),
        1,
        "{users}"
    );
}

/// The coordinator changes roles and access; each change ends the account's
/// sessions at once, and a re-enabled account logs in with its own password.
#[tokio::test]
async fn role_changes_and_disabling_end_sessions_and_reenabling_needs_a_new_login() {
    let backend = Backend::postgres().await;
    let server = Server::start(&backend.demo_env(), &["--demo"]);
    let password = demo_password(&backend);
    let admin = server
        .login(&demo_account("tenant-admin", "veria"), &password)
        .await;
    let reception = demo_account("reception", "veria");
    let session = server.login(&reception, &password).await;
    let id = server
        .graphql_as(Some(&session), "{ me { id } }", json!({}))
        .await["data"]["me"]["id"]
        .clone();
    let alive = |token: String| {
        let server = &server;
        async move {
            let (status, _) = server
                .post_graphql(Some(&token), &json!({ "query": "{ me { id } }" }))
                .await;
            status == 200
        }
    };

    let changed = server
        .graphql_as(
            Some(&admin),
            "mutation($id: ID!) { changeUserRole(id: $id, role: SOCIAL_WORKER) { role } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        changed["data"]["changeUserRole"]["role"], "SOCIAL_WORKER",
        "{changed}"
    );
    assert!(!alive(session).await, "the old role's session ended");
    let session = server.login(&reception, &password).await;
    let me = server
        .graphql_as(Some(&session), "{ me { role } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["role"], "SOCIAL_WORKER");

    let disabled = server
        .graphql_as(
            Some(&admin),
            "mutation($id: ID!) { disableUser(id: $id) { disabled } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        disabled["data"]["disableUser"]["disabled"], true,
        "{disabled}"
    );
    assert!(!alive(session.clone()).await);
    let refused = server
        .graphql(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            json!({ "e": reception, "p": password }),
        )
        .await;
    assert_eq!(optional_code(&refused), Some("UNAUTHENTICATED"));

    let enabled = server
        .graphql_as(
            Some(&admin),
            "mutation($id: ID!) { enableUser(id: $id) { disabled lastLoginAt } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        enabled["data"]["enableUser"]["disabled"], false,
        "{enabled}"
    );
    assert!(enabled["data"]["enableUser"]["lastLoginAt"].is_string());
    assert!(
        !alive(session).await,
        "a session from before the disabling does not come back"
    );
    server.login(&reception, &password).await;

    // A coordinator cannot change their own role (another can), nor give a
    // platform role.
    let me = server
        .graphql_as(Some(&admin), "{ me { id } }", json!({}))
        .await["data"]["me"]["id"]
        .clone();
    let own = server
        .graphql_as(
            Some(&admin),
            "mutation($id: ID!) { changeUserRole(id: $id, role: RECEPTION) { role } }",
            json!({ "id": me }),
        )
        .await;
    assert_eq!(field(&own), Some("id"), "{own}");
    let platform = server
        .graphql_as(
            Some(&admin),
            "mutation($id: ID!) { changeUserRole(id: $id, role: PLATFORM_ADMIN) { role } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(field(&platform), Some("role"), "{platform}");

    let log = server
        .graphql_as(
            Some(&admin),
            "{ auditLog(first: 50) { edges { node { action } } } }",
            json!({}),
        )
        .await
        .to_string();
    for action in ["account.role_changed", "account.disable", "account.enable"] {
        assert!(log.contains(action), "{action} in {log}");
    }
}

/// No route lets anyone choose or learn another person's password: the only
/// operations that take one are logging in, changing one's own, accepting
/// one's own invitation, and resetting one's own through a link sent to
/// one's own mailbox.
#[test]
fn no_operation_lets_one_person_set_anothers_password() {
    let schema = std::fs::read_to_string(repo_root().join("platform/api/schema.graphql")).unwrap();
    let mutation = schema
        .split("type Mutation {")
        .nth(1)
        .and_then(|rest| rest.split("\n}").next())
        .unwrap();
    let mut taking_a_password = Vec::new();
    let mut current = String::new();
    for line in mutation.lines() {
        if line.starts_with('\t')
            && !line.starts_with("\t\t")
            && !line.trim_start().starts_with('"')
        {
            current = line
                .trim()
                .split(['(', ':'])
                .next()
                .unwrap_or_default()
                .to_owned();
        }
        if line.to_lowercase().contains("password:") && !taking_a_password.contains(&current) {
            taking_a_password.push(current.clone());
        }
    }
    taking_a_password.sort();
    assert_eq!(
        taking_a_password,
        [
            "acceptInvitation",
            "changePassword",
            "login",
            "resetPassword"
        ],
        "an operation taking a password must be the caller's own"
    );
    // No input object carries a password either (createUser's did).
    for input in schema.split("input ").skip(1) {
        let body = input.split('}').next().unwrap_or_default();
        assert!(
            !body.to_lowercase().contains("password"),
            "an input type carries a password: {body}"
        );
    }
}

/// A forgotten password: the answer to asking is the same for every
/// address; the link reaches only the owner, works once, and ends the
/// sessions begun before it.
#[tokio::test]
async fn a_forgotten_password_is_reset_through_an_emailed_link_that_reveals_nothing_to_the_asker() {
    let mut center = Center::start(Backend::sqlite()).await;
    let reception = demo_account("reception", "veria");
    let old_password = demo_password(&center.backend);
    let old_session = center.server.login(&reception, &old_password).await;
    const ASK: &str = "mutation($email: String!) { requestPasswordReset(email: $email) }";
    let known = center
        .server
        .graphql(ASK, json!({ "email": reception.to_uppercase() }))
        .await;
    let unknown = center
        .server
        .graphql(ASK, json!({ "email": "nobody.here@veria.demo" }))
        .await;
    assert_eq!(known, unknown, "the same answer for every address");
    assert_eq!(known["data"]["requestPasswordReset"], true, "{known}");

    let body = mail_to(&mut center.mailbox, &reception).await;
    let at = body.find("/password-reset/").expect("a reset link") + "/password-reset/".len();
    let token: String = body[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    let admin = center.admin("veria").await;
    let notifications = center
        .server
        .graphql_as(Some(&admin), "{ notifications { kind } }", json!({}))
        .await;
    let resets = notifications["data"]["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "password_reset")
        .count();
    assert_eq!(
        resets, 1,
        "one e-mail, to the account's owner: {notifications}"
    );
    assert!(!notifications.to_string().contains(&token));

    const RESET: &str = "mutation($token: String!, $password: String!) {
        resetPassword(token: $token, password: $password) { token } }";
    let weak = center
        .server
        .graphql(RESET, json!({ "token": token, "password": "short" }))
        .await;
    assert_eq!(optional_code(&weak), Some("VALIDATION"), "{weak}");
    assert_eq!(field(&weak), Some("password"));
    let reset = center
        .server
        .graphql(
            RESET,
            json!({ "token": token, "password": "ένας καινούργιος κωδικός" }),
        )
        .await;
    assert!(
        reset["data"]["resetPassword"]["token"].is_string(),
        "{reset}"
    );
    let (status, _) = center
        .server
        .post_graphql(Some(&old_session), &json!({ "query": "{ me { id } }" }))
        .await;
    assert_eq!(status, 401, "the session from before the reset ended");
    center
        .server
        .login(&reception, "ένας καινούργιος κωδικός")
        .await;
    let again = center
        .server
        .graphql(
            RESET,
            json!({ "token": token, "password": "και ένας τρίτος κωδικός" }),
        )
        .await;
    assert_eq!(
        optional_code(&again),
        Some("NOT_FOUND"),
        "used once: {again}"
    );
    let log = center
        .server
        .graphql_as(
            Some(&admin),
            "{ auditLog(first: 30) { edges { node { action } } } }",
            json!({}),
        )
        .await
        .to_string();
    for action in ["account.password_reset_requested", "account.password_reset"] {
        assert!(log.contains(action), "{action} in {log}");
    }
}

/// A platform admin, who belongs to no center, resets a forgotten password
/// the same way: the e-mail comes from the platform's own outbox, the link
/// works, and the platform's log records the request and the reset.
#[tokio::test]
async fn a_platform_admins_forgotten_password_is_reset_through_the_platforms_own_mail() {
    let mut center = Center::start(Backend::sqlite()).await;
    let admin = crate::harness::PLATFORM_ADMIN;
    let asked = center
        .server
        .graphql(
            "mutation($email: String!) { requestPasswordReset(email: $email) }",
            json!({ "email": admin }),
        )
        .await;
    assert_eq!(asked["data"]["requestPasswordReset"], true, "{asked}");
    let body = mail_to(&mut center.mailbox, admin).await;
    let at = body.find("/password-reset/").expect("a reset link") + "/password-reset/".len();
    let token: String = body[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    let reset = center
        .server
        .graphql(
            "mutation($token: String!, $password: String!) {
                resetPassword(token: $token, password: $password) { token } }",
            json!({ "token": token, "password": "ο νέος κωδικός της πλατφόρμας" }),
        )
        .await;
    assert!(
        reset["data"]["resetPassword"]["token"].is_string(),
        "{reset}"
    );
    let session = center
        .server
        .login(admin, "ο νέος κωδικός της πλατφόρμας")
        .await;
    let log = center
        .server
        .graphql_as(
            Some(&session),
            "{ platformAuditLog(first: 100) { entries { action } } }",
            json!({}),
        )
        .await
        .to_string();
    for action in ["account.password_reset_requested", "account.password_reset"] {
        assert!(
            log.contains(action),
            "{action} on the platform's log: {log}"
        );
    }
}
