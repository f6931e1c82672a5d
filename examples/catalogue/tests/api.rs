//! The catalogue API through the test client, on SQLite and (when `PEREGRINE_TEST_PG` is set) on
//! PostgreSQL, each with the in-process copy on and off: every check runs four times.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use catalogue::{app, known_from, CacheMode, Catalogue, Db, Fixture, PoolConfig, Section};
use peregrine::testing::{TestClient, TestResult};
use serde_json::{json, Value};
use sqlx::Connection;

const TOKEN: &str = "s3cret-admin-token";

/// What a check gets: a client on a fresh database, and a second handle on that database for changes made
/// "from outside" the app.
struct Env {
    client: TestClient,
    catalogue: Arc<Catalogue>,
    outside: Db,
    mode: CacheMode,
}

/// A fresh database: a SQLite file or a PostgreSQL schema, removed afterwards.
struct Fresh {
    url: String,
    file: Option<std::path::PathBuf>,
    schema: Option<String>,
}

fn unique() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "catalogue_test_{}_{nanos}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

async fn fresh(postgres: bool) -> Option<Fresh> {
    if !postgres {
        let file = std::env::temp_dir().join(format!("{}.db", unique()));
        return Some(Fresh {
            url: format!("sqlite://{}?mode=rwc", file.display()),
            file: Some(file),
            schema: None,
        });
    }
    let Ok(base) = std::env::var("PEREGRINE_TEST_PG") else {
        eprintln!("skipped: PEREGRINE_TEST_PG is not set");
        return None;
    };
    let schema = unique();
    let mut conn = sqlx::PgConnection::connect(&base)
        .await
        .expect("PEREGRINE_TEST_PG is reachable");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let separator = if base.contains('?') { '&' } else { '?' };
    Some(Fresh {
        url: format!("{base}{separator}options=-c%20search_path%3D{schema}"),
        file: None,
        schema: Some(schema),
    })
}

impl Fresh {
    async fn remove(self) {
        if let Some(file) = &self.file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
        if let (Some(schema), Ok(base)) = (&self.schema, std::env::var("PEREGRINE_TEST_PG")) {
            let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }
}

async fn run<F, Fut>(postgres: bool, mode: CacheMode, check: F)
where
    F: FnOnce(Env) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(db) = fresh(postgres).await else { return };
    let fixture = Fixture::committed();
    let config = PoolConfig::default();
    let catalogue = Arc::new(
        Catalogue::open(
            Db::connect(&db.url, &config, &fixture).await.unwrap(),
            known_from(&fixture),
            mode,
        )
        .await
        .unwrap(),
    );
    let outside = Db::connect(&db.url, &config, &fixture).await.unwrap();
    let client = TestClient::new(app(catalogue.clone(), Some(TOKEN.to_owned())));
    check(Env {
        client,
        catalogue,
        outside,
        mode,
    })
    .await;
    db.remove().await;
}

/// Declares each check four times: `sqlite_cached::<name>`, `sqlite_uncached::…`, `postgres_cached::…`,
/// `postgres_uncached::…`.
macro_rules! everywhere {
    ($($name:ident),* $(,)?) => {
        mod sqlite_cached { $( #[tokio::test] async fn $name() { crate::run(false, catalogue::CacheMode::On, super::$name).await } )* }
        mod sqlite_uncached { $( #[tokio::test] async fn $name() { crate::run(false, catalogue::CacheMode::Off, super::$name).await } )* }
        mod postgres_cached { $( #[tokio::test] async fn $name() { crate::run(true, catalogue::CacheMode::On, super::$name).await } )* }
        mod postgres_uncached { $( #[tokio::test] async fn $name() { crate::run(true, catalogue::CacheMode::Off, super::$name).await } )* }
    };
}

everywhere!(
    the_list_shows_what_each_customer_may_see,
    versions_compare_part_by_part,
    blank_parameters_count_as_absent,
    unknown_values_are_400_naming_the_parameter,
    pages_walk_the_whole_list,
    paging_bounds,
    the_edge_country_header_counts_when_the_query_has_none,
    a_section_pages_its_titles,
    a_section_the_customer_does_not_see_is_404,
    reads_carry_a_strong_etag_and_304_on_a_match,
    a_write_is_seen_by_the_next_read,
    writes_need_the_admin_token,
    bad_writes_are_refused,
    a_change_from_outside_shows_after_reload,
    positions_are_bounded_and_new_sections_still_go_last,
    sections_sharing_a_position_page_by_slug,
    concurrent_writes_all_land_and_one_creates,
    a_nul_in_a_slug_or_marker_is_refused_before_the_database,
    the_bearer_scheme_is_case_insensitive_and_said_once,
    only_json_bodies_are_read,
);

fn ok(r: &TestResult) -> Value {
    assert_eq!(r.status(), 200, "{}", r.text());
    r.json()
}

fn slugs(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["slug"].as_str().unwrap().to_owned())
        .collect()
}

/// The test's own reading of the rules, straight from the fixture: which slugs a customer sees, in order.
fn expected(country: Option<&str>, device: Option<&str>, version: Option<&str>) -> Vec<String> {
    let parts = |v: &str| {
        let mut p: Vec<u64> = v.split('.').map(|x| x.parse().unwrap()).collect();
        p.resize(4, 0);
        p
    };
    Fixture::committed()
        .sections
        .iter()
        .filter(|s| s.countries.is_empty() || country.is_some_and(|c| s.countries.iter().any(|x| x == c)))
        .filter(|s| s.devices.is_empty() || device.is_some_and(|d| s.devices.iter().any(|x| x == d)))
        .filter(|s| match (&s.min_app_version, version) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(min), Some(v)) => parts(v) >= parts(min),
        })
        .map(|s| s.slug.clone())
        .collect()
}

async fn put(env: &Env, slug: &str, body: Value) -> TestResult {
    env.client
        .simulate_put(&format!("/sections/{slug}"))
        .header("authorization", &format!("Bearer {TOKEN}"))
        .json(&body)
        .await
}

async fn the_list_shows_what_each_customer_may_see(env: Env) {
    let customers = [
        (Some("ZA"), Some("android"), Some("5.2")),
        (Some("US"), Some("ios"), None),
        (None, None, None),
        (Some("GB"), Some("tv"), Some("6.0")),
        (Some("NG"), Some("web"), Some("4.9.1")),
        (Some("KE"), Some("android"), Some("10")),
    ];
    let mut seen = std::collections::HashSet::new();
    for (country, device, version) in customers {
        let mut query = vec!["limit=100".to_owned()];
        for (name, value) in [("country", country), ("device", device), ("app_version", version)] {
            if let Some(v) = value {
                query.push(format!("{name}={v}"));
            }
        }
        let page = ok(&env.client.simulate_get(&format!("/sections?{}", query.join("&"))).await);
        let want = expected(country, device, version);
        assert_eq!(slugs(&page), want, "{query:?}");
        assert_eq!(page["count"], want.len());
        assert_eq!(page["remaining"], 0);
        seen.insert(want.len());
    }
    // The customers see different lists, and none sees all 50 or none.
    assert!(seen.len() >= 4, "{seen:?}");
    assert!(seen.iter().all(|n| *n > 0 && *n < 50), "{seen:?}");
}

async fn versions_compare_part_by_part(env: Env) {
    let r = put(
        &env,
        "needs-5-10",
        json!({"name": "Needs 5.10", "min_app_version": "5.10"}),
    )
    .await;
    assert_eq!(r.status(), 201, "{}", r.text());
    for (version, shown) in [
        ("5.2", false),
        ("5.9", false),
        ("5.10", true),
        ("5.10.0", true),
        ("5.11", true),
        ("6", true),
    ] {
        let page = ok(&env
            .client
            .simulate_get(&format!("/sections?limit=100&app_version={version}"))
            .await);
        assert_eq!(
            slugs(&page).contains(&"needs-5-10".to_owned()),
            shown,
            "app_version={version}"
        );
    }
    let page = ok(&env.client.simulate_get("/sections?limit=100").await);
    assert!(!slugs(&page).contains(&"needs-5-10".to_owned()), "no version said");
}

async fn blank_parameters_count_as_absent(env: Env) {
    let plain = ok(&env.client.simulate_get("/sections").await);
    let blank = ok(&env
        .client
        .simulate_get("/sections?country=&device=&app_version=&limit=&marker=")
        .await);
    assert_eq!(plain, blank);
    assert_eq!(plain["count"], 20, "the default limit");
}

async fn unknown_values_are_400_naming_the_parameter(env: Env) {
    for (query, param, hint) in [
        ("country=XX", "country", "ZA"),
        ("device=fridge", "device", "android"),
        ("app_version=5.x", "app_version", "5.10.1"),
        ("app_version=5..2", "app_version", "5.10.1"),
        ("app_version=1.2.3.4.5", "app_version", "5.10.1"),
    ] {
        for path in ["/sections", "/sections/popular-family"] {
            let r = env.client.simulate_get(&format!("{path}?{query}")).await;
            assert_eq!(r.status(), 400, "{path}?{query}: {}", r.text());
            let body: Value = r.json();
            let description = body["description"].as_str().unwrap_or_default();
            assert!(
                description.contains(&format!("\"{param}\"")) && description.contains(hint),
                "{body}"
            );
        }
    }
    // Case does not matter for codes and names.
    let lower = ok(&env
        .client
        .simulate_get("/sections?country=za&device=ANDROID&limit=100")
        .await);
    let upper = ok(&env
        .client
        .simulate_get("/sections?country=ZA&device=android&limit=100")
        .await);
    assert_eq!(lower, upper);
}

async fn pages_walk_the_whole_list(env: Env) {
    let query = "country=ZA&device=android&app_version=6";
    let whole = slugs(&ok(&env
        .client
        .simulate_get(&format!("/sections?{query}&limit=100"))
        .await));
    let mut walked = Vec::new();
    let mut marker = String::new();
    loop {
        let page = ok(&env
            .client
            .simulate_get(&format!("/sections?{query}&limit=7&marker={marker}"))
            .await);
        let items = slugs(&page);
        assert_eq!(page["count"], items.len());
        assert_eq!(page["remaining"], whole.len() - walked.len() - items.len());
        walked.extend(items);
        if page["remaining"] == 0 {
            break;
        }
        marker = walked.last().unwrap().clone();
    }
    assert_eq!(walked, whole);
    // The last slug as the marker: nothing after it.
    let past = ok(&env
        .client
        .simulate_get(&format!("/sections?{query}&marker={}", whole.last().unwrap()))
        .await);
    assert_eq!(past, json!({"count": 0, "items": [], "remaining": 0}));
    // A section this customer does not see is still a place to start after.
    let all = Fixture::committed().sections;
    let hidden = all
        .iter()
        .position(|s| !whole.contains(&s.slug))
        .expect("a section ZA/android/6 does not see");
    let after = ok(&env
        .client
        .simulate_get(&format!("/sections?{query}&limit=100&marker={}", all[hidden].slug))
        .await);
    let want: Vec<String> = all[hidden + 1..]
        .iter()
        .filter(|s| whole.contains(&s.slug))
        .map(|s| s.slug.clone())
        .collect();
    assert_eq!(slugs(&after), want);
}

async fn paging_bounds(env: Env) {
    for query in [
        "limit=0",
        "limit=101",
        "limit=-1",
        "limit=ten",
        "marker=no-such-section",
    ] {
        let r = env.client.simulate_get(&format!("/sections?{query}")).await;
        assert_eq!(r.status(), 400, "{query}: {}", r.text());
    }
    assert_eq!(ok(&env.client.simulate_get("/sections?limit=1").await)["count"], 1);
    let hundred = ok(&env.client.simulate_get("/sections?limit=100").await);
    assert_eq!(hundred["count"], expected(None, None, None).len());
    for query in ["limit=0", "limit=101", "marker=-1", "marker=x"] {
        let r = env
            .client
            .simulate_get(&format!("/sections/popular-family?{query}"))
            .await;
        assert_eq!(r.status(), 400, "{query}: {}", r.text());
    }
}

async fn the_edge_country_header_counts_when_the_query_has_none(env: Env) {
    let by_header = env
        .client
        .simulate_get("/sections?limit=100")
        .header("x-country", "ZA")
        .await;
    assert_eq!(slugs(&ok(&by_header)), expected(Some("ZA"), None, None));
    assert_eq!(by_header.header("vary"), Some("X-Country"));
    // The query wins, and then the header changes nothing: no Vary.
    let by_query = env
        .client
        .simulate_get("/sections?limit=100&country=GB")
        .header("x-country", "ZA")
        .await;
    assert_eq!(slugs(&ok(&by_query)), expected(Some("GB"), None, None));
    assert_eq!(by_query.header("vary"), None);
    // A code the catalogue does not list (an edge's "XX") counts as no country rather than failing.
    let unknown = env
        .client
        .simulate_get("/sections?limit=100")
        .header("x-country", "XX")
        .await;
    assert_eq!(slugs(&ok(&unknown)), expected(None, None, None));
    assert_ne!(expected(Some("ZA"), None, None), expected(None, None, None));
}

async fn a_section_pages_its_titles(env: Env) {
    let fixture = Fixture::committed();
    let slug = "popular-family";
    let titles: Vec<&catalogue::Title> = fixture
        .titles
        .iter()
        .filter(|t| t.section == slug)
        .map(|t| &t.title)
        .collect();
    assert!(titles.len() > 45, "{}", titles.len());
    let first = ok(&env.client.simulate_get(&format!("/sections/{slug}")).await);
    assert_eq!(first["name"], "Popular Family");
    assert_eq!(first["slug"], slug);
    assert_eq!(first["count"], 20);
    assert_eq!(first["remaining"], titles.len() - 20);
    assert_eq!(first["items"][0], serde_json::to_value(titles[0]).unwrap());
    let marker = titles[44].id;
    let page = ok(&env
        .client
        .simulate_get(&format!("/sections/{slug}?marker={marker}&limit=3"))
        .await);
    assert_eq!(page["items"], serde_json::to_value(&titles[45..48]).unwrap());
    assert_eq!(page["remaining"], titles.len() - 48);
    let past = ok(&env
        .client
        .simulate_get(&format!("/sections/{slug}?marker=999999"))
        .await);
    assert_eq!(
        (past["count"].clone(), past["items"].clone(), past["remaining"].clone()),
        (json!(0), json!([]), json!(0))
    );
}

async fn a_section_the_customer_does_not_see_is_404(env: Env) {
    let r = env.client.simulate_get("/sections/no-such-section").await;
    assert_eq!(r.status(), 404, "{}", r.text());
    let limited = Fixture::committed()
        .sections
        .into_iter()
        .find(|s| !s.countries.is_empty())
        .unwrap();
    let allowed = &limited.countries[0];
    let elsewhere = known_from(&Fixture::committed())
        .countries
        .into_iter()
        .find(|c| !limited.countries.contains(c))
        .unwrap();
    let device = limited
        .devices
        .first()
        .map_or(String::new(), |d| format!("&device={d}"));
    let seen = env
        .client
        .simulate_get(&format!("/sections/{}?country={allowed}{device}", limited.slug))
        .await;
    assert_eq!(seen.status(), 200, "{}", seen.text());
    let hidden = env
        .client
        .simulate_get(&format!("/sections/{}?country={elsewhere}{device}", limited.slug))
        .await;
    assert_eq!(hidden.status(), 404, "{}", hidden.text());
}

async fn reads_carry_a_strong_etag_and_304_on_a_match(env: Env) {
    for path in ["/sections?country=ZA", "/sections/popular-family?limit=5"] {
        let r = env.client.simulate_get(path).await;
        ok(&r);
        let tag = r.header("etag").unwrap().to_owned();
        assert!(tag.starts_with('"') && tag.len() == 18, "strong: {tag}");
        assert_eq!(r.header("cache-control"), Some("public, max-age=60"));
        let again = env.client.simulate_get(path).header("if-none-match", &tag).await;
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.header("etag"), Some(tag.as_str()));
        assert!(again.text().is_empty());
        let other = env
            .client
            .simulate_get(path)
            .header("if-none-match", "\"0000000000000000\"")
            .await;
        assert_eq!(other.status(), 200);
    }
    let za = env.client.simulate_get("/sections?country=ZA&limit=100").await;
    let gb = env.client.simulate_get("/sections?country=GB&limit=100").await;
    assert_ne!(za.header("etag"), gb.header("etag"), "different bodies, different tags");
}

async fn a_write_is_seen_by_the_next_read(env: Env) {
    let path = "/sections/popular-family";
    let before = env.client.simulate_get(path).await;
    let old_tag = before.header("etag").unwrap().to_owned();
    let r = put(&env, "popular-family", json!({"name": "Family favourites"})).await;
    assert_eq!(r.status(), 200, "{}", r.text());
    assert_eq!(
        r.json::<Value>(),
        json!({"name": "Family favourites", "slug": "popular-family"})
    );
    let after = env.client.simulate_get(path).header("if-none-match", &old_tag).await;
    assert_eq!(after.status(), 200, "the old tag no longer matches");
    assert_eq!(after.json::<Value>()["name"], "Family favourites");
    assert_ne!(after.header("etag"), Some(old_tag.as_str()));
    // It kept its place in the list.
    let list = ok(&env.client.simulate_get("/sections?limit=100").await);
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    let place = expected(None, None, None)
        .iter()
        .position(|s| s == "popular-family")
        .unwrap();
    assert_eq!(names[place], "Family favourites");
}

async fn writes_need_the_admin_token(env: Env) {
    let body = json!({"name": "Sneaky"});
    let none = env.client.simulate_put("/sections/sneaky").json(&body).await;
    assert_eq!(none.status(), 401, "{}", none.text());
    assert_eq!(none.header("www-authenticate"), Some("Bearer realm=\"catalogue\""));
    let wrong = env
        .client
        .simulate_put("/sections/sneaky")
        .header("authorization", "Bearer s3cret-admin-tokeX")
        .json(&body)
        .await;
    assert_eq!(wrong.status(), 401);
    let basic = env
        .client
        .simulate_put("/sections/sneaky")
        .header("authorization", &format!("Basic {TOKEN}"))
        .json(&body)
        .await;
    assert_eq!(basic.status(), 401);
    let list = ok(&env.client.simulate_get("/sections?limit=100").await);
    assert!(!slugs(&list).contains(&"sneaky".to_owned()));
    // A server started without a token refuses every write.
    let closed = TestClient::new(app(env.catalogue.clone(), None));
    let r = closed
        .simulate_put("/sections/sneaky")
        .header("authorization", &format!("Bearer {TOKEN}"))
        .json(&body)
        .await;
    assert_eq!(r.status(), 403, "{}", r.text());
    // The right token creates it, last.
    let created = put(
        &env,
        "new-shelf",
        json!({"name": "New shelf", "countries": ["za"], "devices": ["TV"]}),
    )
    .await;
    assert_eq!(created.status(), 201, "{}", created.text());
    assert_eq!(created.header("location"), Some("/sections/new-shelf"));
    let za_tv = ok(&env
        .client
        .simulate_get("/sections?limit=100&country=ZA&device=tv")
        .await);
    assert_eq!(slugs(&za_tv).last().map(String::as_str), Some("new-shelf"));
    let gb_tv = ok(&env
        .client
        .simulate_get("/sections?limit=100&country=GB&device=tv")
        .await);
    assert!(!slugs(&gb_tv).contains(&"new-shelf".to_owned()));
}

async fn bad_writes_are_refused(env: Env) {
    for (slug, body, status) in [
        ("ok-slug", json!({"name": ""}), 422),
        ("ok-slug", json!({"name": "x", "countries": ["XX"]}), 422),
        ("ok-slug", json!({"name": "x", "devices": ["fridge"]}), 422),
        ("ok-slug", json!({"name": "x", "min_app_version": "5.x"}), 422),
        ("ok-slug", json!({"name": "x\u{1b}[31m"}), 422),
        ("ok-slug", json!({"name": "evil\u{202e}txt.exe"}), 422),
        ("ok-slug", json!({"name": "two\u{2028}lines"}), 422),
        ("Bad_Slug", json!({"name": "x"}), 422),
        ("ok-slug", json!({"name": "x", "colour": "red"}), 400),
        ("ok-slug", json!({"countries": []}), 400),
    ] {
        let r = put(&env, slug, body.clone()).await;
        assert_eq!(r.status(), status, "{slug} {body}: {}", r.text());
    }
    let big = "x".repeat(20 * 1024);
    let r = put(&env, "ok-slug", json!({ "name": big })).await;
    assert_eq!(r.status(), 413, "over the 16 KiB body limit");
    let list = ok(&env.client.simulate_get("/sections?limit=100").await);
    assert!(!slugs(&list).contains(&"ok-slug".to_owned()));
}

async fn a_change_from_outside_shows_after_reload(env: Env) {
    let mut section: Section = Fixture::committed()
        .sections()
        .into_iter()
        .find(|s| s.slug == "popular-family")
        .unwrap();
    section.name = "Changed elsewhere".into();
    env.outside.put_section(&section, None).await.unwrap();
    let read = ok(&env.client.simulate_get("/sections/popular-family").await);
    match env.mode {
        // The copy is as it was until it is reloaded (main reloads on SIGUSR1).
        CacheMode::On => assert_eq!(read["name"], "Popular Family"),
        CacheMode::Off => assert_eq!(read["name"], "Changed elsewhere"),
    }
    env.catalogue.reload().await.unwrap();
    let read = ok(&env.client.simulate_get("/sections/popular-family").await);
    assert_eq!(read["name"], "Changed elsewhere");
}

async fn positions_are_bounded_and_new_sections_still_go_last(env: Env) {
    for position in [0, -1, i64::MIN, 1_000_000_001, i64::MAX] {
        let r = put(&env, "far-away", json!({"name": "Far", "position": position})).await;
        assert_eq!(r.status(), 422, "position {position}: {}", r.text());
    }
    let r = put(&env, "far-away", json!({"name": "Far", "position": 1_000_000_000})).await;
    assert_eq!(r.status(), 201, "{}", r.text());
    let r = put(&env, "after-far", json!({"name": "After"})).await;
    assert_eq!(r.status(), 201, "{}", r.text());
    let list = slugs(&ok(&env.client.simulate_get("/sections?limit=100").await));
    assert_eq!(list[list.len() - 2..], ["far-away", "after-far"]);
    // The stored rows still read back as they were written (a position past i64 would not).
    let stored = env.outside.all_sections().await.unwrap();
    assert_eq!(
        stored.last().map(|s| (s.slug.as_str(), s.position)),
        Some(("after-far", 1_000_000_001))
    );
}

async fn sections_sharing_a_position_page_by_slug(env: Env) {
    for slug in ["tie-b", "tie-a"] {
        let r = put(&env, slug, json!({"name": slug, "position": 3})).await;
        assert_eq!(r.status(), 201, "{}", r.text());
    }
    let whole = slugs(&ok(&env.client.simulate_get("/sections?limit=100").await));
    let mut walked: Vec<String> = Vec::new();
    loop {
        let marker = walked.last().map_or(String::new(), |m| format!("&marker={m}"));
        let page = ok(&env.client.simulate_get(&format!("/sections?limit=1{marker}")).await);
        walked.extend(slugs(&page));
        if page["remaining"] == 0 {
            break;
        }
    }
    assert_eq!(walked, whole);
    let third = Fixture::committed().sections[2].slug.clone();
    let at_three: Vec<&str> = whole
        .iter()
        .map(String::as_str)
        .filter(|s| ["tie-a", "tie-b", third.as_str()].contains(s))
        .collect();
    let mut by_slug = vec!["tie-a", "tie-b", third.as_str()];
    by_slug.sort();
    assert_eq!(at_three, by_slug, "the same position shows by slug");
}

async fn concurrent_writes_all_land_and_one_creates(env: Env) {
    let mut writes = tokio::task::JoinSet::new();
    for i in 0..12 {
        let client = env.client.clone();
        let slug = if i % 3 == 0 {
            "shared".to_owned()
        } else {
            format!("new-{i}")
        };
        writes.spawn(async move {
            let r = client
                .simulate_put(&format!("/sections/{slug}"))
                .header("authorization", &format!("Bearer {TOKEN}"))
                .json(&json!({"name": format!("Shelf {i}")}))
                .await;
            (slug, r.status().as_u16(), r.text())
        });
    }
    let mut created_shared = 0;
    while let Some(done) = writes.join_next().await {
        let (slug, status, text) = done.unwrap();
        assert!(
            status == 201 || (status == 200 && slug == "shared"),
            "{slug}: {status} {text}"
        );
        created_shared += usize::from(slug == "shared" && status == 201);
    }
    assert_eq!(created_shared, 1, "one PUT creates, the others replace");
    let list = slugs(&ok(&env.client.simulate_get("/sections?limit=100").await));
    assert_eq!(list.len(), expected(None, None, None).len() + 9);
}

async fn a_nul_in_a_slug_or_marker_is_refused_before_the_database(env: Env) {
    for path in [
        "/sections/a%00b",
        "/sections/popular-family%00",
        "/sections/Popular-Family",
    ] {
        let r = env.client.simulate_get(path).await;
        assert_eq!(r.status(), 404, "{path}: {}", r.text());
    }
    for marker in ["a%00b", "%27--", "x%25"] {
        let r = env.client.simulate_get(&format!("/sections?marker={marker}")).await;
        assert_eq!(r.status(), 400, "{marker}: {}", r.text());
    }
}

async fn the_bearer_scheme_is_case_insensitive_and_said_once(env: Env) {
    let body = json!({"name": "Cased"});
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let r = env
            .client
            .simulate_put("/sections/cased")
            .header("authorization", &format!("{scheme} {TOKEN}"))
            .json(&body)
            .await;
        assert!(r.status() == 201 || r.status() == 200, "{scheme}: {}", r.text());
    }
    let twice = env
        .client
        .simulate_put("/sections/cased")
        .header("authorization", &format!("Bearer {TOKEN}"))
        .header("authorization", "Bearer wrong")
        .json(&body)
        .await;
    assert_eq!(twice.status(), 400, "{}", twice.text());
}

async fn only_json_bodies_are_read(env: Env) {
    let auth = format!("Bearer {TOKEN}");
    for content_type in [Some("application/x-www-form-urlencoded"), Some("text/plain"), None] {
        let mut request = env
            .client
            .simulate_put("/sections/formed")
            .header("authorization", &auth);
        if let Some(t) = content_type {
            request = request.header("content-type", t);
        }
        let r = request.body("name=Formed").await;
        assert_eq!(r.status(), 415, "{content_type:?}: {}", r.text());
        assert!(!r.text().contains("req."), "{}", r.text());
    }
    let r = env
        .client
        .simulate_put("/sections/formed")
        .header("authorization", &auth)
        .header("content-type", "Application/JSON; charset=utf-8")
        .body(r#"{"name": "Formed"}"#)
        .await;
    assert_eq!(r.status(), 201, "{}", r.text());
}
