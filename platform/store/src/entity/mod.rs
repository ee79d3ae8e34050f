//! sea-orm entities, one module per table. Private to the store: callers get
//! domain types from the repositories, never these rows.

pub mod appointment;
pub mod audit_entry;
pub mod audit_pending;
pub mod audit_subject;
pub mod case_event;
pub mod case_file;
pub mod case_note;
pub mod center;
pub mod consent;
pub mod directory_record;
pub mod household;
pub mod household_member;
pub mod indicator_cell;
pub mod invitation;
pub mod kea_application;
pub mod kea_document;
pub mod national_directory_record;
pub mod national_participants;
pub mod notification;
pub mod participant_key;
pub mod partner_key;
pub mod partner_link;
pub mod person;
pub mod platform_audit_entry;
pub mod plugin_activation;
pub mod plugin_metric;
pub mod plugin_package;
pub mod plugin_record;
pub mod referral;
pub mod referral_suggestion;
pub mod tenant;
pub mod tenant_indicator_state;
pub mod tenant_plugin;
pub mod tenant_suspension;
pub mod user_account;
