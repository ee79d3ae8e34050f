//! Secrets the server keeps in files (the participants' pseudonym key, the
//! demo's plugin key and password, keys made by `plugin keygen`): readable
//! by the server's own user only, from the moment they exist.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;

/// Writes a new secret file with mode 0600 (created so, never widened
/// afterwards), refusing to overwrite one that exists.
pub fn write_new(path: &Path, contents: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// A server secret: configured (`setting`, the environment variable that
/// sets it), or in development made once and kept in the data directory
/// as `file`. Production refuses to make one up: replicas must share it.
pub fn server_secret(
    settings: &crate::config::Settings,
    configured: &Option<String>,
    setting: &str,
    file: &str,
) -> anyhow::Result<String> {
    if let Some(secret) = configured {
        return Ok(secret.clone());
    }
    if settings.environment == crate::config::Environment::Production {
        anyhow::bail!(
            "production needs {setting} (at least 32 characters) shared by every replica; \
             a secret made up in one replica's data directory would not be"
        );
    }
    let path = settings.data_dir.join(file);
    if let Ok(secret) = std::fs::read_to_string(&path) {
        return Ok(secret.trim().to_owned());
    }
    std::fs::create_dir_all(&settings.data_dir)?;
    let secret = random_hex()?;
    write_new(&path, &secret)?;
    Ok(secret)
}

/// 256 random bits as hex.
pub fn random_hex() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn a_secret_file_is_readable_by_its_owner_only_and_never_overwritten() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("participant.key");
        write_new(&path, "secret").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(write_new(&path, "another").is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "secret");
    }
}
