//! The whole users API through the test client, once on SQLite and once on PostgreSQL (when
//! `PEREGRINE_TEST_PG` is set).

mod common;

use std::sync::Arc;

use peregrine::testing::TestClient;
use serde_json::{json, Value};
use users::{app, Db, User};

/// Declares each check as two tests: `sqlite::<name>` and `postgres::<name>`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let test_db = crate::common::sqlite();
                    let db = test_db.connect(4).await;
                    super::$name(db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(test_db) = crate::common::postgres(stringify!($name)).await else { return };
                    let db = test_db.connect(4).await;
                    super::$name(db).await;
                    test_db.remove().await;
                }
            )*
        }
    };
}

on_both_backends!(
    empty_list_is_an_empty_array,
    post_creates_and_location_resolves,
    list_is_ordered_by_id_and_pages_with_marker_and_limit,
    bad_paging_parameters_are_400,
    missing_user_is_404_json,
    non_numeric_id_is_404,
    duplicate_username_is_409,
    missing_username_is_400,
    malformed_json_is_400,
    empty_or_too_long_username_is_422,
    a_username_with_a_control_character_is_422,
    fifty_character_username_is_accepted,
    non_json_body_is_415,
    delete_is_204_then_404,
    deleting_an_absent_user_is_404,
    exhausted_pool_is_503_with_retry_after,
    seeding_adds_eight_hex_character_names,
    a_repeated_get_with_the_etag_is_304,
    put_and_patch_rename_only_under_a_matching_if_match,
    a_stale_if_match_is_412_and_leaves_the_name,
    an_update_without_if_match_is_428,
    updates_keep_the_post_rules,
);

async fn add(c: &TestClient, name: &str) -> User {
    let r = c.simulate_post("/users/").json(&json!({ "username": name })).await;
    assert_eq!(r.status(), 201, "{}", r.text());
    r.json()
}

async fn empty_list_is_an_empty_array(db: Arc<Db>) {
    let c = TestClient::new(app(db));
    let r = c.simulate_get("/users/").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json::<Value>(), json!([]));
}

async fn post_creates_and_location_resolves(db: Arc<Db>) {
    let c = TestClient::new(app(db));
    let r = c.simulate_post("/users/").json(&json!({"username": "ada"})).await;
    assert_eq!(r.status(), 201);
    let created: User = r.json();
    assert_eq!(created.username, "ada");
    let location = r.header("location").expect("Location").to_owned();
    assert_eq!(location, format!("/users/{}", created.id));
    let fetched = c.simulate_get(&location).await;
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.json::<User>(), created);
}

async fn list_is_ordered_by_id_and_pages_with_marker_and_limit(db: Arc<Db>) {
    let c = TestClient::new(app(db));
    let mut added = Vec::new();
    for name in ["carol", "alice", "bob", "dave"] {
        added.push(add(&c, name).await);
    }
    let all: Vec<User> = c.simulate_get("/users/").await.json();
    assert_eq!(all, added, "every user, by id (not by name)");

    let page: Vec<User> = c
        .simulate_get("/users/")
        .params(&[("marker", &added[0].id.to_string()), ("limit", "2")])
        .await
        .json();
    assert_eq!(page, added[1..3]);
}

async fn bad_paging_parameters_are_400(db: Arc<Db>) {
    let c = TestClient::new(app(db));
    for (name, value) in [("limit", "0"), ("limit", "many"), ("limit", "1001"), ("marker", "-1")] {
        let r = c.simulate_get("/users/").param(name, value).await;
        assert_eq!(r.status(), 400, "{name}={value}");
        assert_eq!(r.json::<Value>()["title"], "Invalid parameter");
        assert!(r.json::<Value>()["description"].as_str().unwrap().contains(name));
    }
}

async fn missing_user_is_404_json(db: Arc<Db>) {
    let c = TestClient::new(app(db));
    let r = c.simulate_get("/users/4242").await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.json::<Value>(),
        json!({"title": "404 Not Found", "description": "There is no user with id 4242."})
    );
}

async fn non_numeric_id_is_404(db: Arc<Db>) {
    let c = TestClient::new(app(db));
    assert_eq!(c.simulate_get("/users/ada").await.status(), 404);
}

async fn duplicate_username_is_409(db: Arc<Db>) {
    let c = TestClient::new(app(db));
    add(&c, "grace").await;
    let r = c.simulate_post("/users/").json(&json!({"username": "grace"})).await;
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<Value>()["title"], "Username taken");
    let all: Vec<User> = c.simulate_get("/users/").await.json();
    assert_eq!(all.len(), 1, "the duplicate was not stored");
}

async fn missing_username_is_400(db: Arc<Db>) {
    let c = TestClient::new(app(db));
    for body in [json!({}), json!({"username": 7}), json!("grace")] {
        let r = c.simulate_post("/users/").json(&body).await;
        assert_eq!(r.status(), 400, "{body}");
    }
}

async fn malformed_json_is_400(db: Arc<Db>) {
    let c = TestClient::new(app(db));
    let r = c
        .simulate_post("/users/")
        .header("content-type", "application/json")
        .body("{\"username\": ")
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>()["title"], "Invalid JSON");
}

async fn empty_or_too_long_username_is_422(db: Arc<Db>) {
    let c = TestClient::new(app(db));
    for name in [String::new(), "   ".to_owned(), "x".repeat(51)] {
        let r = c.simulate_post("/users/").json(&json!({ "username": name })).await;
        assert_eq!(r.status(), 422, "{name:?}");
        assert_eq!(r.json::<Value>()["title"], "Invalid username");
    }
}

/// NUL would be a 500 on PostgreSQL (its text cannot hold it) and stored as is on SQLite: both refuse it.
async fn a_username_with_a_control_character_is_422(db: Arc<Db>) {
    let c = TestClient::new(app(db));
    for name in ["nul\u{0}x", "\u{0}", "\u{1b}[31mred", "two\nlines"] {
        let r = c.simulate_post("/users/").json(&json!({ "username": name })).await;
        assert_eq!(r.status(), 422, "{name:?}: {}", r.text());
        assert_eq!(r.json::<Value>()["title"], "Invalid username");
    }
}

async fn fifty_character_username_is_accepted(db: Arc<Db>) {
    let c = TestClient::new(app(db));
    let name = "é".repeat(50);
    assert_eq!(add(&c, &name).await.username, name);
}

async fn non_json_body_is_415(db: Arc<Db>) {
    let c = TestClient::new(app(db));
    let r = c
        .simulate_post("/users/")
        .header("content-type", "text/plain")
        .body("username=ada")
        .await;
    assert_eq!(r.status(), 415);
}

async fn delete_is_204_then_404(db: Arc<Db>) {
    let c = TestClient::new(app(db));
    let user = add(&c, "linus").await;
    let path = format!("/users/{}", user.id);
    let r = c.simulate_delete(&path).await;
    assert_eq!(r.status(), 204);
    assert!(r.content().is_empty());
    assert_eq!(c.simulate_get(&path).await.status(), 404);
    assert_eq!(c.simulate_delete(&path).await.status(), 404);
}

async fn deleting_an_absent_user_is_404(db: Arc<Db>) {
    let c = TestClient::new(app(db));
    assert_eq!(c.simulate_delete("/users/99").await.status(), 404);
}

async fn exhausted_pool_is_503_with_retry_after(db: Arc<Db>) {
    let c = TestClient::new(app(db.clone()));
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(db.hold().await.expect("a free connection"));
    }
    let r = c.simulate_get("/users/").await;
    assert_eq!(r.status(), 503);
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.json::<Value>()["title"], "Database unavailable");
    drop(held);
    assert_eq!(
        c.simulate_get("/users/").await.status(),
        200,
        "served again once connections are back"
    );
}

async fn seeding_adds_eight_hex_character_names(db: Arc<Db>) {
    assert_eq!(db.seed(20).await.unwrap(), 20);
    assert_eq!(db.count().await.unwrap(), 20);
    let c = TestClient::new(app(db));
    let all: Vec<User> = c.simulate_get("/users/").await.json();
    assert_eq!(all.len(), 20);
    for user in all {
        assert_eq!(user.username.len(), 8, "{}", user.username);
        assert!(user.username.chars().all(|ch| ch.is_ascii_hexdigit()));
    }
}

/// PostgreSQL only: when the server cuts every connection (as on a restart), the API answers 503 or
/// recovers at once, never 500, and serves again without a restart of its own.
#[tokio::test]
async fn postgres_recovers_when_its_connections_are_cut() {
    let Some(test_db) = common::postgres("postgres_recovers_when_its_connections_are_cut").await else {
        return;
    };
    let db = test_db.connect(4).await;
    let c = TestClient::new(app(db.clone()));
    add(&c, "before").await;

    let base = std::env::var("PEREGRINE_TEST_PG").unwrap();
    let killer = sqlx::PgPool::connect(&base).await.unwrap();
    let cut: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1) t",
    )
    .bind(test_db.pg_schema().unwrap())
    .fetch_one(&killer)
    .await
    .unwrap();
    assert!(cut >= 1, "the pool had at least one connection to cut");

    let mut statuses = Vec::new();
    for _ in 0..5 {
        let r = c.simulate_get("/users/").await;
        statuses.push(r.status().as_u16());
        if r.status() == 200 {
            assert_eq!(r.json::<Vec<User>>().len(), 1);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(statuses.iter().all(|s| *s == 200 || *s == 503), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&200), "{statuses:?}");
    killer.close().await;
    test_db.remove().await;
}

async fn a_repeated_get_with_the_etag_is_304(db: Arc<Db>) {
    let c = TestClient::new(app(db));
    let user = add(&c, "grace").await;
    let path = format!("/users/{}", user.id);
    let first = c.simulate_get(&path).await;
    let etag = first.header("etag").expect("a user carries an ETag").to_owned();
    let again = c.simulate_get(&path).header("if-none-match", &etag).await;
    assert_eq!(again.status(), 304, "{}", again.text());
    assert!(again.content().is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
}

async fn put_and_patch_rename_only_under_a_matching_if_match(db: Arc<Db>) {
    let c = TestClient::new(app(db));
    let user = add(&c, "ada").await;
    let path = format!("/users/{}", user.id);
    let etag = c.simulate_get(&path).await.header("etag").unwrap().to_owned();
    let put = c
        .simulate_put(&path)
        .header("if-match", &etag)
        .json(&json!({"username": "ada lovelace"}))
        .await;
    assert_eq!(put.status(), 200, "{}", put.text());
    assert_eq!(put.json::<User>().username, "ada lovelace");
    let new_etag = put.header("etag").unwrap().to_owned();
    assert_ne!(new_etag, etag);
    let patch = c
        .simulate_patch(&path)
        .header("if-match", &new_etag)
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"username": "countess"}"#)
        .await;
    assert_eq!(patch.status(), 200, "{}", patch.text());
    let stored: User = c.simulate_get(&path).await.json();
    assert_eq!(stored.username, "countess");
}

async fn a_stale_if_match_is_412_and_leaves_the_name(db: Arc<Db>) {
    let c = TestClient::new(app(db));
    let user = add(&c, "alan").await;
    let path = format!("/users/{}", user.id);
    let etag = c.simulate_get(&path).await.header("etag").unwrap().to_owned();
    let first = c
        .simulate_put(&path)
        .header("if-match", &etag)
        .json(&json!({"username": "turing"}))
        .await;
    assert_eq!(first.status(), 200, "{}", first.text());
    // A second writer still holding the old tag loses: 412, and the name is the first writer's.
    let second = c
        .simulate_put(&path)
        .header("if-match", &etag)
        .json(&json!({"username": "someone else"}))
        .await;
    assert_eq!(second.status(), 412, "{}", second.text());
    let stored: User = c.simulate_get(&path).await.json();
    assert_eq!(stored.username, "turing");
    let weak = c
        .simulate_put(&path)
        .header("if-match", &format!("W/{}", first.header("etag").unwrap()))
        .json(&json!({"username": "weak"}))
        .await;
    assert_eq!(weak.status(), 412, "a weak tag never satisfies If-Match");
    let missing = c
        .simulate_put("/users/999999")
        .header("if-match", &etag)
        .json(&json!({"username": "x"}))
        .await;
    assert_eq!(missing.status(), 404);
}

async fn an_update_without_if_match_is_428(db: Arc<Db>) {
    let c = TestClient::new(app(db));
    let user = add(&c, "barbara").await;
    let path = format!("/users/{}", user.id);
    let r = c.simulate_put(&path).json(&json!({"username": "liskov"})).await;
    assert_eq!(r.status(), 428, "{}", r.text());
    let stored: User = c.simulate_get(&path).await.json();
    assert_eq!(stored.username, "barbara");
}

async fn updates_keep_the_post_rules(db: Arc<Db>) {
    let c = TestClient::new(app(db));
    add(&c, "ken").await;
    let user = add(&c, "dennis").await;
    let path = format!("/users/{}", user.id);
    let etag = c.simulate_get(&path).await.header("etag").unwrap().to_owned();
    let put = |body: Value| c.simulate_put(&path).header("if-match", &etag).json(&body);
    assert_eq!(put(json!({"username": "ken"})).await.status(), 409);
    assert_eq!(put(json!({"username": ""})).await.status(), 422);
    assert_eq!(put(json!({"name": "x"})).await.status(), 400);
    let stored: User = c.simulate_get(&path).await.json();
    assert_eq!(stored.username, "dennis");
}
