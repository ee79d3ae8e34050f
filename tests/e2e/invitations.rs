//! Accounts without shared passwords: a coordinator invites, the invitee
//! chooses their own password through an e-mailed single-use link, and the
//! coordinator manages roles and access without ever knowing a password.

use std::time::Duration;

use serde_json::json;

use crate::harness::{
    ApiError, Backend, Client, TestApp, demo_account, demo_password, fake_smtp, mail_body,
    repo_root,
};
use crate::operations::{
    AcceptInvitation, ChangeUserRole, DisableUser, EnableUser, InvitationPreview, InviteUser,
    LogIn, Me, Notifications, OpenInvitations, PlatformAuditActions, RequestPasswordReset,
    ResetPassword, RevokeInvitation, UserEmails, accept_invitation, change_user_role, disable_user,
    enable_user, from_json, invitation_preview, invite_user, log_in, me, notifications,
    open_invitations, platform_audit_actions, request_password_reset, reset_password,
    revoke_invitation, user_emails,
};

type Mailbox = tokio::sync::mpsc::UnboundedReceiver<String>;

/// Kentro's demo with its e-mail going to an SMTP conversation in the test,
/// and the mailbox that hears it.
async fn with_mailbox(backend: Backend) -> (TestApp, Mailbox) {
    let (port, mailbox) = fake_smtp().await;
    let app = TestApp::spawn_with(
        backend,
        &[
            ("KENTRO_NOTIFY_INTERVAL_SECONDS", "1".into()),
            ("KENTRO_SMTP_URL", format!("smtp://127.0.0.1:{port}")),
        ],
    );
    (app, mailbox)
}

/// The field an error names.
fn field(error: &ApiError) -> Option<&str> {
    error.extensions["field"].as_str()
}

async fn invite(
    admin: &Client<'_>,
    email: &str,
    name: &str,
    role: &str,
) -> crate::harness::Answer<invite_user::ResponseData> {
    admin
        .run::<InviteUser>(from_json(json!({ "input": {
            "email": email, "name": name, "role": role
        }})))
        .await
}

fn accepting(token: &str, password: &str) -> accept_invitation::Variables {
    accept_invitation::Variables {
        token: token.to_owned(),
        password: password.to_owned(),
    }
}

/// The caller's own account.
async fn account_of(client: &Client<'_>) -> me::MeMe {
    client
        .run::<Me>(me::Variables {})
        .await
        .ok()
        .me
        .expect("a caller with a session")
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
    let (app, mut mailbox) = with_mailbox(Backend::sqlite()).await;
    let admin = app.login_as("tenant-admin", "veria").await;
    let visitor = app.visitor();

    let invitation = invite(&admin, "Anna.K@veria.demo", "Άννα Κ.", "SOCIAL_WORKER")
        .await
        .ok()
        .invite_user;
    assert_eq!(invitation.email, "anna.k@veria.demo");
    assert_eq!(invitation.status, invite_user::InvitationStatus::PENDING);

    // Bad input names the field, and nothing is saved.
    let reception = demo_account("reception", "veria");
    for (email, name, role, problem_field, problem_code) in [
        (
            "not-an-email",
            "X",
            "RECEPTION",
            "input.email",
            "VALIDATION",
        ),
        (
            "x@veria.demo",
            "  ",
            "RECEPTION",
            "input.name",
            "VALIDATION",
        ),
        (
            "y@veria.demo",
            "Y",
            "PLATFORM_ADMIN",
            "input.role",
            "VALIDATION",
        ),
        (
            reception.as_str(),
            "Z",
            "RECEPTION",
            "input.email",
            "CONFLICT",
        ),
    ] {
        let refused = invite(&admin, email, name, role)
            .await
            .refused(problem_code);
        assert_eq!(field(&refused), Some(problem_field), "{refused:?}");
    }
    let open = admin
        .run::<OpenInvitations>(open_invitations::Variables {})
        .await
        .ok()
        .invitations;
    let open: Vec<(&str, &open_invitations::InvitationStatus)> =
        open.iter().map(|i| (i.email.as_str(), &i.status)).collect();
    assert_eq!(
        open,
        [(
            "anna.k@veria.demo",
            &open_invitations::InvitationStatus::PENDING
        )],
        "only the good invitation exists"
    );

    // The link reaches only the invitee; the center's list of
    // notifications keeps the subject, never the link.
    let body = mail_to(&mut mailbox, "anna.k@veria.demo").await;
    assert!(body.contains("Κοινωνικός λειτουργός"), "{body}");
    let token = invitation_token(&body);
    let notifications = admin
        .run::<Notifications>(notifications::Variables {})
        .await
        .ok();
    assert!(
        !format!("{notifications:?}").contains(&token),
        "{notifications:?}"
    );

    let preview = visitor
        .run::<InvitationPreview>(invitation_preview::Variables {
            token: token.clone(),
        })
        .await
        .ok()
        .invitation;
    assert_eq!(preview.role, invitation_preview::Role::SOCIAL_WORKER);
    assert_eq!(preview.name, "Άννα Κ.");

    let weak = visitor
        .run::<AcceptInvitation>(accepting(&token, "short"))
        .await
        .refused("VALIDATION");
    assert_eq!(field(&weak), Some("password"));
    let accepted = visitor
        .run::<AcceptInvitation>(accepting(&token, "η δική μου μεγάλη φράση"))
        .await
        .ok()
        .accept_invitation;
    assert_eq!(accepted.user.role, accept_invitation::Role::SOCIAL_WORKER);
    let anna = Client {
        server: &app.server,
        token: accepted.token,
    };
    assert_eq!(account_of(&anna).await.email, "anna.k@veria.demo");
    app.server
        .login("anna.k@veria.demo", "η δική μου μεγάλη φράση")
        .await;

    // Used once, the link is gone.
    visitor
        .run::<AcceptInvitation>(accepting(&token, "μια άλλη μεγάλη φράση"))
        .await
        .refused("NOT_FOUND");
    let forged = format!("1-{}", "ab".repeat(32));
    visitor
        .run::<AcceptInvitation>(accepting(&forged, "μια άλλη μεγάλη φράση"))
        .await
        .refused("NOT_FOUND");

    let actions = crate::access::audit_actions(&admin).await;
    for action in ["account.invite", "account.create"] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
}

#[tokio::test]
async fn a_withdrawn_or_replaced_invitation_link_no_longer_works() {
    let (app, mut mailbox) = with_mailbox(Backend::sqlite()).await;
    let admin = app.login_as("tenant-admin", "veria").await;
    let visitor = app.visitor();
    invite(&admin, "late@veria.demo", "Late", "RECEPTION")
        .await
        .ok();
    let first = invitation_token(&mail_to(&mut mailbox, "late@veria.demo").await);
    // Inviting again is a resend: the earlier link stops working.
    let second = invite(&admin, "late@veria.demo", "Late", "RECEPTION")
        .await
        .ok()
        .invite_user;
    let resent = invitation_token(&mail_to(&mut mailbox, "late@veria.demo").await);
    assert_ne!(first, resent);
    visitor
        .run::<AcceptInvitation>(accepting(&first, "μια αρκετά μεγάλη φράση"))
        .await
        .refused("NOT_FOUND");

    let revoked = admin
        .run::<RevokeInvitation>(revoke_invitation::Variables { id: second.id })
        .await
        .ok()
        .revoke_invitation;
    assert_eq!(revoked.status, revoke_invitation::InvitationStatus::REVOKED);
    visitor
        .run::<AcceptInvitation>(accepting(&resent, "μια αρκετά μεγάλη φράση"))
        .await
        .refused("NOT_FOUND");
}

/// Inviting an address that has an account at another center answers as any
/// invitation does: the inviting center learns nothing of other centers'
/// staff. Only the invitee, who owns the address, is told on accepting.
#[tokio::test]
async fn inviting_another_centers_staff_reveals_nothing_to_the_inviting_center() {
    let (app, mut mailbox) = with_mailbox(Backend::sqlite()).await;
    let paiania = app.login_as("tenant-admin", "paiania").await;
    // What the answer says, less what differs between any two invitations.
    let shape = |answer: crate::harness::Answer<invite_user::ResponseData>| {
        let mut invitation = answer.ok().invite_user;
        invitation.id = String::new();
        invitation.email = String::new();
        invitation.expires_at = String::new();
        invitation
    };
    let elsewhere = demo_account("social-worker", "veria");
    let taken = shape(invite(&paiania, &elsewhere, "Νέα", "RECEPTION").await);
    let fresh = shape(invite(&paiania, "nobody.yet@paiania.demo", "Νέα", "RECEPTION").await);
    assert_eq!(taken, fresh);
    assert_eq!(taken.status, invite_user::InvitationStatus::PENDING);

    // The owner of the address is told, and no second account appears.
    let token = invitation_token(&mail_to(&mut mailbox, &elsewhere).await);
    let refused = app
        .visitor()
        .run::<AcceptInvitation>(accepting(&token, "μια αρκετά μεγάλη φράση"))
        .await
        .refused("CONFLICT");
    assert_eq!(field(&refused), Some("email"));
    app.server
        .login(&elsewhere, &demo_password(app.backend()))
        .await;
}

#[tokio::test]
async fn accepting_one_invitation_in_several_tabs_at_once_gives_one_account() {
    let (app, mut mailbox) = with_mailbox(Backend::postgres().await).await;
    let admin = app.login_as("tenant-admin", "veria").await;
    invite(&admin, "tabs@veria.demo", "Tabs", "RECEPTION")
        .await
        .ok();
    let token = invitation_token(&mail_to(&mut mailbox, "tabs@veria.demo").await);
    let visitor = app.visitor();
    let attempts = (0..5)
        .map(|_| visitor.run::<AcceptInvitation>(accepting(&token, "μια αρκετά μεγάλη φράση")));
    let answers = futures::future::join_all(attempts).await;
    let accepted = answers.iter().filter(|a| a.errors.is_empty()).count();
    assert_eq!(accepted, 1, "{answers:?}");
    for refused in answers.iter().flat_map(|a| a.errors.first()) {
        assert!(
            matches!(refused.code.as_str(), "NOT_FOUND" | "CONFLICT"),
            "{refused:?}"
        );
    }
    let users = admin
        .run::<UserEmails>(user_emails::Variables {})
        .await
        .ok()
        .users
        .edges;
    assert_eq!(
        users
            .iter()
            .filter(|u| u.node.email == "tabs@veria.demo")
            .count(),
        1,
        "{users:?}"
    );
}

/// The coordinator changes roles and access; each change ends the account's
/// sessions at once, and a re-enabled account logs in with its own password.
#[tokio::test]
async fn role_changes_and_disabling_end_sessions_and_reenabling_needs_a_new_login() {
    use change_user_role::Role::{PLATFORM_ADMIN, RECEPTION, SOCIAL_WORKER};
    let app = TestApp::spawn(Backend::postgres().await);
    let server = &app.server;
    let password = demo_password(app.backend());
    let admin = app.login_as("tenant-admin", "veria").await;
    let reception = demo_account("reception", "veria");
    let session = app.login_as("reception", "veria").await;
    let id = account_of(&session).await.id;
    let alive = |token: String| async move {
        let (status, _) = server
            .post_graphql(Some(&token), &json!({ "query": "{ me { id } }" }))
            .await;
        status == 200
    };
    let change_role = |id: &str, role| change_user_role::Variables {
        id: id.to_owned(),
        role,
    };

    let changed = admin
        .run::<ChangeUserRole>(change_role(&id, SOCIAL_WORKER))
        .await
        .ok()
        .change_user_role;
    assert_eq!(changed.role, SOCIAL_WORKER);
    assert!(!alive(session.token).await, "the old role's session ended");
    let session = app.login_as("reception", "veria").await;
    let role = account_of(&session).await.role;
    assert_eq!(role, me::Role::SOCIAL_WORKER);

    let disabled = admin
        .run::<DisableUser>(disable_user::Variables { id: id.clone() })
        .await
        .ok()
        .disable_user;
    assert!(disabled.disabled);
    assert!(!alive(session.token.clone()).await);
    app.visitor()
        .run::<LogIn>(log_in::Variables {
            email: reception.clone(),
            password: password.clone(),
        })
        .await
        .refused("UNAUTHENTICATED");

    let enabled = admin
        .run::<EnableUser>(enable_user::Variables { id: id.clone() })
        .await
        .ok()
        .enable_user;
    assert!(!enabled.disabled);
    assert!(enabled.last_login_at.is_some(), "{enabled:?}");
    assert!(
        !alive(session.token).await,
        "a session from before the disabling does not come back"
    );
    server.login(&reception, &password).await;

    // A coordinator cannot change their own role (another can), nor give a
    // platform role.
    let own_id = account_of(&admin).await.id;
    let own = admin
        .run::<ChangeUserRole>(change_role(&own_id, RECEPTION))
        .await;
    assert_eq!(own.errors.first().and_then(field), Some("id"), "{own:?}");
    let platform = admin
        .run::<ChangeUserRole>(change_role(&id, PLATFORM_ADMIN))
        .await;
    assert_eq!(
        platform.errors.first().and_then(field),
        Some("role"),
        "{platform:?}"
    );

    let actions = crate::access::audit_actions(&admin).await;
    for action in ["account.role_changed", "account.disable", "account.enable"] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
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

/// The token of the password-reset link in an e-mail.
fn reset_token(body: &str) -> String {
    let at = body.find("/password-reset/").expect("a reset link") + "/password-reset/".len();
    body[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

fn resetting(token: &str, password: &str) -> reset_password::Variables {
    reset_password::Variables {
        token: token.to_owned(),
        password: password.to_owned(),
    }
}

/// A forgotten password: the answer to asking is the same for every
/// address; the link reaches only the owner, works once, and ends the
/// sessions begun before it.
#[tokio::test]
async fn a_forgotten_password_is_reset_through_an_emailed_link_that_reveals_nothing_to_the_asker() {
    let (app, mut mailbox) = with_mailbox(Backend::sqlite()).await;
    let visitor = app.visitor();
    let reception = demo_account("reception", "veria");
    let old_session = app.login_as("reception", "veria").await;
    let ask = |email: String| {
        visitor.run::<RequestPasswordReset>(request_password_reset::Variables { email })
    };
    let known = ask(reception.to_uppercase()).await;
    let unknown = ask("nobody.here@veria.demo".into()).await;
    assert!(known.errors.is_empty() && unknown.errors.is_empty());
    assert_eq!(
        known.data, unknown.data,
        "the same answer for every address"
    );
    assert!(known.ok().request_password_reset);

    let token = reset_token(&mail_to(&mut mailbox, &reception).await);
    let admin = app.login_as("tenant-admin", "veria").await;
    let notifications = admin
        .run::<Notifications>(notifications::Variables {})
        .await
        .ok()
        .notifications;
    let resets = notifications
        .iter()
        .filter(|n| n.kind == "password_reset")
        .count();
    assert_eq!(
        resets, 1,
        "one e-mail, to the account's owner: {notifications:?}"
    );
    assert!(!format!("{notifications:?}").contains(&token));

    let weak = visitor
        .run::<ResetPassword>(resetting(&token, "short"))
        .await
        .refused("VALIDATION");
    assert_eq!(field(&weak), Some("password"));
    visitor
        .run::<ResetPassword>(resetting(&token, "ένας καινούργιος κωδικός"))
        .await
        .ok();
    let (status, _) = app
        .server
        .post_graphql(
            Some(&old_session.token),
            &json!({ "query": "{ me { id } }" }),
        )
        .await;
    assert_eq!(status, 401, "the session from before the reset ended");
    app.server
        .login(&reception, "ένας καινούργιος κωδικός")
        .await;
    visitor
        .run::<ResetPassword>(resetting(&token, "και ένας τρίτος κωδικός"))
        .await
        .refused("NOT_FOUND");
    let actions = crate::access::audit_actions(&admin).await;
    for action in ["account.password_reset_requested", "account.password_reset"] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
}

/// A platform admin, who belongs to no center, resets a forgotten password
/// the same way: the e-mail comes from the platform's own outbox, the link
/// works, and the platform's log records the request and the reset.
#[tokio::test]
async fn a_platform_admins_forgotten_password_is_reset_through_the_platforms_own_mail() {
    let (app, mut mailbox) = with_mailbox(Backend::sqlite()).await;
    let visitor = app.visitor();
    let admin = crate::harness::PLATFORM_ADMIN;
    let asked = visitor
        .run::<RequestPasswordReset>(request_password_reset::Variables {
            email: admin.to_owned(),
        })
        .await
        .ok();
    assert!(asked.request_password_reset);
    let token = reset_token(&mail_to(&mut mailbox, admin).await);
    visitor
        .run::<ResetPassword>(resetting(&token, "ο νέος κωδικός της πλατφόρμας"))
        .await
        .ok();
    let session = Client {
        server: &app.server,
        token: app
            .server
            .login(admin, "ο νέος κωδικός της πλατφόρμας")
            .await,
    };
    let actions: Vec<String> = session
        .run::<PlatformAuditActions>(platform_audit_actions::Variables {})
        .await
        .ok()
        .platform_audit_log
        .entries
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in ["account.password_reset_requested", "account.password_reset"] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} on the platform's log: {actions:?}"
        );
    }
}
