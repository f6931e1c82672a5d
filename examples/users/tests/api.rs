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
