//! `examples/things` written with axum 0.8: the same routes, hook, middleware, limits and errors, so that the
//! two can be built side by side (`bench/NOTES.md`, "Build weight"). Listens on 127.0.0.1:8010.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Clone, Serialize, Deserialize)]
struct Thing {
    id: u64,
    user_id: u64,
    name: String,
}

#[derive(Deserialize)]
struct NewThing {
    name: String,
}

#[derive(Default)]
struct Storage {
    things: Mutex<Vec<Thing>>,
    down: AtomicBool,
}

struct StorageError;

impl Storage {
    fn check(&self) -> Result<(), StorageError> {
        if self.down.load(Ordering::SeqCst) {
            Err(StorageError)
        } else {
            Ok(())
        }
    }
}

fn error(status: StatusCode, title: &str, description: &str) -> Response {
    (status, Json(json!({"title": title, "description": description}))).into_response()
}

impl IntoResponse for StorageError {
    fn into_response(self) -> Response {
        let mut r = error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Outage",
            "Aliens have attacked our base!",
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
        r
    }
}

#[derive(Deserialize)]
struct Page {
    marker: Option<u64>,
    limit: Option<usize>,
}

async fn quote() -> &'static str {
    "\nTwo things awe me most, the starry sky above me and the moral law within me.\n\n    ~ Immanuel Kant\n\n"
}

async fn list(
    State(storage): State<Arc<Storage>>,
    Path(user_id): Path<u64>,
    Query(page): Query<Page>,
) -> Result<Response, StorageError> {
    let limit = page.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Ok(error(
            StatusCode::BAD_REQUEST,
            "Invalid parameter",
            "The \"limit\" parameter is invalid.",
        ));
    }
    storage.check()?;
    let things: Vec<Thing> = storage
        .things
        .lock()
        .unwrap()
        .iter()
        .filter(|t| t.user_id == user_id && t.id > page.marker.unwrap_or(0))
        .take(limit)
        .cloned()
        .collect();
    Ok(([("powered-by", "axum")], Json(things)).into_response())
}

async fn add(
    State(storage): State<Arc<Storage>>,
    Path(user_id): Path<u64>,
    Json(new): Json<NewThing>,
) -> Result<Response, StorageError> {
    if new.name.trim().is_empty() {
        return Ok(error(
            StatusCode::BAD_REQUEST,
            "Missing thing",
            "A thing must have a non-empty name.",
        ));
    }
    storage.check()?;
    let mut things = storage.things.lock().unwrap();
    let thing = Thing {
        id: things.len() as u64 + 1,
        user_id,
        name: new.name,
    };
    things.push(thing.clone());
    let location = format!("/{user_id}/things/{}", thing.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(thing)).into_response())
}

async fn require_token(headers: HeaderMap, request: Request, next: Next) -> Response {
    match headers.get("x-auth-token").and_then(|v| v.to_str().ok()) {
        Some(token) if !token.trim().is_empty() => next.run(request).await,
        _ => {
            let mut r = error(
                StatusCode::UNAUTHORIZED,
                "Auth token required",
                "Please provide an auth token.",
            );
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
            r
        }
    }
}

async fn require_json(headers: HeaderMap, request: Request, next: Next) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("*/*");
    if !(accept.contains("application/json") || accept.contains("*/*") || accept.contains("application/*")) {
        return error(
            StatusCode::NOT_ACCEPTABLE,
            "406 Not Acceptable",
            "This API only supports JSON.",
        );
    }
    let has_body = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .is_some_and(|n| n > 0);
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if has_body && !is_json {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "415 Unsupported Media Type",
            "JSON only.",
        );
    }
    next.run(request).await
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let things = Router::new()
        .route(
            "/{user_id}/things",
            get(list).post(add).layer(DefaultBodyLimit::max(64 * 1024)),
        )
        .route_layer(middleware::from_fn(require_token))
        .with_state(Arc::new(Storage::default()));
    let app = Router::new()
        .route("/things", get(quote))
        .merge(things)
        .layer(middleware::from_fn(require_json));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8010").await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
