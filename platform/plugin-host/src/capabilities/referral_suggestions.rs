//! Capability `referral-suggestions`: a plugin suggests to the staff that a
//! person be referred; it shows on the person's record and nothing is sent.

use super::{Denied, denied};
use crate::manifest::Capability;
use crate::sandbox::HostState;
use crate::sandbox::kentro::plugin::referral_suggestions::Host;

const SUGGESTIONS: Capability = Capability::ReferralSuggestions;

impl HostState {
    fn suggest(&self, person_id: &str, title: &str, reason: &str) -> Result<(), String> {
        let scope = self.tenant()?;
        let Some(id) = kentro_domain::keys::PersonId::from_global_id(person_id) else {
            return Err(format!("no person {person_id}"));
        };
        let call = &self.call;
        self.block_on(
            call.store
                .plugins()
                .suggest(scope, &call.manifest.id, id, title, reason),
        )
        .map_err(|e| match e {
            kentro_store::StoreError::NotFound { .. } => format!("no person {person_id}"),
            other => {
                tracing::warn!(error = %other, "plugin suggestion failed");
                "suggestions are unavailable".to_owned()
            }
        })
    }
}

impl Host for HostState {
    fn create_referral_suggestion(
        &mut self,
        person_id: String,
        title: String,
        reason: String,
    ) -> wasmtime::Result<Result<(), String>> {
        self.spend()?;
        Ok(self.suggest(&person_id, &title, &reason))
    }
}

impl Host for Denied<'_> {
    fn create_referral_suggestion(
        &mut self,
        _: String,
        _: String,
        _: String,
    ) -> wasmtime::Result<Result<(), String>> {
        self.0.spend()?;
        Ok(Err(denied(SUGGESTIONS)))
    }
}
