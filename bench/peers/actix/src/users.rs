//! The users API of `examples/users` on PostgreSQL, written the way an actix-web user would: tokio-postgres
//! with one deadpool pool of `USERS_POOL_SIZE` connections (default 16) shared by the workers, prepared
//! statements cached per connection, the same queries and answers (404, 409, 422, 503 when no connection is
//! free within 2 s).

use std::str::FromStr;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse, ResponseError};
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

/// An error answer: 503 for an unavailable database, 500 otherwise, or the status given.
#[derive(Debug)]
struct Failure(StatusCode);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for Failure {
    fn status_code(&self) -> StatusCode {
        self.0
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.0);
        if self.0 == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header(("retry-after", "1"));
        }
        response.finish()
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

/// A pool for `url`.
pub fn pool(url: &str) -> Pool {
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
    Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(Duration::from_secs(2)))
        .create_timeout(Some(Duration::from_secs(2)))
        .runtime(Runtime::Tokio1)
        .build()
        .expect("a pool")
}

/// The routes, over `pool`.
pub fn routes(cfg: &mut web::ServiceConfig, pool: Pool) {
    cfg.app_data(web::Data::new(pool))
        .route("/users/", web::get().to(list))
        .route("/users/", web::post().to(add))
        .route("/users/{id}", web::get().to(one))
        .route("/users/{id}", web::delete().to(remove));
}

async fn list(pool: web::Data<Pool>, page: web::Query<Page>) -> Result<HttpResponse, Failure> {
    let (marker, limit) = (page.marker.unwrap_or(0), page.limit.unwrap_or(100));
    if marker < 0 || !(1..=1000).contains(&limit) {
        return Err(Failure(StatusCode::BAD_REQUEST));
    }
    let client = pool.get().await?;
    let statement = client
        .prepare_cached("SELECT id, username FROM orguser WHERE id > $1 ORDER BY id LIMIT $2")
        .await?;
    let rows = client.query(&statement, &[&marker, &limit]).await?;
    let users: Vec<User> = rows
        .iter()
        .map(|r| User {
            id: r.get(0),
            username: r.get(1),
        })
        .collect();
    Ok(HttpResponse::Ok().json(users))
}

async fn one(pool: web::Data<Pool>, id: web::Path<i64>) -> Result<HttpResponse, Failure> {
    let client = pool.get().await?;
    let statement = client
        .prepare_cached("SELECT id, username FROM orguser WHERE id = $1")
        .await?;
    match client.query_opt(&statement, &[&*id]).await? {
        Some(r) => Ok(HttpResponse::Ok().json(User {
            id: r.get(0),
            username: r.get(1),
        })),
        None => Err(Failure(StatusCode::NOT_FOUND)),
    }
}

async fn add(pool: web::Data<Pool>, new: web::Json<NewUser>) -> Result<HttpResponse, Failure> {
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
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/users/{}", user.id)))
        .json(user))
}

async fn remove(pool: web::Data<Pool>, id: web::Path<i64>) -> Result<HttpResponse, Failure> {
    let client = pool.get().await?;
    let statement = client.prepare_cached("DELETE FROM orguser WHERE id = $1").await?;
    if client.execute(&statement, &[&*id]).await? == 0 {
        return Err(Failure(StatusCode::NOT_FOUND));
    }
    Ok(HttpResponse::NoContent().finish())
}
