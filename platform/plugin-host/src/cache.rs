//! Compiled components cached on disk: deserialized only when their MAC,
//! under a key outside the cache, checks out, and keyed by the engine's
//! configuration.

use super::*;

/// Compiled plugin artifacts on disk: a folder only the server's user may
/// enter (0700), each artifact beside the HMAC of its bytes under a key
/// kept elsewhere (derived from the server's secret), checked before the
/// bytes are deserialized.
pub struct ArtifactCache {
    pub dir: PathBuf,
    key: [u8; 32],
}

impl ArtifactCache {
    pub fn new(dir: PathBuf, secret: &[u8]) -> ArtifactCache {
        use hmac::Mac;
        let mut mac =
            hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes any key");
        mac.update(b"kentro plugin artifacts");
        ArtifactCache {
            dir,
            key: mac.finalize().into_bytes().into(),
        }
    }

    /// Over the artifact's place (engine fingerprint and component digest)
    /// and its bytes, so that no artifact stands in for another either.
    pub(crate) fn mac(&self, path: &std::path::Path, bytes: &[u8]) -> hmac::Hmac<sha2::Sha256> {
        use hmac::Mac;
        let mut mac =
            hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        let place = path.strip_prefix(&self.dir).unwrap_or(path);
        mac.update(place.to_string_lossy().as_bytes());
        mac.update(&[0]);
        mac.update(bytes);
        mac
    }

    /// The artifact's bytes, if present and authentic.
    pub(crate) fn read(&self, path: &std::path::Path) -> Option<Vec<u8>> {
        use hmac::Mac;
        let bytes = std::fs::read(path).ok()?;
        let tag = std::fs::read(path.with_extension("mac")).ok()?;
        match self.mac(path, &bytes).verify_slice(&tag) {
            Ok(()) => Some(bytes),
            Err(_) => {
                tracing::warn!(path = %path.display(), "a cached plugin artifact failed its MAC; recompiling");
                None
            }
        }
    }

    pub(crate) fn write(&self, path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
        use hmac::Mac;
        if let Some(parent) = path.parent() {
            create_private_dir(&self.dir)?;
            create_private_dir(parent)?;
        }
        let tag = self.mac(path, bytes).finalize().into_bytes();
        let partial = path.with_extension("partial");
        std::fs::write(&partial, bytes)?;
        std::fs::write(path.with_extension("mac"), tag)?;
        std::fs::rename(&partial, path)
    }
}

/// A folder (and its missing parents) that only the server's user may enter.
pub(crate) fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    builder.create(dir)
}

/// A name for the engine's configuration that stays the same across Rust
/// releases (std's `DefaultHasher` does not): SHA-256 over what wasmtime
/// hashes to tell whether an artifact fits this engine.
pub(crate) fn engine_fingerprint(engine: &Engine) -> String {
    use sha2::Digest;
    use std::hash::Hash;
    struct Sha(sha2::Sha256);
    impl std::hash::Hasher for Sha {
        fn finish(&self) -> u64 {
            0
        }
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
    }
    let mut hasher = Sha(sha2::Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hex::encode(&hasher.0.finalize()[..12])
}
