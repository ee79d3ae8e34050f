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
