//! Always granted: a plugin's log lines, tagged with the plugin and tenant,
//! a hundred a call at most so that a chatty plugin cannot flood the log.

use crate::sandbox::HostState;
use crate::sandbox::kentro::plugin::log::Host;
use crate::sandbox::kentro::plugin::types::LogLevel;

const LINES_PER_CALL: u32 = 100;

impl Host for HostState {
    fn log(&mut self, level: LogLevel, message: String) -> wasmtime::Result<()> {
        self.spend()?;
        self.logged += 1;
        if self.logged > LINES_PER_CALL {
            return Ok(());
        }
        let message: String = message.chars().take(1000).collect();
        let plugin = &self.call.manifest.id;
        let tenant = self.call.scope.map(|s| s.id().get());
        match level {
            LogLevel::Debug => tracing::debug!(plugin, ?tenant, "{message}"),
            LogLevel::Info => tracing::info!(plugin, ?tenant, "{message}"),
            LogLevel::Warn => tracing::warn!(plugin, ?tenant, "{message}"),
            LogLevel::Error => tracing::error!(plugin, ?tenant, "{message}"),
        }
        Ok(())
    }
}
