//! The users API of `examples/users` on PostgreSQL, written the way an axum user would: tokio-postgres with
//! a deadpool pool of `USERS_POOL_SIZE` connections (default 16), prepared statements cached per connection,
//! the same queries and answers (404, 409, 422, 503 when no connection is free within 2 s).

use std::str::FromStr;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use serde::{Deserialize, Serialize};
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

#[derive(Serialize)]
struct User {
    id: i64,
    username: String,
}

#[derive(Deserialize)]
struct NewUser {
    username: String,
}

#[derive(Deserialize)]
struct Page {
    marker: Option<i64>,
    limit: Option<i64>,
}

/// An error answer: 503 for an unavailable database, 500 otherwise.
struct Failure(StatusCode);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        if self.0 == StatusCode::SERVICE_UNAVAILABLE {
            return (self.0, [(header::RETRY_AFTER, "1")]).into_response();
        }
        self.0.into_response()
    }
}

impl From<deadpool_postgres::PoolError> for Failure {
    fn from(_: deadpool_postgres::PoolError) -> Self {
        Failure(StatusCode::SERVICE_UNAVAILABLE)
    }
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Self {
        Failure(if e.is_closed() {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        })
    }
}

/// The routes, over a pool for `url`.
pub fn routes(url: &str) -> Router {
    let size = std::env::var("USERS_POOL_SIZE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let config = tokio_postgres::Config::from_str(url).expect("a PostgreSQL URL");
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let pool = Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(Duration::from_secs(2)))
        .create_timeout(Some(Duration::from_secs(2)))
        .runtime(Runtime::Tokio1)
        .build()
        .expect("a pool");
    Router::new()
        .route("/users/", get(list).post(add))
        .route("/users/{id}", get(one).delete(remove))
        .with_state(pool)
}

async fn list(State(pool): State<Pool>, Query(page): Query<Page>) -> Result<Json<Vec<User>>, Failure> {
    let (marker, limit) = (page.marker.unwrap_or(0), page.limit.unwrap_or(100));
    if marker < 0 || !(1..=1000).contains(&limit) {
        return Err(Failure(StatusCode::BAD_REQUEST));
    }
    let client = pool.get().await?;
    let statement = client
        .prepare_cached("SELECT id, username FROM orguser WHERE id > $1 ORDER BY id LIMIT $2")
        .await?;
    let rows = client.query(&statement, &[&marker, &limit]).await?;
    Ok(Json(
        rows.iter()
            .map(|r| User {
                id: r.get(0),
                username: r.get(1),
            })
            .collect(),
    ))
}

async fn one(State(pool): State<Pool>, Path(id): Path<i64>) -> Result<Json<User>, Failure> {
    let client = pool.get().await?;
    let statement = client
        .prepare_cached("SELECT id, username FROM orguser WHERE id = $1")
        .await?;
    match client.query_opt(&statement, &[&id]).await? {
        Some(r) => Ok(Json(User {
            id: r.get(0),
            username: r.get(1),
        })),
        None => Err(Failure(StatusCode::NOT_FOUND)),
    }
}

async fn add(State(pool): State<Pool>, Json(new): Json<NewUser>) -> Result<Response, Failure> {
    let username = new.username.trim();
    if username.is_empty() || username.chars().count() > 50 {
        return Err(Failure(StatusCode::UNPROCESSABLE_ENTITY));
    }
    let client = pool.get().await?;
    let statement = client
        .prepare_cached("INSERT INTO orguser (username) VALUES ($1) RETURNING id, username")
        .await?;
    let row = match client.query_one(&statement, &[&username]).await {
        Ok(row) => row,
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => return Err(Failure(StatusCode::CONFLICT)),
        Err(e) => return Err(e.into()),
    };
    let user = User {
        id: row.get(0),
        username: row.get(1),
    };
    let location = format!("/users/{}", user.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(user)).into_response())
}

async fn remove(State(pool): State<Pool>, Path(id): Path<i64>) -> Result<StatusCode, Failure> {
    let client = pool.get().await?;
    let statement = client.prepare_cached("DELETE FROM orguser WHERE id = $1").await?;
    if client.execute(&statement, &[&id]).await? == 0 {
        return Err(Failure(StatusCode::NOT_FOUND));
    }
    Ok(StatusCode::NO_CONTENT)
}
