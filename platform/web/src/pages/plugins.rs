//! Πρόσθετα: each enabled plugin's operations as forms generated from
//! their declared input JSON Schema, results as tables from the output.
//! A plugin that fails, times out or is suspended gets a clear message and
//! the page around it keeps working.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::format;
use crate::graphql;
use crate::i18n;
use crate::view::{FormError, Layout, Posted, Staff, Visit, render};

pub struct Input {
    pub name: String,
    pub label: String,
    /// `text`, `number`, `date`, `checkbox`, `select`, `lines`, `json`
    pub kind: &'static str,
    pub required: bool,
    pub options: Vec<String>,
    pub value: String,
}

struct OperationView {
    plugin: String,
    name: String,
    label: String,
    inputs: Vec<Input>,
    writes: bool,
    /// The operation just posted: its form stays open.
    open: bool,
}

struct PluginView {
    id: String,
    label: String,
    version: String,
    status: String,
    active: bool,
    reason: String,
    operations: Vec<OperationView>,
}

/// The operation just posted (plugin, operation, the form's values), so
/// its form opens again with what was typed.
type PostedOperation<'a> = (&'a str, &'a str, &'a [(String, String)]);

struct ResultView {
    title: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

#[derive(Template)]
#[template(path = "plugins.html")]
struct PluginsView {
    layout: Layout,
    plugins: Vec<PluginView>,
    result: Option<ResultView>,
    failure: Option<String>,
}

/// The form fields of an operation's input schema.
pub fn inputs(schema: &Value, posted: &[(String, String)]) -> Vec<Input> {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let empty = Map::new();
    let properties = schema["properties"].as_object().unwrap_or(&empty);
    properties
        .iter()
        .map(|(name, property)| {
            let (kind, options) = match (
                property["type"].as_str(),
                property["format"].as_str(),
                property["enum"].as_array(),
            ) {
                (_, _, Some(values)) => (
                    "select",
                    values
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect(),
                ),
                (Some("boolean"), _, _) => ("checkbox", Vec::new()),
                (Some("integer" | "number"), _, _) => ("number", Vec::new()),
                (Some("string"), Some("date"), _) => ("date", Vec::new()),
                (Some("array"), _, _) => ("lines", Vec::new()),
                (Some("object"), _, _) => ("json", Vec::new()),
                _ => ("text", Vec::new()),
            };
            Input {
                label: property["title"]
                    .as_str()
                    .map_or_else(|| name.clone(), str::to_owned),
                name: name.clone(),
                kind,
                required: required.contains(&name.as_str()),
                options,
                value: posted
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// What the form's fields mean as the schema's JSON.
pub fn input_value(schema: &Value, posted: &[(String, String)]) -> Value {
    let mut out = Map::new();
    for input in inputs(schema, posted) {
        let raw = input.value.trim();
        let value = match input.kind {
            "checkbox" => Some(Value::Bool(raw == "yes")),
            _ if raw.is_empty() => None,
            "number" => raw
                .parse::<i64>()
                .map(Value::from)
                .ok()
                .or_else(|| raw.parse::<f64>().ok().map(Value::from))
                .or(Some(Value::String(raw.to_owned()))),
            "date" => Some(Value::String(format::typed_date(raw))),
            // Structured settings are typed as JSON; text that is not JSON
            // goes on as text, for the schema to name.
            "json" => {
                Some(serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned())))
            }
            "lines" => Some(Value::Array(
                raw.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(|l| Value::String(l.to_owned()))
                    .collect(),
            )),
            _ => Some(Value::String(raw.to_owned())),
        };
        if let Some(value) = value {
            out.insert(input.name, value);
        }
    }
    Value::Object(out)
}

/// An operation's answer as a table: a list of records becomes rows; an
/// object becomes one row per field.
fn result_table(title: String, output: &Value) -> ResultView {
    let show = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let list = match output {
        Value::Array(items) => Some(items.clone()),
        Value::Object(map) => map.values().find_map(|v| {
            v.as_array()
                .filter(|a| a.iter().all(Value::is_object) && !a.is_empty())
                .cloned()
        }),
        _ => None,
    };
    if let Some(items) = list {
        let mut columns: Vec<String> = Vec::new();
        for item in &items {
            for key in item.as_object().into_iter().flat_map(|o| o.keys()) {
                if !columns.contains(key) {
                    columns.push(key.clone());
                }
            }
        }
        let rows = items
            .iter()
            .map(|item| columns.iter().map(|c| show(&item[c])).collect())
            .collect();
        return ResultView {
            title,
            columns,
            rows,
        };
    }
    let rows = match output {
        Value::Object(map) => map.iter().map(|(k, v)| vec![k.clone(), show(v)]).collect(),
        other => vec![vec![String::new(), show(other)]],
    };
    ResultView {
        title,
        columns: Vec::new(),
        rows,
    }
}

async fn plugins_page(
    visit: &Visit,
    staff: &Staff,
    mut layout: Layout,
    result: Option<ResultView>,
    failure: Option<String>,
    posted: Option<PostedOperation<'_>>,
) -> Response {
    let lang = visit.lang;
    let plugins = match graphql::run::<graphql::PluginsPage>(
        &visit.state.schema,
        &visit.context,
        graphql::plugins_page::Variables {},
    )
    .await
    {
        Ok(d) => d.plugins,
        Err(e) => return visit.failure(&e),
    };
    let may_write = staff.may("MANAGE_CASES");
    let views = plugins
        .into_iter()
        .map(|p| PluginView {
            active: p.status == "enabled",
            status: i18n::message(lang, &format!("plugin-status-{}", p.status), &[]),
            reason: p.status_reason.unwrap_or_default(),
            operations: p
                .operations
                .into_iter()
                .filter(|o| may_write || !o.writes)
                .map(|o| {
                    let (open, values): (bool, &[(String, String)]) = match posted {
                        Some((plugin, operation, values))
                            if plugin == p.id && operation == o.name =>
                        {
                            (true, values)
                        }
                        _ => (false, &[]),
                    };
                    OperationView {
                        plugin: p.id.clone(),
                        inputs: inputs(&o.input_schema, values),
                        name: o.name,
                        label: o.label,
                        writes: o.writes,
                        open,
                    }
                })
                .collect(),
            id: p.id,
            label: p.label,
            version: p.version,
        })
        .collect();
    layout.title = i18n::message(lang, "plugins-title", &[]);
    let status = if failure.is_some() || !layout.errors.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (
        status,
        render(&PluginsView {
            layout,
            plugins: views,
            result,
            failure,
        }),
    )
        .into_response()
}

pub async fn list(visit: Visit, staff: Staff) -> Response {
    let layout = visit.layout(String::new(), Some(&staff));
    plugins_page(&visit, &staff, layout, None, None, None).await
}

/// Runs one operation with the posted form as its input.
pub async fn run(
    Path((plugin, operation)): Path<(String, String)>,
    staff: Staff,
    posted: Posted,
) -> Response {
    let visit = &posted.visit;
    let plugins = match graphql::run::<graphql::PluginsPage>(
        &visit.state.schema,
        &visit.context,
        graphql::plugins_page::Variables {},
    )
    .await
    {
        Ok(d) => d.plugins,
        Err(e) => return visit.failure(&e),
    };
    let Some(declared) = plugins
        .iter()
        .find(|p| p.id == plugin)
        .and_then(|p| p.operations.iter().find(|o| o.name == operation))
    else {
        return visit.problem(StatusCode::NOT_FOUND, "error-not-found");
    };
    let fields: Vec<(String, String)> = posted
        .fields
        .iter()
        .filter(|(k, _)| k != "csrf")
        .cloned()
        .collect();
    let input = input_value(&declared.input_schema, &fields);
    let label = declared.label.clone();
    let mut layout = visit.layout(String::new(), Some(&staff));
    let outcome = graphql::run::<graphql::PluginOperation>(
        &visit.state.schema,
        &visit.context,
        graphql::plugin_operation::Variables {
            plugin: plugin.clone(),
            operation: operation.clone(),
            input,
        },
    )
    .await;
    let (result, failure) = match outcome {
        Ok(data) => (Some(result_table(label, &data.plugin_operation)), None),
        Err(e) => {
            let error = e.first();
            let message = match error.code.as_str() {
                "PLUGIN_TIMEOUT" => visit.t("plugin-timeout"),
                "PLUGIN_LIMIT" => visit.t("plugin-limit"),
                "PLUGIN_FAILED" => visit.t("plugin-failed"),
                "PLUGIN_SUSPENDED" => visit.t("plugin-suspended"),
                "VALIDATION" => {
                    for problem in &error.fields {
                        let field = problem
                            .field
                            .rsplit('.')
                            .next()
                            .unwrap_or(&problem.field)
                            .to_owned();
                        layout.errors.push(FormError {
                            text: format!("{field}: {}", problem.problem),
                            field: format!("{plugin}-{operation}-{field}"),
                        });
                    }
                    if layout.errors.is_empty() {
                        layout.errors.push(FormError {
                            field: format!("{plugin}-{operation}"),
                            text: error.message.clone(),
                        });
                    }
                    return plugins_page(
                        visit,
                        &staff,
                        layout,
                        None,
                        None,
                        Some((&plugin, &operation, &fields)),
                    )
                    .await;
                }
                "FORBIDDEN" => visit.t("error-forbidden"),
                _ => return visit.failure(&e),
            };
            (None, Some(format!("{label}: {message}")))
        }
    };
    plugins_page(
        visit,
        &staff,
        layout,
        result,
        failure,
        Some((&plugin, &operation, &fields)),
    )
    .await
}
