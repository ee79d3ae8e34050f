//! Διαχείριση → Πρόσθετα: the coordinator enables a plugin with its
//! settings (a form made from the plugin's configuration schema), changes
//! them, upgrades or rolls back its version, or disables it; suspended
//! plugins show why.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::graphql;
use crate::i18n;
use crate::pages::plugins::{Input, input_value, inputs};
use crate::view::{FormError, Layout, Posted, Staff, Visit, render, see_other};

struct PluginSettings {
    id: String,
    label: String,
    version: String,
    /// The status in words; empty when the center has never enabled it.
    status: String,
    enabled: bool,
    reason: String,
    inputs: Vec<Input>,
    /// The installed versions to choose from, when there are several.
    versions: Vec<crate::pages::people::Choice>,
}

/// The form field that carries the chosen version, apart from the settings.
const VERSION_FIELD: &str = "plugin-version";

#[derive(Template)]
#[template(path = "admin_plugins.html")]
struct PluginsPage {
    layout: Layout,
    plugins: Vec<PluginSettings>,
}

/// A configuration as the form's values: lists one item a line, booleans
/// as the checkbox's `yes`.
fn as_fields(config: &Value) -> Vec<(String, String)> {
    let empty = Map::new();
    config
        .as_object()
        .unwrap_or(&empty)
        .iter()
        .map(|(name, value)| {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Bool(true) => "yes".to_owned(),
                Value::Bool(false) | Value::Null => String::new(),
                Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join("\n"),
                other => other.to_string(),
            };
            (name.clone(), text)
        })
        .collect()
}

/// The page; `posted` keeps what was typed into one plugin's form.
async fn page(
    visit: &Visit,
    mut layout: Layout,
    posted: Option<(&str, &[(String, String)])>,
) -> Response {
    let data = match graphql::run::<graphql::AdminPlugins>(
        &visit.state.schema,
        &visit.context,
        graphql::admin_plugins::Variables {},
    )
    .await
    {
        Ok(data) => data,
        Err(e) => return visit.failure(&e),
    };
    let plugins = data
        .available_plugins
        .into_iter()
        .map(|available| {
            let current = data.plugins.iter().find(|p| p.id == available.id);
            let values = match (posted, current) {
                (Some((id, fields)), _) if id == available.id => fields.to_vec(),
                (_, Some(current)) => as_fields(&current.config),
                _ => Vec::new(),
            };
            PluginSettings {
                status: current.map_or_else(String::new, |c| {
                    i18n::label(visit.lang, "plugin-status", &c.status.to_uppercase())
                }),
                enabled: current.is_some_and(|c| c.status == "enabled"),
                reason: current
                    .and_then(|c| c.status_reason.clone())
                    .unwrap_or_default(),
                inputs: inputs(&available.config_schema, &values),
                versions: if available.versions.len() > 1 {
                    let running =
                        current.map_or(available.version.as_str(), |c| c.version.as_str());
                    available
                        .versions
                        .iter()
                        .rev()
                        .map(|v| crate::pages::people::Choice {
                            value: v.clone(),
                            label: v.clone(),
                            selected: v == running,
                        })
                        .collect()
                } else {
                    Vec::new()
                },
                version: current.map_or(available.version, |c| c.version.clone()),
                id: available.id,
                label: available.label,
            }
        })
        .collect();
    layout.title = visit.t("admin-plugins-title");
    let status = if layout.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (status, render(&PluginsPage { layout, plugins })).into_response()
}

pub async fn show(
    visit: Visit,
    staff: Staff,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mut layout = visit.layout(String::new(), Some(&staff));
    let notice = match params.get("done").map(String::as_str) {
        Some("enabled") => "notice-plugin-enabled",
        Some("disabled") => "notice-plugin-disabled",
        _ => "",
    };
    if !notice.is_empty() {
        layout.notice = Some(visit.t(notice));
    }
    page(&visit, layout, None).await
}

/// Enables a plugin with the settings typed, or saves new settings.
pub async fn enable(Path(plugin): Path<String>, staff: Staff, posted: Posted) -> Response {
    let visit = &posted.visit;
    let schema = match graphql::run::<graphql::AdminPlugins>(
        &visit.state.schema,
        &visit.context,
        graphql::admin_plugins::Variables {},
    )
    .await
    {
        Ok(data) => data
            .available_plugins
            .into_iter()
            .find(|p| p.id == plugin)
            .map(|p| p.config_schema),
        Err(e) => return visit.failure(&e),
    };
    let Some(schema) = schema else {
        return visit.problem(StatusCode::NOT_FOUND, "error-not-found");
    };
    let fields: Vec<(String, String)> = posted
        .fields
        .iter()
        .filter(|(k, _)| k != "csrf" && k != VERSION_FIELD)
        .cloned()
        .collect();
    let version = posted.optional(VERSION_FIELD);
    let config = input_value(&schema, &fields);
    match graphql::run::<graphql::EnablePlugin>(
        &visit.state.schema,
        &visit.context,
        graphql::enable_plugin::Variables {
            plugin: plugin.clone(),
            version,
            config: Some(config),
        },
    )
    .await
    {
        Ok(_) => see_other("/admin/plugins?done=enabled"),
        Err(e) if e.has("VALIDATION") => {
            let mut layout = visit.layout(String::new(), Some(&staff));
            layout.errors = vec![FormError {
                field: format!("settings-{plugin}"),
                text: i18n::message(
                    visit.lang,
                    "problem-plugin-settings",
                    &[("problem", &e.first().message)],
                ),
            }];
            page(visit, layout, Some((&plugin, &fields))).await
        }
        Err(e) => visit.failure(&e),
    }
}

pub async fn disable(Path(plugin): Path<String>, _staff: Staff, posted: Posted) -> Response {
    let visit = &posted.visit;
    match graphql::run::<graphql::DisablePlugin>(
        &visit.state.schema,
        &visit.context,
        graphql::disable_plugin::Variables { plugin },
    )
    .await
    {
        Ok(_) => see_other("/admin/plugins?done=disabled"),
        Err(e) => visit.failure(&e),
    }
}
