//! The users API from the Falcon articles: a table of organisation users behind four endpoints.
//!
//! - `GET /users/?limit=&marker=` lists users by id (`marker` is the last id already seen);
//! - `GET /users/{user_id}` returns one, 404 when absent;
//! - `POST /users/` with `{"username": "..."}` adds one: 201 with `Location`, 409 on a duplicate name,
//!   400 for a body that is not `{"username": <text>}`, 422 for an empty or over-50-character name;
//! - `DELETE /users/{user_id}` removes one: 204, or 404 when absent.
//!
//! Storage is sqlx over SQLite (embedded, the default) or PostgreSQL (`DATABASE_URL=postgres://…`). A request
//! that cannot get a connection within the pool's acquire timeout, or that meets a database that is down,
//! gets 503 with `Retry-After`; the pool reconnects by itself when the database comes back.

use std::sync::Arc;
use std::time::Duration;

use peregrine::{header, App, HttpError, Request, Response, Result, StatusCode};
use serde::{Deserialize, Serialize};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

/// Longest username the table accepts.
pub const MAX_USERNAME: usize = 50;

/// A user as stored and as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Assigned by the database.
    pub id: i64,
    /// Unique, 1 to 50 characters.
    pub username: String,
}

/// What a client posts.
#[derive(Debug, Deserialize)]
pub struct NewUser {
    /// The name to register.
    pub username: String,
}

/// Which database the URL named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite:` URLs.
    Sqlite,
    /// `postgres:` or `postgresql:` URLs.
    Postgres,
}

/// Pool settings.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Most connections open at once.
    pub max_connections: u32,
    /// How long a request waits for a connection before it gets 503.
    pub acquire_timeout: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(2),
        }
    }
}

/// The users table, through a connection pool.
#[derive(Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

/// Why a user could not be added.
#[derive(Debug)]
pub enum AddError {
    /// The name is taken.
    Duplicate,
    /// The database failed.
    Db(sqlx::Error),
}

impl Db {
    /// Connects to `url` and creates the table if it is missing.
    ///
    /// # Errors
    /// When the URL is neither SQLite nor PostgreSQL, or the database cannot be reached.
    pub async fn connect(url: &str, config: &PoolConfig) -> std::result::Result<Db, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(sqlx::Error::Configuration(
                format!("DATABASE_URL must start with sqlite: or postgres:, not '{url}'").into(),
            ));
        };
        let pool = AnyPoolOptions::new()
            .max_connections(config.max_connections)
            .acquire_timeout(config.acquire_timeout)
            .connect(url)
            .await?;
        let db = Db { pool, backend };
        db.create_schema().await?;
        Ok(db)
    }

    /// The database in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool, for work beyond the four endpoints (and for tests that hold connections).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    async fn create_schema(&self) -> std::result::Result<(), sqlx::Error> {
        let ddl = match self.backend {
            // WAL keeps readers and the writer apart; synchronous=FULL (sqlx's default) makes a commit durable
            // before it returns, so a 201 survives a crash.
            Backend::Sqlite => {
                sqlx::query("PRAGMA journal_mode = WAL").execute(&self.pool).await?;
                "CREATE TABLE IF NOT EXISTS orguser (
                     id INTEGER PRIMARY KEY AUTOINCREMENT,
                     username VARCHAR(50) NOT NULL UNIQUE)"
            }
            Backend::Postgres => {
                "CREATE TABLE IF NOT EXISTS orguser (
                     id BIGSERIAL PRIMARY KEY,
                     username VARCHAR(50) NOT NULL UNIQUE)"
            }
        };
        sqlx::query(ddl).execute(&self.pool).await?;
        Ok(())
    }

    /// How many users there are.
    pub async fn count(&self) -> std::result::Result<i64, sqlx::Error> {
        sqlx::query("SELECT COUNT(*) FROM orguser")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)
    }

    /// Up to `limit` users with an id above `marker`, by id.
    pub async fn list(&self, marker: i64, limit: i64) -> std::result::Result<Vec<User>, sqlx::Error> {
        sqlx::query("SELECT id, username FROM orguser WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(marker)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(user_from_row)
            .collect()
    }

    /// The user with `id`, if any.
    pub async fn get(&self, id: i64) -> std::result::Result<Option<User>, sqlx::Error> {
        sqlx::query("SELECT id, username FROM orguser WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    /// Adds a user; the row is committed when this returns.
    pub async fn add(&self, username: &str) -> std::result::Result<User, AddError> {
        let row = sqlx::query("INSERT INTO orguser (username) VALUES ($1) RETURNING id, username")
            .bind(username)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_unique_violation() => AddError::Duplicate,
                _ => AddError::Db(e),
            })?;
        user_from_row(&row).map_err(AddError::Db)
    }

    /// Deletes the user with `id`; false when there was none.
    pub async fn delete(&self, id: i64) -> std::result::Result<bool, sqlx::Error> {
        let done = sqlx::query("DELETE FROM orguser WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Adds `n` users with random 8-hex-character names (the articles' `generate_users`).
    pub async fn seed(&self, n: usize) -> std::result::Result<usize, sqlx::Error> {
        let mut added = 0;
        while added < n {
            let name = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
            match self.add(&name).await {
                Ok(_) => added += 1,
                Err(AddError::Duplicate) => continue,
                Err(AddError::Db(e)) => return Err(e),
            }
        }
        Ok(added)
    }
}

fn user_from_row(row: &AnyRow) -> std::result::Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
    })
}

/// The users resource: the collection at `/users/`, one user at `/users/{user_id}` (suffix `item`).
#[derive(Debug)]
pub struct Users {
    db: Arc<Db>,
}

#[peregrine::resource]
impl Users {
    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        let marker = req.get_param_as_int_in("marker", 0..)?.unwrap_or(0);
        let limit = req.get_param_as_int_in("limit", 1..=1000)?.unwrap_or(100);
        let users = self.db.list(marker, limit).await?;
        resp.set_media(&users)
    }

    async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
        let new: NewUser = req.media().await?;
        let username = new.username.trim();
        if username.is_empty() || username.chars().count() > MAX_USERNAME {
            return Err(HttpError::unprocessable_content()
                .with_title("Invalid username")
                .with_description(format!("A username has 1 to {MAX_USERNAME} characters."))
                .into());
        }
        let user = match self.db.add(username).await {
            Ok(user) => user,
            Err(AddError::Duplicate) => {
                return Err(HttpError::conflict()
                    .with_title("Username taken")
                    .with_description(format!("A user named '{username}' already exists."))
                    .into())
            }
            Err(AddError::Db(e)) => return Err(e.into()),
        };
        resp.set_status(StatusCode::CREATED);
        resp.set_location(format!("/users/{}", user.id));
        resp.set_media(&user)
    }

    async fn on_get_item(&self, req: &mut Request, resp: &mut Response) -> Result {
        let id: i64 = req.field("user_id")?;
        match self.db.get(id).await? {
            Some(user) => resp.set_media(&user),
            None => Err(no_such_user(id)),
        }
    }

    async fn on_delete_item(&self, req: &mut Request, resp: &mut Response) -> Result {
        let id: i64 = req.field("user_id")?;
        if !self.db.delete(id).await? {
            return Err(no_such_user(id));
        }
        resp.set_status(StatusCode::NO_CONTENT);
        Ok(())
    }
}

fn no_such_user(id: i64) -> peregrine::Error {
    HttpError::not_found()
        .with_description(format!("There is no user with id {id}."))
        .into()
}

/// Turns database failures into responses: unreachable or exhausted means 503 with `Retry-After`, anything
/// else a 500 whose detail goes only to the log.
fn database_error(error: &sqlx::Error, req: &Request, resp: &mut Response) {
    let unavailable = matches!(
        error,
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_)
    ) || matches!(error, sqlx::Error::Database(d) if d.code().is_some_and(|c| c.starts_with("57P") || c.starts_with("08")));
    if unavailable {
        tracing::warn!(error = %error, path = req.path(), "database unavailable; answering 503");
        resp.set_error(
            HttpError::service_unavailable()
                .with_title("Database unavailable")
                .with_description("The database is busy or unreachable; try again shortly.")
                .with_header(header::RETRY_AFTER, "1"),
        );
    } else {
        tracing::error!(error = %error, path = req.path(), "database error; answering 500");
        resp.set_error(HttpError::internal_server_error());
    }
}

/// The app over `db`.
pub fn app(db: Arc<Db>) -> App {
    let users = Arc::new(Users { db });
    App::new()
        .add_route("/users/", users.clone())
        .add_route_with_suffix("/users/{user_id:int}", users, "item")
        .add_error_handler(database_error)
}
