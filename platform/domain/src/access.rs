//! Who may do what: roles, the permission matrix (as data), and the password
//! policy. The API enforces these; ARCHITECTURE.md shows the same matrix, and
//! a test keeps the two equal.

use std::fmt;

use crate::contact::Email;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Onboards tenants and installs plugins; never sees people's records.
    PlatformAdmin,
    /// Sees aggregates across tenants; never a person.
    MinistryOverseer,
    /// Sees the aggregates of one region and its municipalities; never a
    /// person, nor another region's figures.
    RegionalOverseer,
    /// The center's coordinator: users, settings and plugins of the tenant, all records.
    TenantAdmin,
    SocialWorker,
    /// Also sees psychological notes.
    Psychologist,
    /// Registers people and books appointments; no special categories, notes or assessments.
    Reception,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::PlatformAdmin,
        Role::MinistryOverseer,
        Role::RegionalOverseer,
        Role::TenantAdmin,
        Role::SocialWorker,
        Role::Psychologist,
        Role::Reception,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "platform_admin",
            Role::MinistryOverseer => "ministry_overseer",
            Role::RegionalOverseer => "regional_overseer",
            Role::TenantAdmin => "tenant_admin",
            Role::SocialWorker => "social_worker",
            Role::Psychologist => "psychologist",
            Role::Reception => "reception",
        }
    }

    pub fn parse(code: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.code() == code)
            .ok_or_else(|| {
                let allowed: Vec<_> = Role::ALL.iter().map(|r| r.code()).collect();
                format!(
                    "{code:?} is not a role; expected one of: {}",
                    allowed.join(", ")
                )
            })
    }

    /// Platform roles work across tenants and belong to none; every other
    /// role belongs to exactly one tenant.
    pub fn is_platform_role(self) -> bool {
        matches!(
            self,
            Role::PlatformAdmin | Role::MinistryOverseer | Role::RegionalOverseer
        )
    }

    /// Whether the role is bound to one region (and needs one named).
    pub fn is_regional(self) -> bool {
        self == Role::RegionalOverseer
    }

    pub fn can(self, permission: Permission) -> bool {
        permission.roles().contains(&self)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// List and inspect every tenant; onboard tenants.
    ViewTenants,
    ManageTenants,
    InstallPlugins,
    /// Cross-tenant aggregates (never row-level data).
    ViewCrossTenantAggregates,
    ManageTenantUsers,
    ManageTenantSettings,
    ViewAuditLog,
    RegisterPeople,
    BookAppointments,
    ViewPersonRecords,
    /// Disability/health, minority incl. Roma, foreign background, homelessness.
    ViewSpecialCategories,
    ViewNotesAndAssessments,
    ViewPsychologicalNotes,
    ManageCases,
    MakeReferrals,
}

use Role::*;

/// The permission matrix: each permission and the roles that hold it.
/// Psychological notes are also readable by their author (a rule of the case module).
pub const PERMISSION_MATRIX: [(Permission, &[Role]); 15] = [
    (Permission::ViewTenants, &[PlatformAdmin, MinistryOverseer]),
    (Permission::ManageTenants, &[PlatformAdmin]),
    (Permission::InstallPlugins, &[PlatformAdmin]),
    (
        Permission::ViewCrossTenantAggregates,
        &[MinistryOverseer, RegionalOverseer],
    ),
    (Permission::ManageTenantUsers, &[TenantAdmin]),
    (Permission::ManageTenantSettings, &[TenantAdmin]),
    (Permission::ViewAuditLog, &[TenantAdmin]),
    (
        Permission::RegisterPeople,
        &[TenantAdmin, SocialWorker, Psychologist, Reception],
    ),
    (
        Permission::BookAppointments,
        &[TenantAdmin, SocialWorker, Psychologist, Reception],
    ),
    (
        Permission::ViewPersonRecords,
        &[TenantAdmin, SocialWorker, Psychologist, Reception],
    ),
    (
        Permission::ViewSpecialCategories,
        &[TenantAdmin, SocialWorker, Psychologist],
    ),
    (
        Permission::ViewNotesAndAssessments,
        &[TenantAdmin, SocialWorker, Psychologist],
    ),
    (Permission::ViewPsychologicalNotes, &[Psychologist]),
    (
        Permission::ManageCases,
        &[TenantAdmin, SocialWorker, Psychologist],
    ),
    (
        Permission::MakeReferrals,
        &[TenantAdmin, SocialWorker, Psychologist],
    ),
];

impl Permission {
    pub fn roles(self) -> &'static [Role] {
        PERMISSION_MATRIX
            .iter()
            .find(|(p, _)| *p == self)
            .map(|(_, roles)| *roles)
            .expect("every permission has a row in the matrix")
    }

    pub fn code(self) -> &'static str {
        match self {
            Permission::ViewTenants => "view_tenants",
            Permission::ManageTenants => "manage_tenants",
            Permission::InstallPlugins => "install_plugins",
            Permission::ViewCrossTenantAggregates => "view_cross_tenant_aggregates",
            Permission::ManageTenantUsers => "manage_tenant_users",
            Permission::ManageTenantSettings => "manage_tenant_settings",
            Permission::ViewAuditLog => "view_audit_log",
            Permission::RegisterPeople => "register_people",
            Permission::BookAppointments => "book_appointments",
            Permission::ViewPersonRecords => "view_person_records",
            Permission::ViewSpecialCategories => "view_special_categories",
            Permission::ViewNotesAndAssessments => "view_notes_and_assessments",
            Permission::ViewPsychologicalNotes => "view_psychological_notes",
            Permission::ManageCases => "manage_cases",
            Permission::MakeReferrals => "make_referrals",
        }
    }
}

/// The matrix as a Markdown table, as ARCHITECTURE.md shows it.
pub fn permission_matrix_markdown() -> String {
    let mut out = String::from("| permission |");
    for role in Role::ALL {
        out.push_str(&format!(" {} |", role.code()));
    }
    out.push_str("\n|---|");
    for _ in Role::ALL {
        out.push_str("---|");
    }
    for (permission, _) in PERMISSION_MATRIX {
        out.push_str(&format!("\n| {} |", permission.code()));
        for role in Role::ALL {
            out.push_str(if role.can(permission) {
                " ✓ |"
            } else {
                "  |"
            });
        }
    }
    out.push('\n');
    out
}

/// A password that meets the policy: 12 to 1024 characters, and not the
/// account's e-mail address or its local part. The upper bound keeps hashing
/// cheap for an attacker's oversized input.
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 1024;

    pub fn parse(raw: &str, email: &Email) -> Result<NewPassword, String> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(format!(
                "must be at least {} characters long (it has {chars})",
                Self::MIN_CHARS
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(format!(
                "must be at most {} characters long",
                Self::MAX_CHARS
            ));
        }
        let lowered = raw.trim().to_lowercase();
        let local = email.as_str().split('@').next().unwrap_or_default();
        if lowered == email.as_str() || lowered == local {
            return Err("must not be the account's e-mail address".into());
        }
        Ok(NewPassword(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

bounded_text!(
    /// The name an account or an invitation shows.
    DisplayName,
    200,
    "give the name"
);

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email::parse("coordinator@veria.gr").unwrap()
    }

    #[test]
    fn every_permission_has_exactly_one_row() {
        for (permission, _) in PERMISSION_MATRIX {
            let rows = PERMISSION_MATRIX
                .iter()
                .filter(|(p, _)| *p == permission)
                .count();
            assert_eq!(rows, 1, "{permission:?}");
        }
    }

    #[test]
    fn platform_roles_never_see_people() {
        for role in [PlatformAdmin, MinistryOverseer, RegionalOverseer] {
            for permission in [
                Permission::ViewPersonRecords,
                Permission::ViewSpecialCategories,
                Permission::ViewNotesAndAssessments,
                Permission::ViewPsychologicalNotes,
                Permission::RegisterPeople,
            ] {
                assert!(!role.can(permission), "{role} must not {permission:?}");
            }
        }
    }

    #[test]
    fn reception_cannot_see_special_categories_or_notes() {
        assert!(Reception.can(Permission::RegisterPeople));
        assert!(!Reception.can(Permission::ViewSpecialCategories));
        assert!(!Reception.can(Permission::ViewNotesAndAssessments));
        assert!(!Reception.can(Permission::ViewPsychologicalNotes));
    }

    #[test]
    fn only_psychologists_hold_psychological_notes_by_role() {
        let holders: Vec<_> = Role::ALL
            .into_iter()
            .filter(|r| r.can(Permission::ViewPsychologicalNotes))
            .collect();
        assert_eq!(holders, [Psychologist]);
    }

    #[test]
    fn architecture_md_shows_the_matrix_as_the_code_has_it() {
        let architecture = include_str!("../../../ARCHITECTURE.md");
        let table = permission_matrix_markdown();
        assert!(
            architecture.contains(&table),
            "ARCHITECTURE.md's permission table is stale; it should read:\n{table}"
        );
    }

    #[test]
    fn a_short_password_is_refused_with_its_length() {
        let err = NewPassword::parse("short", &email()).unwrap_err();
        assert!(err.contains("at least 12"), "{err}");
    }

    #[test]
    fn the_email_is_not_a_password() {
        assert!(NewPassword::parse("Coordinator@Veria.gr", &email()).is_err());
        assert!(NewPassword::parse("coordinator@veria.gr", &email()).is_err());
        assert!(NewPassword::parse("correct horse battery", &email()).is_ok());
    }

    #[test]
    fn role_codes_round_trip_and_unknown_ones_list_the_allowed() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()), Ok(role));
        }
        let err = Role::parse("admin").unwrap_err();
        assert!(err.contains("tenant_admin"), "{err}");
    }
}
