//! What the database-backed examples (`users`, `catalogue`) share: a connection pool over one of two concrete
//! backends, SQLite through sqlx (embedded, the default) or PostgreSQL through tokio-postgres with deadpool
//! (each connection keeping its prepared statements); the error type that says whether the database is
//! unavailable; and the error handler that turns it into 503 or 500.
//!
//! An enum, not a trait object: each example's queries are one `match` on [`Store`], and each arm is plain
//! code for its database.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use peregrine::{header, HttpError, Request, Response};
use sqlx::sqlite::{SqlitePool, SqlitePoolOptions};
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

/// Pool settings.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Most connections open at once (0 counts as 1).
    pub max_connections: u32,
    /// How long a request waits for a connection (or for a new one to open) before it gets 503.
    pub acquire_timeout: Duration,
}

impl Default for PoolConfig {
    /// 16 connections, 2 seconds.
    fn default() -> Self {
        PoolConfig {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(2),
        }
    }
}

/// A database failure: either the database is unavailable (no free connection within the acquire timeout,
/// unreachable, restarting, connection cut, SQLite locked by another process), which the APIs answer with
/// 503, or anything else (500).
#[derive(Debug)]
pub struct DbError {
    unavailable: bool,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl DbError {
    /// An error whose cause is `source`; `unavailable` when the database is busy or unreachable.
    pub fn new(unavailable: bool, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        DbError {
            unavailable,
            source: source.into(),
        }
    }

    /// Whether the database is busy or unreachable rather than failing the query.
    pub fn is_unavailable(&self) -> bool {
        self.unavailable
    }
}

/// The error and each of its causes, joined by ": " (tokio-postgres's own message is only the outer one,
/// "db error", with the server's message and SQLSTATE in its cause).
impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        let mut cause = std::error::Error::source(&*self.source);
        while let Some(c) = cause {
            write!(f, ": {c}")?;
            cause = c.source();
        }
        Ok(())
    }
}

impl std::error::Error for DbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        // SQLite's BUSY (5) and LOCKED (6), extended codes included: another process holds the write lock
        // past the busy timeout (a backup, a migration, an admin shell).
        let locked = matches!(&e, sqlx::Error::Database(d)
            if d.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| matches!(c & 0xff, 5 | 6)));
        let unavailable = locked
            || matches!(
                e,
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_)
            );
        DbError::new(unavailable, e)
    }
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        // SQLSTATE class 08 is "connection exception", 53 "insufficient resources" (too many connections,
        // out of memory, disk full), 57 "operator intervention" (shutdown, restart, a cancelled query or
        // statement_timeout).
        let code = e.code().map(SqlState::code);
        let unavailable = e.is_closed()
            || code.is_some_and(|c| c.starts_with("08") || c.starts_with("53") || c.starts_with("57"))
            || std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>());
        DbError::new(unavailable, e)
    }
}

impl From<PoolError> for DbError {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::Backend(e) => e.into(),
            // Timeouts, a closed pool, and a connection that could not be opened are all "unavailable".
            e => DbError::new(true, e),
        }
    }
}

/// Which database a URL named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite:` URLs.
    Sqlite,
    /// `postgres:` or `postgresql:` URLs.
    Postgres,
}

/// A connection pool on one of the two backends.
pub enum Store {
    /// sqlx's pool.
    Sqlite(SqlitePool),
    /// deadpool over tokio-postgres.
    Postgres(Pool),
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Store").field(&self.backend()).finish()
    }
}

impl Store {
    /// A pool on `url` (`sqlite:…` or `postgres:…`/`postgresql:…`). PostgreSQL URLs take tokio-postgres's
    /// parameters (`user`, `password`, `application_name`, `options=-c%20search_path%3D…` percent-encoded,
    /// `connect_timeout`…; an unknown one is an error); PostgreSQL connections open on first use. TLS to
    /// PostgreSQL is not built in: `sslmode=disable` or `prefer` (the default) connect in the clear,
    /// `require` fails, and `verify-full` is not a value tokio-postgres accepts.
    ///
    /// # Errors
    /// When the URL is neither SQLite nor PostgreSQL, does not parse, or the SQLite file cannot be opened.
    pub async fn connect(url: &str, config: &PoolConfig) -> Result<Store, DbError> {
        if url.starts_with("sqlite:") {
            let pool = SqlitePoolOptions::new()
                .max_connections(config.max_connections.max(1))
                .acquire_timeout(config.acquire_timeout)
                .connect(url)
                .await?;
            Ok(Store::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let manager = Manager::from_config(
                tokio_postgres::Config::from_str(url)?,
                NoTls,
                ManagerConfig {
                    // A connection the server closed is dropped when it comes back to the pool.
                    recycling_method: RecyclingMethod::Fast,
                },
            );
            let pool = Pool::builder(manager)
                .max_size(config.max_connections.max(1) as usize)
                .wait_timeout(Some(config.acquire_timeout))
                .create_timeout(Some(config.acquire_timeout))
                .runtime(Runtime::Tokio1)
                .build()
                .map_err(|e| DbError::new(false, e))?;
            Ok(Store::Postgres(pool))
        } else {
            let scheme = url.split(':').next().unwrap_or_default();
            Err(DbError::new(
                false,
                format!("DATABASE_URL must start with sqlite: or postgres:, not '{scheme}:'"),
            ))
        }
    }

    /// The database in use.
    pub fn backend(&self) -> Backend {
        match self {
            Store::Sqlite(_) => Backend::Sqlite,
            Store::Postgres(_) => Backend::Postgres,
        }
    }
}

/// An error handler for [`DbError`] (`App::add_error_handler(database_error)`): unavailable means 503 with
/// `Retry-After: 1` ("Database unavailable"), anything else a 500 whose detail goes only to the log.
pub fn database_error(error: &DbError, req: &Request, resp: &mut Response) {
    if error.is_unavailable() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(std::io::Error);

    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("db error")
        }
    }

    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn an_error_shows_its_causes() {
        let e = DbError::new(
            false,
            Outer(std::io::Error::other("relation \"orguser\" does not exist")),
        );
        assert_eq!(e.to_string(), "db error: relation \"orguser\" does not exist");
    }

    #[test]
    fn a_pool_timeout_is_unavailable_and_a_missing_row_is_not() {
        assert!(DbError::from(sqlx::Error::PoolTimedOut).is_unavailable());
        assert!(!DbError::from(sqlx::Error::RowNotFound).is_unavailable());
    }

    #[tokio::test]
    async fn an_unknown_scheme_is_refused() {
        let e = Store::connect("mysql://x/y", &PoolConfig::default()).await.unwrap_err();
        assert!(!e.is_unavailable());
        assert_eq!(
            e.to_string(),
            "DATABASE_URL must start with sqlite: or postgres:, not 'mysql:'"
        );
    }
}
