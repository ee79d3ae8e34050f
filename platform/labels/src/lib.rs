//! The one catalogue of Kentro's words, in Project Fluent: Greek first,
//! English second (`locales/<lang>/*.ftl`). Every enum, status, category
//! and document name gets its label here, as `<enum>-<value>`; the
//! workspace's screens and the exports read the same messages.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    El,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::El => "el",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "el" => Some(Lang::El),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::El => Lang::En,
            Lang::En => Lang::El,
        }
    }
}

/// The catalogue's files: the workspace's words, and the oversight
/// indicators' dimensions and categories.
const GREEK: [&str; 2] = [
    include_str!("../locales/el/workspace.ftl"),
    include_str!("../locales/el/indicators.ftl"),
];
const ENGLISH: [&str; 2] = [
    include_str!("../locales/en/workspace.ftl"),
    include_str!("../locales/en/indicators.ftl"),
];

fn bundle(lang: Lang, sources: [&'static str; 2]) -> FluentBundle<FluentResource> {
    let locale = lang.code().parse().expect("a valid language tag");
    let mut bundle = FluentBundle::new_concurrent(vec![locale]);
    // Isolation marks would end up inside attributes and test expectations;
    // the workspace has no right-to-left text.
    bundle.set_use_isolating(false);
    for source in sources {
        let resource = FluentResource::try_new(source.to_owned())
            .unwrap_or_else(|(_, errors)| panic!("{} catalogue: {errors:?}", lang.code()));
        // A message defined twice is an error here, so each id has one home.
        bundle
            .add_resource(resource)
            .unwrap_or_else(|errors| panic!("{} catalogue: {errors:?}", lang.code()));
    }
    bundle
}

static BUNDLES: LazyLock<[FluentBundle<FluentResource>; 2]> =
    LazyLock::new(|| [bundle(Lang::El, GREEK), bundle(Lang::En, ENGLISH)]);

fn of(lang: Lang) -> &'static FluentBundle<FluentResource> {
    &BUNDLES[match lang {
        Lang::El => 0,
        Lang::En => 1,
    }]
}

/// The message `id` in `lang`, with arguments. A missing message shows its
/// id (and a unit test keeps the catalogues complete).
pub fn message(lang: Lang, id: &str, args: &[(&str, &str)]) -> String {
    let bundle = of(lang);
    let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
        tracing::warn!(id, lang = lang.code(), "missing message");
        return id.to_owned();
    };
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        fluent_args.set(*name, FluentValue::from(*value));
    }
    let mut errors = Vec::new();
    bundle
        .format_pattern(pattern, Some(&fluent_args), &mut errors)
        .into_owned()
}

/// Whether the catalogue has the message `id`.
pub fn has(lang: Lang, id: &str) -> bool {
    of(lang).has_message(id)
}

/// A message about a number of things (`$count`), with the plural forms
/// of the language.
pub fn count(lang: Lang, id: &str, count: usize) -> String {
    let bundle = of(lang);
    let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
        tracing::warn!(id, lang = lang.code(), "missing message");
        return id.to_owned();
    };
    let mut args = FluentArgs::new();
    args.set("count", FluentValue::from(count));
    let mut errors = Vec::new();
    bundle
        .format_pattern(pattern, Some(&args), &mut errors)
        .into_owned()
}

/// The label of an enum value as the contract spells it (`SOCIAL_WORKER`):
/// the message `<kind>-<value>` in lower kebab case.
pub fn label(lang: Lang, kind: &str, value: &str) -> String {
    let id = format!("{kind}-{}", value.to_lowercase().replace('_', "-"));
    message(lang, &id, &[])
}

fn kebab(code: &str) -> String {
    code.to_lowercase().replace(['_', ':'], "-")
}

/// The name of an indicator table's dimension (`referrals_status`, or a
/// plugin's metrics as `plugin:<id>`).
pub fn indicator_dimension(lang: Lang, dimension: &str) -> String {
    if let Some(plugin) = dimension.strip_prefix("plugin:") {
        return message(lang, "indicator-plugin", &[("plugin", plugin)]);
    }
    message(lang, &format!("indicator-{}", kebab(dimension)), &[])
}

/// The family of labels that already names a dimension's categories, so
/// that a referral status reads the same in the workspace and in an export.
fn category_family(dimension: &str) -> Option<&'static str> {
    Some(match dimension {
        "gender" => "gender",
        "employment" => "employment",
        "requests" => "category",
        "referrals_level" => "level",
        "referrals_destination" => "scope",
        "referrals_status" => "referral-status",
        "kea_applications" => "kea-status",
        "appointments" => "appointment-status",
        _ => return None,
    })
}

/// The name of one category of an indicator table. Categories that are data
/// rather than a closed list (a month, a plugin's metric) read as they are.
pub fn indicator_category(lang: Lang, dimension: &str, category: &str) -> String {
    let own = format!("indicator-{}-{}", kebab(dimension), kebab(category));
    if has(lang, &own) {
        return message(lang, &own, &[]);
    }
    if let Some(family) = category_family(dimension) {
        let shared = format!("{family}-{}", kebab(category));
        if has(lang, &shared) {
            return message(lang, &shared, &[]);
        }
    }
    if category == "unknown" {
        return message(lang, "indicator-unknown", &[]);
    }
    category.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(sources: [&str; 2]) -> Vec<String> {
        sources
            .iter()
            .flat_map(|source| source.lines())
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim().to_owned()))
            .collect()
    }

    #[test]
    fn greek_and_english_catalogues_have_the_same_messages() {
        let (greek, english) = (ids(GREEK), ids(ENGLISH));
        let missing_in_english: Vec<_> = greek.iter().filter(|id| !english.contains(id)).collect();
        let missing_in_greek: Vec<_> = english.iter().filter(|id| !greek.contains(id)).collect();
        assert!(
            missing_in_english.is_empty(),
            "English lacks {missing_in_english:?}"
        );
        assert!(
            missing_in_greek.is_empty(),
            "Greek lacks {missing_in_greek:?}"
        );
    }

    #[test]
    fn every_role_and_status_has_a_greek_label() {
        for role in [
            "PLATFORM_ADMIN",
            "MINISTRY_OVERSEER",
            "TENANT_ADMIN",
            "SOCIAL_WORKER",
            "PSYCHOLOGIST",
            "RECEPTION",
        ] {
            assert_ne!(
                label(Lang::El, "role", role),
                format!("role-{}", role.to_lowercase().replace('_', "-"))
            );
        }
        assert_eq!(
            label(Lang::El, "role", "SOCIAL_WORKER"),
            "Κοινωνικός λειτουργός"
        );
        assert_eq!(count(Lang::El, "people-found", 3), "Βρέθηκαν 3 ωφελούμενοι");
    }

    #[test]
    fn indicator_categories_read_as_the_workspace_names_them() {
        assert_eq!(
            indicator_category(Lang::El, "referrals_status", "in_progress"),
            label(Lang::El, "referral-status", "IN_PROGRESS")
        );
        assert_eq!(indicator_category(Lang::El, "gender", "female"), "Γυναίκα");
        assert_eq!(indicator_category(Lang::En, "age", "25_54"), "25 to 54");
        assert_eq!(indicator_category(Lang::El, "age", "unknown"), "Άγνωστο");
        assert_eq!(
            indicator_category(Lang::El, "participants_served_through", "2026-11"),
            "2026-11",
            "a month is data, not a label"
        );
        assert_eq!(
            indicator_dimension(Lang::El, "referrals_status"),
            "Παραπομπές ανά κατάσταση"
        );
        assert_eq!(
            indicator_dimension(Lang::En, "plugin:tutoring"),
            "Plugin “tutoring”"
        );
    }
}
