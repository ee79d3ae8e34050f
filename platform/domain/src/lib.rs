//! Kentro's domain: the types and rules of a Community Center platform.
//!
//! Architecture invariant: this crate performs no I/O and knows no framework
//! (no sea-orm, axum, async-graphql, redis or wasmtime). Values are parsed at
//! the edge into these types; a value of one of them is valid by construction.

/// Stable codes for storage and exports: `code()` and `from_code()`.
macro_rules! codes {
    ($name:ident { $($variant:ident => $code:literal),+ $(,)? }) => {
        impl $name {
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            pub fn from_code(code: &str) -> Option<$name> {
                match code {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

pub mod access;
pub mod appointment;
pub mod calendar;
pub mod case;
pub mod contact;
pub mod global_id;
pub mod hours;
pub mod household;
pub mod hsds;
pub mod identifiers;
pub mod indicators;
pub mod kea;
pub mod links;
pub mod names;
pub mod person;
pub mod referral;
pub mod region;
pub mod spreadsheet;
pub mod tenant;

pub use tenant::{
    Center, CenterKey, CenterKind, ManifestError, ManifestErrors, PluginActivation, StaffPosition,
    StaffRole, TenantManifest, TenantSlug,
};
