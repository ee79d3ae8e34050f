//! `serve --demo`: demo accounts for every role, so a newcomer can log in at once.
//!
//! One password per data directory, generated on first use and kept in
//! `DATA_DIR/demo-password.txt`, so that restarting keeps it.

use std::path::Path;

use anyhow::Context as _;
use kentro_domain::TenantManifest;
use kentro_domain::access::{DisplayName, NewPassword, Role};
use kentro_domain::contact::Email;
use kentro_domain::region::Region;
use kentro_store::{Actor, NewAccount, Store};

pub const PASSWORD_FILE: &str = "demo-password.txt";

const TENANT_ROLES: [Role; 4] = [
    Role::TenantAdmin,
    Role::SocialWorker,
    Role::Psychologist,
    Role::Reception,
];

pub struct DemoAccounts {
    pub password: String,
    /// (email, role) in the order created or found.
    pub accounts: Vec<(String, Role)>,
}

fn demo_email(role: Role, domain: &str) -> String {
    format!("{}@{domain}", role.code().replace('_', "-"))
}

pub fn password_for(data_dir: &Path) -> anyhow::Result<String> {
    let file = data_dir.join(PASSWORD_FILE);
    if let Ok(existing) = std::fs::read_to_string(&file) {
        let existing = existing.trim().to_owned();
        if !existing.is_empty() {
            return Ok(existing);
        }
    }
    let mut bytes = [0u8; 10];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let password = hex::encode(bytes);
    std::fs::create_dir_all(data_dir)?;
    crate::secrets::write_new(&file, &format!("{password}\n"))?;
    Ok(password)
}

/// Creates what is missing: a platform admin, a ministry overseer, and one
/// account per center role in every tenant. Existing accounts are left as they are.
pub async fn ensure_accounts(
    store: &Store,
    data_dir: &Path,
    tenants: &[TenantManifest],
) -> anyhow::Result<DemoAccounts> {
    let password = password_for(data_dir)?;
    let existing: Vec<String> = store
        .accounts()
        .list(None)
        .await?
        .into_iter()
        .map(|a| a.email.to_string())
        .collect();
    let mut wanted: Vec<(Option<&TenantManifest>, Role, String)> = vec![
        (
            None,
            Role::PlatformAdmin,
            demo_email(Role::PlatformAdmin, "kentro.demo"),
        ),
        (
            None,
            Role::MinistryOverseer,
            demo_email(Role::MinistryOverseer, "kentro.demo"),
        ),
        (
            None,
            Role::RegionalOverseer,
            demo_email(Role::RegionalOverseer, "kentro.demo"),
        ),
    ];
    for tenant in tenants {
        for role in TENANT_ROLES {
            let domain = format!("{}.demo", tenant.slug);
            wanted.push((Some(tenant), role, demo_email(role, &domain)));
        }
    }
    let mut accounts = Vec::with_capacity(wanted.len());
    for (tenant, role, email) in wanted {
        if !existing.contains(&email) {
            let scope = match tenant {
                Some(t) => Some(
                    store
                        .operator_scope(&t.slug)
                        .await?
                        .with_context(|| format!("tenant {} was just applied", t.slug))?,
                ),
                None => None,
            };
            let email_value = Email::parse(&email).map_err(anyhow::Error::msg)?;
            let display_name = match tenant {
                Some(t) => format!("Demo {} ({})", role.code().replace('_', " "), t.slug),
                None => format!("Demo {}", role.code().replace('_', " ")),
            };
            store
                .accounts()
                .create(
                    NewAccount {
                        tenant: scope,
                        password: NewPassword::parse(&password, &email_value)
                            .map_err(anyhow::Error::msg)?,
                        email: email_value,
                        display_name: DisplayName::parse(&display_name)
                            .map_err(anyhow::Error::msg)?,
                        role,
                        // The demo's regional overseer oversees Attica.
                        region: role.is_regional().then_some(Region::Attica),
                    },
                    &Actor::operator(),
                    "demo",
                )
                .await?;
        }
        accounts.push((email, role));
    }
    Ok(DemoAccounts { password, accounts })
}
