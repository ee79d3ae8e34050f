//! A tenant is one municipality (Δήμος) running one Community Center, possibly
//! with annexes or a mobile unit. Its manifest (`tenants/<slug>/tenant.toml`)
//! is parsed here into a [`TenantManifest`], which is valid by construction.
//!
//! The manifest has two forms: [`RawManifest`], the serde shape written by
//! people (TOML) and stored by the platform (canonical JSON), and
//! [`TenantManifest`], the validated one. Both directions go through the same
//! validation, so a stored manifest is re-checked when read back.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::contact::{Email, GreekPhoneNumber, PostalCode};
use crate::hours::{Closure, Weekday, WeeklyHours, public_holiday};
use crate::region::Region;

/// One problem found in a manifest: where (a key path such as
/// `centers[0].phones[1].number`, and the line when known) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    pub key: String,
    pub line: Option<usize>,
    pub problem: String,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}: {}", self.key, self.problem),
            None => write!(f, "{}: {}", self.key, self.problem),
        }
    }
}

/// Every problem found in one manifest; never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestErrors(pub Vec<ManifestError>);

impl fmt::Display for ManifestErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ManifestErrors {}

/// A lowercase identifier: letters, digits and single hyphens, starting with a
/// letter. Used for tenant slugs, center keys and plugin ids.
fn check_identifier(raw: &str, what: &str, max_len: usize) -> Result<String, String> {
    let starts_with_letter = raw.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    let allowed_chars = raw
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let well_formed = starts_with_letter
        && allowed_chars
        && !raw.ends_with('-')
        && !raw.contains("--")
        && (2..=max_len).contains(&raw.len());
    if well_formed {
        Ok(raw.to_owned())
    } else {
        Err(format!(
            "{raw:?} is not a valid {what} (2-{max_len} characters: lowercase latin letters, \
             digits and single hyphens, starting with a letter)"
        ))
    }
}

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, String> {
                check_identifier(raw, $what, $max).map($name)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

identifier!(
    /// The municipality's short name in URLs, folders and the CLI (`nikaia-rentis`).
    TenantSlug, "tenant slug", 40
);
identifier!(
    /// A center's key, unique within its tenant (`main`, `roma-annex`).
    CenterKey, "center key", 40
);
identifier!(
    /// A plugin's id (`tutoring`).
    PluginId, "plugin id", 60
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CenterKind {
    /// The Community Center itself; every tenant has exactly one.
    Main,
    /// Παράρτημα Ρομά.
    RomaAnnex,
    /// Παράρτημα ένταξης μεταναστών.
    MigrantIntegrationAnnex,
    /// A mobile unit (κινητή μονάδα) serving neighbouring areas.
    MobileUnit,
}

impl CenterKind {
    pub const ALL: [CenterKind; 4] = [
        CenterKind::Main,
        CenterKind::RomaAnnex,
        CenterKind::MigrantIntegrationAnnex,
        CenterKind::MobileUnit,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CenterKind::Main => "main",
            CenterKind::RomaAnnex => "roma_annex",
            CenterKind::MigrantIntegrationAnnex => "migrant_integration_annex",
            CenterKind::MobileUnit => "mobile_unit",
        }
    }

    pub fn from_code(code: &str) -> Option<CenterKind> {
        CenterKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StaffRole {
    SocialWorker,
    Psychologist,
    Administrative,
    Sociologist,
    Other,
}

impl StaffRole {
    pub const ALL: [StaffRole; 5] = [
        StaffRole::SocialWorker,
        StaffRole::Psychologist,
        StaffRole::Administrative,
        StaffRole::Sociologist,
        StaffRole::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            StaffRole::SocialWorker => "social_worker",
            StaffRole::Psychologist => "psychologist",
            StaffRole::Administrative => "administrative",
            StaffRole::Sociologist => "sociologist",
            StaffRole::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<StaffRole> {
        StaffRole::ALL.into_iter().find(|r| r.code() == code)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffPosition {
    pub role: StaffRole,
    pub count: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub street: Option<String>,
    pub building: Option<String>,
    pub postal_code: Option<PostalCode>,
    pub locality: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    pub number: GreekPhoneNumber,
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Accessibility {
    /// `None` when the center has not said; never guessed.
    pub wheelchair_accessible: Option<bool>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Center {
    pub key: CenterKey,
    pub kind: CenterKind,
    pub name: String,
    pub address: Option<Address>,
    pub serves_areas: Vec<String>,
    pub phones: Vec<Phone>,
    pub emails: Vec<Email>,
    pub accessibility: Accessibility,
    pub opening_hours: WeeklyHours,
    /// Days it is closed although its hours say open.
    pub closures: Vec<Closure>,
    /// Closed on Greece's public holidays (`hours::public_holidays`).
    pub closed_on_public_holidays: bool,
    pub staff: Vec<StaffPosition>,
    pub notes: Option<String>,
}

impl Center {
    /// Why the center is closed on `day` whatever its weekly hours say:
    /// one of its closures, or a public holiday when it closes on them.
    pub fn closed_because(&self, day: chrono::NaiveDate) -> Option<String> {
        if let Some(closure) = self.closures.iter().find(|c| c.covers(day)) {
            return Some(closure.reason.clone());
        }
        self.closed_on_public_holidays
            .then(|| public_holiday(day))
            .flatten()
            .map(str::to_owned)
    }

    /// The days from `from` to `to` (both included) that the weekly hours
    /// keep open but the center is closed on, each with why: what a
    /// calendar marks. A closed weekday (a Sunday) is not listed.
    pub fn closed_days(
        &self,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Vec<(chrono::NaiveDate, String)> {
        from.iter_days()
            .take_while(|day| *day <= to)
            .filter(|day| {
                !self
                    .opening_hours
                    .day(crate::hours::Weekday::of(*day))
                    .is_empty()
            })
            .filter_map(|day| self.closed_because(day).map(|why| (day, why)))
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Funding {
    /// The operational programme, e.g. «Αττική 2014-2020».
    pub programme: String,
    /// The operation's code in the ΟΠΣ/MIS, when known.
    pub mis_code: Option<String>,
    pub priority_axis: Option<u8>,
    /// The inclusion decision (απόφαση ένταξης), as cited by the municipality.
    pub inclusion_decision: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PluginActivation {
    pub id: PluginId,
    /// The plugin's settings for this tenant; validated against the plugin's
    /// own schema when the plugin runtime enables it.
    pub config: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TenantManifest {
    pub slug: TenantSlug,
    pub name_el: String,
    pub name_latin: String,
    pub region: Region,
    pub funding: Funding,
    pub centers: Vec<Center>,
    pub plugins: Vec<PluginActivation>,
}

// ---------------------------------------------------------------------------
// The raw (serde) form.

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawManifest {
    pub slug: String,
    pub name_el: String,
    pub name_latin: String,
    pub region: String,
    pub funding: RawFunding,
    #[serde(default)]
    pub centers: Vec<RawCenter>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plugins: Vec<RawPlugin>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFunding {
    pub programme: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mis_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_axis: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusion_decision: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCenter {
    pub key: String,
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<RawAddress>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub serves_areas: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<RawPhone>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accessibility: Option<RawAccessibility>,
    #[serde(default)]
    pub opening_hours: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub closed_on_public_holidays: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub closures: Vec<RawClosure>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub staff: Vec<RawStaff>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// A closure as a manifest gives it: `from` and `to` (YYYY-MM-DD, `to`
/// left out for one day) and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClosure {
    pub from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAddress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub building: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPhone {
    pub number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccessibility {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wheelchair_accessible: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStaff {
    pub role: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlugin {
    pub id: String,
    #[serde(default)]
    pub config: serde_json::Value,
}

// ---------------------------------------------------------------------------
// Parsing and validation.

impl TenantManifest {
    /// Parses a `tenant.toml`. Structural problems (bad TOML, a missing or
    /// unknown key, a wrong type) stop at the first; every semantic problem is
    /// reported together.
    pub fn from_toml(text: &str) -> Result<TenantManifest, ManifestErrors> {
        let deserializer = toml::de::Deserializer::parse(text).map_err(|e| {
            ManifestErrors(vec![ManifestError {
                key: "(document)".into(),
                line: e.span().map(|s| line_of(text, s.start)),
                problem: e.message().trim().to_owned(),
            }])
        })?;
        let raw: RawManifest = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.inner();
            ManifestErrors(vec![ManifestError {
                key: if path == "." {
                    "(document)".into()
                } else {
                    path
                },
                line: inner.span().map(|s| line_of(text, s.start)),
                problem: inner.message().trim().to_owned(),
            }])
        })?;
        raw.validate()
    }

    /// Reads back the canonical JSON written by [`TenantManifest::to_json`].
    pub fn from_json(value: &serde_json::Value) -> Result<TenantManifest, ManifestErrors> {
        let raw: RawManifest = serde_path_to_error::deserialize(value).map_err(|e| {
            ManifestErrors(vec![ManifestError {
                key: e.path().to_string(),
                line: None,
                problem: e.inner().to_string(),
            }])
        })?;
        raw.validate()
    }

    /// The canonical form: normalized values, so equal manifests give equal JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.to_raw()).expect("a raw manifest always serializes")
    }

    pub fn main_center(&self) -> &Center {
        self.centers
            .iter()
            .find(|c| c.kind == CenterKind::Main)
            .expect("validation guarantees exactly one main center")
    }

    pub fn to_raw(&self) -> RawManifest {
        RawManifest {
            slug: self.slug.to_string(),
            name_el: self.name_el.clone(),
            name_latin: self.name_latin.clone(),
            region: self.region.code().to_owned(),
            funding: RawFunding {
                programme: self.funding.programme.clone(),
                mis_code: self.funding.mis_code.clone(),
                priority_axis: self.funding.priority_axis.map(i64::from),
                inclusion_decision: self.funding.inclusion_decision.clone(),
            },
            centers: self.centers.iter().map(Center::to_raw).collect(),
            plugins: self
                .plugins
                .iter()
                .map(|p| RawPlugin {
                    id: p.id.to_string(),
                    config: serde_json::Value::Object(p.config.clone()),
                })
                .collect(),
        }
    }
}

impl Center {
    fn to_raw(&self) -> RawCenter {
        RawCenter {
            key: self.key.to_string(),
            kind: self.kind.code().to_owned(),
            name: self.name.clone(),
            address: self.address.as_ref().map(|a| RawAddress {
                street: a.street.clone(),
                building: a.building.clone(),
                postal_code: a.postal_code.as_ref().map(|p| p.as_str().to_owned()),
                locality: a.locality.clone(),
            }),
            serves_areas: self.serves_areas.clone(),
            phones: self
                .phones
                .iter()
                .map(|p| RawPhone {
                    number: p.number.to_string(),
                    label: p.label.clone(),
                })
                .collect(),
            emails: self.emails.iter().map(ToString::to_string).collect(),
            accessibility: (self.accessibility != Accessibility::default()).then(|| {
                RawAccessibility {
                    wheelchair_accessible: self.accessibility.wheelchair_accessible,
                    notes: self.accessibility.notes.clone(),
                }
            }),
            opening_hours: self
                .opening_hours
                .open_days()
                .map(|(day, ranges)| {
                    let text = ranges
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ");
                    (day.key().to_owned(), text)
                })
                .collect(),
            closed_on_public_holidays: self.closed_on_public_holidays,
            closures: self
                .closures
                .iter()
                .map(|c| RawClosure {
                    from: c.from.to_string(),
                    to: (c.to != c.from).then(|| c.to.to_string()),
                    reason: c.reason.clone(),
                })
                .collect(),
            staff: self
                .staff
                .iter()
                .map(|s| RawStaff {
                    role: s.role.code().to_owned(),
                    count: i64::from(s.count),
                })
                .collect(),
            notes: self.notes.clone(),
        }
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn is_greek(c: char) -> bool {
    matches!(c, '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}')
}

/// Collects every problem with its key path instead of stopping at the first.
struct Checker {
    errors: Vec<ManifestError>,
}

impl Checker {
    fn fail(&mut self, key: impl Into<String>, problem: impl Into<String>) {
        self.errors.push(ManifestError {
            key: key.into(),
            line: None,
            problem: problem.into(),
        });
    }

    fn check<T>(&mut self, key: impl Into<String>, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(problem) => {
                self.fail(key, problem);
                None
            }
        }
    }

    /// Trimmed, non-empty, at most `max` characters.
    fn text(&mut self, key: impl Into<String>, raw: &str, max: usize) -> Option<String> {
        let value = raw.trim();
        let result = if value.is_empty() {
            Err("must not be empty".to_owned())
        } else if value.chars().count() > max {
            Err(format!("is longer than {max} characters"))
        } else {
            Ok(value.to_owned())
        };
        self.check(key, result)
    }

    fn optional_text(
        &mut self,
        key: impl Into<String>,
        raw: &Option<String>,
        max: usize,
    ) -> Option<Option<String>> {
        match raw {
            None => Some(None),
            Some(value) => self.text(key, value, max).map(Some),
        }
    }
}

const NAME_MAX: usize = 200;
const NOTE_MAX: usize = 2000;
/// How long a closure's reason may be: a line a receptionist reads out.
const CLOSURE_REASON_MAX: usize = 200;

impl RawManifest {
    pub fn validate(&self) -> Result<TenantManifest, ManifestErrors> {
        let mut c = Checker { errors: Vec::new() };

        let slug = c.check("slug", TenantSlug::parse(&self.slug));
        let name_el = c.text("name_el", &self.name_el, NAME_MAX);
        if let Some(name) = &name_el
            && !name.chars().any(is_greek)
        {
            c.fail("name_el", format!("{name:?} has no Greek letters"));
        }
        let name_latin = c.text("name_latin", &self.name_latin, NAME_MAX);
        if let Some(name) = &name_latin
            && name.chars().any(is_greek)
        {
            c.fail(
                "name_latin",
                format!("{name:?} must be written in Latin letters"),
            );
        }
        let region = c.check(
            "region",
            self.region.parse::<Region>().map_err(|e| e.to_string()),
        );
        let funding = self.funding.validate(&mut c);

        if self.centers.is_empty() {
            c.fail(
                "centers",
                "a tenant needs at least one center (its main one)",
            );
        }
        let centers: Vec<Option<Center>> = self
            .centers
            .iter()
            .enumerate()
            .map(|(i, center)| center.validate(&mut c, &format!("centers[{i}]")))
            .collect();
        let mut keys = BTreeSet::new();
        for (i, center) in self.centers.iter().enumerate() {
            if !keys.insert(center.key.as_str()) {
                c.fail(
                    format!("centers[{i}].key"),
                    format!("{:?} is used by another center of this tenant", center.key),
                );
            }
        }
        let main_count = self.centers.iter().filter(|c| c.kind == "main").count();
        if !self.centers.is_empty() && main_count != 1 {
            c.fail(
                "centers",
                format!("exactly one center must be of kind \"main\", found {main_count}"),
            );
        }

        let mut plugin_ids = BTreeSet::new();
        let plugins: Vec<Option<PluginActivation>> = self
            .plugins
            .iter()
            .enumerate()
            .map(|(i, plugin)| {
                let key = format!("plugins[{i}]");
                let id = c.check(format!("{key}.id"), PluginId::parse(&plugin.id));
                if !plugin_ids.insert(plugin.id.as_str()) {
                    c.fail(
                        format!("{key}.id"),
                        format!("plugin {:?} is listed twice", plugin.id),
                    );
                }
                let config = match &plugin.config {
                    serde_json::Value::Null => Some(serde_json::Map::new()),
                    serde_json::Value::Object(map) => Some(map.clone()),
                    _ => {
                        c.fail(format!("{key}.config"), "must be a table");
                        None
                    }
                };
                Some(PluginActivation {
                    id: id?,
                    config: config?,
                })
            })
            .collect();

        if !c.errors.is_empty() {
            return Err(ManifestErrors(c.errors));
        }
        let all_valid = "every part was checked above and no error was recorded";
        Ok(TenantManifest {
            slug: slug.expect(all_valid),
            name_el: name_el.expect(all_valid),
            name_latin: name_latin.expect(all_valid),
            region: region.expect(all_valid),
            funding: funding.expect(all_valid),
            centers: centers.into_iter().map(|c| c.expect(all_valid)).collect(),
            plugins: plugins.into_iter().map(|p| p.expect(all_valid)).collect(),
        })
    }
}

impl RawFunding {
    fn validate(&self, c: &mut Checker) -> Option<Funding> {
        let programme = c.text("funding.programme", &self.programme, NAME_MAX);
        let mis_code = match &self.mis_code {
            None => Some(None),
            Some(code) => {
                let ok = (4..=8).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit());
                c.check(
                    "funding.mis_code",
                    if ok {
                        Ok(Some(code.clone()))
                    } else {
                        Err(format!("{code:?} is not a MIS code (4 to 8 digits)"))
                    },
                )
            }
        };
        let priority_axis = match self.priority_axis {
            None => Some(None),
            Some(axis) => c.check(
                "funding.priority_axis",
                u8::try_from(axis)
                    .ok()
                    .filter(|a| (1..=20).contains(a))
                    .map(Some)
                    .ok_or_else(|| format!("{axis} is not a priority axis number (1 to 20)")),
            ),
        };
        let inclusion_decision = c.optional_text(
            "funding.inclusion_decision",
            &self.inclusion_decision,
            NAME_MAX,
        );
        Some(Funding {
            programme: programme?,
            mis_code: mis_code?,
            priority_axis: priority_axis?,
            inclusion_decision: inclusion_decision?,
        })
    }
}

impl RawCenter {
    fn validate(&self, c: &mut Checker, at: &str) -> Option<Center> {
        let key = c.check(format!("{at}.key"), CenterKey::parse(&self.key));
        let kind = c.check(
            format!("{at}.kind"),
            CenterKind::from_code(&self.kind).ok_or_else(|| {
                let allowed: Vec<_> = CenterKind::ALL.iter().map(|k| k.code()).collect();
                format!(
                    "{:?} is not a kind of center; expected one of: {}",
                    self.kind,
                    allowed.join(", ")
                )
            }),
        );
        let name = c.text(format!("{at}.name"), &self.name, NAME_MAX);

        let address = match &self.address {
            None => Some(None),
            Some(a) => {
                let key = format!("{at}.address");
                let street = c.optional_text(format!("{key}.street"), &a.street, NAME_MAX);
                let building = c.optional_text(format!("{key}.building"), &a.building, NAME_MAX);
                let locality = c.optional_text(format!("{key}.locality"), &a.locality, NAME_MAX);
                let postal_code = match &a.postal_code {
                    None => Some(None),
                    Some(p) => c
                        .check(format!("{key}.postal_code"), PostalCode::parse(p))
                        .map(Some),
                };
                if a.street.is_none() && a.building.is_none() {
                    c.fail(&key, "give at least a street or a building");
                }
                Some(Some(Address {
                    street: street?,
                    building: building?,
                    postal_code: postal_code?,
                    locality: locality?,
                }))
            }
        };

        let serves_areas: Vec<Option<String>> = self
            .serves_areas
            .iter()
            .enumerate()
            .map(|(i, area)| c.text(format!("{at}.serves_areas[{i}]"), area, NAME_MAX))
            .collect();
        if kind == Some(CenterKind::MobileUnit) && self.serves_areas.is_empty() {
            c.fail(
                format!("{at}.serves_areas"),
                "a mobile unit must list the areas it serves",
            );
        }

        let phones: Vec<Option<Phone>> = self
            .phones
            .iter()
            .enumerate()
            .map(|(i, phone)| {
                let number = c.check(
                    format!("{at}.phones[{i}].number"),
                    GreekPhoneNumber::parse(&phone.number),
                );
                let label = c.optional_text(format!("{at}.phones[{i}].label"), &phone.label, 100);
                Some(Phone {
                    number: number?,
                    label: label?,
                })
            })
            .collect();

        let emails: Vec<Option<Email>> = self
            .emails
            .iter()
            .enumerate()
            .map(|(i, email)| c.check(format!("{at}.emails[{i}]"), Email::parse(email)))
            .collect();

        let accessibility = match &self.accessibility {
            None => Some(Accessibility::default()),
            Some(a) => c
                .optional_text(format!("{at}.accessibility.notes"), &a.notes, NOTE_MAX)
                .map(|notes| Accessibility {
                    wheelchair_accessible: a.wheelchair_accessible,
                    notes,
                }),
        };

        let mut opening_hours = WeeklyHours::default();
        let mut hours_ok = true;
        for (day_key, ranges) in &self.opening_hours {
            let key = format!("{at}.opening_hours.{day_key}");
            match Weekday::from_key(day_key) {
                None => {
                    hours_ok = false;
                    c.fail(
                        key,
                        "is not a weekday (expected monday, tuesday, ... sunday)",
                    );
                }
                Some(day) => {
                    if let Err(problem) = opening_hours.set_day(day, ranges) {
                        hours_ok = false;
                        c.fail(key, problem);
                    }
                }
            }
        }
        if hours_ok && kind == Some(CenterKind::Main) && opening_hours.is_empty() {
            hours_ok = false;
            c.fail(
                format!("{at}.opening_hours"),
                "the main center must publish its opening hours",
            );
        }

        let mut roles_seen = BTreeSet::new();
        let staff: Vec<Option<StaffPosition>> = self
            .staff
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let role = c.check(
                    format!("{at}.staff[{i}].role"),
                    StaffRole::from_code(&s.role).ok_or_else(|| {
                        let allowed: Vec<_> = StaffRole::ALL.iter().map(|r| r.code()).collect();
                        format!(
                            "{:?} is not a staff role; expected one of: {}",
                            s.role,
                            allowed.join(", ")
                        )
                    }),
                );
                if role.is_some() && !roles_seen.insert(s.role.as_str()) {
                    c.fail(
                        format!("{at}.staff[{i}].role"),
                        format!("{:?} is listed twice; give one count per role", s.role),
                    );
                }
                let count = c.check(
                    format!("{at}.staff[{i}].count"),
                    u8::try_from(s.count)
                        .ok()
                        .filter(|n| (1..=50).contains(n))
                        .ok_or_else(|| format!("{} is not a head count (1 to 50)", s.count)),
                );
                Some(StaffPosition {
                    role: role?,
                    count: count?,
                })
            })
            .collect();

        let closures: Vec<Option<Closure>> = self
            .closures
            .iter()
            .enumerate()
            .map(|(i, raw)| {
                let key = format!("{at}.closures[{i}]");
                let mut date = |field: &str, text: &str| {
                    c.check(
                        format!("{key}.{field}"),
                        chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                            .map_err(|_| format!("{text:?} is not a date (YYYY-MM-DD)")),
                    )
                };
                let from = date("from", &raw.from);
                let to = match &raw.to {
                    None => from,
                    Some(to) => date("to", to),
                };
                let mut span_ok = true;
                if let (Some(from), Some(to)) = (from, to) {
                    if to < from {
                        span_ok = false;
                        c.fail(format!("{key}.to"), "ends before the closure starts");
                    } else if (to - from).num_days() >= Closure::MAX_DAYS {
                        span_ok = false;
                        c.fail(
                            format!("{key}.to"),
                            format!("a closure lasts {} days at most", Closure::MAX_DAYS),
                        );
                    }
                }
                let reason = c.text(format!("{key}.reason"), &raw.reason, CLOSURE_REASON_MAX);
                Some(Closure {
                    from: from?,
                    to: span_ok.then_some(to?)?,
                    reason: reason?,
                })
            })
            .collect();

        let notes = c.optional_text(format!("{at}.notes"), &self.notes, NOTE_MAX);

        Some(Center {
            key: key?,
            kind: kind?,
            name: name?,
            address: address?,
            serves_areas: serves_areas.into_iter().collect::<Option<_>>()?,
            phones: phones.into_iter().collect::<Option<_>>()?,
            emails: emails.into_iter().collect::<Option<_>>()?,
            accessibility: accessibility?,
            opening_hours: hours_ok.then_some(opening_hours)?,
            closures: closures.into_iter().collect::<Option<_>>()?,
            closed_on_public_holidays: self.closed_on_public_holidays,
            staff: staff.into_iter().collect::<Option<_>>()?,
            notes: notes?,
        })
    }
}

bounded_text!(
    /// Why a municipality is suspended, kept with the suspension.
    SuspensionReason,
    500,
    "say why the municipality is suspended"
);

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = r#"
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
address = { street = "Σταδίου 51", locality = "Βέροια" }
phones = [{ number = "2331353834", label = "Κοινωνική Λειτουργός (Συντονίστρια)" }]
emails = ["panagou@veria.gr"]
accessibility = { wheelchair_accessible = true }
staff = [{ role = "social_worker", count = 2 }, { role = "psychologist", count = 1 }]

[centers.opening_hours]
monday = "08:00-16:00"
friday = "08:00-16:00"
"#;

    fn errors_of(text: &str) -> Vec<ManifestError> {
        TenantManifest::from_toml(text).unwrap_err().0
    }

    fn keys_of(errors: &[ManifestError]) -> Vec<&str> {
        errors.iter().map(|e| e.key.as_str()).collect()
    }

    #[test]
    fn a_complete_manifest_parses() {
        let m = TenantManifest::from_toml(VALID).unwrap();
        assert_eq!(m.slug.as_str(), "veria");
        assert_eq!(m.region, Region::CentralMacedonia);
        let main = m.main_center();
        assert_eq!(main.staff.len(), 2);
        assert_eq!(main.phones[0].number.digits(), "2331353834");
        assert_eq!(main.opening_hours.day(Weekday::Monday).len(), 1);
        assert!(main.opening_hours.day(Weekday::Sunday).is_empty());
    }

    /// VALID with its main center's closures (TOML appends them to the
    /// last `[[centers]]`).
    fn with_closures(closures: &str) -> String {
        format!("{VALID}\n[[centers.closures]]\n{closures}\n")
    }

    #[test]
    fn a_center_is_closed_on_its_closures_and_on_public_holidays_when_it_says_so() {
        let text = with_closures(
            "from = \"2026-12-24\"\nto = \"2026-12-31\"\nreason = \"Χριστουγεννιάτικη διακοπή\"",
        );
        let day = |m: u32, d: u32| chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let m = TenantManifest::from_toml(&text).unwrap();
        let main = m.main_center();
        assert_eq!(
            main.closed_because(day(12, 28)).as_deref(),
            Some("Χριστουγεννιάτικη διακοπή")
        );
        assert_eq!(main.closed_because(day(10, 28)), None, "holidays not kept");
        let text = text.replace(
            "[centers.opening_hours]",
            "closed_on_public_holidays = true\n\n[centers.opening_hours]",
        );
        let m = TenantManifest::from_toml(&text).unwrap();
        assert_eq!(
            m.main_center().closed_because(day(10, 28)).as_deref(),
            Some("Επέτειος του «Όχι»")
        );
        let again = TenantManifest::from_json(&m.to_json()).unwrap();
        assert_eq!(again, m, "the closures survive the canonical JSON");
    }

    #[test]
    fn a_calendar_marks_the_open_days_a_center_is_closed_on_and_why() {
        let text =
            with_closures("from = \"2026-12-28\"\nto = \"2026-12-29\"\nreason = \"Απολύμανση\"")
                .replace(
                    "[centers.opening_hours]",
                    "closed_on_public_holidays = true\n\n[centers.opening_hours]",
                );
        let day = |m: u32, d: u32| chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let main = TenantManifest::from_toml(&text)
            .unwrap()
            .main_center()
            .clone();
        // Open on Mondays and Fridays. Thursday 24 to Thursday 31 December
        // 2026: Christmas falls on a Friday, the closure on Monday 28 and
        // Tuesday 29; the Synaxis (Saturday) and the Tuesday are closed
        // days anyway.
        assert_eq!(
            main.closed_days(day(12, 24), day(12, 31)),
            [
                (day(12, 25), "Χριστούγεννα".to_owned()),
                (day(12, 28), "Απολύμανση".to_owned()),
            ]
        );
        assert!(main.closed_days(day(12, 31), day(12, 24)).is_empty());
        assert_eq!(
            crate::hours::Weekday::of(day(12, 25)),
            crate::hours::Weekday::Friday
        );
    }

    #[test]
    fn a_closure_names_each_bad_part() {
        let errors = errors_of(&with_closures("from = \"24/12/2026\"\nreason = \"\""));
        assert_eq!(
            keys_of(&errors),
            [
                "centers[0].closures[0].from",
                "centers[0].closures[0].reason"
            ],
            "{errors:?}"
        );
        let errors = errors_of(&with_closures(
            "from = \"2026-12-31\"\nto = \"2026-12-24\"\nreason = \"x\"",
        ));
        assert_eq!(keys_of(&errors), ["centers[0].closures[0].to"]);
        let errors = errors_of(&with_closures(
            "from = \"2026-01-01\"\nto = \"2027-06-01\"\nreason = \"x\"",
        ));
        assert!(errors[0].problem.contains("366 days"), "{errors:?}");
    }

    #[test]
    fn canonical_json_round_trips_to_the_same_manifest() {
        let m = TenantManifest::from_toml(VALID).unwrap();
        let json = m.to_json();
        let back = TenantManifest::from_json(&json).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.to_json(), json);
    }

    #[test]
    fn equivalent_spellings_give_the_same_canonical_form() {
        let spaced = VALID.replace("\"2331353834\"", "\"2331 35 38 34\"");
        let a = TenantManifest::from_toml(VALID).unwrap().to_json();
        let b = TenantManifest::from_toml(&spaced).unwrap().to_json();
        assert_eq!(a, b);
    }

    #[test]
    fn a_missing_key_is_named_with_its_line() {
        let text = VALID.replace("region = \"central_macedonia\"\n", "");
        let errors = errors_of(&text);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].problem.contains("region"), "{:?}", errors[0]);
    }

    #[test]
    fn an_unknown_key_is_named_by_its_path() {
        let text = VALID.replace("monday = ", "mondey_typo = \"x\"\nmonday = ");
        let errors = errors_of(&text);
        assert!(
            errors[0].key.contains("opening_hours") || errors[0].problem.contains("mondey"),
            "{errors:?}"
        );
        let text = VALID.replace("[funding]", "[funding]\nbudget = 3");
        let errors = errors_of(&text);
        assert!(errors[0].problem.contains("budget"), "{errors:?}");
        assert_eq!(errors[0].line, Some(8), "{errors:?}");
    }

    #[test]
    fn every_semantic_problem_is_reported_at_once() {
        let text = VALID
            .replace("slug = \"veria\"", "slug = \"Veria!\"")
            .replace("\"2331353834\"", "\"12345\"")
            .replace("panagou@veria.gr", "panagou-at-veria")
            .replace("monday = \"08:00-16:00\"", "monday = \"16:00-08:00\"")
            .replace("count = 2", "count = 0");
        let errors = errors_of(&text);
        assert_eq!(
            keys_of(&errors),
            [
                "slug",
                "centers[0].phones[0].number",
                "centers[0].emails[0]",
                "centers[0].opening_hours.monday",
                "centers[0].staff[0].count",
            ],
            "{errors:?}"
        );
    }

    #[test]
    fn a_tenant_has_exactly_one_main_center() {
        let text = VALID.replace("kind = \"main\"", "kind = \"roma_annex\"");
        let errors = errors_of(&text);
        assert_eq!(keys_of(&errors), ["centers"], "{errors:?}");
        assert!(errors[0].problem.contains("exactly one"), "{errors:?}");
    }

    #[test]
    fn a_mobile_unit_must_say_which_areas_it_serves() {
        let text = format!(
            "{VALID}\n[[centers]]\nkey = \"mobile\"\nkind = \"mobile_unit\"\nname = \"Κινητή Μονάδα\"\n"
        );
        let errors = errors_of(&text);
        assert_eq!(keys_of(&errors), ["centers[1].serves_areas"], "{errors:?}");
    }

    #[test]
    fn center_keys_are_unique_within_a_tenant() {
        let text = format!(
            "{VALID}\n[[centers]]\nkey = \"main\"\nkind = \"roma_annex\"\nname = \"Παράρτημα Ρομά\"\n"
        );
        let errors = errors_of(&text);
        assert_eq!(keys_of(&errors), ["centers[1].key"], "{errors:?}");
    }

    #[test]
    fn names_are_in_the_right_alphabet() {
        let text = VALID
            .replace("name_el = \"Δήμος Βέροιας\"", "name_el = \"Dimos Verias\"")
            .replace(
                "name_latin = \"Municipality of Veria\"",
                "name_latin = \"Δήμος Βέροιας\"",
            );
        let errors = errors_of(&text);
        assert_eq!(keys_of(&errors), ["name_el", "name_latin"], "{errors:?}");
    }

    #[test]
    fn plugin_config_must_be_a_table_and_ids_unique() {
        let text = format!(
            "{VALID}\n[[plugins]]\nid = \"tutoring\"\nconfig = 3\n[[plugins]]\nid = \"tutoring\"\n"
        );
        let errors = errors_of(&text);
        assert_eq!(
            keys_of(&errors),
            ["plugins[0].config", "plugins[1].id"],
            "{errors:?}"
        );
    }

    #[test]
    fn identifiers_reject_uppercase_and_double_hyphens() {
        assert!(TenantSlug::parse("nikaia-rentis").is_ok());
        assert!(TenantSlug::parse("Nikaia").is_err());
        assert!(TenantSlug::parse("nikaia--rentis").is_err());
        assert!(TenantSlug::parse("-nikaia").is_err());
        assert!(TenantSlug::parse("nikaia-").is_err());
        assert!(TenantSlug::parse("n").is_err());
    }
}
