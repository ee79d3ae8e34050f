//! Kentro's domain: the types and rules of a Community Center platform.
//!
//! Architecture invariant: this crate performs no I/O and knows no framework
//! (no sea-orm, axum, async-graphql, redis or wasmtime). Values are parsed at
//! the edge into these types; a value of one of them is valid by construction.

pub mod access;
pub mod contact;
pub mod hours;
pub mod identifiers;
pub mod names;
pub mod person;
pub mod region;
pub mod tenant;

pub use tenant::{
    Center, CenterKey, CenterKind, ManifestError, ManifestErrors, PluginActivation, StaffPosition,
    StaffRole, TenantManifest, TenantSlug,
};
