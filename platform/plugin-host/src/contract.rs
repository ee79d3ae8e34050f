//! The plugin contract's published versions are frozen: a plugin built
//! against `kentro:plugin@1.0.0` must keep working on every later host of
//! major version 1, so no file of a published `plugins/wit/since_v*` folder
//! may change. A new minor version is a new folder, whose digests are added
//! here when it is published.

#[cfg(test)]
mod tests {
    /// Each published file and the SHA-256 it was published with.
    const FROZEN: &[(&str, &str)] = &[(
        "since_v1.0.0/kentro-plugin.wit",
        "19e9a16481d003ed9221a6c4c218547d3f7e7cfd3f537d44f5e75902d1a4cd81",
    )];

    /// Read when the test runs (cargo and nextest set it): a build cache
    /// shared by two checkouts reuses a test binary compiled in the other.
    fn wit_dir() -> std::path::PathBuf {
        let package: std::path::PathBuf = std::env::var_os("CARGO_MANIFEST_DIR")
            .map_or_else(|| env!("CARGO_MANIFEST_DIR").into(), Into::into);
        package.join("../../plugins/wit")
    }

    #[test]
    fn published_contract_files_never_change() {
        for (file, published) in FROZEN {
            let bytes = std::fs::read(wit_dir().join(file))
                .unwrap_or_else(|e| panic!("the published {file} is gone: {e}"));
            assert_eq!(
                crate::manifest::sha256_hex(&bytes),
                *published,
                "{file} was published and is frozen: add what is new in a new since_v folder"
            );
        }
    }

    #[test]
    fn every_contract_folder_is_frozen_when_published() {
        let mut found = Vec::new();
        for folder in std::fs::read_dir(wit_dir()).expect("plugins/wit") {
            let folder = folder.expect("a folder entry").path();
            let name = folder.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                name.starts_with("since_v"),
                "plugins/wit holds only versions (since_vX.Y.Z), not {name}"
            );
            for file in std::fs::read_dir(&folder).expect("a version folder") {
                let file = file.expect("a file entry").file_name();
                found.push(format!("{name}/{}", file.to_string_lossy()));
            }
        }
        found.sort();
        let mut frozen: Vec<String> = FROZEN.iter().map(|(f, _)| (*f).to_owned()).collect();
        frozen.sort();
        assert_eq!(found, frozen, "each published file has its digest here");
    }
}
