//! Domain events delivered to the plugins that subscribe to them.

use super::*;

impl PluginRuntime {
    /// Delivers a domain event to every plugin of the tenant that wants it,
    /// in the background: the caller never waits for a plugin.
    pub fn emit(
        self: &Arc<Self>,
        scope: TenantScope,
        kind: &'static str,
        payload: Value,
        caller: CallerInfo,
    ) {
        let runtime = self.clone();
        tokio::spawn(async move {
            let activations = match runtime.store.plugins().activations(scope).await {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot list plugins for an event");
                    return;
                }
            };
            for activation in activations.into_iter().filter(|a| a.status == "enabled") {
                let loaded = match runtime
                    .load(&activation.plugin_id, &activation.version)
                    .await
                {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::warn!(error = %e, plugin = activation.plugin_id, "cannot load a plugin");
                        continue;
                    }
                };
                if !loaded.info.events.iter().any(|e| e == kind) {
                    continue;
                }
                let payload_text = payload.to_string();
                let result = runtime
                    .run(
                        loaded.runnable(),
                        Some(scope),
                        activation.config.clone(),
                        &caller,
                        move |plugin, store| {
                            let caller = store.data().caller_record();
                            let event = sandbox::Event {
                                kind: kind.to_owned(),
                                payload: payload_text.clone(),
                            };
                            plugin.call_on_event(store, &event, &caller)
                        },
                    )
                    .await;
                let failure = match result {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(format!("{:?}", from_plugin(e))),
                    Err(stopped) => Some(from_stopped(stopped).to_string()),
                };
                if let Some(why) = &failure {
                    tracing::warn!(
                        plugin = activation.plugin_id,
                        kind,
                        why,
                        "a plugin failed on an event"
                    );
                }
                if let Err(e) = runtime
                    .store
                    .plugins()
                    .record_outcome(
                        scope,
                        &activation.plugin_id,
                        failure.as_deref(),
                        runtime.limits.failures_before_suspension,
                    )
                    .await
                {
                    tracing::warn!(error = %e, "cannot record a plugin's outcome");
                }
            }
        });
    }
}
