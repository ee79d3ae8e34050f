//! Capability `metrics`: a plugin adds to the metrics it declared, which
//! overseers see summed across centers.

use super::{Denied, denied, unavailable};
use crate::manifest::Capability;
use crate::sandbox::kentro::plugin::metrics::Host;
use crate::sandbox::{HostState, is_metric_name};

const METRICS: Capability = Capability::Metrics;

impl HostState {
    fn add_metric(&self, name: &str, value: f64) -> Result<(), String> {
        let scope = self.tenant()?;
        if !value.is_finite() || !is_metric_name(name) {
            return Err(
                "a metric has a name of a-z, 0-9 and _ (at most 64) and a finite value".into(),
            );
        }
        // Overseers read metric names: only those the plugin declared, and
        // so that its publisher signed, reach the aggregates.
        if !self.call.declared_metrics.iter().any(|m| m == name) {
            return Err(format!("the plugin did not declare the metric {name}"));
        }
        let call = &self.call;
        self.block_on(call.store.plugins().add_metric(
            scope,
            &call.manifest.id,
            name,
            value,
            call.today,
        ))
        .map_err(unavailable(METRICS))
    }
}

impl Host for HostState {
    fn emit_metric(&mut self, name: String, value: f64) -> wasmtime::Result<Result<(), String>> {
        self.spend()?;
        Ok(self.add_metric(&name, value))
    }
}

impl Host for Denied<'_> {
    fn emit_metric(&mut self, _: String, _: f64) -> wasmtime::Result<Result<(), String>> {
        self.0.spend()?;
        Ok(Err(denied(METRICS)))
    }
}
