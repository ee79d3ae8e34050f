//! Εποπτεία: the overseers' dashboard. Figures for the nation, a region or
//! a municipality over an aligned period, drilled down through links:
//! headline figures, one chart per dimension with its data table, the
//! monthly trend of new participants, referrals by outcome, the regions'
//! tile map and the centers' activity; CSV and XLSX from the API's export.
//! Every number comes from the contract, published as the API publishes it
//! (the cell-key method); the page only draws it.

use std::collections::HashMap;

use askama::Template;
use axum::extract::Query;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use kentro_domain::indicators::{NOISE, THRESHOLD};
use kentro_domain::region::Region;

use crate::format;
use crate::graphql;
use crate::i18n::{self, Lang};
use crate::pages::people::Choice;
use crate::view::{Layout, Staff, Visit, render};

/// A centre with no recorded action for this many days is flagged.
const SILENT_DAYS: i64 = 30;

/// The dimensions drawn as charts, in the order overseers read them.
const CHARTED: [&str; 5] = ["gender", "age", "employment", "education", "disadvantaged"];

/// What the page shows: which set, period and scope.
#[derive(Debug, Clone)]
struct Question {
    /// The set's wire name, e.g. `ESF_PLUS_2021_2027`.
    set: &'static str,
    from: NaiveDate,
    to: NaiveDate,
    scope: Scope,
}

#[derive(Debug, Clone, PartialEq)]
enum Scope {
    National,
    Region(Region),
    Tenant {
        slug: String,
        region: Option<Region>,
    },
}

impl Scope {
    fn wire(&self) -> (&'static str, Option<String>, Option<String>) {
        match self {
            Scope::National => ("NATIONAL", None, None),
            Scope::Region(r) => ("REGION", Some(r.code().to_owned()), None),
            Scope::Tenant { slug, .. } => ("TENANT", None, Some(slug.clone())),
        }
    }

    /// The query string that names this scope.
    fn query(&self) -> String {
        match self {
            Scope::National => "scope=national".into(),
            Scope::Region(r) => format!("scope=region&region={}", r.code()),
            Scope::Tenant { slug, region } => format!(
                "scope=tenant&tenant={slug}{}",
                region.map_or(String::new(), |r| format!("&region={}", r.code()))
            ),
        }
    }
}

/// The indicator sets, by their wire names, the default first.
const SETS: [&str; 3] = ["ESF_PLUS_2021_2027", "ESF_2014_2020", "ACTIVITY"];

fn month(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{}-01", text.trim()), "%Y-%m-%d").ok()
}

fn month_code(date: NaiveDate) -> String {
    date.format("%Y-%m").to_string()
}

fn last_month_of(first: NaiveDate, months: u32) -> NaiveDate {
    first + chrono::Months::new(months - 1)
}

impl Question {
    /// The question in the query string; an unknown or missing part takes
    /// its default (this year, ESF+, the caller's widest scope).
    fn from_query(params: &HashMap<String, String>, own_region: Option<Region>) -> Question {
        let get = |k: &str| params.get(k).map(|v| v.trim()).unwrap_or_default();
        let set = SETS
            .into_iter()
            .find(|code| *code == get("set"))
            .unwrap_or(SETS[0]);
        let this_year = NaiveDate::from_ymd_opt(format::today().year(), 1, 1).expect("a date");
        let (from, to) = get("period")
            .split_once(':')
            .and_then(|(f, t)| Some((month(f)?, month(t)?)))
            .unwrap_or((this_year, last_month_of(this_year, 12)));
        let region = Region::ALL.into_iter().find(|r| r.code() == get("region"));
        let scope = match (get("scope"), own_region) {
            ("tenant", _) if !get("tenant").is_empty() => Scope::Tenant {
                slug: get("tenant").to_owned(),
                region: region.or(own_region),
            },
            (_, Some(own)) => Scope::Region(own),
            ("region", None) => region.map_or(Scope::National, Scope::Region),
            _ => Scope::National,
        };
        Question {
            set,
            from,
            to,
            scope,
        }
    }

    fn period(&self) -> String {
        format!("{}:{}", month_code(self.from), month_code(self.to))
    }

    /// This question's page, with another scope.
    fn href(&self, scope: &Scope) -> String {
        format!(
            "/oversight?set={}&period={}&{}",
            self.set,
            self.period(),
            scope.query()
        )
    }

    fn export_href(&self, format: &str) -> String {
        format!(
            "/oversight/export?format={format}&set={}&period={}&{}",
            self.set,
            self.period(),
            self.scope.query()
        )
    }
}

/// The periods an overseer may choose: this year's and last year's months,
/// quarters, halves and years, and the two programme periods.
fn period_choices(lang: Lang, chosen: &str) -> Vec<Choice> {
    let today = format::today();
    let mut periods: Vec<(NaiveDate, NaiveDate, String)> = Vec::new();
    for year in [today.year(), today.year() - 1] {
        let first = |m: u32| NaiveDate::from_ymd_opt(year, m, 1).expect("a month");
        periods.push((first(1), first(12), year.to_string()));
        for (n, start) in [1, 7].into_iter().enumerate() {
            let label = i18n::message(
                lang,
                "oversight-half",
                &[("n", &(n + 1).to_string()), ("year", &year.to_string())],
            );
            periods.push((first(start), last_month_of(first(start), 6), label));
        }
        for q in 0..4u32 {
            let start = first(q * 3 + 1);
            let label = format!("Q{} {year}", q + 1);
            periods.push((start, last_month_of(start, 3), label));
        }
        for m in (1..=12).rev() {
            let start = first(m);
            if start <= today {
                periods.push((start, start, format::month_name(lang, start)));
            }
        }
    }
    for (from, to) in kentro_domain::indicators::PROGRAMME_PERIODS {
        let first = NaiveDate::from_ymd_opt(from.0, from.1, 1).expect("a month");
        let last = NaiveDate::from_ymd_opt(to.0, to.1, 1).expect("a month");
        let label = i18n::message(
            lang,
            "oversight-programme",
            &[("from", &from.0.to_string()), ("to", &to.0.to_string())],
        );
        periods.push((first, last, label));
    }
    periods
        .into_iter()
        .map(|(from, to, label)| {
            let value = format!("{}:{}", month_code(from), month_code(to));
            Choice {
                selected: value == chosen,
                value,
                label,
            }
        })
        .collect()
}

/// A figure as the page prints it.
#[derive(Clone)]
struct Figure {
    value: Option<i64>,
    display: String,
}

/// An indicator table as the page reads it, whichever document brought it.
struct Table {
    dimension: String,
    categories: Vec<String>,
    units: Vec<Unit>,
    totals: Vec<Figure>,
    total: Figure,
}

struct Unit {
    unit: String,
    label: String,
    values: Vec<Figure>,
    total: Figure,
}

struct Referrals {
    sent: i64,
    median_response: Option<String>,
    overdue_share: Option<f64>,
    answered_in_time_share: Option<f64>,
}

struct Center {
    tenant: String,
    name: String,
    region: String,
    last_activity: Option<String>,
    users: i64,
    open_cases: String,
    overdue_referrals: String,
}

/// What the page reads of the API's answer.
struct Answer {
    generated_at: String,
    unique_participants: Option<Figure>,
    tables: Vec<Table>,
    activity: Vec<Table>,
    referrals: Option<Referrals>,
    centers: Vec<Center>,
}

/// Each document's generated types, read into the page's own.
macro_rules! read_tables {
    ($($module:ident),*) => {$(
        impl From<&graphql::$module::Figure> for Figure {
            fn from(f: &graphql::$module::Figure) -> Figure {
                Figure {
                    value: f.value,
                    display: f.display.clone(),
                }
            }
        }

        impl From<&graphql::$module::TableFields> for Table {
            fn from(t: &graphql::$module::TableFields) -> Table {
                Table {
                    dimension: t.dimension.clone(),
                    categories: t.categories.clone(),
                    units: t
                        .units
                        .iter()
                        .map(|u| Unit {
                            unit: u.unit.clone(),
                            label: u.label.clone(),
                            values: u.values.iter().map(Figure::from).collect(),
                            total: Figure::from(&u.total),
                        })
                        .collect(),
                    totals: t.totals.iter().map(Figure::from).collect(),
                    total: Figure::from(&t.total),
                }
            }
        }
    )*};
}

read_tables!(oversight, oversight_trend, center_statistics);

macro_rules! read_referrals {
    ($r:expr) => {
        $r.as_ref().map(|r| Referrals {
            sent: r.sent,
            median_response: r.median_response.clone(),
            overdue_share: r.overdue_share,
            answered_in_time_share: r.answered_in_time_share,
        })
    };
}

impl From<graphql::oversight::ResponseData> for Answer {
    fn from(data: graphql::oversight::ResponseData) -> Answer {
        Answer {
            generated_at: data.report.generated_at.clone(),
            unique_participants: data.report.unique_participants.as_ref().map(Figure::from),
            tables: data.report.tables.iter().map(Table::from).collect(),
            activity: data.activity.tables.iter().map(Table::from).collect(),
            referrals: read_referrals!(data.activity.referrals),
            centers: data
                .tenant_activity
                .into_iter()
                .map(|c| Center {
                    tenant: c.tenant,
                    name: c.name,
                    region: c.region,
                    last_activity: c.last_activity,
                    users: c.users,
                    open_cases: c.open_cases,
                    overdue_referrals: c.overdue_referrals,
                })
                .collect(),
        }
    }
}

impl From<graphql::center_statistics::ResponseData> for Answer {
    fn from(data: graphql::center_statistics::ResponseData) -> Answer {
        Answer {
            generated_at: data.report.generated_at.clone(),
            unique_participants: None,
            tables: data.report.tables.iter().map(Table::from).collect(),
            activity: data.activity.tables.iter().map(Table::from).collect(),
            referrals: read_referrals!(data.activity.referrals),
            centers: Vec::new(),
        }
    }
}

struct Headline {
    label: String,
    value: String,
    hint: String,
}

struct Bar {
    label: String,
    display: String,
    width: u32,
    y: u32,
    hidden: bool,
}

struct Chart {
    id: String,
    title: String,
    description: String,
    height: u32,
    bars: Vec<Bar>,
    table: Option<DataTable>,
}

struct DataTable {
    unit_heading: String,
    columns: Vec<String>,
    rows: Vec<DataRow>,
    totals: Vec<String>,
    total: String,
}

struct DataRow {
    label: String,
    href: Option<String>,
    values: Vec<String>,
    total: String,
}

struct Tile {
    label: String,
    href: String,
    x: u32,
    y: u32,
    rate: String,
    shade: &'static str,
}

struct CenterRow {
    name: String,
    href: String,
    last_activity: String,
    users: i64,
    open_cases: String,
    overdue: String,
    silent: bool,
}

struct Crumb {
    label: String,
    href: Option<String>,
}

#[derive(Template)]
#[template(path = "oversight.html")]
struct OversightPage {
    layout: Layout,
    sets: Vec<Choice>,
    periods: Vec<Choice>,
    scope_fields: Vec<(&'static str, String)>,
    crumbs: Vec<Crumb>,
    scope_title: String,
    headline: Vec<Headline>,
    charts: Vec<Chart>,
    trend: Option<Chart>,
    outcomes: Option<Chart>,
    tiles: Vec<Tile>,
    centers: Vec<CenterRow>,
    footnote: String,
    generated: String,
    csv: String,
    xlsx: String,
    /// A coordinator's own center, under Διαχείριση.
    center: bool,
    /// Where the filters' form goes.
    action: &'static str,
}

/// The chart of a table's totals per category, with its data table.
fn chart(
    lang: Lang,
    id: &str,
    title: String,
    bars: Vec<(String, Figure)>,
    table: Option<DataTable>,
) -> Chart {
    const ROW: u32 = 28;
    const WIDTH: u32 = 300;
    let largest = bars
        .iter()
        .filter_map(|(_, f)| f.value)
        .max()
        .unwrap_or(0)
        .max(1);
    let description = bars
        .iter()
        .map(|(label, f)| format!("{label}: {}", f.display))
        .collect::<Vec<_>>()
        .join(", ");
    let bars: Vec<Bar> = bars
        .into_iter()
        .enumerate()
        .map(|(i, (label, f))| Bar {
            width: f.value.map_or(0, |v| {
                (v.max(0) as u64 * u64::from(WIDTH) / largest as u64) as u32
            }),
            hidden: f.value.is_none(),
            y: i as u32 * ROW,
            display: f.display,
            label,
        })
        .collect();
    Chart {
        id: id.replace(|c: char| !c.is_ascii_alphanumeric(), "-"),
        description: i18n::message(
            lang,
            "oversight-chart-description",
            &[("title", &title), ("figures", &description)],
        ),
        title,
        height: (bars.len() as u32).max(1) * ROW,
        bars,
        table,
    }
}

fn table_of(lang: Lang, question: &Question, table: &Table, unit_heading: String) -> DataTable {
    let drill = |unit: &str| -> Option<String> {
        match &question.scope {
            Scope::National => Region::ALL
                .into_iter()
                .find(|r| r.code() == unit)
                .map(|r| question.href(&Scope::Region(r))),
            Scope::Region(r) => Some(question.href(&Scope::Tenant {
                slug: unit.to_owned(),
                region: Some(*r),
            })),
            Scope::Tenant { .. } => None,
        }
    };
    DataTable {
        unit_heading,
        columns: table
            .categories
            .iter()
            .map(|c| i18n::indicator_category(lang, &table.dimension, c))
            .collect(),
        rows: table
            .units
            .iter()
            .map(|u| DataRow {
                label: u.label.clone(),
                href: drill(&u.unit),
                values: u.values.iter().map(|v| v.display.clone()).collect(),
                total: u.total.display.clone(),
            })
            .collect(),
        totals: table.totals.iter().map(|v| v.display.clone()).collect(),
        total: table.total.display.clone(),
    }
}

fn category_total(tables: &[Table], dimension: &str, category: &str) -> Option<Figure> {
    let t = tables.iter().find(|t| t.dimension == dimension)?;
    let i = t.categories.iter().position(|c| c == category)?;
    t.totals.get(i).cloned()
}

fn grand_total(tables: &[Table], dimension: &str) -> Option<Figure> {
    tables
        .iter()
        .find(|t| t.dimension == dimension)
        .map(|t| t.total.clone())
}

/// Where each region sits on the tile map: column, row (north-west first).
fn tile_position(region: Region) -> (u32, u32) {
    match region {
        Region::WesternMacedonia => (1, 0),
        Region::CentralMacedonia => (2, 0),
        Region::EasternMacedoniaThrace => (3, 0),
        Region::Epirus => (0, 1),
        Region::Thessaly => (1, 1),
        Region::NorthAegean => (3, 1),
        Region::IonianIslands => (0, 2),
        Region::WesternGreece => (1, 2),
        Region::CentralGreece => (2, 2),
        Region::Peloponnese => (1, 3),
        Region::Attica => (2, 3),
        Region::SouthAegean => (3, 3),
        Region::Crete => (2, 4),
    }
}

/// The regions' tiles, shaded by participants per 10,000 residents.
fn tiles(question: &Question, participants: &Table) -> Vec<Tile> {
    let rates: Vec<(Region, Option<f64>)> = Region::ALL
        .into_iter()
        .map(|r| {
            let shown = participants
                .units
                .iter()
                .find(|u| u.unit == r.code())
                .map_or(Some(0), |u| u.total.value);
            (
                r,
                shown.map(|n| n as f64 * 10_000.0 / r.residents_2021() as f64),
            )
        })
        .collect();
    let highest = rates
        .iter()
        .filter_map(|(_, rate)| *rate)
        .fold(0.0_f64, f64::max);
    rates
        .into_iter()
        .map(|(region, rate)| {
            let (x, y) = tile_position(region);
            let shade = match rate {
                None => "tile--hidden",
                Some(r) if highest <= 0.0 || r <= 0.0 => "tile--0",
                Some(r) => match (r / highest * 4.0).ceil() as u32 {
                    0 | 1 => "tile--1",
                    2 => "tile--2",
                    3 => "tile--3",
                    _ => "tile--4",
                },
            };
            Tile {
                label: region.name_el().to_owned(),
                href: question.href(&Scope::Region(region)),
                x: x * 130,
                y: y * 84,
                rate: rate.map_or_else(|| format!("<{THRESHOLD}"), |r| format!("{r:.1}")),
                shade,
            }
        })
        .collect()
}

/// The months (or, for a programme period, the years) a trend is drawn
/// over, each as an aligned period of its own.
fn trend_periods(from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let months = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32 + 1;
    // A month has no trend; past a dozen years (a center's own free
    // range can be any) one bar a year says nothing either.
    if months <= 1 || months > 12 * 12 {
        return Vec::new();
    }
    if months <= 12 {
        return (0..months as u32)
            .map(|m| {
                let month = from + chrono::Months::new(m);
                (month, month)
            })
            .collect();
    }
    (from.year()..=to.year())
        .filter_map(|y| {
            Some((
                NaiveDate::from_ymd_opt(y, 1, 1)?,
                NaiveDate::from_ymd_opt(y, 12, 1)?,
            ))
        })
        .collect()
}

/// A contract enum (any document's generated copy) from its wire name.
fn wire<T: serde::de::DeserializeOwned>(name: &str) -> T {
    serde_json::from_value(serde_json::Value::String(name.to_owned()))
        .expect("every document's enums read their wire names")
}

/// Who is looking: an overseer (a regional one kept in their region), or a
/// center's coordinator at their own center's exact figures.
#[derive(Clone, Copy, PartialEq)]
enum Viewer {
    Overseer { region: Option<Region> },
    Center,
}

/// A page's problem with the period, beside the period's field.
fn period_errors(lang: Lang, errors: &graphql::ApiErrors) -> Vec<crate::view::FormError> {
    crate::problems::form_errors(lang, errors)
        .into_iter()
        .map(|mut e| {
            e.field = "period".into();
            e
        })
        .collect()
}

/// Εποπτεία: the overseers' dashboard.
pub async fn show(
    visit: Visit,
    staff: Staff,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if !staff.may("VIEW_CROSS_TENANT_AGGREGATES") {
        return visit.problem(StatusCode::FORBIDDEN, "error-forbidden");
    }
    let own_region = staff.region;
    let question = Question::from_query(&params, own_region);
    let (scope, region, tenant) = question.scope.wire();
    let variables = graphql::oversight::Variables {
        scope: wire(scope),
        region: region.clone(),
        tenant: tenant.clone(),
        set: wire(question.set),
        from: month_code(question.from),
        to: month_code(question.to),
    };
    let mut layout = visit.layout(visit.t("oversight-title"), Some(&staff));
    let data = match ask::<graphql::Oversight>(&visit, &mut layout, variables).await {
        Ok(data) => data,
        Err(response) => return response,
    };
    dashboard(
        &visit,
        layout,
        question,
        data,
        Viewer::Overseer { region: own_region },
    )
    .await
}

/// Διαχείριση → Στατιστικά: the center's own figures, exact, for its
/// coordinator (its managing authority), drawn as the overseers' are.
pub async fn statistics(
    visit: Visit,
    staff: Staff,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if !staff.may("MANAGE_TENANT_SETTINGS") {
        return visit.problem(StatusCode::FORBIDDEN, "error-forbidden");
    }
    let slug = match graphql::run::<graphql::CenterSlug>(
        &visit.state.schema,
        &visit.context,
        graphql::center_slug::Variables {},
    )
    .await
    {
        Ok(data) => match data.my_tenant {
            Some(t) => t.slug,
            None => return visit.problem(StatusCode::FORBIDDEN, "error-forbidden"),
        },
        Err(e) => return visit.failure(&e),
    };
    let mut question = Question::from_query(&params, None);
    question.scope = Scope::Tenant { slug, region: None };
    let Scope::Tenant { slug, .. } = &question.scope else {
        unreachable!("set just above")
    };
    let variables = graphql::center_statistics::Variables {
        tenant: slug.clone(),
        set: wire(question.set),
        from: month_code(question.from),
        to: month_code(question.to),
    };
    let mut layout = visit.layout(visit.t("statistics-title"), Some(&staff));
    let data = match ask::<graphql::CenterStatistics>(&visit, &mut layout, variables).await {
        Ok(data) => data,
        Err(response) => return response,
    };
    dashboard(&visit, layout, question, data, Viewer::Center).await
}

/// Runs a dashboard's document: its answer, or none with the period's
/// problem on the layout, or the page for any other failure.
async fn ask<Q>(
    visit: &Visit,
    layout: &mut Layout,
    variables: Q::Variables,
) -> Result<Option<Answer>, Response>
where
    Q: graphql_client::GraphQLQuery,
    Answer: From<Q::ResponseData>,
{
    match graphql::run::<Q>(&visit.state.schema, &visit.context, variables).await {
        Ok(data) => Ok(Some(Answer::from(data))),
        Err(e) if e.has("VALIDATION") => {
            layout.errors = period_errors(visit.lang, &e);
            Ok(None)
        }
        Err(e) => Err(visit.failure(&e)),
    }
}

/// The dashboard for a question and the API's answer to it.
async fn dashboard(
    visit: &Visit,
    layout: Layout,
    question: Question,
    data: Option<Answer>,
    viewer: Viewer,
) -> Response {
    let lang = visit.lang;
    let center = viewer == Viewer::Center;
    let trend = match &data {
        Some(_) => trend(visit, &question).await,
        None => None,
    };

    let scope_title = match &question.scope {
        Scope::National => visit.t("oversight-nation"),
        Scope::Region(r) => r.name_el().to_owned(),
        Scope::Tenant { slug, .. } => data
            .as_ref()
            .and_then(|d| d.tables.first())
            .and_then(|t| t.units.first())
            .map_or_else(|| slug.clone(), |u| u.label.clone()),
    };
    let mut crumbs = Vec::new();
    if viewer == (Viewer::Overseer { region: None }) {
        crumbs.push(Crumb {
            label: visit.t("oversight-nation"),
            href: (question.scope != Scope::National).then(|| question.href(&Scope::National)),
        });
    }
    let region_of_scope = match &question.scope {
        Scope::Region(r) => Some(*r),
        Scope::Tenant { region, .. } => *region,
        Scope::National => None,
    };
    if let Some(r) = region_of_scope {
        crumbs.push(Crumb {
            label: r.name_el().to_owned(),
            href: matches!(question.scope, Scope::Tenant { .. })
                .then(|| question.href(&Scope::Region(r))),
        });
    }
    if let (Scope::Tenant { .. }, Viewer::Overseer { .. }) = (&question.scope, viewer) {
        crumbs.push(Crumb {
            label: scope_title.clone(),
            href: None,
        });
    }

    let unit_heading = visit.t(match question.scope {
        Scope::National => "oversight-col-region",
        _ => "oversight-col-municipality",
    });
    let mut headline = Vec::new();
    let mut charts = Vec::new();
    let mut outcomes = None;
    let mut tiles_out = Vec::new();
    let mut centers = Vec::new();
    let mut generated = String::new();
    if let Some(data) = &data {
        generated = format::instant(&data.generated_at);
        let activity = &data.activity;
        let mut figure = |id: &str, f: Option<Figure>, hint: &str| {
            if let Some(f) = f {
                headline.push(Headline {
                    label: visit.t(id),
                    value: f.display,
                    hint: if hint.is_empty() {
                        String::new()
                    } else {
                        visit.t(hint)
                    },
                });
            }
        };
        figure(
            "oversight-unique",
            data.unique_participants.clone(),
            "oversight-unique-hint",
        );
        figure(
            "oversight-new",
            category_total(activity, "participants", "new"),
            "",
        );
        figure(
            "oversight-continuing",
            category_total(activity, "participants", "continuing"),
            "",
        );
        if let Some(r) = &data.referrals {
            figure(
                "oversight-referrals-sent",
                Some(Figure {
                    value: Some(r.sent),
                    display: r.sent.to_string(),
                }),
                "",
            );
            let share = |s: Option<f64>| {
                s.map_or_else(|| format!("<{THRESHOLD}"), |s| format!("{:.0}%", s * 100.0))
            };
            figure(
                "oversight-in-time-share",
                Some(Figure {
                    value: None,
                    display: share(r.answered_in_time_share),
                }),
                "oversight-in-time-hint",
            );
            figure(
                "oversight-overdue-share",
                Some(Figure {
                    value: None,
                    display: share(r.overdue_share),
                }),
                "oversight-overdue-hint",
            );
            if let Some(band) = &r.median_response {
                figure(
                    "oversight-median-response",
                    Some(Figure {
                        value: None,
                        display: i18n::indicator_category(lang, "referral_response", band),
                    }),
                    "",
                );
            }
        } else {
            figure(
                "oversight-referrals-sent",
                grand_total(activity, "referrals_status"),
                "",
            );
        }
        figure(
            "oversight-kea",
            grand_total(activity, "kea_applications"),
            "",
        );

        let tables = &data.tables;
        let charted: Vec<&Table> = if question.set == "ACTIVITY" {
            tables
                .iter()
                .filter(|t| t.dimension != "participants")
                .collect()
        } else {
            CHARTED
                .iter()
                .filter_map(|d| tables.iter().find(|t| t.dimension == *d))
                .collect()
        };
        for t in charted {
            let title = i18n::indicator_dimension(lang, &t.dimension);
            let bars = t
                .categories
                .iter()
                .zip(&t.totals)
                .map(|(c, f)| (i18n::indicator_category(lang, &t.dimension, c), f.clone()))
                .collect();
            let table = table_of(lang, &question, t, unit_heading.clone());
            charts.push(chart(lang, &t.dimension, title, bars, Some(table)));
        }
        if let Some(status) = activity.iter().find(|t| t.dimension == "referrals_status") {
            let bars = status
                .categories
                .iter()
                .zip(&status.totals)
                .map(|(c, f)| {
                    (
                        i18n::indicator_category(lang, "referrals_status", c),
                        f.clone(),
                    )
                })
                .collect();
            outcomes = Some(chart(
                lang,
                "referral-outcomes",
                visit.t("oversight-outcomes"),
                bars,
                Some(table_of(lang, &question, status, unit_heading.clone())),
            ));
        }
        if question.scope == Scope::National {
            let participants = tables
                .iter()
                .find(|t| t.dimension == "participants")
                .or_else(|| activity.iter().find(|t| t.dimension == "participants"));
            if let Some(p) = participants {
                tiles_out = tiles(&question, p);
            }
        }
        let today = format::today();
        centers = data
            .centers
            .iter()
            .filter(|c| match &question.scope {
                Scope::National => true,
                Scope::Region(r) => c.region == r.code(),
                Scope::Tenant { slug, .. } => c.tenant == *slug,
            })
            .map(|c| {
                let last = c
                    .last_activity
                    .as_deref()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
                let silent =
                    last.is_none_or(|t| (today - t.date_naive()).num_days() >= SILENT_DAYS);
                CenterRow {
                    href: question.href(&Scope::Tenant {
                        slug: c.tenant.clone(),
                        region: c.region.parse().ok(),
                    }),
                    name: c.name.clone(),
                    last_activity: c
                        .last_activity
                        .as_deref()
                        .map_or_else(|| visit.t("oversight-never"), format::instant),
                    users: c.users,
                    open_cases: c.open_cases.clone(),
                    overdue: c.overdue_referrals.clone(),
                    silent,
                }
            })
            .collect();
        centers.sort_by(|a, b| b.silent.cmp(&a.silent).then(a.name.cmp(&b.name)));
    }
    let footnote = if center {
        i18n::message(lang, "export-rule-unsuppressed", &[])
    } else {
        let (below, threshold, noise) = (
            (THRESHOLD - 1).to_string(),
            THRESHOLD.to_string(),
            NOISE.to_string(),
        );
        i18n::message(
            lang,
            "export-rule-suppressed",
            &[
                ("below", &below),
                ("threshold", &threshold),
                ("noise", &noise),
            ],
        )
    };
    let mut scope_fields = Vec::new();
    if !center {
        scope_fields.push((
            "scope",
            match question.scope {
                Scope::National => "national",
                Scope::Region(_) => "region",
                Scope::Tenant { .. } => "tenant",
            }
            .to_owned(),
        ));
        if let Some(r) = region_of_scope {
            scope_fields.push(("region", r.code().to_owned()));
        }
        if let Scope::Tenant { slug, .. } = &question.scope {
            scope_fields.push(("tenant", slug.clone()));
        }
    }
    let status = if layout.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = OversightPage {
        sets: SETS
            .into_iter()
            .map(|code| Choice {
                value: code.to_owned(),
                label: i18n::message(
                    lang,
                    &format!("oversight-set-{}", code.to_lowercase().replace('_', "-")),
                    &[],
                ),
                selected: code == question.set,
            })
            .collect(),
        periods: period_choices(lang, &question.period()),
        csv: question.export_href("csv"),
        xlsx: question.export_href("xlsx"),
        layout,
        scope_fields,
        crumbs,
        scope_title,
        headline,
        charts,
        trend,
        outcomes,
        tiles: tiles_out,
        centers,
        footnote,
        generated,
        center,
        action: if center {
            "/admin/statistics"
        } else {
            "/oversight"
        },
    };
    (status, render(&page)).into_response()
}

/// New participants per month of the period (per year of a programme
/// period), each from its own aligned period.
async fn trend(visit: &Visit, question: &Question) -> Option<Chart> {
    let periods = trend_periods(question.from, question.to);
    if periods.is_empty() {
        return None;
    }
    let (scope, region, tenant) = question.scope.wire();
    let ask = |(from, to): (NaiveDate, NaiveDate)| {
        let (region, tenant) = (region.clone(), tenant.clone());
        async move {
            let answer = graphql::run::<graphql::OversightTrend>(
                &visit.state.schema,
                &visit.context,
                graphql::oversight_trend::Variables {
                    scope: wire(scope),
                    region,
                    tenant,
                    from: month_code(from),
                    to: month_code(to),
                },
            )
            .await
            .ok()?;
            let tables = answer.indicators.tables;
            let figure = tables
                .iter()
                .find(|t| t.dimension == "participants")
                .and_then(|t| {
                    let i = t.categories.iter().position(|c| c == "new")?;
                    t.totals.get(i).map(|f| Figure {
                        value: f.value,
                        display: f.display.clone(),
                    })
                })
                .unwrap_or(Figure {
                    value: Some(0),
                    display: "0".into(),
                });
            Some((from, to, figure))
        }
    };
    // One after another: each answer is cached by the API, so a second
    // look at the dashboard costs little.
    let mut answers = Vec::with_capacity(periods.len());
    for period in periods {
        answers.extend(ask(period).await);
    }
    let bars = answers
        .into_iter()
        .map(|(from, to, figure)| {
            let label = if from == to {
                format::month_name(visit.lang, from)
            } else {
                from.year().to_string()
            };
            (label, figure)
        })
        .collect();
    Some(chart(
        visit.lang,
        "trend",
        visit.t("oversight-trend"),
        bars,
        None,
    ))
}

/// The dashboard's figures as the API's CSV or XLSX export, in the
/// reader's language.
pub async fn export(
    visit: Visit,
    staff: Staff,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let question = Question::from_query(&params, staff.region);
    let (scope, region, tenant) = question.scope.wire();
    let format = match params.get("format").map(String::as_str) {
        Some("xlsx") => graphql::oversight_export::ExportFormat::XLSX,
        _ => graphql::oversight_export::ExportFormat::CSV,
    };
    let set = wire(question.set);
    let answer = graphql::run::<graphql::OversightExport>(
        &visit.state.schema,
        &visit.context,
        graphql::oversight_export::Variables {
            scope: wire(scope),
            region,
            tenant,
            set,
            from: month_code(question.from),
            to: month_code(question.to),
            format,
            language: Some(visit.lang.code().to_owned()),
        },
    )
    .await;
    let file = match answer {
        Ok(data) => data.export_indicators,
        Err(e) if e.has("VALIDATION") => {
            return visit.problem(StatusCode::UNPROCESSABLE_ENTITY, "oversight-bad-period");
        }
        Err(e) => return visit.failure(&e),
    };
    use base64::Engine;
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&file.content_base64) else {
        return visit.problem(StatusCode::INTERNAL_SERVER_ERROR, "error-internal");
    };
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&file.content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file.filename)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(y: i32, mo: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, mo, 1).unwrap()
    }

    #[test]
    fn a_trend_runs_by_month_within_a_year_and_by_year_over_a_programme() {
        assert!(trend_periods(m(2026, 3), m(2026, 3)).is_empty());
        assert_eq!(
            trend_periods(m(2026, 4), m(2026, 6)),
            [
                (m(2026, 4), m(2026, 4)),
                (m(2026, 5), m(2026, 5)),
                (m(2026, 6), m(2026, 6))
            ]
        );
        let years = trend_periods(m(2021, 1), m(2027, 12));
        assert_eq!(years.len(), 7);
        assert_eq!(years[0], (m(2021, 1), m(2021, 12)));
        assert!(
            trend_periods(m(1, 1), m(9999, 12)).is_empty(),
            "no ten thousand bars for a center's widest free range"
        );
    }

    #[test]
    fn every_period_offered_is_one_an_overseer_may_ask_for() {
        for choice in period_choices(Lang::El, "") {
            let (from, to) = choice.value.split_once(':').unwrap();
            assert!(
                kentro_domain::indicators::is_aligned_period(
                    month(from).unwrap(),
                    month(to).unwrap()
                ),
                "{}",
                choice.value
            );
        }
    }

    #[test]
    fn every_region_has_its_own_tile() {
        let mut seen = std::collections::BTreeSet::new();
        for r in Region::ALL {
            assert!(seen.insert(tile_position(r)), "{r:?} shares a tile");
        }
    }
}
