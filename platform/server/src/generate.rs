//! `kentro demo generate`: fills a database with synthetic but realistic
//! municipalities, people (Greek names, valid ΑΜΚΑ/ΑΦΜ), households and
//! cases, for demos, load tests and the national-scale benchmarks.
//! Deterministic for a given seed.

use std::collections::HashSet;

use anyhow::Context as _;
use chrono::{Datelike, Duration, NaiveDate};
use indicatif::{ProgressBar, ProgressStyle};
use kentro_domain::TenantManifest;
use kentro_domain::access::{DisplayName, NewPassword, Role};
use kentro_domain::case::{CaseStatus, RequestCategory, RequestChannel};
use kentro_domain::contact::Email;
use kentro_domain::household::Relationship;
use kentro_domain::identifiers::fixtures;
use kentro_domain::keys::{AccountId, PersonId};
use kentro_domain::names::transliterate_elot743;
use kentro_domain::person::{
    EducationLevel, EmploymentStatus, Gender, PersonInput, SpecialCategories, SpecialCategoryAnswer,
};
use kentro_domain::region::Region;
use kentro_store::{Access, Actor, ImportedCase, NewAccount, Store, TenantScope};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

const MALE_GIVEN: &[&str] = &[
    "Γιώργος",
    "Δημήτρης",
    "Κωνσταντίνος",
    "Νίκος",
    "Γιάννης",
    "Χρήστος",
    "Παναγιώτης",
    "Βασίλης",
    "Αθανάσιος",
    "Μιχάλης",
    "Ευάγγελος",
    "Σπύρος",
    "Αντώνης",
    "Ηλίας",
    "Θεόδωρος",
    "Στέλιος",
    "Άγγελος",
    "Αλέξανδρος",
    "Μάριος",
    "Πέτρος",
];
const FEMALE_GIVEN: &[&str] = &[
    "Μαρία",
    "Ελένη",
    "Αικατερίνη",
    "Βασιλική",
    "Σοφία",
    "Αγγελική",
    "Γεωργία",
    "Δήμητρα",
    "Κωνσταντίνα",
    "Παρασκευή",
    "Ευαγγελία",
    "Ιωάννα",
    "Χριστίνα",
    "Αναστασία",
    "Φωτεινή",
    "Δέσποινα",
    "Ειρήνη",
    "Θεοδώρα",
    "Σταυρούλα",
    "Αλεξάνδρα",
];
/// (male form, female form)
const FAMILY: &[(&str, &str)] = &[
    ("Παπαδόπουλος", "Παπαδοπούλου"),
    ("Βασιλείου", "Βασιλείου"),
    ("Νικολάου", "Νικολάου"),
    ("Γεωργίου", "Γεωργίου"),
    ("Παπαδάκης", "Παπαδάκη"),
    ("Οικονόμου", "Οικονόμου"),
    ("Ιωάννου", "Ιωάννου"),
    ("Δημητρίου", "Δημητρίου"),
    ("Κωνσταντινίδης", "Κωνσταντινίδου"),
    ("Παπαγεωργίου", "Παπαγεωργίου"),
    ("Μακρής", "Μακρή"),
    ("Αλεξίου", "Αλεξίου"),
    ("Χατζηγεωργίου", "Χατζηγεωργίου"),
    ("Παππάς", "Παππά"),
    ("Καραγιάννης", "Καραγιάννη"),
    ("Αντωνίου", "Αντωνίου"),
    ("Θεοδωρίδης", "Θεοδωρίδου"),
    ("Μιχαηλίδης", "Μιχαηλίδου"),
    ("Σταματόπουλος", "Σταματοπούλου"),
    ("Λαμπράκης", "Λαμπράκη"),
    ("Ζαφειρίου", "Ζαφειρίου"),
    ("Κυριακίδης", "Κυριακίδου"),
    ("Μπακάλης", "Μπακάλη"),
    ("Τσιρίγος", "Τσιρίγου"),
];
/// Third-country nationalities common among residents served.
const FOREIGN: &[&str] = &["AL", "SY", "AF", "UA", "PK", "GE", "IQ"];

fn capitalized_latin(greek: &str) -> String {
    transliterate_elot743(greek)
        .split(' ')
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn synthetic_manifest(index: usize) -> anyhow::Result<TenantManifest> {
    let region = Region::ALL[index % Region::ALL.len()];
    let text = format!(
        r#"
slug = "synth-{index:03}"
name_el = "Συνθετικός Δήμος {index:03}"
name_latin = "Synthetic Municipality {index:03}"
region = "{region}"
[funding]
programme = "Συνθετικά δεδομένα (όχι πραγματικός δήμος)"
[[centers]]
key = "main"
kind = "main"
name = "Κέντρο Κοινότητας Συνθετικού Δήμου {index:03}"
opening_hours = {{ monday = "08:00-16:00", tuesday = "08:00-16:00", wednesday = "08:00-16:00", thursday = "08:00-16:00", friday = "08:00-16:00" }}
"#,
        region = region.code()
    );
    TenantManifest::from_toml(&text).map_err(|e| anyhow::anyhow!("synthetic manifest: {e}"))
}

struct Generator {
    rng: StdRng,
    today: NaiveDate,
    amkas: HashSet<String>,
    afm_stem: u32,
}

impl Generator {
    fn answer(&mut self, yes: f64) -> Option<SpecialCategoryAnswer> {
        let roll: f64 = self.rng.random();
        Some(if roll < 0.05 {
            SpecialCategoryAnswer::DeclinedToAnswer
        } else if roll < 0.05 + yes {
            SpecialCategoryAnswer::Yes
        } else {
            SpecialCategoryAnswer::No
        })
    }

    fn person(
        &mut self,
        family: (&str, &str),
        age_range: (u32, u32),
        foreign: bool,
    ) -> PersonInput {
        let female = self.rng.random_bool(0.52);
        let given = if female {
            FEMALE_GIVEN.choose(&mut self.rng)
        } else {
            MALE_GIVEN.choose(&mut self.rng)
        }
        .copied()
        .unwrap_or("Μαρία");
        let family_name = if female { family.1 } else { family.0 };
        let age = self.rng.random_range(age_range.0..=age_range.1);
        let birth =
            self.today - Duration::days(i64::from(age) * 365 + self.rng.random_range(0..365));
        let adult = age >= 18;
        let amka = (self.rng.random_bool(0.85) && !foreign).then(|| {
            loop {
                let serial = self.rng.random_range(0..10_000);
                let amka = fixtures::amka(
                    birth.day(),
                    birth.month(),
                    birth.year().rem_euclid(100) as u32,
                    serial,
                );
                if self.amkas.insert(amka.clone()) {
                    break amka;
                }
            }
        });
        let afm = (adult && self.rng.random_bool(0.8)).then(|| {
            self.afm_stem += 1;
            fixtures::afm(self.afm_stem)
        });
        let employment = adult.then(|| {
            *[
                EmploymentStatus::Employed,
                EmploymentStatus::Unemployed,
                EmploymentStatus::LongTermUnemployed,
                EmploymentStatus::Inactive,
                EmploymentStatus::InactiveNotInEducationOrTraining,
            ]
            .choose(&mut self.rng)
            .unwrap_or(&EmploymentStatus::Inactive)
        });
        let education = adult.then(|| {
            *[
                EducationLevel::Isced0To2,
                EducationLevel::Isced3To4,
                EducationLevel::Isced5To8,
            ]
            .choose(&mut self.rng)
            .unwrap_or(&EducationLevel::Isced3To4)
        });
        PersonInput {
            given_name_el: (!foreign).then(|| given.to_owned()),
            family_name_el: (!foreign).then(|| family_name.to_owned()),
            given_name_latin: Some(capitalized_latin(given)),
            family_name_latin: Some(capitalized_latin(family_name)),
            gender: Some(if female { Gender::Female } else { Gender::Male }),
            birth_date: Some(birth.format("%Y-%m-%d").to_string()),
            amka,
            afm,
            nationality: Some(if foreign {
                FOREIGN
                    .choose(&mut self.rng)
                    .copied()
                    .unwrap_or("AL")
                    .to_owned()
            } else {
                "GR".to_owned()
            }),
            third_country_national: Some(foreign),
            rural: Some(self.rng.random_bool(0.2)),
            employment_status: employment,
            education_level: education,
            special: SpecialCategories {
                disability: self.answer(0.08),
                minority: self.answer(0.06),
                foreign_background: if foreign {
                    Some(SpecialCategoryAnswer::Yes)
                } else {
                    self.answer(0.04)
                },
                homeless: self.answer(0.03),
            },
            ..PersonInput::default()
        }
    }

    /// One household: its members' details and relationships, head first.
    fn household(&mut self) -> Vec<(PersonInput, Relationship)> {
        let family = *FAMILY.choose(&mut self.rng).unwrap_or(&FAMILY[0]);
        let foreign = self.rng.random_bool(0.12);
        let size = *[1, 1, 1, 2, 2, 2, 3, 3, 4, 5]
            .choose(&mut self.rng)
            .unwrap_or(&1);
        let mut members = vec![(self.person(family, (20, 80), foreign), Relationship::Head)];
        if size >= 2 && self.rng.random_bool(0.7) {
            members.push((self.person(family, (20, 75), foreign), Relationship::Spouse));
        }
        while members.len() < size {
            members.push((self.person(family, (0, 17), foreign), Relationship::Child));
        }
        members
    }
}

pub async fn run(
    store: &Store,
    tenants: usize,
    people_per_tenant: usize,
    seed: u64,
    password: &str,
) -> anyhow::Result<()> {
    let manifests = (1..=tenants)
        .map(synthetic_manifest)
        .collect::<anyhow::Result<Vec<_>>>()?;
    store
        .tenants()
        .apply(&manifests, &Actor::operator(), "generate")
        .await?;
    let progress = ProgressBar::new((tenants * people_per_tenant) as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} people ({per_sec}, {eta} left) {msg}")
            .context("progress template")?,
    );
    let actor = Actor::operator();
    let access = Access {
        actor: &actor,
        purpose: "synthetic data",
        request_id: "generate",
    };
    let mut generator = Generator {
        rng: StdRng::seed_from_u64(seed),
        today: chrono::Utc::now().date_naive(),
        amkas: HashSet::new(),
        afm_stem: 10_000_000,
    };
    for manifest in &manifests {
        progress.set_message(manifest.slug.to_string());
        let scope = store
            .operator_scope(&manifest.slug)
            .await?
            .context("the synthetic tenant was just applied")?;
        let workers = staff(store, scope, manifest, password).await?;
        generator.amkas.clear();

        let mut people = Vec::with_capacity(people_per_tenant);
        let mut households: Vec<Vec<(usize, Relationship)>> = Vec::new();
        while people.len() < people_per_tenant {
            let household = generator.household();
            let room = people_per_tenant - people.len();
            let mut members = Vec::new();
            for (input, relationship) in household.into_iter().take(room) {
                let details = input
                    .validate(generator.today)
                    .map_err(|e| anyhow::anyhow!("generated an invalid person: {e:?}"))?;
                members.push((people.len(), relationship));
                people.push(details);
            }
            households.push(members);
        }
        let ids = store.people().import(scope, &people, &access).await?;
        let households: Vec<Vec<(PersonId, Relationship)>> = households
            .iter()
            .map(|members| members.iter().map(|(i, r)| (ids[*i], *r)).collect())
            .collect();
        store
            .households()
            .import(scope, &households, &access)
            .await?;

        let mut cases = Vec::new();
        for household in &households {
            if !generator.rng.random_bool(0.4) {
                continue;
            }
            let (head, _) = household[0];
            let how_many = generator.rng.random_range(1..=3);
            let categories: Vec<RequestCategory> = RequestCategory::ALL
                .choose_multiple(&mut generator.rng, how_many)
                .copied()
                .collect();
            cases.push(ImportedCase {
                person_id: head,
                status: *[CaseStatus::Open, CaseStatus::InProgress, CaseStatus::Closed]
                    .choose(&mut generator.rng)
                    .unwrap_or(&CaseStatus::Open),
                request_date: generator.today - Duration::days(generator.rng.random_range(0..700)),
                channel: *[
                    RequestChannel::WalkIn,
                    RequestChannel::WalkIn,
                    RequestChannel::Phone,
                    RequestChannel::Email,
                    RequestChannel::ReferralIn,
                ]
                .choose(&mut generator.rng)
                .unwrap_or(&RequestChannel::WalkIn),
                categories,
                assigned_to: workers.choose(&mut generator.rng).copied(),
            });
        }
        store.cases().import(scope, &cases, &access).await?;
        progress.inc(people.len() as u64);
    }
    progress.finish_with_message("done");
    Ok(())
}

/// Two social workers per synthetic center, to assign cases to.
async fn staff(
    store: &Store,
    scope: TenantScope,
    manifest: &TenantManifest,
    password: &str,
) -> anyhow::Result<Vec<AccountId>> {
    let existing = store.accounts().list(Some(scope)).await?;
    let mut ids: Vec<AccountId> = existing.iter().map(|a| a.id).collect();
    for n in ids.len() + 1..=2 {
        let email = Email::parse(&format!("social-worker-{n}@{}.demo", manifest.slug))
            .map_err(anyhow::Error::msg)?;
        let account = store
            .accounts()
            .create(
                NewAccount {
                    tenant: Some(scope),
                    password: NewPassword::parse(password, &email).map_err(anyhow::Error::msg)?,
                    email,
                    display_name: DisplayName::parse(&format!("Κοινωνική Λειτουργός {n}"))
                        .map_err(anyhow::Error::msg)?,
                    role: Role::SocialWorker,
                    region: None,
                },
                &Actor::operator(),
                "generate",
            )
            .await?;
        ids.push(account.id);
    }
    Ok(ids)
}
