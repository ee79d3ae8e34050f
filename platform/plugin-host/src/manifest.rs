//! A plugin package's manifest (`plugin.toml`) and its verification: the
//! component's SHA-256 must match, and an ed25519 signature over the
//! manifest's exact bytes must come from a trusted key.

use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The interface major version this host binds.
pub const INTERFACE: &str = "kentro:plugin@1";

/// What a plugin may ask the host for: one WIT interface each, linked to
/// its implementation only for a plugin whose manifest declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capability {
    Storage,
    People,
    ReferralSuggestions,
    Metrics,
}

impl Capability {
    pub const ALL: [Capability; 4] = [
        Capability::Storage,
        Capability::People,
        Capability::ReferralSuggestions,
        Capability::Metrics,
    ];

    /// The name in the manifest, which is also the WIT interface's.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Storage => "storage",
            Capability::People => "people",
            Capability::ReferralSuggestions => "referral-suggestions",
            Capability::Metrics => "metrics",
        }
    }

    fn named(name: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// Person fields a plugin may declare. Identifiers (ΑΜΚΑ, ΑΦΜ, documents)
/// never reach a plugin; special categories only for roles that may see them.
pub const PERSON_FIELDS: [&str; 15] = [
    "given_name_el",
    "family_name_el",
    "given_name_latin",
    "family_name_latin",
    "gender",
    "birth_date",
    "area",
    "rural",
    "preferred_language",
    "employment_status",
    "education_level",
    "disability",
    "minority",
    "foreign_background",
    "homeless",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    id: String,
    version: String,
    /// e.g. `kentro:plugin@1.0.0`.
    interface: String,
    /// The component's file in the package.
    component: String,
    sha256: String,
    #[serde(default)]
    capabilities: Vec<String>,
    #[serde(default)]
    people_fields: Vec<String>,
    memory_mib: Option<u64>,
    deadline_ms: Option<u64>,
    fuel: Option<u64>,
}

/// A checked manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginManifest {
    pub id: String,
    pub version: String,
    pub component: String,
    pub sha256: String,
    pub capabilities: BTreeSet<Capability>,
    pub people_fields: Vec<String>,
    pub memory_mib: Option<u64>,
    pub deadline_ms: Option<u64>,
    pub fuel: Option<u64>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PackageError {
    #[error("plugin.toml: {0}")]
    Manifest(String),
    #[error("the component's SHA-256 is {actual}, but the manifest says {declared}")]
    Digest { declared: String, actual: String },
    #[error("the signature is not from a key trusted to publish this plugin")]
    Untrusted,
    #[error("plugin.sig: {0}")]
    Signature(String),
    #[error("the component: {0}")]
    Component(String),
}

fn is_semver(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn is_plugin_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
}

impl PluginManifest {
    pub fn parse(text: &str) -> Result<PluginManifest, PackageError> {
        let raw: RawManifest =
            toml::from_str(text).map_err(|e| PackageError::Manifest(e.message().to_owned()))?;
        let mut problems = Vec::new();
        if !is_plugin_id(&raw.id) {
            problems.push(format!("id {:?}: lower-case letters, digits and -", raw.id));
        }
        if !is_semver(&raw.version) {
            problems.push(format!("version {:?}: MAJOR.MINOR.PATCH", raw.version));
        }
        if !raw.interface.starts_with(&format!("{INTERFACE}.")) {
            problems.push(format!(
                "interface {:?}: this host binds {INTERFACE}.x",
                raw.interface
            ));
        }
        if raw.sha256.len() != 64 || !raw.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            problems.push("sha256: 64 hex digits".into());
        }
        let mut capabilities = BTreeSet::new();
        for c in &raw.capabilities {
            match Capability::named(c) {
                Some(capability) => {
                    capabilities.insert(capability);
                }
                None => problems.push(format!(
                    "capabilities: {c:?} is not one of {}",
                    Capability::ALL.map(Capability::name).join(", ")
                )),
            }
        }
        for f in &raw.people_fields {
            if !PERSON_FIELDS.contains(&f.as_str()) {
                problems.push(format!(
                    "people_fields: {f:?} is not a field plugins may read"
                ));
            }
        }
        if !raw.people_fields.is_empty() && !capabilities.contains(&Capability::People) {
            problems.push("people_fields: needs the people capability".into());
        }
        if raw.memory_mib.is_some_and(|m| m == 0) || raw.deadline_ms.is_some_and(|d| d == 0) {
            problems.push("memory_mib and deadline_ms must be positive".into());
        }
        if !problems.is_empty() {
            return Err(PackageError::Manifest(problems.join("; ")));
        }
        Ok(PluginManifest {
            id: raw.id,
            version: raw.version,
            component: raw.component,
            sha256: raw.sha256.to_ascii_lowercase(),
            capabilities,
            people_fields: raw.people_fields,
            memory_mib: raw.memory_mib,
            deadline_ms: raw.deadline_ms,
            fuel: raw.fuel,
        })
    }

    pub fn grants(&self, capability: Capability) -> bool {
        self.capabilities.contains(&capability)
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Trusted publisher keys: base64 ed25519 public keys.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys(Vec<TrustedKey>);

/// A publisher's key and the plugin ids it may publish: one publisher
/// cannot ship another's `tutoring 9.9.9` and inherit its stored records.
#[derive(Debug, Clone)]
struct TrustedKey {
    key: VerifyingKey,
    /// `None` only for the demo's own key (development).
    ids: Option<Vec<String>>,
}

impl TrustedKeys {
    /// Each entry is `<base64 ed25519 public key>:<id>[|<id>…]`.
    pub fn parse(keys: &[String]) -> Result<TrustedKeys, String> {
        keys.iter()
            .map(|entry| {
                let (k, ids) = entry.trim().split_once(':').ok_or_else(|| {
                    format!("{entry:?}: name the plugin ids the key may publish, as KEY:id|id")
                })?;
                let ids: Vec<String> = ids.split('|').map(|id| id.trim().to_owned()).collect();
                if let Some(bad) = ids.iter().find(|id| !is_plugin_id(id)) {
                    return Err(format!("{entry:?}: {bad:?} is not a plugin id"));
                }
                let bytes = BASE64
                    .decode(k.trim())
                    .map_err(|e| format!("{k:?}: not base64 ({e})"))?;
                let bytes: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| format!("{k:?}: an ed25519 public key is 32 bytes"))?;
                let key = VerifyingKey::from_bytes(&bytes).map_err(|e| format!("{k:?}: {e}"))?;
                Ok(TrustedKey {
                    key,
                    ids: Some(ids),
                })
            })
            .collect::<Result<_, _>>()
            .map(TrustedKeys)
    }

    /// Trusts `key` for every plugin id (the demo's own key).
    pub fn with(mut self, key: VerifyingKey) -> TrustedKeys {
        self.0.push(TrustedKey { key, ids: None });
        self
    }

    /// Trusts `key` for the plugin ids named.
    pub fn with_ids(mut self, key: VerifyingKey, ids: &[&str]) -> TrustedKeys {
        self.0.push(TrustedKey {
            key,
            ids: Some(ids.iter().map(|id| (*id).to_owned()).collect()),
        });
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A package as read from its folder, before checks.
#[derive(Debug, Clone)]
pub struct Package {
    pub manifest_text: String,
    /// base64 ed25519 signature over `manifest_text`'s bytes.
    pub signature: String,
    pub wasm: Vec<u8>,
}

impl Package {
    /// Checks the manifest, the component's digest and the signature.
    pub fn verify(&self, trusted: &TrustedKeys) -> Result<PluginManifest, PackageError> {
        let manifest = PluginManifest::parse(&self.manifest_text)?;
        let actual = sha256_hex(&self.wasm);
        if actual != manifest.sha256 {
            return Err(PackageError::Digest {
                declared: manifest.sha256,
                actual,
            });
        }
        let signature = BASE64
            .decode(self.signature.trim())
            .map_err(|e| PackageError::Signature(format!("not base64: {e}")))?;
        let signature = Signature::from_slice(&signature)
            .map_err(|e| PackageError::Signature(e.to_string()))?;
        if trusted.0.iter().any(|trusted| {
            trusted
                .ids
                .as_ref()
                .is_none_or(|ids| ids.contains(&manifest.id))
                && trusted
                    .key
                    .verify(self.manifest_text.as_bytes(), &signature)
                    .is_ok()
        }) {
            Ok(manifest)
        } else {
            Err(PackageError::Untrusted)
        }
    }
}

/// A publisher's key pair, as `kentro plugin keygen` writes it.
pub fn generate_key() -> SigningKey {
    let mut seed = [0u8; 32];
    getrandom_fill(&mut seed);
    SigningKey::from_bytes(&seed)
}

fn getrandom_fill(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the operating system provides randomness");
}

pub fn key_to_text(key: &SigningKey) -> String {
    BASE64.encode(key.to_bytes())
}

pub fn key_from_text(text: &str) -> Result<SigningKey, String> {
    let bytes = BASE64
        .decode(text.trim())
        .map_err(|e| format!("not base64: {e}"))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| "an ed25519 secret key is 32 bytes".to_owned())?;
    Ok(SigningKey::from_bytes(&bytes))
}

pub fn public_key_text(key: &SigningKey) -> String {
    BASE64.encode(key.verifying_key().to_bytes())
}

/// Signs a manifest's bytes.
pub fn sign(key: &SigningKey, manifest_text: &str) -> String {
    BASE64.encode(key.sign(manifest_text.as_bytes()).to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(sha: &str) -> String {
        format!(
            "id = \"tutoring\"\nversion = \"1.0.0\"\ninterface = \"kentro:plugin@1.0.0\"\n\
             component = \"tutoring.wasm\"\nsha256 = \"{sha}\"\ncapabilities = [\"storage\"]\n"
        )
    }

    #[test]
    fn a_key_publishes_only_the_plugin_ids_it_is_trusted_for() {
        let key = generate_key();
        let wasm = b"component bytes".to_vec();
        let text = manifest(&sha256_hex(&wasm));
        let package = Package {
            signature: sign(&key, &text),
            manifest_text: text,
            wasm,
        };
        let elsewhere = TrustedKeys::default().with_ids(key.verifying_key(), &["job-market"]);
        assert!(matches!(
            package.verify(&elsewhere),
            Err(PackageError::Untrusted)
        ));
        let here =
            TrustedKeys::default().with_ids(key.verifying_key(), &["job-market", "tutoring"]);
        assert_eq!(package.verify(&here).unwrap().id, "tutoring");

        let public = BASE64.encode(key.verifying_key().to_bytes());
        assert!(
            TrustedKeys::parse(std::slice::from_ref(&public)).is_err(),
            "ids are required"
        );
        let parsed =
            TrustedKeys::parse(&[format!("{public}:tutoring|creative-activities")]).unwrap();
        assert_eq!(package.verify(&parsed).unwrap().id, "tutoring");
        assert!(TrustedKeys::parse(&[format!("{public}:Not An Id")]).is_err());
    }

    #[test]
    fn a_signed_package_with_the_right_digest_verifies() {
        let key = generate_key();
        let wasm = b"component bytes".to_vec();
        let text = manifest(&sha256_hex(&wasm));
        let package = Package {
            signature: sign(&key, &text),
            manifest_text: text,
            wasm,
        };
        let trusted = TrustedKeys::default().with(key.verifying_key());
        assert_eq!(package.verify(&trusted).unwrap().id, "tutoring");
    }

    #[test]
    fn a_tampered_component_a_forged_manifest_and_a_stranger_s_key_are_refused() {
        let key = generate_key();
        let trusted = TrustedKeys::default().with(key.verifying_key());
        let wasm = b"component bytes".to_vec();
        let text = manifest(&sha256_hex(&wasm));
        let signature = sign(&key, &text);

        let tampered = Package {
            manifest_text: text.clone(),
            signature: signature.clone(),
            wasm: b"component bytez".to_vec(),
        };
        assert!(matches!(
            tampered.verify(&trusted),
            Err(PackageError::Digest { .. })
        ));

        let forged_text = text.replace("[\"storage\"]", "[\"storage\", \"people\"]");
        let forged = Package {
            manifest_text: forged_text,
            signature: signature.clone(),
            wasm: wasm.clone(),
        };
        assert_eq!(
            forged.verify(&trusted).unwrap_err(),
            PackageError::Untrusted
        );

        let stranger = generate_key();
        let foreign = Package {
            signature: sign(&stranger, &text),
            manifest_text: text,
            wasm,
        };
        assert_eq!(
            foreign.verify(&trusted).unwrap_err(),
            PackageError::Untrusted
        );
    }

    #[test]
    fn a_manifest_names_every_problem() {
        let err = PluginManifest::parse(
            "id = \"Bad Id\"\nversion = \"1\"\ninterface = \"kentro:plugin@2.0.0\"\ncomponent = \"x\"\n\
             sha256 = \"abc\"\ncapabilities = [\"network\"]\npeople_fields = [\"amka\"]\n",
        )
        .unwrap_err()
        .to_string();
        for expected in ["id", "version", "interface", "sha256", "network", "amka"] {
            assert!(err.contains(expected), "{expected} missing from {err}");
        }
    }
}
