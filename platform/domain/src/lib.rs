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

        impl $crate::Coded for $name {
            const NAME: &'static str = stringify!($name);

            fn code(self) -> &'static str {
                $name::code(self)
            }

            fn from_code(code: &str) -> Option<$name> {
                $name::from_code(code)
            }
        }
    };
}

/// A newtype for free text a field bounds: trimmed, not empty (`when_empty`
/// says what to write), at most `max` characters.
macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $max:expr, $when_empty:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub const MAX: usize = $max;

            /// The text, or what is wrong with it in words for whoever typed it.
            pub fn parse(raw: &str) -> Result<$name, String> {
                $crate::text::bounded(raw, $max, $when_empty).map($name)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

/// A closed set of values, each stored and exchanged as a stable code
/// (`codes!` implements it), so the store and the API read and write every
/// such set one way.
pub trait Coded: Sized + Copy + 'static {
    /// The set's name, for messages.
    const NAME: &'static str;
    fn code(self) -> &'static str;
    fn from_code(code: &str) -> Option<Self>;
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
pub mod keys;
pub mod links;
pub mod names;
pub mod person;
pub mod referral;
pub mod region;
pub mod spreadsheet;
pub mod tenant;
pub mod text;

pub use tenant::{
    Center, CenterKey, CenterKind, ManifestError, ManifestErrors, PluginActivation, StaffPosition,
    StaffRole, TenantManifest, TenantSlug,
};
