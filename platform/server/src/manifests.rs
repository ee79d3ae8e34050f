//! Reading tenant manifests from disk: `tenants/<slug>/tenant.toml`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kentro_domain::TenantManifest;

pub const MANIFEST_FILE: &str = "tenant.toml";

/// Every problem found, one line each: `FILE: KEY: PROBLEM`.
#[derive(Debug)]
pub struct ManifestProblems(pub Vec<String>);

/// Reads the manifests under `path`: a `tenant.toml` file, a folder holding
/// one, or a folder of tenant folders. Nothing is returned unless every
/// manifest found is valid.
pub fn load(path: &Path) -> Result<Vec<TenantManifest>, ManifestProblems> {
    let files = find_files(path).map_err(|p| ManifestProblems(vec![p]))?;
    let mut problems = Vec::new();
    let mut manifests = Vec::new();
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    for file in files {
        let shown = file.display();
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) => {
                problems.push(format!("{shown}: cannot be read: {e}"));
                continue;
            }
        };
        let manifest = match TenantManifest::from_toml(&text) {
            Ok(manifest) => manifest,
            Err(errors) => {
                problems.extend(errors.0.iter().map(|e| format!("{shown}: {e}")));
                continue;
            }
        };
        let folder = file
            .parent()
            .and_then(Path::file_name)
            .and_then(|n| n.to_str());
        if let Some(folder) = folder
            && folder != manifest.slug.as_str()
        {
            problems.push(format!(
                "{shown}: slug: {:?} does not match its folder name {folder:?}",
                manifest.slug.as_str()
            ));
            continue;
        }
        if let Some(other) = seen.insert(manifest.slug.to_string(), file.clone()) {
            problems.push(format!(
                "{shown}: slug: {:?} is also used by {}",
                manifest.slug.as_str(),
                other.display()
            ));
            continue;
        }
        manifests.push(manifest);
    }
    if problems.is_empty() {
        Ok(manifests)
    } else {
        Err(ManifestProblems(problems))
    }
}

fn find_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    if !path.is_dir() {
        return Err(format!("{}: no such file or folder", path.display()));
    }
    let own = path.join(MANIFEST_FILE);
    if own.is_file() {
        return Ok(vec![own]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path().join(MANIFEST_FILE))
        .filter(|file| file.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!(
            "{}: no {MANIFEST_FILE} here nor in its sub-folders",
            path.display()
        ));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"
slug = "veria"
name_el = "Δήμος Βέροιας"
name_latin = "Municipality of Veria"
region = "central_macedonia"
[funding]
programme = "Κεντρική Μακεδονία 2014-2020"
[[centers]]
key = "main"
kind = "main"
name = "Κέντρο Κοινότητας Δήμου Βέροιας"
opening_hours = { monday = "08:00-16:00" }
"#;

    fn write(dir: &Path, folder: &str, text: &str) {
        std::fs::create_dir_all(dir.join(folder)).unwrap();
        std::fs::write(dir.join(folder).join(MANIFEST_FILE), text).unwrap();
    }

    #[test]
    fn a_slug_that_differs_from_its_folder_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "verria", MANIFEST);
        let problems = load(dir.path()).unwrap_err().0;
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].contains("verria/tenant.toml: slug:"),
            "{problems:?}"
        );
    }

    #[test]
    fn one_bad_manifest_means_none_is_returned() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "veria", MANIFEST);
        write(
            dir.path(),
            "paiania",
            &MANIFEST
                .replace("veria", "paiania")
                .replace("central_macedonia", "atica"),
        );
        let problems = load(dir.path()).unwrap_err().0;
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("paiania/tenant.toml: region:"),
            "{problems:?}"
        );
    }

    #[test]
    fn an_empty_folder_is_an_error_not_an_empty_success() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).is_err());
    }
}
