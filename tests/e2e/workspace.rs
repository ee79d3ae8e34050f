//! The staff workspace in a real browser: the journeys of the people who
//! use it, each screen checked by axe-core and kept as a screenshot.

use std::time::Duration;

use chrono::{Datelike, NaiveDate, Weekday};
use serde_json::json;

use crate::browser::Browser;
use crate::harness::{Backend, Server, demo_account, demo_password};
use crate::operations::{
    CenterIndicators, Me, MyCenters, OpenHousingPhoneCase, OwnDirectoryServices, PartnerKeyLabels,
    PeopleFound, PersonForDesk, PluginSettings, RegisterInLatin, RegisterNamed, SocialWorkerDay,
    TenantActivityTimes, TenantStatusOf, center_indicators, me, my_centers,
    open_housing_phone_case, own_directory_services, partner_key_labels, people_found,
    person_for_desk, plugin_settings, register_in_latin, register_named, social_worker_day,
    tenant_activity_times, tenant_status_of,
};

/// A weekday a week or more ahead, outside the Christmas and New Year
/// closures, when the demo centers are open (08:00–16:00).
fn open_day() -> NaiveDate {
    let mut day = chrono::Utc::now().date_naive() + chrono::Duration::days(8);
    loop {
        let holidays =
            (day.month() == 12 && day.day() >= 20) || (day.month() == 1 && day.day() <= 7);
        if matches!(day.weekday(), Weekday::Tue | Weekday::Wed | Weekday::Thu) && !holidays {
            return day;
        }
        day += chrono::Duration::days(1);
    }
}

async fn demo(backend: &Backend) -> Server {
    Server::start(&backend.demo_env(), &["--demo"])
}

async fn log_in(browser: &Browser, email: &str, password: &str) {
    log_in_landing_on(browser, email, password, "/").await;
}

async fn log_in_landing_on(browser: &Browser, email: &str, password: &str, home: &str) {
    browser.goto("/login").await;
    browser.fill("email", email).await;
    browser.fill("password", password).await;
    browser.submit("form[action='/login']").await;
    assert_eq!(
        browser.path().await,
        home,
        "a login lands on the role's home"
    );
}

/// What the API says the social worker's calendar holds on `day`.
async fn social_worker_day(
    server: &Server,
    backend: &Backend,
    day: NaiveDate,
) -> Vec<social_worker_day::SocialWorkerDayCalendar> {
    let token = server
        .login(
            &demo_account("social-worker", "veria"),
            &demo_password(backend),
        )
        .await;
    server
        .caller(&token)
        .run::<SocialWorkerDay>(social_worker_day::Variables {
            from: day.to_string(),
            to: (day + chrono::Duration::days(1)).to_string(),
        })
        .await
        .ok()
        .calendar
}

/// Journey 1: reception finds nobody, registers a person, sees the
/// duplicate panel for a Latin spelling of the same person, and books an
/// intake with a social worker.
async fn reception_registers_and_books(
    browser: &Browser,
    server: &Server,
    backend: &Backend,
    shots: &str,
) {
    let javascript = !shots.contains("nojs");
    log_in(
        browser,
        &demo_account("reception", "veria"),
        &demo_password(backend),
    )
    .await;
    browser.check_screen(&format!("{shots}-01-home")).await;

    browser.click("nav a[href='/people']").await;
    browser.fill("q", "Παπαδοπούλου").await;
    browser.submit("form[role=search]").await;
    assert!(
        browser.html().await.contains("Δεν βρέθηκε κανείς"),
        "nobody is registered yet"
    );
    browser
        .check_screen(&format!("{shots}-02-search-nobody"))
        .await;

    browser.click("a[href='/people/new']").await;
    browser.fill("givenNameEl", "Μαρία").await;
    browser.fill("familyNameEl", "Παπαδοπούλου").await;
    browser.fill("birthDate", "27/03/1985").await;
    browser.click("#gender-1").await;
    browser.fill("phone", "2331012345").await;
    browser.check_screen(&format!("{shots}-03-register")).await;
    browser.submit("form[action='/people/new']").await;
    let card = browser.path().await;
    assert!(
        card.starts_with("/people/") && card.ends_with("?done=registered"),
        "{card}"
    );
    let person = card.trim_end_matches("?done=registered").to_owned();
    assert_eq!(browser.text("h1").await, "Μαρία Παπαδοπούλου");
    assert!(browser.text("[role=status]").await.contains("καταγράφηκε"));
    browser
        .check_screen(&format!("{shots}-04-person-card"))
        .await;

    // The same woman, written in Latin letters by a colleague.
    browser.goto("/people/new").await;
    browser.fill("givenNameLatin", "Maria").await;
    browser.fill("familyNameLatin", "Papadopoulou").await;
    browser.fill("birthDate", "27/03/1985").await;
    if javascript {
        // The check as you type shows the panel before anything is posted.
        browser.find("#duplicates .duplicate").await;
    } else {
        browser.submit("form[action='/people/new']").await;
    }
    let panel = browser.text("#duplicates").await;
    assert!(panel.contains("Πιθανοί διπλότυποι"), "{panel}");
    assert!(panel.contains("Μαρία Παπαδοπούλου"), "{panel}");
    assert!(
        panel.contains("Ίδια ημερομηνία γέννησης και παρόμοιο όνομα"),
        "{panel}"
    );
    browser
        .check_screen(&format!("{shots}-05-duplicates"))
        .await;
    browser
        .click(&format!("#duplicates a[href='{person}']"))
        .await;
    assert_eq!(
        browser.path().await,
        person,
        "«it is the same person» opens that record"
    );

    browser
        .click(&format!(
            "a[href='/appointments/new?person={}']",
            person.trim_start_matches("/people/")
        ))
        .await;
    let staff = browser.find("#staffId option:nth-child(2)").await;
    let _ = staff;
    let social_worker = browser
        .client
        .execute(
            "return [...document.querySelectorAll('#staffId option')].find(o => o.textContent.includes('social worker')).value;",
            vec![],
        )
        .await;
    let social_worker = match social_worker {
        Ok(value) => value.as_str().expect("an option's value").to_owned(),
        // Without scripts, read the options' HTML instead.
        Err(_) => {
            let html = browser.html().await;
            let at = html
                .find("social worker")
                .expect("the social worker is offered");
            let start = html[..at].rfind("value=\"").expect("an option value") + 7;
            html[start..].split('"').next().expect("a value").to_owned()
        }
    };
    browser.select("staffId", &social_worker).await;
    let day = open_day();
    browser
        .fill("date", &day.format("%d/%m/%Y").to_string())
        .await;
    browser.fill("startTime", "10:00").await;
    browser.check_screen(&format!("{shots}-06-booking")).await;
    browser.submit("form[action='/appointments/new']").await;
    assert_eq!(browser.path().await, format!("{person}?done=booked"));
    assert!(browser.text("[role=status]").await.contains("κλείστηκε"));

    let booked = social_worker_day(server, backend, day).await;
    assert_eq!(booked.len(), 1, "{booked:?}");
    assert_eq!(booked[0].kind, social_worker_day::AppointmentKind::INTAKE);
    assert_eq!(booked[0].person.display_name, "Μαρία Παπαδοπούλου");
    assert_eq!(booked[0].starts_at, format!("{day}T10:00:00"));

    browser
        .goto(&format!("/calendar?date={day}&view=week"))
        .await;
    assert!(
        browser.html().await.contains("Μαρία Παπαδοπούλου"),
        "the week shows the intake"
    );
    browser
        .check_screen(&format!("{shots}-07-calendar-week"))
        .await;
}

#[tokio::test]
async fn reception_finds_nobody_registers_sees_the_latin_duplicate_and_books_an_intake() {
    let backend = Backend::sqlite();
    let server = demo(&backend).await;
    let browser = Browser::open(&server.base_url, true).await;
    reception_registers_and_books(&browser, &server, &backend, "journey1").await;
    browser.close().await;
}

#[tokio::test]
async fn reception_journey_works_without_javascript() {
    let backend = Backend::sqlite();
    let server = demo(&backend).await;
    let browser = Browser::open(&server.base_url, false).await;
    reception_registers_and_books(&browser, &server, &backend, "journey1-nojs").await;
    browser.close().await;
}

#[tokio::test]
async fn reception_journey_works_on_postgres_and_redis() {
    let backend = Backend::postgres().await;
    let server = demo(&backend).await;
    let browser = Browser::open(&server.base_url, true).await;
    reception_registers_and_books(&browser, &server, &backend, "journey1-postgres").await;
    browser.close().await;
}

#[tokio::test]
async fn reception_journey_works_with_the_keyboard_only() {
    let backend = Backend::sqlite();
    let server = demo(&backend).await;
    let browser = Browser::open(&server.base_url, true).await;
    let password = demo_password(&backend);

    browser.goto("/login").await;
    browser.tab_to("#email").await;
    browser.type_text(&demo_account("reception", "veria")).await;
    browser.tab_to("#password").await;
    browser.type_text(&password).await;
    browser.enter_and_wait().await;
    assert_eq!(browser.path().await, "/");

    browser.tab_to("a[href='/people/new']").await;
    browser.enter_and_wait().await;
    browser.tab_to("#givenNameEl").await;
    browser.type_text("Νίκος").await;
    browser.tab_to("#familyNameEl").await;
    browser.type_text("Ιωάννου").await;
    browser.tab_to("#birthDate").await;
    browser.type_text("02/11/1970").await;
    browser
        .tab_to("form[action='/people/new'] button[type=submit]")
        .await;
    browser.enter_and_wait().await;
    let card = browser.path().await;
    assert!(card.ends_with("?done=registered"), "{card}");
    let person = card
        .trim_end_matches("?done=registered")
        .trim_start_matches("/people/")
        .to_owned();

    browser
        .tab_to(&format!("a[href='/appointments/new?person={person}']"))
        .await;
    browser.enter_and_wait().await;
    browser.tab_to("#staffId").await;
    // Type-ahead in a select: the option whose label starts so is chosen.
    browser.type_text("Demo social").await;
    browser.tab_to("#date").await;
    browser
        .type_text(&open_day().format("%d/%m/%Y").to_string())
        .await;
    browser.tab_to("#startTime").await;
    browser.type_text("11:30").await;
    browser
        .tab_to("form[action='/appointments/new'] button[type=submit]")
        .await;
    browser.enter_and_wait().await;
    assert_eq!(
        browser.path().await,
        format!("/people/{person}?done=booked")
    );
    let booked = social_worker_day(&server, &backend, open_day()).await;
    assert_eq!(booked[0].person.display_name, "Νίκος Ιωάννου", "{booked:?}");
    assert_eq!(booked[0].starts_at, format!("{}T11:30:00", open_day()));
    browser.close().await;
}

/// How many people the API finds by `search` for Veria's reception.
async fn people_named(server: &Server, backend: &Backend, search: &str) -> usize {
    let token = server
        .login(&demo_account("reception", "veria"), &demo_password(backend))
        .await;
    server
        .caller(&token)
        .run::<PeopleFound>(people_found::Variables {
            q: Some(search.to_owned()),
        })
        .await
        .ok()
        .people
        .nodes
        .len()
}

#[tokio::test]
async fn bad_input_on_every_form_shows_the_error_summary_keeps_the_values_and_saves_nothing() {
    let backend = Backend::sqlite();
    let server = demo(&backend).await;
    let browser = Browser::open(&server.base_url, true).await;

    // The login form, left empty.
    browser.goto("/login").await;
    browser.submit("form[action='/login']").await;
    assert!(
        browser.focused_is(".error-summary").await,
        "focus moves to the error summary"
    );
    let summary = browser.text(".error-summary").await;
    assert!(
        summary.contains("Γράψτε το e-mail σας") && summary.contains("Γράψτε τον κωδικό σας"),
        "{summary}"
    );
    browser.check_screen("errors-login").await;

    // A wrong password.
    browser
        .fill("email", &demo_account("reception", "veria"))
        .await;
    browser.fill("password", "not the password at all").await;
    browser.submit("form[action='/login']").await;
    assert!(
        browser
            .text(".error-summary")
            .await
            .contains("δεν είναι σωστά")
    );
    assert_eq!(
        browser.value("email").await,
        demo_account("reception", "veria"),
        "the e-mail is kept"
    );

    log_in(
        &browser,
        &demo_account("reception", "veria"),
        &demo_password(&backend),
    )
    .await;

    // Registration: an ΑΜΚΑ with a typo, a birth date that does not exist,
    // a Greek name in the Latin field.
    browser.goto("/people/new").await;
    browser.fill("givenNameEl", "Ελένη").await;
    browser.fill("familyNameEl", "Κωστοπούλου").await;
    browser.fill("givenNameLatin", "Ελένη").await;
    browser.fill("birthDate", "31/02/1990").await;
    browser.fill("amka", "12345678901").await;
    browser.fill("phone", "12").await;
    browser.submit("form[action='/people/new']").await;
    assert!(
        browser.focused_is(".error-summary").await,
        "focus moves to the error summary"
    );
    let summary = browser.text(".error-summary").await;
    for expected in [
        "Γράψτε το με λατινικούς χαρακτήρες",
        "Γράψτε την ημερομηνία ως ημέρα/μήνας/έτος",
        "ΑΜΚΑ",
        "Γράψτε τηλέφωνο",
    ] {
        assert!(
            summary.contains(expected),
            "the summary lacks {expected:?}: {summary}"
        );
    }
    for (field, typed) in [
        ("givenNameEl", "Ελένη"),
        ("familyNameEl", "Κωστοπούλου"),
        ("birthDate", "31/02/1990"),
        ("amka", "12345678901"),
    ] {
        assert_eq!(
            browser.value(field).await,
            typed,
            "{field} keeps what was typed"
        );
    }
    // Each summary entry links to its field.
    assert!(browser.exists(".error-summary a[href='#amka']").await);
    assert!(browser.exists("#amka[aria-invalid=true]").await);
    browser.check_screen("errors-register").await;
    assert_eq!(
        people_named(&server, &backend, "Κωστοπούλου").await,
        0,
        "nothing is saved"
    );

    // Booking: a date that is no date and a time outside the hours.
    browser.fill("givenNameLatin", "Eleni").await;
    browser.fill("birthDate", "").await;
    browser.fill("amka", "").await;
    browser.fill("phone", "").await;
    browser.submit("form[action='/people/new']").await;
    let card = browser.path().await;
    let person = card
        .trim_end_matches("?done=registered")
        .trim_start_matches("/people/")
        .to_owned();
    browser
        .goto(&format!("/appointments/new?person={person}"))
        .await;
    browser.fill("date", "32/13/2026").await;
    browser.fill("startTime", "25:00").await;
    browser.submit("form[action='/appointments/new']").await;
    assert!(browser.focused_is(".error-summary").await);
    let summary = browser.text(".error-summary").await;
    assert!(
        summary.contains("Επιλέξτε συνάδελφο") || summary.contains("ημερομηνία"),
        "{summary}"
    );
    assert_eq!(
        browser.value("date").await,
        "32/13/2026",
        "the date is kept"
    );
    assert_eq!(
        browser.value("startTime").await,
        "25:00",
        "the time is kept"
    );
    browser.check_screen("errors-booking").await;

    // A Saturday: the center is closed.
    let mut saturday = open_day();
    while saturday.weekday() != Weekday::Sat {
        saturday += chrono::Duration::days(1);
    }
    let social_worker = browser
        .client
        .execute(
            "return [...document.querySelectorAll('#staffId option')].find(o => o.textContent.includes('social worker')).value;",
            vec![],
        )
        .await
        .expect("a script");
    browser
        .select("staffId", social_worker.as_str().expect("an id"))
        .await;
    browser
        .fill("date", &saturday.format("%d/%m/%Y").to_string())
        .await;
    browser.fill("startTime", "10:00").await;
    browser.submit("form[action='/appointments/new']").await;
    assert!(
        browser.text(".error-summary").await.contains("κλειστό"),
        "a closed day is named"
    );
    assert!(
        social_worker_day(&server, &backend, saturday)
            .await
            .is_empty(),
        "nothing is booked"
    );
    browser.close().await;
}

#[tokio::test]
async fn forms_posted_without_the_token_or_from_another_origin_change_nothing() {
    let backend = Backend::sqlite();
    let server = demo(&backend).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let base = &server.base_url;

    // Log in as a browser would: the login form's token, then the session cookie.
    let login_page = http
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("the login page");
    let login_cookie = login_page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("kentro_login="))
        .expect("a login token cookie")
        .split(';')
        .next()
        .expect("name=value")
        .to_owned();
    let html = login_page.text().await.expect("HTML");
    let token_of = |html: &str| {
        let at = html.find("name=\"csrf\" value=\"").expect("a form token") + 19;
        html[at..at + 64].to_owned()
    };
    let login_token = token_of(&html);

    // Without the token, even the login is refused.
    let refused = http
        .post(format!("{base}/login"))
        .header("cookie", &login_cookie)
        .form(&[
            ("email", demo_account("reception", "veria")),
            ("password", demo_password(&backend)),
        ])
        .send()
        .await
        .expect("a post");
    assert_eq!(refused.status(), 403);
    let logged_in = http
        .post(format!("{base}/login"))
        .header("cookie", &login_cookie)
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("csrf", login_token),
            ("email", demo_account("reception", "veria")),
            ("password", demo_password(&backend)),
        ])
        .send()
        .await
        .expect("a login");
    assert_eq!(logged_in.status(), 303);
    let session = logged_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("kentro_session="))
        .expect("the session cookie")
        .to_owned();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    let session = session.split(';').next().expect("name=value").to_owned();
    let form_page = http
        .get(format!("{base}/people/new"))
        .header("cookie", &session)
        .send()
        .await
        .expect("the form")
        .text()
        .await
        .expect("HTML");
    let token = token_of(&form_page);
    let person = [("givenNameEl", "Σταύρος"), ("familyNameEl", "Ανδρέου")];

    let without_token = http
        .post(format!("{base}/people/new"))
        .header("cookie", &session)
        .header("sec-fetch-site", "same-origin")
        .form(&person)
        .send()
        .await
        .expect("a post");
    assert_eq!(without_token.status(), 403, "no token, no change");

    let mut with_token: Vec<(&str, &str)> = person.to_vec();
    with_token.push(("csrf", &token));
    let from_elsewhere = http
        .post(format!("{base}/people/new"))
        .header("cookie", &session)
        .header("origin", "http://evil.example")
        .form(&with_token)
        .send()
        .await
        .expect("a post");
    assert_eq!(
        from_elsewhere.status(),
        403,
        "another origin, even with the token"
    );
    let cross_site = http
        .post(format!("{base}/people/new"))
        .header("cookie", &session)
        .header("sec-fetch-site", "cross-site")
        .form(&with_token)
        .send()
        .await
        .expect("a post");
    assert_eq!(
        cross_site.status(),
        403,
        "a cross-site post, even with the token"
    );
    let other_session_token = "0".repeat(64);
    let mut wrong_token: Vec<(&str, &str)> = person.to_vec();
    wrong_token.push(("csrf", &other_session_token));
    let wrong = http
        .post(format!("{base}/people/new"))
        .header("cookie", &session)
        .header("sec-fetch-site", "same-origin")
        .form(&wrong_token)
        .send()
        .await
        .expect("a post");
    assert_eq!(wrong.status(), 403, "another token");
    assert_eq!(
        people_named(&server, &backend, "Ανδρέου").await,
        0,
        "nothing was registered"
    );

    // The same post from the workspace's own page goes through.
    let accepted = http
        .post(format!("{base}/people/new"))
        .header("cookie", &session)
        .header("sec-fetch-site", "same-origin")
        .header("origin", base.as_str())
        .form(&with_token)
        .send()
        .await
        .expect("a post");
    assert_eq!(accepted.status(), 303, "{:?}", accepted.text().await);
    assert_eq!(people_named(&server, &backend, "Ανδρέου").await, 1);

    // Every page carries the policies.
    let page = http
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("a page");
    let header = |name: &str| {
        page.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(header("content-security-policy").contains("frame-ancestors 'none'"));
    assert!(header("content-security-policy").contains("script-src 'self'"));
    assert!(!header("content-security-policy").contains("unsafe-inline"));
    assert_eq!(header("referrer-policy"), "no-referrer");
    assert_eq!(header("x-content-type-options"), "nosniff");
    // No page is kept by the browser or a proxy: a person's card must not
    // come back through the Back button of a shared computer.
    assert_eq!(header("cache-control"), "no-store");
    let card = http
        .get(format!("{base}/people"))
        .header("cookie", &session)
        .send()
        .await
        .expect("a page");
    assert_eq!(card.status(), 200);
    assert_eq!(
        card.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
}

#[tokio::test]
async fn every_screen_passes_axe_in_greek_and_in_english() {
    every_screen_in_both_languages(Backend::sqlite(), "").await;
}

#[tokio::test]
async fn every_screen_works_on_postgres_and_redis() {
    every_screen_in_both_languages(Backend::postgres().await, "postgres-").await;
}

async fn every_screen_in_both_languages(backend: Backend, shots: &str) {
    let server = demo(&backend).await;
    let browser = Browser::open(&server.base_url, true).await;
    log_in(
        &browser,
        &demo_account("social-worker", "veria"),
        &demo_password(&backend),
    )
    .await;
    browser.goto("/people/new").await;
    browser.fill("givenNameEl", "Αικατερίνη").await;
    browser.fill("familyNameEl", "Δημητρίου").await;
    browser.submit("form[action='/people/new']").await;
    let person = browser
        .path()
        .await
        .trim_end_matches("?done=registered")
        .to_owned();
    let id = person.trim_start_matches("/people/").to_owned();
    let screens = [
        ("home", "/".to_owned()),
        ("search", "/people?q=Δημητρίου".to_owned()),
        ("register", "/people/new".to_owned()),
        ("person-card", person.clone()),
        ("booking", format!("/appointments/new?person={id}")),
        ("calendar-day", "/calendar".to_owned()),
        ("calendar-week", "/calendar?view=week".to_owned()),
        ("not-found", "/people/UGVyc29uOjk5OTk5".to_owned()),
        ("directory", "/directory?scope=NATIONAL".to_owned()),
        ("plugins", "/plugins".to_owned()),
        ("account", "/account".to_owned()),
        ("cases-tab", format!("{person}/cases")),
        ("household-tab", format!("{person}/household")),
    ];
    for (lang, switch_label) in [("el", "English"), ("en", "Ελληνικά")] {
        for (name, path) in &screens {
            browser.goto(path).await;
            assert_eq!(
                browser
                    .find("html")
                    .await
                    .attr("lang")
                    .await
                    .expect("lang")
                    .as_deref(),
                Some(lang)
            );
            browser
                .check_screen(&format!("{shots}screen-{name}-{lang}"))
                .await;
        }
        // A service's page, from the national catalog.
        browser.goto("/directory?scope=NATIONAL").await;
        browser.click(".service a").await;
        assert!(browser.exists(".summary").await, "the service's details");
        browser
            .check_screen(&format!("{shots}screen-directory-service-{lang}"))
            .await;
        // The special-category block is there for a social worker.
        browser.goto("/people/new").await;
        assert!(browser.exists("#minority").await);
        browser.submit("form.language").await;
        let switched = browser
            .find(".language button")
            .await
            .text()
            .await
            .expect("text");
        assert_eq!(
            switched,
            if lang == "el" {
                "Ελληνικά"
            } else {
                "English"
            },
            "{switch_label}"
        );
    }
    browser.goto("/logout").await;
    browser.close().await;
}

/// Registers a person through the workspace and opens a case for them;
/// answers the case page's path.
async fn register_and_open_case(browser: &Browser, given: &str, family: &str) -> String {
    browser.goto("/people/new").await;
    browser.fill("givenNameEl", given).await;
    browser.fill("familyNameEl", family).await;
    browser.submit("form[action='/people/new']").await;
    let person = browser
        .path()
        .await
        .trim_end_matches("?done=registered")
        .to_owned();
    browser.goto(&format!("{person}/cases")).await;
    browser.click("#categories input[value=PSYCHOSOCIAL]").await;
    browser.submit("form[action$='/cases/new']").await;
    let case = browser.path().await;
    assert!(
        case.starts_with("/cases/") && case.ends_with("?done=opened"),
        "{case}"
    );
    case.trim_end_matches("?done=opened").to_owned()
}

#[tokio::test]
async fn a_psychological_note_shows_the_social_worker_that_it_exists_never_its_text() {
    let backend = Backend::sqlite();
    let server = demo(&backend).await;
    let password = demo_password(&backend);
    let worker = Browser::open(&server.base_url, true).await;
    log_in(&worker, &demo_account("social-worker", "veria"), &password).await;
    let case = register_and_open_case(&worker, "Γιώργος", "Αθανασίου").await;
    worker.fill("body", "Ήρθε για βοήθεια με το ενοίκιο.").await;
    worker.submit("form[action$='/notes']").await;
    assert!(worker.text("[role=status]").await.contains("προστέθηκε"));

    let psychologist = Browser::open(&server.base_url, true).await;
    log_in(
        &psychologist,
        &demo_account("psychologist", "veria"),
        &password,
    )
    .await;
    psychologist.goto(&case).await;
    let secret = "Αναφέρει κρίσεις πανικού από τον Μάρτιο";
    psychologist.fill("body", secret).await;
    psychologist
        .select("confidentiality", "PSYCHOLOGICAL")
        .await;
    psychologist.submit("form[action$='/notes']").await;
    assert!(
        psychologist.html().await.contains(secret),
        "the author reads her note"
    );
    psychologist.check_screen("case-psychologist").await;

    worker.goto(&case).await;
    let html = worker.html().await;
    assert!(
        html.contains("Ήρθε για βοήθεια με το ενοίκιο."),
        "her own note is there"
    );
    assert!(
        html.contains("Υπάρχει σημείωση που δεν μπορείτε να διαβάσετε."),
        "the note's existence is shown"
    );
    assert!(
        !html.contains(secret),
        "the psychological note's text is nowhere in the page"
    );
    assert!(!html.contains("κρίσεις πανικού"), "not even in part");
    // The social worker cannot choose the psychological level either.
    assert!(
        !worker
            .exists("#confidentiality option[value=PSYCHOLOGICAL]")
            .await
    );
    worker.check_screen("case-social-worker").await;

    // Status moves, the case texts and the timeline.
    worker.click("#status button[value=IN_PROGRESS]").await;
    worker.find("[role=status]").await;
    assert!(worker.text("h1").await.contains("Σε εξέλιξη"));
    worker
        .fill("needsAssessment", "Χρέη ενοικίου τριών μηνών")
        .await;
    worker.submit("form[action$='/texts']").await;
    assert_eq!(
        worker.value("needsAssessment").await,
        "Χρέη ενοικίου τριών μηνών"
    );
    assert!(worker.text(".timeline").await.contains("Αλλαγή κατάστασης"));
    // An appointment booked from the case shows on it.
    worker
        .click("main a[href^='/appointments/new?person=']")
        .await;
    let me = worker
        .client
        .execute("return [...document.querySelectorAll('#staffId option')].find(o => o.textContent.includes('social worker')).value;", vec![])
        .await
        .expect("a script");
    worker.select("staffId", me.as_str().expect("an id")).await;
    worker
        .fill("date", &open_day().format("%d/%m/%Y").to_string())
        .await;
    worker.fill("startTime", "12:00").await;
    worker.submit("form[action='/appointments/new']").await;
    worker.goto(&case).await;
    assert!(
        worker
            .text("main")
            .await
            .contains(&format!("{} 12:00", open_day().format("%d/%m/%Y"))),
        "the case lists the appointment"
    );
    worker.close().await;
    psychologist.close().await;
}

#[tokio::test]
async fn a_social_worker_builds_the_household_and_records_consent() {
    let backend = Backend::sqlite();
    let server = demo(&backend).await;
    let browser = Browser::open(&server.base_url, true).await;
    log_in(
        &browser,
        &demo_account("social-worker", "veria"),
        &demo_password(&backend),
    )
    .await;
    let case = register_and_open_case(&browser, "Ελένη", "Σταματίου").await;
    let person = browser
        .find(".caption a")
        .await
        .attr("href")
        .await
        .expect("href")
        .expect("a link");
    let _ = case;
    // A child, registered first.
    browser.goto("/people/new").await;
    browser.fill("givenNameEl", "Άρης").await;
    browser.fill("familyNameEl", "Σταματίου").await;
    browser.fill("birthDate", "04/05/2015").await;
    browser.submit("form[action='/people/new']").await;

    browser.goto(&format!("{person}/household")).await;
    browser.check_screen("household-none").await;
    browser.submit("form[action$='/household/change']").await;
    browser.fill("q", "Άρης Σταματίου").await;
    browser.submit("form[action$='/household/search']").await;
    browser.select("relationship-1", "CHILD").await;
    browser.submit("form.panel").await;
    let members = browser.text("table").await;
    assert!(
        members.contains("Ελένη Σταματίου") && members.contains("Άρης Σταματίου"),
        "{members}"
    );
    assert!(members.contains("Τέκνο"), "{members}");
    browser.check_screen("household").await;

    browser.goto(&person).await;
    browser.select("purpose", "REFERRAL_SHARING").await;
    browser.submit("#consent").await;
    assert!(
        browser
            .text("[role=status]")
            .await
            .contains("συναίνεση καταγράφηκε")
    );
    assert!(
        browser
            .html()
            .await
            .contains("Διαβίβαση στοιχείων σε παραπομπή")
    );
    // Verbal consent without a witness is refused, and nothing is recorded.
    browser.select("purpose", "CONTACT").await;
    browser.select("method", "VERBAL_WITH_WITNESS").await;
    browser.submit("#consent").await;
    assert!(browser.exists(".error-summary").await);
    assert!(
        !browser
            .html()
            .await
            .contains("Επικοινωνία με SMS ή e-mail</td>")
    );
    browser.check_screen("person-card-consents").await;
    browser.goto(&format!("{person}/cases")).await;
    browser.check_screen("person-cases").await;
    browser.goto(&format!("{person}/appointments")).await;
    browser.check_screen("person-appointments").await;
    browser.goto(&format!("{person}/referrals")).await;
    browser.check_screen("person-referrals").await;
    browser.close().await;
}

#[tokio::test]
async fn a_social_worker_refers_and_sees_the_partner_accept_without_reloading() {
    referral_journey(Backend::sqlite(), "").await;
}

#[tokio::test]
async fn the_referral_journey_works_on_postgres_and_redis() {
    referral_journey(Backend::postgres().await, "postgres-").await;
}

async fn referral_journey(backend: Backend, shots: &str) {
    let server = demo(&backend).await;
    let browser = Browser::open(&server.base_url, true).await;
    log_in(
        &browser,
        &demo_account("social-worker", "veria"),
        &demo_password(&backend),
    )
    .await;
    let case = register_and_open_case(&browser, "Δέσποινα", "Μαυρίδου").await;
    let person = browser
        .find(".caption a")
        .await
        .attr("href")
        .await
        .expect("href")
        .expect("a link");

    // The household, and a minimum-income application with one document.
    browser.goto(&format!("{person}/household")).await;
    browser.submit("form[action$='/household/change']").await;
    browser.click("#rentsHome").await;
    browser.submit("#kea-start").await;
    assert!(
        browser.path().await.starts_with("/kea/"),
        "the application opens"
    );
    let missing_before = browser.text("main > p strong").await;
    browser.check_screen(&format!("{shots}kea")).await;
    browser.submit("form[action$='/documents']").await;
    assert!(browser.text("[role=status]").await.contains("καταγράφηκε"));
    let missing_after = browser.text("main > p strong").await;
    assert_eq!(
        missing_after.parse::<i32>().expect("a count") + 1,
        missing_before.parse::<i32>().expect("a count"),
        "one document fewer is missing"
    );
    assert!(browser.html().await.contains("Παραλήφθηκε"));

    // The referral wizard: without consent the gate stops it.
    browser.goto(&case).await;
    browser.click("a[href^='/referrals/new']").await;
    browser
        .check_screen(&format!("{shots}referral-services"))
        .await;
    browser.click(".service a").await;
    browser
        .fill("reason", "Χρειάζεται στήριξη για εύρεση εργασίας.")
        .await;
    browser.submit("form[action='/referrals/new']").await;
    assert!(
        browser.exists("#consent-gate").await,
        "the consent gate answers"
    );
    browser
        .check_screen(&format!("{shots}referral-consent-gate"))
        .await;
    browser.submit("#consent-gate form").await;
    // Back in the wizard, with consent recorded.
    browser
        .fill("reason", "Χρειάζεται στήριξη για εύρεση εργασίας.")
        .await;
    browser
        .click("#envelopeFields input[value=BIRTH_DATE]")
        .await;
    browser.submit("form[action='/referrals/new']").await;
    assert!(
        browser.path().await.starts_with("/referrals/"),
        "the draft opens"
    );
    let preview = browser.text("#envelope").await;
    assert!(
        preview.contains("Δέσποινα Μαυρίδου"),
        "the preview shows the name: {preview}"
    );
    assert!(!preview.contains("ΑΜΚΑ"), "nothing not chosen: {preview}");
    browser
        .check_screen(&format!("{shots}referral-preview"))
        .await;
    browser.submit("form[action$='/send']").await;
    let link = browser
        .find(".partner-link")
        .await
        .attr("href")
        .await
        .expect("href")
        .expect("the partner link");
    assert_eq!(browser.text("[data-referral-status]").await, "Στάλθηκε");
    browser.check_screen(&format!("{shots}referral-sent")).await;

    // A colleague watches the person's referral list meanwhile.
    let colleague = Browser::open(&server.base_url, true).await;
    log_in(
        &colleague,
        &demo_account("tenant-admin", "veria"),
        &demo_password(&backend),
    )
    .await;
    colleague.goto(&format!("{person}/referrals")).await;
    assert_eq!(colleague.text("[data-referral-status]").await, "Στάλθηκε");

    // The partner accepts on their page; her page changes by itself.
    let partner = Browser::open(&server.base_url, true).await;
    partner
        .client
        .goto(&link)
        .await
        .expect("the partner page opens");
    partner.click("form:has(input[value=accept]) button").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let status = browser.text("[data-referral-status]").await;
        if status == "Έγινε δεκτή" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the status did not change live: {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // So does the colleague's list.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while colleague.text("[data-referral-status]").await != "Έγινε δεκτή" {
        assert!(
            std::time::Instant::now() < deadline,
            "the list did not change live"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    colleague.close().await;
    // Home lists it among the referrals that changed since her last visit.
    browser.goto("/").await;
    let updated = browser.text("section[aria-labelledby=updated-title]").await;
    assert!(
        updated.contains("Δέσποινα Μαυρίδου") && updated.contains("Έγινε δεκτή"),
        "{updated}"
    );
    let waiting = browser.text("section[aria-labelledby=kea-title]").await;
    assert!(
        waiting.contains("Δέσποινα Μαυρίδου"),
        "her application waits for documents: {waiting}"
    );
    browser
        .check_screen(&format!("{shots}home-social-worker"))
        .await;
    browser.goto("/").await;
    let updated = browser.text("section[aria-labelledby=updated-title]").await;
    assert!(
        !updated.contains("Δέσποινα Μαυρίδου"),
        "seen once, then gone: {updated}"
    );
    partner.close().await;
    browser.close().await;
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_and_keeps_this_one() {
    let backend = Backend::sqlite();
    let server = demo(&backend).await;
    let password = demo_password(&backend);
    let email = demo_account("psychologist", "veria");
    let here = Browser::open(&server.base_url, true).await;
    let elsewhere = Browser::open(&server.base_url, true).await;
    log_in(&here, &email, &password).await;
    log_in(&elsewhere, &email, &password).await;

    here.click("a.whoami__name").await;
    here.check_screen("account").await;
    // A wrong current password, and two new ones that differ: nothing changes.
    here.fill("currentPassword", "not my password at all").await;
    here.fill("newPassword", "ένας νέος μακρύς κωδικός").await;
    here.fill("newPasswordAgain", "ένας νέος μακρύς κωδικός")
        .await;
    here.submit("form[action='/account/password']").await;
    assert!(
        here.text(".error-summary")
            .await
            .contains("τωρινός κωδικός δεν είναι σωστός")
    );
    here.fill("currentPassword", &password).await;
    here.fill("newPassword", "ένας νέος μακρύς κωδικός").await;
    here.fill("newPasswordAgain", "κάτι άλλο εντελώς διαφορετικό")
        .await;
    here.submit("form[action='/account/password']").await;
    assert!(
        here.text(".error-summary")
            .await
            .contains("δεν είναι ίδιοι")
    );
    assert_eq!(
        server
            .graphql(
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                json!({ "e": email, "p": password })
            )
            .await["errors"],
        serde_json::Value::Null,
        "the old password still works"
    );

    here.fill("currentPassword", &password).await;
    here.fill("newPassword", "ένας νέος μακρύς κωδικός").await;
    here.fill("newPasswordAgain", "ένας νέος μακρύς κωδικός")
        .await;
    here.submit("form[action='/account/password']").await;
    assert!(
        here.text("[role=status]")
            .await
            .contains("Ο κωδικός άλλαξε")
    );
    here.goto("/").await;
    assert_eq!(here.path().await, "/", "this browser stays logged in");

    elsewhere.goto("/").await;
    assert_eq!(
        elsewhere.path().await,
        "/login?expired",
        "the other session ended"
    );
    assert!(elsewhere.text("[role=status]").await.contains("έληξε"));
    log_in(&elsewhere, &email, "ένας νέος μακρύς κωδικός").await;
    here.close().await;
    elsewhere.close().await;
}

#[tokio::test]
async fn a_failing_plugin_shows_a_clear_message_and_the_page_keeps_working() {
    let backend = Backend::sqlite();
    let (server, _publisher) = crate::plugins::hostile_server(&backend, &[]).await;
    let browser = Browser::open(&server.base_url, true).await;
    log_in(
        &browser,
        &demo_account("social-worker", "paiania"),
        &demo_password(&backend),
    )
    .await;
    browser.click("nav a[href='/plugins']").await;
    browser.check_screen("plugins").await;
    // A plugin that panics: the page says so, the rest keeps working.
    browser
        .click("#plugin-hostile ~ details:has(form[action='/plugins/hostile/panic']) summary")
        .await;
    browser
        .submit("form[action='/plugins/hostile/panic']")
        .await;
    let message = browser.text("#plugin-failure").await;
    assert!(message.contains("παρουσίασε σφάλμα"), "{message}");
    assert!(message.contains("λειτουργούν κανονικά"), "{message}");
    browser.check_screen("plugins-failed").await;
    // One that loops past its deadline.
    browser
        .click("details:has(form[action='/plugins/hostile/loop']) summary")
        .await;
    browser.submit("form[action='/plugins/hostile/loop']").await;
    assert!(
        browser
            .text("#plugin-failure")
            .await
            .contains("δεν απάντησε έγκαιρα")
    );
    // A working operation answers with its result as a table.
    browser
        .click("details:has(form[action='/plugins/hostile/noop']) summary")
        .await;
    browser.submit("form[action='/plugins/hostile/noop']").await;
    assert!(
        browser.exists("#plugin-result").await,
        "the result is shown"
    );
    browser.click("nav a[href='/people']").await;
    assert_eq!(
        browser.path().await,
        "/people",
        "the rest of the workspace answers"
    );
    browser.close().await;
}

#[tokio::test]
async fn reception_moves_a_booking_records_attendance_and_prints_the_slip_and_consent_form() {
    let backend = Backend::sqlite();
    let server = demo(&backend).await;
    let browser = Browser::open(&server.base_url, true).await;
    log_in(
        &browser,
        &demo_account("reception", "veria"),
        &demo_password(&backend),
    )
    .await;
    browser.goto("/people/new").await;
    browser.fill("givenNameEl", "Θεόδωρος").await;
    browser.fill("familyNameEl", "Λαμπράκης").await;
    browser.submit("form[action='/people/new']").await;
    let person = browser
        .path()
        .await
        .trim_end_matches("?done=registered")
        .to_owned();
    let id = person.trim_start_matches("/people/").to_owned();
    browser
        .goto(&format!("/appointments/new?person={id}"))
        .await;
    let social_worker = browser
        .client
        .execute("return [...document.querySelectorAll('#staffId option')].find(o => o.textContent.includes('social worker')).value;", vec![])
        .await
        .expect("a script");
    browser
        .select("staffId", social_worker.as_str().expect("an id"))
        .await;
    let day = open_day();
    browser
        .fill("date", &day.format("%d/%m/%Y").to_string())
        .await;
    browser.fill("startTime", "09:00").await;
    browser.submit("form[action='/appointments/new']").await;

    browser.goto(&format!("{person}/appointments")).await;
    browser.check_screen("person-appointments-booked").await;
    // Moved to a closed day: refused, nothing moves.
    let mut saturday = day;
    while saturday.weekday() != Weekday::Sat {
        saturday += chrono::Duration::days(1);
    }
    browser.click(".appointment details summary").await;
    browser
        .find(".appointment details input[name=date]")
        .await
        .send_keys(&saturday.format("%d/%m/%Y").to_string())
        .await
        .expect("typing");
    browser
        .find(".appointment details input[name=startTime]")
        .await
        .send_keys("10:00")
        .await
        .expect("typing");
    browser.submit(".appointment details form").await;
    assert!(
        browser.text(".error-summary").await.contains("κλειστό"),
        "a closed day is refused"
    );
    assert_eq!(
        social_worker_day(&server, &backend, day).await[0].starts_at,
        format!("{day}T09:00:00")
    );
    // Moved to an hour later the same day (the form is open on its error,
    // with what was typed).
    assert!(browser.exists(".appointment details[open]").await);
    assert_eq!(
        browser
            .find(".appointment details input[name=startTime]")
            .await
            .prop("value")
            .await
            .expect("a value")
            .as_deref(),
        Some("10:00"),
        "the typed time is kept"
    );
    browser
        .find(".appointment details input[name=date]")
        .await
        .clear()
        .await
        .expect("clears");
    browser
        .find(".appointment details input[name=startTime]")
        .await
        .clear()
        .await
        .expect("clears");
    browser
        .find(".appointment details input[name=date]")
        .await
        .send_keys(&day.format("%d/%m/%Y").to_string())
        .await
        .expect("typing");
    browser
        .find(".appointment details input[name=startTime]")
        .await
        .send_keys("10:00")
        .await
        .expect("typing");
    browser.submit(".appointment details form").await;
    assert!(browser.text("[role=status]").await.contains("άλλαξε"));
    assert_eq!(
        social_worker_day(&server, &backend, day).await[0].starts_at,
        format!("{day}T10:00:00")
    );

    browser.click(".appointment a[href$='/slip']").await;
    let slip = browser.text("main").await;
    assert!(
        slip.contains("Σημείωμα ραντεβού")
            && slip.contains("Θεόδωρος Λαμπράκης")
            && slip.contains("10:00"),
        "{slip}"
    );
    browser.check_screen("print-appointment-slip").await;
    browser.goto(&format!("{person}/appointments")).await;
    browser.submit(".appointment form[action$='/kept']").await;
    assert!(
        browser
            .text(".appointment .tag")
            .await
            .contains("Πραγματοποιήθηκε")
    );
    assert!(
        !browser.exists(".appointment form[action$='/cancel']").await,
        "a kept appointment cannot be cancelled"
    );

    browser
        .goto(&format!("{person}/consent-form?purpose=REFERRAL_SHARING"))
        .await;
    let form = browser.text("main").await;
    assert!(
        form.contains("Έντυπο συναίνεσης")
            && form.contains("Θεόδωρος Λαμπράκης")
            && form.contains("Διαβίβαση"),
        "{form}"
    );
    browser.check_screen("print-consent-form").await;
    browser.close().await;
}

#[tokio::test]
async fn a_social_worker_corrects_a_record_and_merges_its_double() {
    let backend = Backend::sqlite();
    let server = demo(&backend).await;
    let browser = Browser::open(&server.base_url, true).await;
    log_in(
        &browser,
        &demo_account("social-worker", "veria"),
        &demo_password(&backend),
    )
    .await;
    let case = register_and_open_case(&browser, "Ιωάννα", "Κουτσού").await;
    let _ = case;
    let keep = browser
        .find(".caption a")
        .await
        .attr("href")
        .await
        .expect("href")
        .expect("a link");
    // Her double, registered in Latin letters with a case of its own.
    let token = server
        .login(
            &demo_account("social-worker", "veria"),
            &demo_password(&backend),
        )
        .await;
    let worker = server.caller(&token);
    let double = worker
        .run::<RegisterInLatin>(register_in_latin::Variables {
            given: "Ioanna".into(),
            family: "Koutsou".into(),
        })
        .await
        .ok()
        .register_person
        .id;
    worker
        .run::<OpenHousingPhoneCase>(open_housing_phone_case::Variables {
            person: double.clone(),
        })
        .await
        .ok();

    browser.goto(&format!("{keep}/edit")).await;
    assert_eq!(
        browser.value("givenNameEl").await,
        "Ιωάννα",
        "the form holds the record"
    );
    browser.fill("phone", "abc").await;
    browser.submit(&format!("form[action='{keep}/edit']")).await;
    assert!(browser.text(".error-summary").await.contains("τηλέφωνο"));
    browser.fill("phone", "2331099999").await;
    browser.submit(&format!("form[action='{keep}/edit']")).await;
    assert!(
        browser
            .text("[role=status]")
            .await
            .contains("αποθηκεύτηκαν")
    );
    assert!(browser.text(".summary").await.contains("2331099999"));

    browser.click(&format!("a[href='{keep}/merge']")).await;
    browser.fill("q", "Koutsou").await;
    browser.submit("form[role=search]").await;
    browser.check_screen("merge").await;
    browser
        .submit(&format!("form:has(input[value='{double}'])"))
        .await;
    assert!(
        browser
            .text("[role=status]")
            .await
            .contains("συγχωνεύθηκαν")
    );
    browser.goto(&format!("{keep}/cases")).await;
    assert_eq!(
        browser.find_all_count("table tbody tr").await,
        2,
        "the double's case moved here"
    );
    let gone = server
        .graphql_as(
            Some(&token),
            "query($p: ID!) { person(id: $p) { id } }",
            json!({ "p": double }),
        )
        .await;
    assert_eq!(
        gone["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "the double is gone"
    );
    browser.close().await;
}

#[tokio::test]
async fn a_plugins_suggestion_is_dismissed_with_a_reason_and_the_language_follows_the_account() {
    let backend = Backend::sqlite();
    let server = Server::start(&crate::plugins::plugin_env(&backend), &["--demo"]);
    let browser = Browser::open(&server.base_url, true).await;
    log_in(
        &browser,
        &demo_account("social-worker", "veria"),
        &demo_password(&backend),
    )
    .await;
    browser.goto("/people/new").await;
    browser.fill("givenNameEl", "Στέλιος").await;
    browser.fill("familyNameEl", "Ράπτης").await;
    browser.submit("form[action='/people/new']").await;
    let person = browser
        .path()
        .await
        .trim_end_matches("?done=registered")
        .to_owned();
    let id = person.trim_start_matches("/people/").to_owned();

    // The job-market plugin, from its own page: a referral to ΔΥΠΑ, which
    // it also suggests on the person's card.
    browser.goto("/plugins").await;
    browser
        .click("details:has(form[action='/plugins/job-market/refer']) summary")
        .await;
    browser.fill("job-market-refer-personId", &id).await;
    browser.select("job-market-refer-to", "dypa").await;
    browser
        .submit("form[action='/plugins/job-market/refer']")
        .await;
    assert!(
        browser.exists("#plugin-result").await,
        "the plugin answered"
    );

    browser.goto("/").await;
    let waiting = browser
        .text("section[aria-labelledby=suggestions-title]")
        .await;
    assert!(
        waiting.contains("Παραπομπή στη ΔΥΠΑ"),
        "home lists the suggestion: {waiting}"
    );
    browser
        .click("section[aria-labelledby=suggestions-title] a")
        .await;
    assert_eq!(browser.path().await, format!("{person}/suggestions"));
    assert!(
        browser
            .text(".suggestion")
            .await
            .contains("Παραπομπή στη ΔΥΠΑ")
    );
    browser.check_screen("person-suggestions").await;
    browser.submit(".suggestion form").await;
    assert!(
        browser
            .text(".error-summary")
            .await
            .contains("Γράψτε γιατί"),
        "a reason is needed"
    );
    assert!(browser.exists(".suggestion").await, "nothing was dismissed");
    browser
        .find(".suggestion input[name=reason]")
        .await
        .send_keys("Εργάζεται ήδη")
        .await
        .expect("typing");
    browser.submit(".suggestion form").await;
    assert!(browser.text("[role=status]").await.contains("απορρίφθηκε"));
    assert!(
        !browser.exists(".suggestion").await,
        "the dismissed suggestion is gone"
    );

    // English, chosen once, follows the account to another browser.
    browser.submit("form.language").await;
    assert_eq!(
        browser
            .find("html")
            .await
            .attr("lang")
            .await
            .expect("lang")
            .as_deref(),
        Some("en")
    );
    let elsewhere = Browser::open(&server.base_url, true).await;
    log_in(
        &elsewhere,
        &demo_account("social-worker", "veria"),
        &demo_password(&backend),
    )
    .await;
    assert_eq!(
        elsewhere
            .find("html")
            .await
            .attr("lang")
            .await
            .expect("lang")
            .as_deref(),
        Some("en")
    );
    assert!(elsewhere.text("h1").await.contains("Home"));
    elsewhere.close().await;
    browser.close().await;
}

/// Διαχείριση: the coordinator invites a social worker; the e-mail travels
/// over a real SMTP conversation; the invitee opens its link in her own
/// browser, chooses her password (a mismatch first shows the error summary)
/// and lands logged in. The link then no longer works. The coordinator gives
/// her another role, which ends her session, and disables her account.
#[tokio::test]
async fn a_coordinator_invites_a_colleague_who_chooses_her_own_password_in_the_browser() {
    let (port, mut mailbox) = crate::harness::fake_smtp().await;
    let backend = Backend::sqlite();
    let mut env = backend.demo_env();
    env.push(("KENTRO_NOTIFY_INTERVAL_SECONDS", "1".into()));
    env.push(("KENTRO_SMTP_URL", format!("smtp://127.0.0.1:{port}")));
    let server = Server::start(&env, &["--demo"]);
    let password = demo_password(&backend);
    let shots = "admin-";

    let coordinator = Browser::open(&server.base_url, true).await;
    log_in(
        &coordinator,
        &demo_account("tenant-admin", "veria"),
        &password,
    )
    .await;
    coordinator.click("nav a[href='/admin']").await;
    coordinator.find("form[action='/admin/users/invite']").await;
    coordinator.check_screen(&format!("{shots}users-el")).await;

    // Nothing typed: every field is named, nothing is sent.
    coordinator
        .submit("form[action='/admin/users/invite']")
        .await;
    assert!(coordinator.exists(".error-summary").await);
    for field in ["name", "email", "role"] {
        assert!(
            coordinator
                .exists(&format!(".error-summary a[href='#{field}']"))
                .await,
            "{field} is in the error summary"
        );
    }
    coordinator
        .check_screen(&format!("{shots}invite-errors"))
        .await;

    coordinator.fill("name", "Ελένη Ιωάννου").await;
    coordinator.fill("email", "eleni.ioannou@veria.demo").await;
    coordinator.select("role", "SOCIAL_WORKER").await;
    coordinator
        .submit("form[action='/admin/users/invite']")
        .await;
    assert_eq!(coordinator.path().await, "/admin/users?done=invited");
    assert!(
        coordinator
            .text("main")
            .await
            .contains("eleni.ioannou@veria.demo"),
        "the pending invitation is listed"
    );

    let mail = loop {
        let mail = tokio::time::timeout(Duration::from_secs(20), mailbox.recv())
            .await
            .expect("the invitation within 20 s")
            .expect("the mailbox stays open");
        if mail.contains("RCPT TO:<eleni.ioannou@veria.demo>") {
            break crate::harness::mail_body(&mail);
        }
    };
    let at = mail.find("/invitation/").expect("a link") + "/invitation/".len();
    let token: String = mail[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();

    let invitee = Browser::open(&server.base_url, true).await;
    invitee.goto(&format!("/invitation/{token}")).await;
    let page = invitee.text("main").await;
    assert!(page.contains("Κοινωνικός λειτουργός"), "{page}");
    assert!(page.contains("Ελένη Ιωάννου"), "{page}");
    invitee.check_screen(&format!("{shots}invitation")).await;
    invitee.fill("password", "ο κήπος της γιαγιάς μου").await;
    invitee.fill("passwordAgain", "ο κήπος της γιαγιάς").await;
    invitee
        .submit(&format!("form[action='/invitation/{token}']"))
        .await;
    assert!(
        invitee
            .exists(".error-summary a[href='#passwordAgain']")
            .await
    );
    invitee
        .check_screen(&format!("{shots}invitation-errors"))
        .await;
    invitee.fill("password", "ο κήπος της γιαγιάς μου").await;
    invitee
        .fill("passwordAgain", "ο κήπος της γιαγιάς μου")
        .await;
    invitee
        .submit(&format!("form[action='/invitation/{token}']"))
        .await;
    assert_eq!(invitee.path().await, "/?welcome");
    assert!(invitee.exists(".notice").await, "a welcome");
    assert!(invitee.text(".whoami").await.contains("Ελένη Ιωάννου"));

    // Used once, the link is gone (in a browser where nobody is logged in).
    let stranger = Browser::open(&server.base_url, true).await;
    stranger.goto(&format!("/invitation/{token}")).await;
    assert!(!stranger.exists("input[type=password]").await);
    stranger
        .check_screen(&format!("{shots}invitation-gone"))
        .await;
    stranger.close().await;

    // A new role ends her session; her next page asks her to log in.
    let admin_token = server
        .login(&demo_account("tenant-admin", "veria"), &password)
        .await;
    let id = crate::access::user_ids(&server, &admin_token)
        .await
        .into_iter()
        .find(|(email, _)| email == "eleni.ioannou@veria.demo")
        .map(|(_, id)| id)
        .expect("her account exists");
    coordinator.goto("/admin/users").await;
    coordinator
        .select(&format!("role-{id}"), "PSYCHOLOGIST")
        .await;
    coordinator
        .submit(&format!("form[action='/admin/users/{id}/role']"))
        .await;
    assert_eq!(coordinator.path().await, "/admin/users?done=role");
    invitee.goto("/").await;
    assert_eq!(invitee.path().await, "/login?expired");
    log_in(
        &invitee,
        "eleni.ioannou@veria.demo",
        "ο κήπος της γιαγιάς μου",
    )
    .await;
    assert!(invitee.text(".whoami").await.contains("Ψυχολόγος"));

    coordinator
        .submit(&format!("form[action='/admin/users/{id}/disable']"))
        .await;
    assert_eq!(coordinator.path().await, "/admin/users?done=disabled");
    invitee.goto("/").await;
    assert_eq!(invitee.path().await, "/login?expired");

    // The same screen in English passes axe too.
    coordinator.submit("form.language").await;
    coordinator.check_screen(&format!("{shots}users-en")).await;
    invitee.close().await;
    coordinator.close().await;
}

/// Ξεχάσατε τον κωδικό; From the login page to a new password, through the
/// e-mailed link, in the browser.
#[tokio::test]
async fn a_forgotten_password_is_reset_from_the_login_page() {
    let (port, mut mailbox) = crate::harness::fake_smtp().await;
    let backend = Backend::sqlite();
    let mut env = backend.demo_env();
    env.push(("KENTRO_NOTIFY_INTERVAL_SECONDS", "1".into()));
    env.push(("KENTRO_SMTP_URL", format!("smtp://127.0.0.1:{port}")));
    let server = Server::start(&env, &["--demo"]);
    let reception = demo_account("reception", "veria");
    let browser = Browser::open(&server.base_url, true).await;
    browser.goto("/login").await;
    browser.click("a[href='/password-reset']").await;
    browser.find("form[action='/password-reset']").await;
    browser.check_screen("reset-ask").await;
    browser.fill("email", &reception).await;
    browser.submit("form[action='/password-reset']").await;
    assert!(!browser.exists("form[action='/password-reset']").await);
    browser.check_screen("reset-sent").await;

    let mail = loop {
        let mail = tokio::time::timeout(Duration::from_secs(20), mailbox.recv())
            .await
            .expect("the link within 20 s")
            .expect("the mailbox stays open");
        if mail.contains(&format!("RCPT TO:<{reception}>")) {
            break crate::harness::mail_body(&mail);
        }
    };
    let at = mail.find("/password-reset/").expect("a link") + "/password-reset/".len();
    let token: String = mail[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    browser.goto(&format!("/password-reset/{token}")).await;
    browser.check_screen("reset-choose").await;
    browser.fill("password", "η γάτα μου κοιμάται πολύ").await;
    browser
        .fill("passwordAgain", "η γάτα μου κοιμάται πολύ")
        .await;
    browser
        .submit(&format!("form[action='/password-reset/{token}']"))
        .await;
    assert_eq!(browser.path().await, "/?password-reset");
    assert!(browser.exists(".notice").await);

    // The link worked once.
    let stranger = Browser::open(&server.base_url, true).await;
    stranger.goto(&format!("/password-reset/{token}")).await;
    stranger.fill("password", "κάποιος άλλος κωδικός εδώ").await;
    stranger
        .fill("passwordAgain", "κάποιος άλλος κωδικός εδώ")
        .await;
    stranger
        .submit(&format!("form[action='/password-reset/{token}']"))
        .await;
    assert!(stranger.exists("a[href='/password-reset']").await, "gone");
    stranger.check_screen("reset-gone").await;
    stranger.close().await;
    server.login(&reception, "η γάτα μου κοιμάται πολύ").await;
    browser.close().await;
}

/// Ημερολόγιο ενεργειών: the coordinator opens a person's access history
/// from their card, sees who registered and read them, filters by date (a
/// wrong date is named), and downloads it as CSV with Greek headings.
#[tokio::test]
async fn a_coordinator_reads_a_persons_access_history_and_downloads_it() {
    let backend = Backend::sqlite();
    let server = demo(&backend).await;
    let password = demo_password(&backend);
    let worker = server
        .login(&demo_account("social-worker", "veria"), &password)
        .await;
    let worker = server.caller(&worker);
    let person = worker
        .run::<RegisterNamed>(register_named::Variables {
            given: "Ευανθία".into(),
            family: "Ρήγα".into(),
        })
        .await
        .ok()
        .register_person
        .id;
    worker
        .run::<PersonForDesk>(person_for_desk::Variables { id: person.clone() })
        .await
        .ok();

    let browser = Browser::open(&server.base_url, true).await;
    log_in(&browser, &demo_account("tenant-admin", "veria"), &password).await;
    browser.goto(&format!("/people/{person}")).await;
    browser
        .click(&format!("a[href='/admin/audit?person={person}']"))
        .await;
    let table = browser.text("table").await;
    assert!(table.contains("Καταγραφή ωφελούμενου"), "{table}");
    assert!(table.contains("Ανάγνωση ωφελούμενου"), "{table}");
    assert!(
        table.contains(&demo_account("social-worker", "veria")),
        "who did it: {table}"
    );
    browser.check_screen("audit-person").await;

    browser.fill("from", "32/13/2026").await;
    browser.submit("form[action='/admin/audit']").await;
    assert!(browser.exists(".error-summary a[href='#from']").await);
    browser.check_screen("audit-bad-date").await;

    let csv = browser
        .download(&format!("/admin/audit.csv?person={person}"))
        .await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment"),
    );
    let text = csv.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("Πότε,Ποιος,Ρόλος,Ενέργεια,Τι,Σκοπός"),
        "{text}"
    );
    assert!(lines.any(|l| l.contains("Καταγραφή ωφελούμενου")), "{text}");
    browser.close().await;
}

/// Συνεργάτες: the coordinator sees each partner key with the referrals its
/// organization received and answered, issues a key (its secret shown once
/// and working at once against the partner API), and revokes it.
#[tokio::test]
async fn a_coordinator_issues_and_revokes_a_partner_key() {
    let backend = Backend::sqlite();
    let server = Server::start(&crate::plugins::plugin_env(&backend), &["--demo"]);
    let password = demo_password(&backend);
    let veria = crate::adversarial::login(&server, &password, "veria").await;
    // A key labelled «Συσσίτιο», and one referral sent to its organization.
    crate::adversarial::veria_data(&server, &veria).await;

    let browser = Browser::open(&server.base_url, true).await;
    log_in(&browser, &demo_account("tenant-admin", "veria"), &password).await;
    browser.goto("/admin").await;
    browser.click("a[href='/admin/partners']").await;
    let row = browser.text("tbody tr").await;
    assert!(row.contains("Συσσίτιο"), "{row}");
    assert!(
        row.contains("1\t0") || row.contains("1 0"),
        "received 1, answered 0: {row}"
    );
    browser.check_screen("partners").await;

    browser.submit("form[action='/admin/partners']").await;
    for field in ["organization", "label"] {
        assert!(
            browser
                .exists(&format!(".error-summary a[href='#{field}']"))
                .await,
            "{field}"
        );
    }
    browser
        .select("organization", crate::adversarial::VERIA_ORGANIZATION)
        .await;
    browser.fill("label", "Σύστημα του συσσιτίου").await;
    browser.submit("form[action='/admin/partners']").await;
    let secret = browser.text("#secret").await;
    assert!(secret.starts_with("kpk_"), "{secret}");
    browser.check_screen("partners-issued").await;

    let seen = server
        .caller(&secret)
        .run::<crate::operations::PartnerReferrals>(crate::operations::partner_referrals::Variables)
        .await
        .ok();
    assert_eq!(
        seen.partner_referrals.len(),
        1,
        "the new key sees the referral sent to its organization: {seen:?}"
    );

    // Revoked, it no longer gets in; the page says so.
    let id = server
        .caller(&veria_admin(&server, &password).await)
        .run::<PartnerKeyLabels>(partner_key_labels::Variables)
        .await
        .ok()
        .partner_keys
        .into_iter()
        .find(|k| k.label == "Σύστημα του συσσιτίου")
        .map(|k| k.id)
        .expect("the issued key is listed");
    browser
        .submit(&format!("form[action='/admin/partners/{id}/revoke']"))
        .await;
    assert_eq!(browser.path().await, "/admin/partners?done=revoked");
    let (status, _) = server
        .post_graphql(
            Some(&secret),
            &json!({ "query": "{ partnerReferrals { id } }" }),
        )
        .await;
    assert_eq!(status, 401, "a revoked key is refused");
    browser.close().await;
}

async fn veria_admin(server: &Server, password: &str) -> String {
    server
        .login(&demo_account("tenant-admin", "veria"), password)
        .await
}

/// Πρόσθετα: the coordinator sees the center's plugins with their settings
/// as a form, is told when a setting breaks the plugin's schema (and nothing
/// changes), saves a good one, enables another and disables one.
#[tokio::test]
async fn a_coordinator_sets_up_enables_and_disables_plugins() {
    let backend = Backend::sqlite();
    let server = Server::start(&crate::plugins::plugin_env(&backend), &["--demo"]);
    let password = demo_password(&backend);
    let browser = Browser::open(&server.base_url, true).await;
    log_in(
        &browser,
        &demo_account("tenant-admin", "paiania"),
        &password,
    )
    .await;
    browser.goto("/admin").await;
    browser.click("a[href='/admin/plugins']").await;
    assert!(
        browser
            .value("tutoring-subjects")
            .await
            .contains("Μαθηματικά"),
        "the tutoring settings from the manifest"
    );
    browser.check_screen("admin-plugins").await;

    browser.fill("tutoring-max_grade", "20").await;
    browser.submit("form#settings-tutoring").await;
    assert!(
        browser
            .exists(".error-summary a[href='#settings-tutoring']")
            .await
    );
    assert_eq!(
        browser.value("tutoring-max_grade").await,
        "20",
        "kept as typed"
    );
    let admin = server
        .login(&demo_account("tenant-admin", "paiania"), &password)
        .await;
    let admin = server.caller(&admin);
    let config = || async {
        admin
            .run::<PluginSettings>(plugin_settings::Variables)
            .await
            .ok()
            .plugins
    };
    let before = config().await;
    assert_eq!(
        before[0].config["max_grade"], 9,
        "nothing saved: {before:?}"
    );

    browser.fill("tutoring-max_grade", "6").await;
    browser.submit("form#settings-tutoring").await;
    assert_eq!(browser.path().await, "/admin/plugins?done=enabled");
    browser
        .fill("creative-activities-default_capacity", "12")
        .await;
    browser.submit("form#settings-creative-activities").await;
    browser
        .submit("form[action='/admin/plugins/tutoring/disable']")
        .await;
    assert_eq!(browser.path().await, "/admin/plugins?done=disabled");
    let after = config().await;
    let of = |id: &str| {
        after
            .iter()
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("{id} in {after:?}"))
    };
    assert_eq!(of("tutoring").config["max_grade"], 6, "{after:?}");
    assert_eq!(of("tutoring").status, "disabled", "{after:?}");
    assert_eq!(of("creative-activities").status, "enabled", "{after:?}");
    assert_eq!(
        of("creative-activities").config["default_capacity"],
        12,
        "{after:?}"
    );
    browser.close().await;
}

/// Waits until the aggregates job has seen every demo center after its
/// last recorded action (the demo's week is seeded as the server starts).
async fn aggregates_ready(server: &Server, overseer: &str) {
    let time = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
    let overseer = server.caller(overseer);
    for _ in 0..240 {
        let rows = overseer
            .run::<TenantActivityTimes>(tenant_activity_times::Variables)
            .await
            .data
            .map(|d| d.tenant_activity)
            .unwrap_or_default();
        let current = rows
            .iter()
            .filter(|r| {
                match (
                    time(&r.computed_at),
                    r.last_activity.as_deref().and_then(time),
                ) {
                    (Some(computed), Some(last)) => computed > last,
                    _ => false,
                }
            })
            .count();
        if rows.len() == 5 && current == 5 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("the aggregates job did not see the five demo centers as they are");
}

/// The cells of the page's data table under the heading `title`: unit
/// label, then each category's figure as printed, row by row.
async fn page_table(browser: &Browser, chart_id: &str) -> Vec<Vec<String>> {
    let rows = browser
        .client
        .find_all(fantoccini::Locator::Css(&format!(
            "section[aria-labelledby='chart-{chart_id}'] tbody tr"
        )))
        .await
        .expect("the data table's rows");
    let mut out = Vec::new();
    for row in rows {
        let text = row.text().await.expect("a row's text");
        let mut cells = Vec::new();
        for cell in row
            .find_all(fantoccini::Locator::Css("th, td"))
            .await
            .expect("cells")
        {
            cells.push(cell.text().await.expect("a cell").trim().to_owned());
        }
        assert!(!text.is_empty());
        out.push(cells);
    }
    out
}

/// Εποπτεία: a ministry overseer drills from the nation to a region and a
/// municipality through the tile map and the tables, downloads the XLSX
/// and finds the page's figures in it; a regional overseer stays in their
/// region.
#[tokio::test]
async fn an_overseer_drills_down_to_a_municipality_and_the_xlsx_holds_the_pages_figures() {
    let backend = Backend::sqlite();
    let mut env = backend.demo_env();
    env.push(("KENTRO_INDICATORS_INTERVAL_SECONDS", "1".into()));
    // Each center with its living week, so every chart has figures.
    let server = Server::start(&env, &["--demo", "--workload"]);
    let password = demo_password(&backend);
    let api_session = server
        .login(crate::harness::MINISTRY_OVERSEER, &password)
        .await;
    aggregates_ready(&server, &api_session).await;

    let browser = Browser::open(&server.base_url, true).await;
    browser.goto("/login").await;
    browser
        .fill("email", crate::harness::MINISTRY_OVERSEER)
        .await;
    browser.fill("password", &password).await;
    browser.submit("form[action='/login']").await;
    assert_eq!(
        browser.path().await,
        "/oversight",
        "an overseer's home is the dashboard"
    );
    assert_eq!(browser.text("h1").await, "Όλη η χώρα");
    assert_eq!(
        browser.find_all_count("svg.tiles a").await,
        13,
        "a tile per region"
    );
    for chart in [
        "gender",
        "age",
        "employment",
        "education",
        "referral-outcomes",
        "trend",
    ] {
        assert!(
            browser
                .exists(&format!(
                    "svg[aria-labelledby='chart-{chart}-t chart-{chart}-d']"
                ))
                .await
                && browser
                    .find(&format!("#chart-{chart}-d"))
                    .await
                    .prop("textContent")
                    .await
                    .unwrap()
                    .is_some_and(|text| text.contains(':')),
            "the {chart} chart with its text alternative"
        );
    }
    let rule = browser.text("#rule").await;
    assert!(rule.contains("<5") && rule.contains("±2"), "{rule}");
    let headline = browser.text(".figures").await;
    assert!(headline.contains("Μοναδικοί ωφελούμενοι"), "{headline}");
    assert!(
        headline.contains("Απαντήθηκαν εγκαίρως") && headline.contains("Παραπομπές εκπρόθεσμες"),
        "the referrals' timeliness: {headline}"
    );
    browser.check_screen("oversight-national").await;

    // The nation → Attica, through its tile.
    browser.click("svg.tiles a[href*='region=attica']").await;
    assert_eq!(browser.text("h1").await, "Αττική");
    assert!(
        browser
            .exists("nav.breadcrumbs a[href*='scope=national']")
            .await
    );
    let municipalities: Vec<String> = page_table(&browser, "gender")
        .await
        .into_iter()
        .map(|row| row[0].clone())
        .collect();
    assert_eq!(
        municipalities.len(),
        3,
        "Attica's three demo centers: {municipalities:?}"
    );
    assert!(
        !browser.exists("svg.tiles").await,
        "the map is the nation's"
    );
    browser.check_screen("oversight-region").await;

    // Attica → Paiania, through the gender table's row.
    browser
        .click("section[aria-labelledby='chart-gender'] tbody a[href*='tenant=paiania']")
        .await;
    let title = browser.text("h1").await;
    assert!(title.contains("Παιανία"), "{title}");
    browser.check_screen("oversight-municipality").await;
    let shown = page_table(&browser, "gender").await;
    assert_eq!(shown.len(), 1, "one municipality: {shown:?}");

    // The XLSX the page offers holds the page's figures.
    let href = browser
        .find("a[href^='/oversight/export?format=xlsx']")
        .await
        .attr("href")
        .await
        .unwrap()
        .expect("the XLSX link");
    let download = browser.download(&href).await;
    assert_eq!(download.status(), 200);
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".xlsx")
    );
    let bytes = download.bytes().await.unwrap();
    use calamine::{Data, Reader};
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range("Δείκτες").unwrap();
    let written: Vec<Vec<String>> = sheet
        .rows()
        .skip(5)
        .filter(|r| r[0] == Data::String("Φύλο".into()))
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Float(n) => format!("{n}"),
                    Data::Int(n) => n.to_string(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    let headings: Vec<String> = {
        let mut headings = Vec::new();
        for th in browser
            .client
            .find_all(fantoccini::Locator::Css(
                "section[aria-labelledby='chart-gender'] thead th",
            ))
            .await
            .unwrap()
        {
            headings.push(th.text().await.unwrap());
        }
        headings
    };
    let row = &shown[0];
    // Columns: municipality, each category, total.
    for (i, category) in headings[1..headings.len() - 1].iter().enumerate() {
        let in_file = written
            .iter()
            .find(|r| r[1] == row[0] && r[3] == *category)
            .unwrap_or_else(|| panic!("{} / {category} is in the XLSX: {written:?}", row[0]));
        assert_eq!(in_file[5], row[i + 1], "{category}");
    }
    // The same dashboard in English.
    browser.goto("/oversight").await;
    browser.submit("form.language").await;
    assert_eq!(browser.text("h1").await, "The whole country");
    assert!(browser.text("#rule").await.contains("cell-key"));
    browser.check_screen("oversight-national-en").await;
    browser.close().await;

    // Without JavaScript: the filters are a plain form, the drill-down links.
    let plain = Browser::open(&server.base_url, false).await;
    plain.goto("/login").await;
    plain.fill("email", crate::harness::MINISTRY_OVERSEER).await;
    plain.fill("password", &password).await;
    plain.submit("form[action='/login']").await;
    plain.select("set", "ACTIVITY").await;
    plain.submit("form[action='/oversight']").await;
    assert!(plain.path().await.contains("set=ACTIVITY"));
    assert!(
        plain
            .exists("section[aria-labelledby='chart-requests']")
            .await
    );
    plain.click("svg.tiles a[href*='region=attica']").await;
    assert_eq!(plain.text("h1").await, "Αττική");
    plain.close().await;

    // A regional overseer lands on their region and cannot leave it.
    let browser = Browser::open(&server.base_url, true).await;
    browser.goto("/login").await;
    browser
        .fill("email", crate::harness::REGIONAL_OVERSEER)
        .await;
    browser.fill("password", &password).await;
    browser.submit("form[action='/login']").await;
    assert_eq!(browser.text("h1").await, "Αττική");
    assert!(
        !browser
            .exists("nav.breadcrumbs a[href*='scope=national']")
            .await
    );
    browser.goto("/oversight?scope=national").await;
    assert_eq!(
        browser.text("h1").await,
        "Αττική",
        "the nation is not theirs"
    );
    browser.goto("/oversight?scope=tenant&tenant=veria").await;
    let refused = browser.text("main").await;
    assert!(!refused.contains("Βέροια"), "{refused}");
    browser.close().await;
}

/// Διαχείριση → Στατιστικά: the coordinator reads their own center's
/// figures, exact (the managing authority's view), as the API gives them.
#[tokio::test]
async fn a_coordinator_reads_the_centers_exact_statistics() {
    let backend = Backend::sqlite();
    let mut env = backend.demo_env();
    env.push(("KENTRO_INDICATORS_INTERVAL_SECONDS", "1".into()));
    let server = Server::start(&env, &["--demo", "--workload"]);
    let password = demo_password(&backend);
    let overseer = server
        .login(crate::harness::MINISTRY_OVERSEER, &password)
        .await;
    aggregates_ready(&server, &overseer).await;
    let email = demo_account("tenant-admin", "veria");
    let admin = server.login(&email, &password).await;
    let year = chrono::Utc::now().format("%Y").to_string();
    let own = server
        .caller(&admin)
        .run::<CenterIndicators>(center_indicators::Variables {
            from: format!("{year}-01"),
            to: format!("{year}-12"),
        })
        .await
        .ok()
        .indicators;
    assert!(!own.suppressed, "{own:?}");
    let gender = own
        .tables
        .into_iter()
        .find(|t| t.dimension == "gender")
        .expect("a gender table");

    let browser = Browser::open(&server.base_url, true).await;
    log_in(&browser, &email, &password).await;
    browser.goto("/admin/statistics").await;
    assert_eq!(browser.text("h1").await, "Στατιστικά του κέντρου");
    assert!(
        browser
            .exists("nav.tabs a[href='/admin/statistics'][aria-current='page']")
            .await
    );
    assert!(
        !browser.exists("svg.tiles").await,
        "no map of other regions"
    );
    let shown = page_table(&browser, "gender").await;
    assert_eq!(shown.len(), 1, "one row, the center's own: {shown:?}");
    let exact: Vec<String> = gender.totals.into_iter().map(|v| v.display).collect();
    assert_eq!(
        shown[0][1..=exact.len()],
        exact[..],
        "the API's exact figures"
    );
    let rule = browser.text("#rule").await;
    assert!(rule.contains("Χωρίς απόκρυψη"), "{rule}");
    browser.check_screen("admin-statistics").await;
    browser.close().await;
}

/// The centers of the caller's municipality, as the API gives them.
async fn my_centers_of(
    coordinator: &crate::harness::Client<'_>,
) -> Vec<my_centers::MyCentersMyTenantCenters> {
    coordinator
        .run::<MyCenters>(my_centers::Variables)
        .await
        .ok()
        .my_tenant
        .expect("the caller's municipality")
        .centers
}

/// The token of the invitation link in the next e-mail to `recipient`.
async fn invitation_link(
    mailbox: &mut tokio::sync::mpsc::UnboundedReceiver<String>,
    recipient: &str,
) -> String {
    let mail = crate::invitations::mail_to(mailbox, recipient).await;
    crate::invitations::invitation_token(&mail)
}

/// Chooses a password on an invitation's page and lands logged in.
async fn accept_in_browser(browser: &Browser, token: &str, password: &str) {
    browser.goto(&format!("/invitation/{token}")).await;
    browser.fill("password", password).await;
    browser.fill("passwordAgain", password).await;
    browser
        .submit(&format!("form[action='/invitation/{token}']"))
        .await;
    assert_eq!(browser.path().await, "/?welcome");
}

/// From nothing to the first social worker logged in, in the browser and
/// without a shell: the platform admin onboards a municipality; its
/// coordinator follows the e-mailed link, opens on Saturdays too, uploads
/// the directory's CSV package, enables tutoring with its settings and
/// invites a social worker, who follows hers; the municipality's checklist
/// follows along.
#[tokio::test]
async fn a_municipality_goes_from_nothing_to_its_first_social_worker_in_the_browser() {
    municipality_from_nothing_to_its_first_social_worker(Backend::sqlite()).await;
}

#[tokio::test]
async fn a_municipality_goes_from_nothing_to_its_first_social_worker_on_postgres_and_redis() {
    municipality_from_nothing_to_its_first_social_worker(Backend::postgres().await).await;
}

async fn municipality_from_nothing_to_its_first_social_worker(backend: Backend) {
    let (port, mut mailbox) = crate::harness::fake_smtp().await;
    let mut env = crate::plugins::plugin_env(&backend);
    env.push(("KENTRO_NOTIFY_INTERVAL_SECONDS", "1".into()));
    env.push(("KENTRO_SMTP_URL", format!("smtp://127.0.0.1:{port}")));
    let server = Server::start(&env, &["--demo"]);
    let password = demo_password(&backend);

    let platform = Browser::open(&server.base_url, true).await;
    log_in_landing_on(
        &platform,
        crate::harness::PLATFORM_ADMIN,
        &password,
        "/municipalities",
    )
    .await;
    assert!(
        platform
            .exists("section[aria-labelledby='m-veria'] .checklist")
            .await
    );
    platform.check_screen("municipalities").await;
    platform.click("a[href='/municipalities/new']").await;
    platform.check_screen("onboarding").await;

    // Bad input: each problem beside its field, nothing created.
    let fill_all = |phone: &'static str, region: &'static str| {
        let platform = &platform;
        async move {
            for (field, value) in [
                ("nameEl", "Δήμος Καλαμάτας"),
                ("nameLatin", "Municipality of Kalamata"),
                ("slug", "kalamata"),
                ("centerName", "Κέντρο Κοινότητας Δήμου Καλαμάτας"),
                ("street", "Αριστομένους 10"),
                ("postalCode", "24100"),
                ("locality", "Καλαμάτα"),
                ("phone", phone),
                ("programme", "Πελοπόννησος 2021-2027"),
                ("coordinatorName", "Μαρία Κωνσταντίνου"),
                ("coordinatorEmail", "syntonistria@kalamata.gr"),
            ] {
                platform.fill(field, value).await;
            }
            platform.select("region", region).await;
        }
    };
    fill_all("12", "").await;
    platform.submit("form[action='/municipalities/new']").await;
    for field in ["phone", "region"] {
        assert!(
            platform
                .exists(&format!(".error-summary a[href='#{field}']"))
                .await,
            "{field} is in the error summary"
        );
    }
    let summary = platform.text(".error-summary").await;
    assert!(
        summary.contains("τηλέφωνο") && !summary.contains("field-"),
        "each problem in the reader's words: {summary}"
    );
    assert_eq!(
        platform.value("slug").await,
        "kalamata",
        "what was typed stays"
    );
    platform.check_screen("onboarding-errors").await;
    let admin_token = server
        .login(crate::harness::PLATFORM_ADMIN, &password)
        .await;
    let nothing = server
        .caller(&admin_token)
        .run::<TenantStatusOf>(tenant_status_of::Variables {
            slug: "kalamata".into(),
        })
        .await
        .ok();
    assert!(nothing.tenant.is_none(), "nothing half-saved");

    fill_all("2721360700", "peloponnese").await;
    platform.submit("form[action='/municipalities/new']").await;
    assert_eq!(platform.path().await, "/municipalities?created=kalamata");
    let checklist = platform
        .text("section[aria-labelledby='m-kalamata'] .checklist")
        .await;
    assert!(checklist.contains("✗ Ενεργός συντονιστής"), "{checklist}");
    assert!(checklist.contains("✓ Ωράριο λειτουργίας"), "{checklist}");

    // The coordinator chooses her password through the e-mailed link …
    let token = invitation_link(&mut mailbox, "syntonistria@kalamata.gr").await;
    let coordinator = Browser::open(&server.base_url, true).await;
    accept_in_browser(&coordinator, &token, "η θάλασσα της Μεσσηνίας").await;
    // … opens on Saturday mornings too …
    coordinator.goto("/admin/center").await;
    coordinator.fill("c0-saturday", "09:00-13:00").await;
    coordinator.submit("form[action='/admin/center']").await;
    assert_eq!(coordinator.path().await, "/admin/center?saved");
    // … uploads the center's directory as the CSV package …
    let package = crate::harness::repo_root().join("tests/fixtures/hsds-3.0/csv");
    let files: Vec<String> = std::fs::read_dir(&package)
        .unwrap()
        .map(|entry| entry.unwrap().path().display().to_string())
        .collect();
    coordinator.goto("/admin/directory").await;
    coordinator
        .find("#files")
        .await
        .send_keys(&files.join("\n"))
        .await
        .expect("the files are chosen");
    coordinator.submit("form[action='/admin/directory']").await;
    let notice = coordinator.text(".notice").await;
    assert!(notice.contains("νέες εγγραφές"), "{notice}");
    // … enables tutoring with its settings …
    coordinator.goto("/admin/plugins").await;
    coordinator
        .fill("tutoring-subjects", "Μαθηματικά\nΑγγλικά")
        .await;
    coordinator.fill("tutoring-min_grade", "1").await;
    coordinator.fill("tutoring-max_grade", "6").await;
    coordinator.submit("form#settings-tutoring").await;
    assert_eq!(coordinator.path().await, "/admin/plugins?done=enabled");
    // … and invites the first social worker.
    coordinator.goto("/admin/users").await;
    coordinator.fill("name", "Ελένη Ιωάννου").await;
    coordinator.fill("email", "eleni@kalamata.gr").await;
    coordinator.select("role", "SOCIAL_WORKER").await;
    coordinator
        .submit("form[action='/admin/users/invite']")
        .await;
    assert_eq!(coordinator.path().await, "/admin/users?done=invited");
    coordinator.close().await;

    let token = invitation_link(&mut mailbox, "eleni@kalamata.gr").await;
    let worker = Browser::open(&server.base_url, true).await;
    accept_in_browser(&worker, &token, "ο κήπος της γιαγιάς μου").await;
    assert!(worker.text(".whoami").await.contains("Ελένη Ιωάννου"));
    assert!(
        worker.exists("nav a[href='/people']").await,
        "a social worker's workspace"
    );
    worker.close().await;

    platform.goto("/municipalities").await;
    let checklist = platform
        .text("section[aria-labelledby='m-kalamata'] .checklist")
        .await;
    assert!(checklist.contains("✓ Ενεργός συντονιστής"), "{checklist}");
    assert!(
        checklist.contains("✓ Προσκλήσεις στο προσωπικό"),
        "{checklist}"
    );
    assert!(
        checklist.contains("✗ Κατάλογος υπηρεσιών") && checklist.contains("1 υπηρεσία"),
        "the package's one service counts, and five are wanted: {checklist}"
    );
    let coordinator_token = server
        .login("syntonistria@kalamata.gr", "η θάλασσα της Μεσσηνίας")
        .await;
    let coordinator = server.caller(&coordinator_token);
    let plugins = coordinator
        .run::<PluginSettings>(plugin_settings::Variables)
        .await
        .ok()
        .plugins;
    assert_eq!(plugins[0].id, "tutoring", "{plugins:?}");
    assert_eq!(plugins[0].status, "enabled", "{plugins:?}");
    assert_eq!(plugins[0].config["max_grade"], 6, "{plugins:?}");
    let centers = my_centers_of(&coordinator).await;
    assert!(
        centers[0].closed_on_public_holidays,
        "a new center closes on public holidays, as public services do"
    );
    assert!(
        centers[0]
            .opening_hours
            .iter()
            .any(|d| d.weekday == my_centers::Weekday::SATURDAY),
        "{centers:?}"
    );
    // In English too.
    platform.submit("form.language").await;
    platform.goto("/municipalities/new").await;
    assert_eq!(platform.text("h1").await, "New municipality");
    platform.check_screen("onboarding-en").await;
    platform.goto("/municipalities").await;
    platform.check_screen("municipalities-en").await;
    platform.close().await;
}

/// Διαχείριση → Κέντρο: the coordinator corrects the center's details,
/// opens on Saturdays and adds a mobile unit; a bad phone number is named
/// beside its field and nothing is saved until all is right.
#[tokio::test]
async fn a_coordinator_keeps_the_centers_hours_contacts_and_units_true() {
    let backend = Backend::sqlite();
    let server = demo(&backend).await;
    let password = demo_password(&backend);
    let email = demo_account("tenant-admin", "paiania");
    let browser = Browser::open(&server.base_url, true).await;
    log_in(&browser, &email, &password).await;
    browser.goto("/admin/center").await;
    assert!(
        browser
            .exists("nav.tabs a[href='/admin/center'][aria-current='page']")
            .await
    );
    browser.check_screen("admin-center").await;

    browser.fill("c0-phone0", "12").await;
    browser.fill("c0-saturday", "09:00-13:00").await;
    browser.select("c1-kind", "mobile_unit").await;
    browser.fill("c1-name", "Κινητή μονάδα Παιανίας").await;
    browser.fill("c1-areas", "Γλυκά Νερά\nΠαιανία").await;
    browser.fill("c1-monday", "09:00-14:00").await;
    browser.submit("form[action='/admin/center']").await;
    assert!(browser.exists(".error-summary a[href='#c0-phone0']").await);
    assert_eq!(
        browser.value("c0-saturday").await,
        "09:00-13:00",
        "what was typed stays"
    );
    browser.check_screen("admin-center-errors").await;
    let token = server.login(&email, &password).await;
    let coordinator = server.caller(&token);
    let before = my_centers_of(&coordinator).await;
    assert_eq!(before.len(), 1, "nothing saved: {before:?}");

    browser.fill("c0-phone0", "2106640100").await;
    browser.submit("form[action='/admin/center']").await;
    assert_eq!(browser.path().await, "/admin/center?saved");
    let saved = my_centers_of(&coordinator).await;
    assert_eq!(
        saved[1].kind,
        my_centers::CenterKind::MOBILE_UNIT,
        "{saved:?}"
    );
    assert_eq!(saved[1].serves_areas, ["Γλυκά Νερά", "Παιανία"]);
    assert!(
        saved[0]
            .opening_hours
            .iter()
            .any(|d| d.weekday == my_centers::Weekday::SATURDAY),
        "open on Saturdays now: {saved:?}"
    );

    // Closed for a break and on public holidays: a line that cannot be
    // read is named by its number, and nothing is saved until all are.
    browser
        .fill(
            "c0-closures",
            "28/12/2026-31/12/2026 Χριστουγεννιάτικη διακοπή\n31/12/2026-24/12/2026 Λάθος",
        )
        .await;
    browser.click("#c0-holidays").await;
    browser.submit("form[action='/admin/center']").await;
    assert!(
        browser
            .exists(".error-summary a[href='#c0-closures']")
            .await
    );
    let problem = browser.text("#c0-closures-error").await;
    assert!(problem.contains("γραμμή 2"), "{problem}");
    browser
        .fill(
            "c0-closures",
            "28/12/2026-31/12/2026 Χριστουγεννιάτικη διακοπή",
        )
        .await;
    browser.submit("form[action='/admin/center']").await;
    assert_eq!(browser.path().await, "/admin/center?saved");
    assert_eq!(
        browser.value("c0-closures").await,
        "28/12/2026-31/12/2026 Χριστουγεννιάτικη διακοπή",
        "shown as it was typed"
    );
    let closed = &my_centers_of(&coordinator).await[0];
    assert!(closed.closed_on_public_holidays, "{closed:?}");
    assert_eq!(
        closed
            .closures
            .iter()
            .map(|c| (c.from.as_str(), c.to.as_str(), c.reason.as_str()))
            .collect::<Vec<_>>(),
        [("2026-12-28", "2026-12-31", "Χριστουγεννιάτικη διακοπή")]
    );
    // Reception cannot book then, and hears why.
    let worker = server
        .login(&demo_account("social-worker", "paiania"), &password)
        .await;
    let worker_id = server
        .caller(&worker)
        .run::<Me>(me::Variables)
        .await
        .ok()
        .me
        .expect("the worker")
        .id;
    let reception = server
        .login(&demo_account("reception", "paiania"), &password)
        .await;
    let person_id = server
        .caller(&reception)
        .run::<RegisterNamed>(register_named::Variables {
            given: "Άννα".into(),
            family: "Ρήγα".into(),
        })
        .await
        .ok()
        .register_person
        .id;
    let reception = server.caller(&reception);
    let book_on = |date: &'static str| {
        let reception = &reception;
        let (worker_id, person_id) = (worker_id.clone(), person_id.clone());
        async move {
            reception
                .run::<crate::operations::BookAppointment>(crate::operations::from_json(
                    json!({ "input": {
                        "personId": person_id, "staffId": worker_id, "centerKey": "main",
                        "kind": "INTAKE",
                        "slot": { "date": date, "startTime": "09:00", "durationMinutes": 30 }
                    }}),
                ))
                .await
        }
    };
    for (date, why) in [
        ("2026-12-29", "Χριστουγεννιάτικη διακοπή"),
        ("2026-12-25", "Χριστούγεννα"),
    ] {
        let refused = book_on(date).await.refused("VALIDATION");
        assert!(
            refused.message.contains(why) || refused.extensions.to_string().contains(why),
            "{date}: {refused:?}"
        );
    }
    // An ordinary Monday stays open.
    book_on("2027-01-04").await.ok();
    // The calendar marks them: the four weekdays of the closure and New
    // Year's Day, each with its reason; the weekend is closed anyway.
    browser.goto("/calendar?date=2026-12-28&view=week").await;
    let marked: Vec<String> = {
        let mut marked = Vec::new();
        for notice in browser
            .client
            .find_all(fantoccini::Locator::Css(".closed-day"))
            .await
            .expect("a search")
        {
            marked.push(notice.text().await.expect("a notice's text"));
        }
        marked
    };
    let marked_for = |reason: &str| {
        marked
            .iter()
            .filter(|m| m.ends_with(&format!("κλειστό — {reason}")))
            .count()
    };
    assert_eq!(marked_for("Χριστουγεννιάτικη διακοπή"), 4, "{marked:?}");
    assert!(marked_for("Πρωτοχρονιά") >= 1, "{marked:?}");
    assert_eq!(
        marked.len(),
        4 + marked_for("Πρωτοχρονιά"),
        "nothing else: {marked:?}"
    );
    browser.check_screen("calendar-closed-days").await;
    // A range the contract does not answer is named by its field.
    for (from, to, problem) in [
        ("2026-12-31", "2026-12-28", "is before from"),
        ("2026-01-01", "2026-12-31", "longer than 92 days"),
    ] {
        let refused = server
            .graphql_as(
                Some(&token),
                "query($from: NaiveDate!, $to: NaiveDate!) { myTenant { centers { closedDays(from: $from, to: $to) { date } } } }",
                json!({ "from": from, "to": to }),
            )
            .await;
        let fields = &refused["errors"][0]["extensions"]["fields"];
        assert_eq!(fields[0]["field"], "to", "{refused}");
        assert!(
            fields[0]["problem"]
                .as_str()
                .unwrap_or("")
                .contains(problem),
            "{refused}"
        );
    }

    // Only the center's coordinator changes it.
    let refused = server
        .graphql_as(
            Some(&worker),
            "mutation { updateCenters(centers: []) { slug } }",
            json!({}),
        )
        .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );
    browser.close().await;

    // The same screen without JavaScript: the form alone saves.
    let plain = Browser::open(&server.base_url, false).await;
    log_in(&plain, &email, &password).await;
    plain.goto("/admin/center").await;
    plain.fill("c0-sunday", "10:00-12:00").await;
    plain.submit("form[action='/admin/center']").await;
    assert_eq!(plain.path().await, "/admin/center?saved");
    plain.close().await;
}

/// Διαχείριση → Πρόσθετα: with two versions installed, the coordinator
/// upgrades a plugin and rolls it back from the settings form.
#[tokio::test]
async fn a_coordinator_upgrades_a_plugin_and_rolls_it_back() {
    let backend = Backend::sqlite();
    let (server, _publisher) = crate::plugins::hostile_server(&backend, &[]).await;
    let password = demo_password(&backend);
    let email = demo_account("tenant-admin", "paiania");
    let token = server.login(&email, &password).await;
    let coordinator = server.caller(&token);
    let running = || async {
        coordinator
            .run::<PluginSettings>(plugin_settings::Variables)
            .await
            .ok()
            .plugins
            .into_iter()
            .find(|p| p.id == "hostile")
            .expect("the hostile plugin")
            .version
    };
    let browser = Browser::open(&server.base_url, true).await;
    log_in(&browser, &email, &password).await;
    browser.goto("/admin/plugins").await;
    assert_eq!(browser.value("version-hostile").await, "1.0.0");
    browser.check_screen("admin-plugin-versions").await;
    for version in ["1.1.0", "1.0.0"] {
        browser.select("version-hostile", version).await;
        browser.submit("form#settings-hostile").await;
        assert_eq!(browser.path().await, "/admin/plugins?done=enabled");
        assert_eq!(running().await, version, "switched without a restart");
        assert_eq!(browser.value("version-hostile").await, version);
    }
    browser.close().await;
}

/// Διαχείριση → Κατάλογος: a coordinator uploads the directory's CSV
/// package. Without files, the form says what to choose; a package with a
/// mistake is refused whole and each problem shows its file, row and field;
/// the sound package goes in and the page says how many records.
#[tokio::test]
async fn a_coordinator_uploads_the_directory_package_and_sees_each_problem() {
    let backend = Backend::sqlite();
    let server = demo(&backend).await;
    let password = demo_password(&backend);
    let package = crate::harness::repo_root().join("tests/fixtures/hsds-3.0/csv");
    let sound: Vec<String> = std::fs::read_dir(&package)
        .unwrap()
        .map(|entry| entry.unwrap().path().display().to_string())
        .collect();
    let mistaken = tempfile::tempdir().unwrap();
    let mut with_mistake = Vec::new();
    for path in &sound {
        let path = std::path::Path::new(path);
        let copy = mistaken.path().join(path.file_name().unwrap());
        let text = std::fs::read_to_string(path).unwrap();
        let text = if copy.ends_with("services.csv") {
            text.replace(",active,", ",sleeping,")
        } else {
            text
        };
        std::fs::write(&copy, text).unwrap();
        with_mistake.push(copy.display().to_string());
    }

    let browser = Browser::open(&server.base_url, true).await;
    log_in(&browser, &demo_account("tenant-admin", "veria"), &password).await;
    browser.goto("/admin").await;
    browser.click("a[href='/admin/directory']").await;
    browser.check_screen("directory-admin").await;

    browser.submit("form[action='/admin/directory']").await;
    assert!(browser.exists(".error-summary a[href='#files']").await);

    let choose = |paths: Vec<String>| {
        let browser = &browser;
        async move {
            browser
                .find("#files")
                .await
                .send_keys(&paths.join("\n"))
                .await
                .expect("the files are chosen");
        }
    };
    let (_, organizations) = server.get_json("/hsds/veria/organizations").await;
    let before = organizations["total_items"].clone();
    choose(with_mistake).await;
    browser.submit("form[action='/admin/directory']").await;
    let problems = browser.text("#upload-problems").await;
    assert!(problems.contains("services.csv, γραμμή 2"), "{problems}");
    assert!(problems.contains("status"), "{problems}");
    assert!(
        problems.contains("Η τιμή «sleeping» δεν είναι μία από τις επιτρεπτές"),
        "in the reader's words: {problems}"
    );
    assert!(
        browser
            .text("h2#upload-problems-title")
            .await
            .contains("Δεν αποθηκεύτηκε")
    );
    browser.check_screen("directory-admin-refused").await;
    let (_, organizations) = server.get_json("/hsds/veria/organizations").await;
    assert_eq!(organizations["total_items"], before, "nothing half-saved");

    choose(sound).await;
    browser.submit("form[action='/admin/directory']").await;
    let notice = browser.text(".notice").await;
    assert!(notice.contains("νέες εγγραφές"), "{notice}");
    assert!(!browser.exists("#upload-problems").await);
    let (_, organizations) = server.get_json("/hsds/veria/organizations").await;
    assert_ne!(
        organizations["total_items"], before,
        "the package went in: {organizations}"
    );
    browser.check_screen("directory-admin-imported").await;
    browser.close().await;
}

/// The same upload with scripts off: a plain form with a file input.
#[tokio::test]
async fn the_directory_upload_works_without_javascript() {
    let backend = Backend::sqlite();
    let server = demo(&backend).await;
    let password = demo_password(&backend);
    let browser = Browser::open(&server.base_url, false).await;
    log_in(
        &browser,
        &demo_account("tenant-admin", "paiania"),
        &password,
    )
    .await;
    browser.goto("/admin/directory").await;
    let json = crate::harness::repo_root().join("tests/fixtures/hsds-3.0/service_full.json");
    browser
        .find("#files")
        .await
        .send_keys(&json.display().to_string())
        .await
        .expect("the file is chosen");
    browser.submit("form[action='/admin/directory']").await;
    let notice = browser.text(".notice").await;
    assert!(notice.contains("νέες εγγραφές"), "{notice}");
    browser.check_screen("directory-admin-no-script").await;
    browser.close().await;
}

/// Δήμοι → a municipality: the platform admin suspends it with a reason,
/// reactivates it, downloads all it holds, and offboards it after typing
/// its identifier; its staff are locked out at once and the date its data
/// goes is shown. A mistaken confirmation changes nothing.
#[tokio::test]
async fn a_platform_admin_suspends_exports_and_offboards_a_municipality() {
    let backend = Backend::sqlite();
    let server = demo(&backend).await;
    let password = demo_password(&backend);
    let browser = Browser::open(&server.base_url, true).await;
    log_in_landing_on(
        &browser,
        crate::harness::PLATFORM_ADMIN,
        &password,
        "/municipalities",
    )
    .await;
    browser.click("a[href='/municipalities/paiania']").await;
    assert_eq!(browser.text("#status").await, "Ενεργός");
    browser.check_screen("municipality").await;

    browser
        .submit("form[action='/municipalities/paiania/suspend']")
        .await;
    assert!(
        browser
            .exists(".error-summary a[href='#suspensionReason']")
            .await
    );
    let summary = browser.text(".error-summary").await;
    assert!(summary.contains("λόγο της αναστολής"), "{summary}");
    browser.check_screen("municipality-errors").await;
    browser
        .fill("suspensionReason", "Λήξη σύμβασης χρηματοδότησης")
        .await;
    browser
        .submit("form[action='/municipalities/paiania/suspend']")
        .await;
    assert_eq!(
        browser.path().await,
        "/municipalities/paiania?done=suspended"
    );
    assert_eq!(browser.text("#status").await, "Σε αναστολή");
    assert!(
        browser
            .text("dl.summary")
            .await
            .contains("Λήξη σύμβασης χρηματοδότησης")
    );
    browser
        .submit("form[action='/municipalities/paiania/reactivate']")
        .await;
    assert_eq!(browser.text("#status").await, "Ενεργός");

    let export = browser.download("/municipalities/paiania/export").await;
    assert_eq!(export.status(), 200);
    assert!(
        export.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("kentro-paiania-"),
    );
    let document: serde_json::Value = export.json().await.unwrap();
    assert_eq!(document["municipality"]["slug"], "paiania");

    let worker = server
        .login(&demo_account("social-worker", "paiania"), &password)
        .await;
    browser.fill("confirm", "paiani").await;
    browser
        .submit("form[action='/municipalities/paiania/offboard']")
        .await;
    assert!(browser.exists(".error-summary a[href='#confirm']").await);
    assert_eq!(browser.text("#status").await, "Ενεργός", "nothing done");
    browser.fill("confirm", "paiania").await;
    browser
        .submit("form[action='/municipalities/paiania/offboard']")
        .await;
    assert_eq!(
        browser.path().await,
        "/municipalities/paiania?done=offboarded"
    );
    assert_eq!(browser.text("#status").await, "Σε αποχώρηση");
    assert!(!browser.text("#deletion-due").await.is_empty());
    assert!(
        !browser.text("dl.summary").await.contains("offboarded"),
        "no internal word on the screen"
    );
    browser.check_screen("municipality-offboarding").await;
    let (status, _) = server
        .post_graphql(Some(&worker), &json!({ "query": "{ me { id } }" }))
        .await;
    assert_eq!(status, 401, "the center's staff are locked out at once");
    browser.goto("/municipalities").await;
    assert!(
        browser
            .text("section[aria-labelledby='m-paiania'] .tag")
            .await
            .contains("Σε αποχώρηση")
    );
    browser.submit("form.language").await;
    browser.goto("/municipalities/paiania").await;
    assert_eq!(browser.text("#status").await, "Leaving");
    browser.check_screen("municipality-en").await;
    // Back to Greek, which the account keeps for the next visits.
    browser.submit("form.language").await;
    browser.close().await;

    // Another municipality, with scripts off and the keyboard alone: the
    // suspension's reason typed and sent with Enter.
    let plain = Browser::open(&server.base_url, false).await;
    log_in_landing_on(
        &plain,
        crate::harness::PLATFORM_ADMIN,
        &password,
        "/municipalities",
    )
    .await;
    plain.goto("/municipalities/veria").await;
    plain
        .fill("suspensionReason", "Έλεγχος της χρηματοδότησης")
        .await;
    plain
        .submit("form[action='/municipalities/veria/suspend']")
        .await;
    assert_eq!(plain.text("#status").await, "Σε αναστολή");
    plain
        .submit("form[action='/municipalities/veria/reactivate']")
        .await;
    assert_eq!(plain.text("#status").await, "Ενεργός");
    plain.close().await;
    let keys = Browser::open(&server.base_url, true).await;
    log_in_landing_on(
        &keys,
        crate::harness::PLATFORM_ADMIN,
        &password,
        "/municipalities",
    )
    .await;
    keys.goto("/municipalities/veria").await;
    keys.tab_to("#suspensionReason").await;
    assert!(keys.focus_is_visible().await, "the focus shows");
    keys.type_text("Έλεγχος").await;
    keys.enter_and_wait().await;
    assert_eq!(
        keys.path().await,
        "/municipalities/veria?done=suspended",
        "Enter in the field sends its form"
    );
    keys.close().await;
}

/// Διαχείριση → Κατάλογος → a single service: the coordinator adds one
/// with a new organization, each mistake named beside its field (the
/// importer's too, in Greek) and nothing saved until all is right; then
/// corrects a seeded service, which keeps the attributes the form does not
/// show.
#[tokio::test]
async fn a_coordinator_adds_and_corrects_one_service_with_a_form() {
    let backend = Backend::sqlite();
    let server = demo(&backend).await;
    let password = demo_password(&backend);
    let email = demo_account("tenant-admin", "veria");
    let token = server.login(&email, &password).await;
    let coordinator = server.caller(&token);
    let own = |search: &'static str| {
        let coordinator = &coordinator;
        async move {
            coordinator
                .run::<OwnDirectoryServices>(own_directory_services::Variables {
                    search: Some(search.to_owned()),
                })
                .await
                .ok()
                .directory_services
        }
    };
    let before = own("").await.len();
    let browser = Browser::open(&server.base_url, true).await;
    log_in(&browser, &email, &password).await;
    browser.goto("/admin/directory").await;
    browser.click("a[href='/admin/directory/service']").await;
    assert_eq!(browser.text("h1").await, "Νέα υπηρεσία");
    browser.check_screen("service-new").await;

    browser
        .submit("form[action='/admin/directory/service']")
        .await;
    for field in ["name", "organization"] {
        assert!(
            browser
                .exists(&format!(".error-summary a[href='#{field}']"))
                .await,
            "{field} is named"
        );
    }
    browser.check_screen("service-errors").await;
    browser.fill("name", "Συμβουλευτική γονέων").await;
    browser
        .fill("description", "Ομάδες γονέων κάθε Τετάρτη απόγευμα.")
        .await;
    browser
        .fill("newOrganization", "Σύλλογος Γονέων Βέροιας")
        .await;
    browser.fill("email", "goneis-at-veria").await;
    browser
        .submit("form[action='/admin/directory/service']")
        .await;
    assert!(browser.exists(".error-summary a[href='#email']").await);
    let problem = browser.text(".error-summary").await;
    assert!(
        problem.contains("δεν είναι διεύθυνση e-mail"),
        "the importer's problem, in Greek: {problem}"
    );
    assert_eq!(browser.value("name").await, "Συμβουλευτική γονέων");
    assert_eq!(own("").await.len(), before, "nothing saved");

    browser.fill("email", "goneis@veria.gr").await;
    browser
        .submit("form[action='/admin/directory/service']")
        .await;
    assert_eq!(browser.path().await, "/admin/directory?done=service");
    assert!(
        browser
            .text("#services")
            .await
            .contains("Συμβουλευτική γονέων")
    );
    let added = own("Συμβουλευτική γονέων").await;
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!(
        added[0].organization_name.as_deref(),
        Some("Σύλλογος Γονέων Βέροιας")
    );
    assert_eq!(added[0].status, "active");
    assert_eq!(own("").await.len(), before + 1);
    // A second one, from the organization now in the directory.
    browser.click("a[href='/admin/directory/service']").await;
    browser.fill("name", "Ομάδα εφήβων").await;
    let organization = added[0].hsds["organization"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    browser.select("organization", &organization).await;
    browser
        .submit("form[action='/admin/directory/service']")
        .await;
    assert_eq!(browser.path().await, "/admin/directory?done=service");
    let second = own("Ομάδα εφήβων").await;
    assert_eq!(
        second[0].organization_name.as_deref(),
        Some("Σύλλογος Γονέων Βέροιας")
    );
    assert_eq!(own("").await.len(), before + 2);

    // A seeded service with its taxonomy attributes, corrected through the form.
    let seeded = own("")
        .await
        .into_iter()
        .find(|s| {
            s.hsds["attributes"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        })
        .expect("a seeded service with attributes");
    let id = seeded.id.clone();
    browser
        .goto(&format!("/admin/directory/service/{id}"))
        .await;
    assert_eq!(
        browser.value("name").await,
        seeded.name,
        "the form shows the service as it is"
    );
    browser.check_screen("service-edit").await;
    browser.select("status", "temporarily closed").await;
    browser
        .submit("form[action='/admin/directory/service']")
        .await;
    assert_eq!(browser.path().await, "/admin/directory?done=service");
    let corrected = own("")
        .await
        .into_iter()
        .find(|s| s.id == id)
        .expect("the same service");
    assert_eq!(corrected.status, "temporarily closed");
    assert_eq!(corrected.name, seeded.name);
    assert_eq!(
        corrected.hsds["attributes"], seeded.hsds["attributes"],
        "what the form does not show stays"
    );
    assert_eq!(own("").await.len(), before + 2, "corrected, not added");

    // With the keyboard alone, every control reached and its focus seen.
    browser.goto("/admin/directory/service").await;
    browser.tab_to("#name").await;
    browser.type_text("Στήριξη φροντιστών").await;
    browser.tab_to("#newOrganization").await;
    assert!(browser.focus_is_visible().await, "the focus shows");
    browser.type_text("Φροντιστές Βέροιας").await;
    browser
        .tab_to("form[action='/admin/directory/service'] button[type='submit']")
        .await;
    browser.enter_and_wait().await;
    assert_eq!(browser.path().await, "/admin/directory?done=service");
    assert_eq!(own("Στήριξη φροντιστών").await.len(), 1);

    browser.submit("form.language").await;
    browser.goto("/admin/directory/service").await;
    assert_eq!(browser.text("h1").await, "New service");
    browser.check_screen("service-new-en").await;
    browser.close().await;

    // And with scripts off: a plain form.
    let plain = Browser::open(&server.base_url, false).await;
    log_in(&plain, &email, &password).await;
    plain.goto("/admin/directory/service").await;
    plain.fill("name", "Λέσχη ανάγνωσης").await;
    plain.fill("newOrganization", "Δημοτική Βιβλιοθήκη").await;
    plain
        .submit("form[action='/admin/directory/service']")
        .await;
    assert_eq!(plain.path().await, "/admin/directory?done=service");
    assert_eq!(own("Λέσχη ανάγνωσης").await.len(), 1);
    plain.close().await;
}
