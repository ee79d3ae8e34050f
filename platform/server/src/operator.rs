//! Operator commands that need the database: tenants, accounts, audit.

use std::io::Read;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use kentro_domain::TenantSlug;
use kentro_domain::access::{DisplayName, NewPassword, Role};
use kentro_domain::contact::Email;
use kentro_domain::region::Region;
use kentro_store::{Actor, NewAccount, Store, TenantScope};

use crate::cli::{AuditCommand, UserCommand};

/// A request id for the audit log: which command an entry came from.
const CLI_REQUEST: &str = "cli";

async fn scope_of(store: &Store, slug: &str) -> anyhow::Result<TenantScope> {
    let slug = TenantSlug::parse(slug).map_err(|p| anyhow::anyhow!("--tenant: {p}"))?;
    store.operator_scope(&slug).await?.with_context(|| {
        format!("--tenant: there is no tenant {slug:?} (see `kentro tenant list`)")
    })
}

pub async fn user(store: &Store, command: UserCommand) -> anyhow::Result<ExitCode> {
    match command {
        UserCommand::Add {
            tenant,
            role,
            region,
            email,
            name,
            password_stdin: _,
        } => {
            let role = Role::parse(&role).map_err(|p| anyhow::anyhow!("--role: {p}"))?;
            let email = Email::parse(&email).map_err(|p| anyhow::anyhow!("--email: {p}"))?;
            let tenant = match (&tenant, role.is_platform_role()) {
                (Some(_), true) => bail!("--tenant: the {role} role belongs to no tenant; omit it"),
                (None, false) => bail!("--tenant: the {role} role needs the tenant's slug"),
                (Some(slug), false) => Some(scope_of(store, slug).await?),
                (None, true) => None,
            };
            let region = match (region, role.is_regional()) {
                (Some(code), true) => Some(code.parse::<Region>().map_err(|_| {
                    anyhow::anyhow!(
                        "--region: {code:?} is not one of {}",
                        Region::allowed_codes()
                    )
                })?),
                (None, true) => bail!("--region: the {role} role needs the region it oversees"),
                (Some(_), false) => bail!("--region: only a regional_overseer has a region"),
                (None, false) => None,
            };
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            let password = NewPassword::parse(password, &email)
                .map_err(|p| anyhow::anyhow!("password: {p}"))?;
            let display_name =
                DisplayName::parse(&name).map_err(|p| anyhow::anyhow!("--name: {p}"))?;
            let account = store
                .accounts()
                .create(
                    NewAccount {
                        tenant,
                        email,
                        display_name,
                        role,
                        region,
                        password,
                    },
                    &Actor::operator(),
                    CLI_REQUEST,
                )
                .await?;
            println!("created {} ({})", account.email, account.role);
        }
        UserCommand::List { tenant } => {
            let scope = match tenant {
                Some(slug) => Some(scope_of(store, &slug).await?),
                None => None,
            };
            let tenants = store.tenants().list().await?;
            for account in store.accounts().list(scope).await? {
                let tenant = account
                    .tenant_id
                    .and_then(|id| tenants.iter().find(|t| t.id == id))
                    .map_or("-", |t| t.manifest.slug.as_str());
                let state = if account.disabled {
                    "disabled"
                } else {
                    "active"
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    account.email, account.role, tenant, state, account.display_name
                );
            }
        }
        UserCommand::Disable { email } => {
            let email = Email::parse(&email).map_err(|p| anyhow::anyhow!("EMAIL: {p}"))?;
            match store
                .accounts()
                .disable(None, &email, &Actor::operator(), CLI_REQUEST)
                .await?
            {
                Some(account) => println!("disabled {}", account.email),
                None => bail!("EMAIL: there is no account {email}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn audit(store: &Store, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let tenant = match command {
        AuditCommand::Checkpoint => {
            let n = store.audit_log().checkpoint_all().await?;
            println!("checkpointed the audit heads of {n} tenants");
            return Ok(ExitCode::SUCCESS);
        }
        AuditCommand::Verify { tenant } => tenant,
    };
    let tenants = store.tenants().list().await?;
    let selected: Vec<_> = match &tenant {
        None => tenants.iter().collect(),
        Some(slug) => {
            let found: Vec<_> = tenants
                .iter()
                .filter(|t| t.manifest.slug.as_str() == slug)
                .collect();
            if found.is_empty() {
                bail!("--tenant: there is no tenant {slug:?} (see `kentro tenant list`)");
            }
            found
        }
    };
    let mut broken = false;
    for record in selected {
        let scope = scope_of(store, record.manifest.slug.as_str()).await?;
        let report = store.audit_log().verify(scope).await?;
        match report.first_broken {
            None => println!(
                "ok      {}: {} entries, chain intact",
                record.manifest.slug, report.entries
            ),
            Some((seq, problem)) => {
                broken = true;
                println!(
                    "BROKEN  {}: entry {seq} {problem} ({} entries)",
                    record.manifest.slug, report.entries
                );
            }
        }
    }
    Ok(if broken {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
