//! Installing a verified package and loading it: its manifest, its
//! component compiled (or read from the artifact cache) and its
//! `InstancePre`, cached per plugin version.

use super::*;

impl PluginRuntime {
    /// Verifies, compiles and describes a package, then installs it.
    pub async fn install(
        &self,
        package: &Package,
        installed_by: &str,
    ) -> Result<(PluginInfo, InstallOutcome), InstallError> {
        let manifest = package.verify(&self.trusted)?;
        let loaded = self.prepare(manifest, &package.wasm).await?;
        let outcome = self
            .store
            .plugins()
            .install(
                NewPackage {
                    id: loaded.manifest.id.clone(),
                    version: loaded.manifest.version.clone(),
                    manifest: package.manifest_text.clone(),
                    signature: package.signature.clone(),
                    sha256: loaded.manifest.sha256.clone(),
                    wasm: package.wasm.clone(),
                },
                installed_by,
            )
            .await?;
        let info = loaded.info.clone();
        self.remember(loaded);
        Ok((info, outcome))
    }

    pub(crate) fn remember(&self, loaded: Arc<Loaded>) {
        let key = (loaded.manifest.id.clone(), loaded.manifest.version.clone());
        self.loaded
            .write()
            .expect("the plugin cache lock is never poisoned")
            .insert(key, loaded);
    }

    /// The compiled component, from the artifact cache when it holds one
    /// whose MAC checks out.
    fn component(&self, manifest: &PluginManifest, wasm: &[u8]) -> Result<Component, PackageError> {
        let cache = self.cache.as_ref();
        let path = cache.map(|cache| {
            cache
                .dir
                .join(engine_fingerprint(&self.engine))
                .join(format!("{}.cwasm", manifest.sha256))
        });
        if let (Some(cache), Some(path)) = (cache, &path)
            && let Some(bytes) = cache.read(path)
        {
            // SAFETY: wasmtime runs deserialized artifacts as native code.
            // These bytes carry a MAC under a key that never enters the
            // cache directory, so they are an artifact a Kentro process
            // with this key compiled, for an engine with this fingerprint,
            // from the component whose SHA-256 names the file; whoever can
            // only write the cache directory cannot forge one.
            #[allow(unsafe_code)]
            let component = unsafe { Component::deserialize(&self.engine, &bytes) };
            match component {
                Ok(component) => return Ok(component),
                Err(e) => tracing::warn!(error = %e, "discarding a stale plugin artifact"),
            }
        }
        let component = Component::new(&self.engine, wasm)
            .map_err(|e| PackageError::Component(format!("{e:#}")))?;
        if let (Some(cache), Some(path)) = (cache, path) {
            let written = component
                .serialize()
                .map_err(|e| std::io::Error::other(e.to_string()))
                .and_then(|bytes| cache.write(&path, &bytes));
            if let Err(e) = written {
                tracing::warn!(error = %e, "cannot cache a plugin artifact");
            }
        }
        Ok(component)
    }

    async fn prepare(
        &self,
        manifest: PluginManifest,
        wasm: &[u8],
    ) -> Result<Arc<Loaded>, PackageError> {
        let component = self.component(&manifest, wasm)?;
        let pre = crate::capabilities::linker(&self.engine, &manifest)
            .and_then(|linker| linker.instantiate_pre(&component))
            .map_err(|e| PackageError::Component(format!("{e:#}")))?;
        let pre = PluginPre::new(pre).map_err(|e| PackageError::Component(format!("{e:#}")))?;
        let manifest = Arc::new(manifest);
        let descriptor = self
            .run(
                Runnable {
                    pre: &pre,
                    manifest: &manifest,
                    metrics: &[],
                    at_install: true,
                },
                None,
                Value::Null,
                &CallerInfo {
                    actor: Actor::operator(),
                    role: "system".into(),
                    today: kentro_domain::calendar::today_in_greece(),
                    request_id: "install".into(),
                },
                |plugin, store| plugin.call_describe(store),
            )
            .await
            .map_err(|e| PackageError::Component(format!("describe: {e}")))?;
        let parse = |text: &str, what: &str| {
            serde_json::from_str::<Value>(text)
                .map_err(|e| PackageError::Component(format!("{what} is not JSON: {e}")))
        };
        if descriptor.id != manifest.id || descriptor.version != manifest.version {
            return Err(PackageError::Component(format!(
                "it describes itself as {} {}, the manifest as {} {}",
                descriptor.id, descriptor.version, manifest.id, manifest.version
            )));
        }
        if let Some(bad) = descriptor
            .metrics
            .iter()
            .find(|m| !sandbox::is_metric_name(m))
        {
            return Err(PackageError::Component(format!(
                "the metric name {bad:?} is not of a-z, 0-9 and _ (at most 64 characters)"
            )));
        }
        if let Some(unknown) = descriptor
            .events
            .iter()
            .find(|e| !EVENTS.contains(&e.as_str()))
        {
            return Err(PackageError::Component(format!(
                "it wants the event {unknown:?}; the core emits {}",
                EVENTS.join(", ")
            )));
        }
        let mut operations = Vec::new();
        let mut inputs = HashMap::new();
        let mut outputs = HashMap::new();
        for op in descriptor.operations {
            let input_schema = parse(&op.input_schema, "an input schema")?;
            let output_schema = parse(&op.output_schema, "an output schema")?;
            inputs.insert(
                op.name.clone(),
                validator(&input_schema, "an input schema")?,
            );
            outputs.insert(
                op.name.clone(),
                validator(&output_schema, "an output schema")?,
            );
            operations.push(OperationInfo {
                name: op.name,
                label: op.label,
                input_schema,
                output_schema,
                writes: op.writes,
            });
        }
        let config_schema = parse(&descriptor.config_schema, "the config schema")?;
        let config = validator(&config_schema, "the config schema")?;
        Ok(Arc::new(Loaded {
            pre,
            manifest,
            info: PluginInfo {
                id: descriptor.id,
                version: descriptor.version,
                label: descriptor.label,
                operations,
                events: descriptor.events,
                config_schema,
                metrics: descriptor.metrics,
            },
            inputs,
            outputs,
            config,
        }))
    }

    /// An installed package, loaded once per process.
    pub(crate) async fn load(&self, id: &str, version: &str) -> Result<Arc<Loaded>, CallError> {
        let key = (id.to_owned(), version.to_owned());
        if let Some(loaded) = self
            .loaded
            .read()
            .expect("the plugin cache lock is never poisoned")
            .get(&key)
        {
            return Ok(loaded.clone());
        }
        let package = self
            .store
            .plugins()
            .package(id, version)
            .await?
            .ok_or_else(|| CallError::NotEnabled(format!("{id} {version}")))?;
        // Verified again against the keys trusted now, not only at install:
        // removing a publisher's key disables its packages.
        let stored = Package {
            manifest_text: package.manifest,
            signature: package.signature,
            wasm: package.wasm,
        };
        let manifest = stored
            .verify(&self.trusted)
            .map_err(|e| CallError::Failed(format!("{id} {version} cannot be loaded: {e}")))?;
        if manifest.sha256 != package.sha256 {
            return Err(CallError::Failed(format!(
                "the stored component of {id} {version} does not match its digest"
            )));
        }
        let package = stored;
        let loaded = self
            .prepare(manifest, &package.wasm)
            .await
            .map_err(|e| CallError::Failed(e.to_string()))?;
        self.remember(loaded.clone());
        Ok(loaded)
    }

    /// What an installed version offers.
    pub async fn info(&self, id: &str, version: &str) -> Result<PluginInfo, CallError> {
        Ok(self.load(id, version).await?.info.clone())
    }
}
