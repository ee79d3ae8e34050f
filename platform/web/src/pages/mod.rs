//! One module per screen: each handler runs its documents, then renders.

pub mod account;
pub mod admin;
pub mod admin_directory;
pub mod admin_plugins;
pub mod admin_service;
pub mod appointments;
pub mod audit;
pub mod casework;
pub mod center;
pub mod directory;
pub mod home;
pub mod invitation;
pub mod kea;
pub mod login;
pub mod municipalities;
pub mod municipality;
pub mod oversight;
pub mod partners;
pub mod password_reset;
pub mod people;
pub mod plugins;
pub mod printing;
pub mod referrals;

/// The organizations of a directory's services, each once, by name: (id,
/// name), a nameless one by its id.
pub(crate) fn organizations_of(
    services: impl IntoIterator<Item = (Option<String>, Option<String>)>,
) -> Vec<(String, String)> {
    let mut organizations: Vec<(String, String)> = Vec::new();
    for (id, name) in services {
        if let Some(id) = id
            && !organizations.iter().any(|(known, _)| *known == id)
        {
            organizations.push((id.clone(), name.unwrap_or(id)));
        }
    }
    organizations.sort_by(|a, b| a.1.cmp(&b.1));
    organizations
}
