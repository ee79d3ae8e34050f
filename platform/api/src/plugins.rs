//! Plugins over GraphQL: what is installed and enabled, enabling (with the
//! plugin's own configuration schema), running an operation with the same
//! authentication, audit and limits as any call, and the suggestions and
//! metrics plugins leave behind. The core's domain events reach plugins
//! through [`emit`], which never waits for them.

use async_graphql::{Context, ID, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use kentro_domain::access::Permission;
use kentro_domain::keys::{PersonId, SuggestionId};
use kentro_plugin_host::{CallerInfo, Package};
use kentro_store::{Actor, TenantScope};
use serde_json::Value;

use crate::context::{Accessor, authorized, principal, request, services, tenant_scope};
use crate::error::{ApiError, bad_input, from_store, not_found};
use crate::id;

fn caller_info(ctx: &Context<'_>) -> Result<CallerInfo, ApiError> {
    let caller = principal(ctx)?;
    Ok(CallerInfo {
        actor: caller.account.actor(),
        role: caller.account.role.code().to_owned(),
        today: kentro_domain::calendar::today_in_greece(),
        request_id: request(ctx).request_id.clone(),
    })
}

/// Tells the tenant's plugins that something happened; returns at once.
pub(crate) fn emit(ctx: &Context<'_>, scope: TenantScope, kind: &'static str, payload: Value) {
    let caller = match caller_info(ctx) {
        Ok(caller) => CallerInfo {
            role: "system".into(),
            ..caller
        },
        Err(_) => CallerInfo {
            actor: Actor::operator(),
            role: "system".into(),
            today: kentro_domain::calendar::today_in_greece(),
            request_id: request(ctx).request_id.clone(),
        },
    };
    services(ctx).plugins.emit(scope, kind, payload, caller);
}

#[derive(SimpleObject)]
pub struct PluginOperationInfo {
    name: String,
    label: String,
    input_schema: Json<Value>,
    output_schema: Json<Value>,
    writes: bool,
}

/// A plugin as a center has it.
#[derive(SimpleObject)]
pub struct EnabledPlugin {
    id: String,
    version: String,
    label: String,
    /// `enabled`, `disabled` or `suspended` (after repeated failures).
    status: String,
    status_reason: Option<String>,
    config: Json<Value>,
    /// The JSON Schema its configuration follows.
    config_schema: Json<Value>,
    operations: Vec<PluginOperationInfo>,
    metrics: Vec<String>,
    updated_at: DateTime<Utc>,
}

/// A plugin installed on the platform that a center may enable: its newest
/// version, and the JSON Schema of its configuration.
#[derive(SimpleObject)]
pub struct AvailablePlugin {
    id: String,
    version: String,
    /// Every installed version, oldest first: what a center may upgrade or
    /// roll back to.
    versions: Vec<String>,
    label: String,
    config_schema: Json<Value>,
}

#[derive(SimpleObject)]
pub struct InstalledPlugin {
    id: String,
    version: String,
    sha256: String,
    installed_at: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct ReferralSuggestion {
    id: ID,
    /// The person it is for.
    person_id: ID,
    plugin: String,
    title: String,
    reason: String,
    created_at: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct PluginMetric {
    plugin: String,
    name: String,
    total: f64,
}

async fn enabled_plugin(
    ctx: &Context<'_>,
    activation: kentro_store::Activation,
) -> Result<EnabledPlugin, ApiError> {
    let info = services(ctx)
        .plugins
        .info(&activation.plugin_id, &activation.version)
        .await?;
    Ok(EnabledPlugin {
        id: activation.plugin_id,
        version: activation.version,
        label: info.label,
        status: activation.status,
        status_reason: activation.status_reason,
        config: Json(activation.config),
        config_schema: Json(info.config_schema),
        operations: info
            .operations
            .into_iter()
            .map(|o| PluginOperationInfo {
                name: o.name,
                label: o.label,
                input_schema: Json(o.input_schema),
                output_schema: Json(o.output_schema),
                writes: o.writes,
            })
            .collect(),
        metrics: info.metrics,
        updated_at: activation.updated_at,
    })
}

#[derive(Default)]
pub struct PluginQuery;

#[Object]
impl PluginQuery {
    /// The plugins a center may enable, each at its newest installed
    /// version (tenant_admin).
    async fn available_plugins(&self, ctx: &Context<'_>) -> Result<Vec<AvailablePlugin>, ApiError> {
        tenant_scope(ctx, Permission::ManageTenantSettings)?;
        let packages = services(ctx).store.plugins().packages().await?;
        // Installed oldest first: the last of each id is its newest.
        let mut installed: Vec<(String, Vec<String>)> = Vec::new();
        for package in packages {
            match installed.iter_mut().find(|(id, _)| *id == package.id) {
                Some(entry) => entry.1.push(package.version),
                None => installed.push((package.id, vec![package.version])),
            }
        }
        let mut out = Vec::new();
        for (id, versions) in installed {
            let version = versions.last().cloned().unwrap_or_default();
            let info = services(ctx).plugins.info(&id, &version).await?;
            out.push(AvailablePlugin {
                label: info.label,
                config_schema: Json(info.config_schema),
                id,
                version,
                versions,
            });
        }
        Ok(out)
    }

    /// The plugins of the caller's center, with their status.
    async fn plugins(&self, ctx: &Context<'_>) -> Result<Vec<EnabledPlugin>, ApiError> {
        let scope = tenant_scope(ctx, Permission::ViewPersonRecords)?;
        let activations = services(ctx).store.plugins().activations(scope).await?;
        let mut out = Vec::new();
        for activation in activations {
            out.push(enabled_plugin(ctx, activation).await?);
        }
        Ok(out)
    }

    /// Every installed package (platform admins).
    async fn installed_plugins(&self, ctx: &Context<'_>) -> Result<Vec<InstalledPlugin>, ApiError> {
        authorized(ctx, Permission::InstallPlugins)?;
        Ok(services(ctx)
            .store
            .plugins()
            .packages()
            .await?
            .into_iter()
            .map(|p| InstalledPlugin {
                id: p.id,
                version: p.version,
                sha256: p.sha256,
                installed_at: p.installed_at,
            })
            .collect())
    }

    /// What plugins suggest for a person (e.g. tutoring for a child).
    /// The center's suggestions nobody has answered yet, newest first.
    async fn pending_suggestions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> Result<Vec<ReferralSuggestion>, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageCases)?;
        let limit = crate::paging::page_size(first)?;
        Ok(services(ctx)
            .store
            .plugins()
            .pending_suggestions(scope, limit as u64)
            .await?
            .into_iter()
            .map(|s| ReferralSuggestion {
                id: id::encode_key(s.id),
                person_id: id::encode_key(s.person_id),
                plugin: s.plugin_id,
                title: s.title,
                reason: s.reason,
                created_at: s.created_at,
            })
            .collect())
    }

    async fn referral_suggestions(
        &self,
        ctx: &Context<'_>,
        person_id: ID,
    ) -> Result<Vec<ReferralSuggestion>, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageCases)?;
        let person = id::decode_key::<PersonId>(&person_id)?;
        Ok(services(ctx)
            .store
            .plugins()
            .suggestions(scope, person)
            .await?
            .into_iter()
            .map(|s| ReferralSuggestion {
                id: id::encode_key(s.id),
                person_id: id::encode_key(s.person_id),
                plugin: s.plugin_id,
                title: s.title,
                reason: s.reason,
                created_at: s.created_at,
            })
            .collect())
    }

    /// The center's plugin metrics, totalled.
    async fn plugin_metrics(&self, ctx: &Context<'_>) -> Result<Vec<PluginMetric>, ApiError> {
        let scope = tenant_scope(ctx, Permission::ViewPersonRecords)?;
        Ok(services(ctx)
            .store
            .plugins()
            .metric_totals(scope)
            .await?
            .into_iter()
            .map(|(plugin, name, total)| PluginMetric {
                plugin,
                name,
                total,
            })
            .collect())
    }
}

#[derive(Default)]
pub struct PluginMutation;

#[Object]
impl PluginMutation {
    /// A case worker's answer to a plugin's suggestion: not for this person,
    /// with the reason (audited). It is no longer listed; another center's
    /// (or one already dismissed) is `NOT_FOUND`.
    async fn dismiss_suggestion(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> Result<ReferralSuggestion, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageCases)?;
        let key = id::decode_key::<SuggestionId>(&id)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(bad_input("reason", "say why the suggestion does not fit"));
        }
        let accessor = Accessor::new(ctx, "dismissSuggestion")?;
        let s = services(ctx)
            .store
            .plugins()
            .dismiss_suggestion(scope, key, reason, &accessor.access())
            .await?;
        Ok(ReferralSuggestion {
            id: id::encode_key(s.id),
            person_id: id::encode_key(s.person_id),
            plugin: s.plugin_id,
            title: s.title,
            reason: s.reason,
            created_at: s.created_at,
        })
    }

    /// Runs a plugin's operation; the input must match its declared schema.
    /// Operations that write need the case-management permission.
    async fn plugin_operation(
        &self,
        ctx: &Context<'_>,
        plugin: String,
        operation: String,
        input: Json<Value>,
    ) -> Result<Json<Value>, ApiError> {
        let scope = tenant_scope(ctx, Permission::ViewPersonRecords)?;
        let caller = caller_info(ctx)?;
        let may_write = principal(ctx)?.account.role.can(Permission::ManageCases);
        let (output, writes) = services(ctx)
            .plugins
            .call(scope, &plugin, &operation, input.0, &caller, may_write)
            .await?;
        let accessor = Accessor::new(ctx, "plugin operation")?;
        services(ctx)
            .store
            .audit_log()
            .record_plugin_call(scope, &accessor.access(), &plugin, &operation, writes)
            .await?;
        Ok(Json(output))
    }

    /// Enables a plugin for the caller's center, or moves it to another
    /// installed version (upgrade, rollback), with its configuration.
    async fn enable_plugin(
        &self,
        ctx: &Context<'_>,
        plugin: String,
        version: Option<String>,
        config: Option<Json<Value>>,
    ) -> Result<EnabledPlugin, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageTenantSettings)?;
        let accessor = Accessor::new(ctx, "plugin settings")?;
        let config = config.map(|c| c.0).unwrap_or_else(|| serde_json::json!({}));
        let activation = services(ctx)
            .plugins
            .enable(
                scope,
                &plugin,
                version.as_deref(),
                &config,
                &accessor.access(),
            )
            .await?;
        enabled_plugin(ctx, activation).await
    }

    async fn disable_plugin(
        &self,
        ctx: &Context<'_>,
        plugin: String,
    ) -> Result<EnabledPlugin, ApiError> {
        let scope = tenant_scope(ctx, Permission::ManageTenantSettings)?;
        let accessor = Accessor::new(ctx, "plugin settings")?;
        let activation = services(ctx)
            .store
            .plugins()
            .disable(scope, &plugin, &accessor.access())
            .await?;
        enabled_plugin(ctx, activation).await
    }

    /// Installs a signed package (platform admins): the manifest's text, its
    /// base64 ed25519 signature and the component, base64.
    async fn install_plugin(
        &self,
        ctx: &Context<'_>,
        manifest: String,
        signature: String,
        component_base64: String,
    ) -> Result<InstalledPlugin, ApiError> {
        let caller = authorized(ctx, Permission::InstallPlugins)?;
        use base64::Engine as _;
        let wasm = base64::engine::general_purpose::STANDARD
            .decode(component_base64.trim())
            .map_err(|e| bad_input("componentBase64", format!("not base64: {e}")))?;
        let package = Package {
            manifest_text: manifest,
            signature,
            wasm,
        };
        let (info, _) = services(ctx)
            .plugins
            .install(&package, caller.account.email.as_str())
            .await
            .map_err(|e| match e {
                kentro_plugin_host::InstallError::Package(p) => bad_input("package", p.to_string()),
                kentro_plugin_host::InstallError::Store(s) => from_store(s),
            })?;
        let installed = services(ctx)
            .store
            .plugins()
            .packages()
            .await?
            .into_iter()
            .find(|p| p.id == info.id && p.version == info.version)
            .ok_or_else(|| not_found("plugin"))?;
        Ok(InstalledPlugin {
            id: installed.id,
            version: installed.version,
            sha256: installed.sha256,
            installed_at: installed.installed_at,
        })
    }
}
