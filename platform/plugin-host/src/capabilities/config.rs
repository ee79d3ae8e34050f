//! Always granted: the tenant's configuration of the plugin, which its
//! declared schema checked when an administrator saved it.

use crate::sandbox::HostState;
use crate::sandbox::kentro::plugin::config::Host;

impl Host for HostState {
    fn config(&mut self) -> wasmtime::Result<String> {
        self.spend()?;
        Ok(self.call.config.to_string())
    }
}
