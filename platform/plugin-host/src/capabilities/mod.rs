//! The host's capabilities: one WIT interface and one file each. A plugin's
//! linker gets a capability's implementation only when its manifest declares
//! it; an undeclared one is linked to [`Denied`], which answers every call
//! with `denied`, so that a plugin importing more than it declared still
//! installs and learns at the call what it may not do.

mod config;
mod log;
mod metrics;
mod people;
mod referral_suggestions;
mod storage;

use wasmtime::Engine;
use wasmtime::component::{HasData, HasSelf, Linker};

use crate::manifest::{Capability, PluginManifest};
use crate::sandbox::HostState;
use crate::sandbox::kentro::plugin as wit;

/// A capability the manifest does not declare, in place of its
/// implementation: each call counts against the budget and answers
/// [`denied`].
pub(crate) struct Denied<'a>(&'a mut HostState);

struct Undeclared;

impl HasData for Undeclared {
    type Data<'a> = Denied<'a>;
}

fn denied(capability: Capability) -> String {
    format!(
        "denied: the manifest does not declare the {} capability",
        capability.name()
    )
}

impl wit::types::Host for HostState {}

/// The linker of one plugin: WASI with nothing granted, the always granted
/// `log` and `config`, and each capability as its manifest declares it.
pub(crate) fn linker(
    engine: &Engine,
    manifest: &PluginManifest,
) -> wasmtime::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    wit::types::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)?;
    wit::log::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)?;
    wit::config::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)?;
    macro_rules! link {
        ($capability:expr, $interface:ident) => {
            if manifest.grants($capability) {
                wit::$interface::add_to_linker::<HostState, HasSelf<HostState>>(
                    &mut linker,
                    |s| s,
                )?;
            } else {
                wit::$interface::add_to_linker::<HostState, Undeclared>(&mut linker, |s| {
                    Denied(s)
                })?;
            }
        };
    }
    link!(Capability::Storage, storage);
    link!(Capability::People, people);
    link!(Capability::ReferralSuggestions, referral_suggestions);
    link!(Capability::Metrics, metrics);
    Ok(linker)
}

/// A store failure as the plugin sees it: the capability is unavailable
/// (the cause goes to the log, not to the guest).
fn unavailable(capability: Capability) -> impl Fn(kentro_store::StoreError) -> String {
    move |e| {
        let what = capability.name();
        tracing::warn!(error = %e, "plugin {what} failed");
        format!("the {what} capability is unavailable")
    }
}
