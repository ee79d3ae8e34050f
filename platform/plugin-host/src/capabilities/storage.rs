//! Capability `storage`: the plugin's own records at the calling tenant,
//! within the plugin's storage quota.

use serde_json::Value;

use super::{Denied, denied, unavailable};
use crate::manifest::Capability;
use crate::sandbox::HostState;
use crate::sandbox::kentro::plugin::storage::Host;
use crate::sandbox::kentro::plugin::types::Document;

const STORAGE: Capability = Capability::Storage;

fn collection_ok(name: &str) -> Result<(), String> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(format!(
            "collection {name:?}: 1 to 64 letters, digits, - or _"
        ));
    }
    Ok(())
}

fn document_ok(id: &str, body: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > 200 {
        return Err("a document id is 1 to 200 characters".into());
    }
    if body.len() > 256 * 1024 {
        return Err("a document is at most 256 KiB".into());
    }
    serde_json::from_str::<Value>(body)
        .map(drop)
        .map_err(|e| format!("the document is not JSON: {e}"))
}

fn document(record: kentro_store::StoredDocument) -> Document {
    Document {
        collection: record.collection,
        id: record.id,
        body: record.body,
    }
}

impl HostState {
    fn get_document(&self, collection: &str, id: &str) -> Result<Option<Document>, String> {
        let scope = self.tenant()?;
        collection_ok(collection)?;
        let call = &self.call;
        self.block_on(
            call.store
                .plugins()
                .get_record(scope, &call.manifest.id, collection, id),
        )
        .map(|found| found.map(document))
        .map_err(unavailable(STORAGE))
    }

    fn put_document(&self, collection: &str, id: &str, body: &str) -> Result<(), String> {
        let scope = self.tenant()?;
        collection_ok(collection)?;
        document_ok(id, body)?;
        let call = &self.call;
        self.block_on(call.store.plugins().put_record(
            scope,
            &call.manifest.id,
            collection,
            id,
            body,
            &call.storage_quota,
        ))
        .map_err(|e| match e {
            kentro_store::StoreError::QuotaExceeded { what } => what,
            other => unavailable(STORAGE)(other),
        })
    }

    fn delete_document(&self, collection: &str, id: &str) -> Result<bool, String> {
        let scope = self.tenant()?;
        collection_ok(collection)?;
        let call = &self.call;
        self.block_on(
            call.store
                .plugins()
                .delete_record(scope, &call.manifest.id, collection, id),
        )
        .map_err(unavailable(STORAGE))
    }

    fn query_documents(
        &self,
        collection: &str,
        field: &str,
        value: &str,
    ) -> Result<Vec<Document>, String> {
        let scope = self.tenant()?;
        collection_ok(collection)?;
        let wanted: Option<Value> = if field.is_empty() {
            None
        } else {
            Some(serde_json::from_str(value).map_err(|e| format!("value is not JSON: {e}"))?)
        };
        let keep = |body: &str| match &wanted {
            None => true,
            Some(v) => serde_json::from_str::<Value>(body)
                .ok()
                .is_some_and(|body| body.get(field) == Some(v)),
        };
        let call = &self.call;
        // The answer lands in the guest's memory: half of it at most.
        let max_bytes = call.memory_bytes / 2;
        match self.block_on(call.store.plugins().query_records(
            scope,
            &call.manifest.id,
            collection,
            keep,
            max_bytes,
        )) {
            Ok(found) => Ok(found.into_iter().map(document).collect()),
            Err(kentro_store::StoreError::QuotaExceeded { what }) => Err(what),
            Err(e) => Err(unavailable(STORAGE)(e)),
        }
    }
}

impl Host for HostState {
    fn get(
        &mut self,
        collection: String,
        id: String,
    ) -> wasmtime::Result<Result<Option<Document>, String>> {
        self.spend()?;
        Ok(self.get_document(&collection, &id))
    }

    fn put(
        &mut self,
        collection: String,
        id: String,
        body: String,
    ) -> wasmtime::Result<Result<(), String>> {
        self.spend()?;
        Ok(self.put_document(&collection, &id, &body))
    }

    fn delete(&mut self, collection: String, id: String) -> wasmtime::Result<Result<bool, String>> {
        self.spend()?;
        Ok(self.delete_document(&collection, &id))
    }

    fn query(
        &mut self,
        collection: String,
        field: String,
        value: String,
    ) -> wasmtime::Result<Result<Vec<Document>, String>> {
        self.spend()?;
        Ok(self.query_documents(&collection, &field, &value))
    }
}

impl Host for Denied<'_> {
    fn get(&mut self, _: String, _: String) -> wasmtime::Result<Result<Option<Document>, String>> {
        self.0.spend()?;
        Ok(Err(denied(STORAGE)))
    }

    fn put(&mut self, _: String, _: String, _: String) -> wasmtime::Result<Result<(), String>> {
        self.0.spend()?;
        Ok(Err(denied(STORAGE)))
    }

    fn delete(&mut self, _: String, _: String) -> wasmtime::Result<Result<bool, String>> {
        self.0.spend()?;
        Ok(Err(denied(STORAGE)))
    }

    fn query(
        &mut self,
        _: String,
        _: String,
        _: String,
    ) -> wasmtime::Result<Result<Vec<Document>, String>> {
        self.0.spend()?;
        Ok(Err(denied(STORAGE)))
    }
}
