//! The workspace's words come from the shared catalogue (`kentro-labels`),
//! which the exports read too.

pub use kentro_labels::{
    Lang, count, has, indicator_category, indicator_dimension, label, message,
};

/// The wire spelling of a generated enum value.
pub fn wire<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
