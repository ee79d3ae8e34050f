//! The one catalogue of the workspace's words, in Project Fluent: Greek
//! first, English second (`locales/<lang>/workspace.ftl`). Every enum,
//! status and document name gets its label here, as `<enum>-<value>`.

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

const GREEK: &str = include_str!("../locales/el/workspace.ftl");
const ENGLISH: &str = include_str!("../locales/en/workspace.ftl");

fn bundle(lang: Lang, source: &'static str) -> FluentBundle<FluentResource> {
    let locale = lang.code().parse().expect("a valid language tag");
    let mut bundle = FluentBundle::new_concurrent(vec![locale]);
    // Isolation marks would end up inside attributes and test expectations;
    // the workspace has no right-to-left text.
    bundle.set_use_isolating(false);
    let resource = FluentResource::try_new(source.to_owned())
        .unwrap_or_else(|(_, errors)| panic!("{} catalogue: {errors:?}", lang.code()));
    bundle
        .add_resource(resource)
        .unwrap_or_else(|errors| panic!("{} catalogue: {errors:?}", lang.code()));
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

#[cfg(test)]
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

/// The wire spelling of a generated enum value.
pub fn wire<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(source: &str) -> Vec<String> {
        source
            .lines()
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
}
