//! The users table over one of two concrete backends: SQLite through sqlx's `SqlitePool` (embedded, the
//! default) or PostgreSQL through tokio-postgres with a deadpool pool, each connection keeping its prepared
//! statements. An enum, not a trait object: every query is one `match`, and each arm is plain code for its
//! database.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use sqlx::sqlite::{SqlitePool, SqlitePoolOptions, SqliteRow};
use sqlx::Row;
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

use crate::User;

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
    /// Most connections open at once (0 counts as 1).
    pub max_connections: u32,
    /// How long a request waits for a connection (or for a new one to open) before it gets 503.
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

/// A database failure: either the database is unavailable (no free connection within the acquire timeout,
/// unreachable, restarting, connection cut), which the API answers with 503, or anything else (500).
#[derive(Debug)]
pub struct DbError {
    unavailable: bool,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl DbError {
    fn new(unavailable: bool, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
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
            || io_source(&e);
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

/// Whether a tokio-postgres error came from the socket (the server went away mid-query).
fn io_source(e: &tokio_postgres::Error) -> bool {
    std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
}

/// Why a user could not be added.
#[derive(Debug)]
pub enum AddError {
    /// The name is taken.
    Duplicate,
    /// The database failed.
    Db(DbError),
}

/// The users table, through a connection pool.
pub struct Db {
    store: Store,
}

enum Store {
    Sqlite(SqlitePool),
    Postgres(Pool),
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db").field("backend", &self.backend()).finish()
    }
}

/// A connection taken from the pool and held until dropped (for work beyond the four endpoints, and for
/// tests that exhaust the pool).
pub struct Held {
    /// A sqlx or deadpool connection: each goes back to its pool when dropped.
    _connection: Box<dyn std::any::Any + Send>,
}

impl fmt::Debug for Held {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Held")
    }
}

const LIST: &str = "SELECT id, username FROM orguser WHERE id > $1 ORDER BY id LIMIT $2";
const GET: &str = "SELECT id, username FROM orguser WHERE id = $1";
const ADD: &str = "INSERT INTO orguser (username) VALUES ($1) RETURNING id, username";
const DELETE: &str = "DELETE FROM orguser WHERE id = $1";
const RENAME: &str = "UPDATE orguser SET username = $1 WHERE id = $2 AND username = $3 RETURNING id, username";
const COUNT: &str = "SELECT COUNT(*) FROM orguser";

impl Db {
    /// Connects to `url` (`sqlite:…` or `postgres:…`/`postgresql:…`) and creates the table if it is missing.
    /// PostgreSQL URLs take tokio-postgres's parameters (`user`, `password`, `application_name`,
    /// `options=-c%20search_path%3D…` percent-encoded, `connect_timeout`…; an unknown one is an error). TLS to
    /// PostgreSQL is not built in: `sslmode=disable` or `prefer` (the default) connect in the clear, `require`
    /// fails, and `verify-full` is not a value tokio-postgres accepts.
    ///
    /// # Errors
    /// When the URL is neither SQLite nor PostgreSQL, or the database cannot be reached.
    pub async fn connect(url: &str, config: &PoolConfig) -> Result<Db, DbError> {
        let store = if url.starts_with("sqlite:") {
            let pool = SqlitePoolOptions::new()
                .max_connections(config.max_connections.max(1))
                .acquire_timeout(config.acquire_timeout)
                .connect(url)
                .await?;
            Store::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pg = tokio_postgres::Config::from_str(url)?;
            let manager = Manager::from_config(
                pg,
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
            Store::Postgres(pool)
        } else {
            let scheme = url.split(':').next().unwrap_or_default();
            return Err(DbError::new(
                false,
                format!("DATABASE_URL must start with sqlite: or postgres:, not '{scheme}:'"),
            ));
        };
        let db = Db { store };
        db.create_schema().await?;
        Ok(db)
    }

    /// The database in use.
    pub fn backend(&self) -> Backend {
        match self.store {
            Store::Sqlite(_) => Backend::Sqlite,
            Store::Postgres(_) => Backend::Postgres,
        }
    }

    /// Takes a connection from the pool and holds it until the result is dropped.
    ///
    /// # Errors
    /// [`DbError::is_unavailable`] when none is free within the acquire timeout.
    pub async fn hold(&self) -> Result<Held, DbError> {
        let connection: Box<dyn std::any::Any + Send> = match &self.store {
            Store::Sqlite(pool) => Box::new(pool.acquire().await?),
            Store::Postgres(pool) => Box::new(pool.get().await?),
        };
        Ok(Held {
            _connection: connection,
        })
    }

    async fn create_schema(&self) -> Result<(), DbError> {
        match &self.store {
            // WAL keeps readers and the writer apart; synchronous=FULL (sqlx's default) makes a commit durable
            // before it returns, so a 201 survives a crash.
            Store::Sqlite(pool) => {
                sqlx::query("PRAGMA journal_mode = WAL").execute(pool).await?;
                sqlx::query(
                    "CREATE TABLE IF NOT EXISTS orguser (
                         id INTEGER PRIMARY KEY AUTOINCREMENT,
                         username VARCHAR(50) NOT NULL UNIQUE)",
                )
                .execute(pool)
                .await?;
            }
            Store::Postgres(pool) => {
                pool.get()
                    .await?
                    .batch_execute(
                        // Quietly: "relation already exists, skipping" is a NOTICE on every start.
                        "SET client_min_messages = warning;
                         CREATE TABLE IF NOT EXISTS orguser (
                             id BIGSERIAL PRIMARY KEY,
                             username VARCHAR(50) NOT NULL UNIQUE);
                         RESET client_min_messages;",
                    )
                    .await?;
            }
        }
        Ok(())
    }

    /// How many users there are.
    pub async fn count(&self) -> Result<i64, DbError> {
        match &self.store {
            Store::Sqlite(pool) => Ok(sqlx::query(COUNT).fetch_one(pool).await?.try_get(0)?),
            Store::Postgres(pool) => {
                let client = pool.get().await?;
                let statement = client.prepare_cached(COUNT).await?;
                Ok(client.query_one(&statement, &[]).await?.try_get(0)?)
            }
        }
    }

    /// Up to `limit` users with an id above `marker`, by id.
    pub async fn list(&self, marker: i64, limit: i64) -> Result<Vec<User>, DbError> {
        match &self.store {
            Store::Sqlite(pool) => {
                let rows = sqlx::query(LIST).bind(marker).bind(limit).fetch_all(pool).await?;
                Ok(rows.iter().map(from_sqlite).collect::<Result<_, _>>()?)
            }
            Store::Postgres(pool) => {
                let client = pool.get().await?;
                let statement = client.prepare_cached(LIST).await?;
                let rows = client.query(&statement, &[&marker, &limit]).await?;
                Ok(rows.iter().map(from_postgres).collect::<Result<_, _>>()?)
            }
        }
    }

    /// The user with `id`, if any.
    pub async fn get(&self, id: i64) -> Result<Option<User>, DbError> {
        match &self.store {
            Store::Sqlite(pool) => {
                let row = sqlx::query(GET).bind(id).fetch_optional(pool).await?;
                Ok(row.as_ref().map(from_sqlite).transpose()?)
            }
            Store::Postgres(pool) => {
                let client = pool.get().await?;
                let statement = client.prepare_cached(GET).await?;
                let row = client.query_opt(&statement, &[&id]).await?;
                Ok(row.as_ref().map(from_postgres).transpose()?)
            }
        }
    }

    /// Adds a user; the row is committed when this returns.
    pub async fn add(&self, username: &str) -> Result<User, AddError> {
        match &self.store {
            Store::Sqlite(pool) => {
                let row = sqlx::query(ADD)
                    .bind(username)
                    .fetch_one(pool)
                    .await
                    .map_err(|e| match &e {
                        sqlx::Error::Database(d) if d.is_unique_violation() => AddError::Duplicate,
                        _ => AddError::Db(e.into()),
                    })?;
                from_sqlite(&row).map_err(|e| AddError::Db(e.into()))
            }
            Store::Postgres(pool) => {
                let client = pool.get().await.map_err(|e| AddError::Db(e.into()))?;
                let added = async {
                    let statement = client.prepare_cached(ADD).await?;
                    client.query_one(&statement, &[&username]).await
                };
                let row = added.await.map_err(|e| match e.code() {
                    Some(&SqlState::UNIQUE_VIOLATION) => AddError::Duplicate,
                    _ => AddError::Db(e.into()),
                })?;
                from_postgres(&row).map_err(|e| AddError::Db(e.into()))
            }
        }
    }

    /// Renames user `id` to `username`, only while it is still named `expected` (the name the caller's
    /// precondition was checked against, so a concurrent change is not overwritten); `None` when no row
    /// matched (the user is gone or was renamed meanwhile).
    pub async fn rename(&self, id: i64, expected: &str, username: &str) -> Result<Option<User>, AddError> {
        match &self.store {
            Store::Sqlite(pool) => {
                let row = sqlx::query(RENAME)
                    .bind(username)
                    .bind(id)
                    .bind(expected)
                    .fetch_optional(pool)
                    .await
                    .map_err(|e| match &e {
                        sqlx::Error::Database(d) if d.is_unique_violation() => AddError::Duplicate,
                        _ => AddError::Db(e.into()),
                    })?;
                row.as_ref()
                    .map(from_sqlite)
                    .transpose()
                    .map_err(|e| AddError::Db(e.into()))
            }
            Store::Postgres(pool) => {
                let client = pool.get().await.map_err(|e| AddError::Db(e.into()))?;
                let renamed = async {
                    let statement = client.prepare_cached(RENAME).await?;
                    client.query_opt(&statement, &[&username, &id, &expected]).await
                };
                let row = renamed.await.map_err(|e| match e.code() {
                    Some(&SqlState::UNIQUE_VIOLATION) => AddError::Duplicate,
                    _ => AddError::Db(e.into()),
                })?;
                row.as_ref()
                    .map(from_postgres)
                    .transpose()
                    .map_err(|e| AddError::Db(e.into()))
            }
        }
    }

    /// Deletes the user with `id`; false when there was none.
    pub async fn delete(&self, id: i64) -> Result<bool, DbError> {
        match &self.store {
            Store::Sqlite(pool) => Ok(sqlx::query(DELETE).bind(id).execute(pool).await?.rows_affected() > 0),
            Store::Postgres(pool) => {
                let client = pool.get().await?;
                let statement = client.prepare_cached(DELETE).await?;
                Ok(client.execute(&statement, &[&id]).await? > 0)
            }
        }
    }

    /// Adds `n` users with random 8-hex-character names (the articles' `generate_users`).
    pub async fn seed(&self, n: usize) -> Result<usize, DbError> {
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

fn from_sqlite(row: &SqliteRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
    })
}

fn from_postgres(row: &tokio_postgres::Row) -> Result<User, tokio_postgres::Error> {
    Ok(User {
        id: row.try_get(0)?,
        username: row.try_get(1)?,
    })
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

    /// Another process holding SQLite's write lock past the busy timeout (sqlx's default, 5 s) is a busy
    /// database, not a failed query.
    #[tokio::test]
    async fn a_sqlite_file_locked_by_another_writer_is_unavailable() {
        use sqlx::Connection;
        let file = std::env::temp_dir().join(format!("users_locked_{}.db", uuid::Uuid::new_v4().simple()));
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let db = Db::connect(&url, &PoolConfig::default()).await.unwrap();
        let mut other = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE").execute(&mut other).await.unwrap();
        match db.add("ada").await {
            Err(AddError::Db(e)) => assert!(e.is_unavailable(), "{e}"),
            other => panic!("expected a busy database, got {other:?}"),
        }
        drop(other);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
    }

    #[tokio::test]
    async fn a_postgres_server_that_refuses_connections_is_unavailable() {
        // Port 1 on the loopback: nothing listens there, so the connection is refused at once.
        let config = PoolConfig {
            max_connections: 1,
            acquire_timeout: Duration::from_secs(2),
        };
        let e = Db::connect("postgres://nobody@127.0.0.1:1/none", &config)
            .await
            .unwrap_err();
        assert!(e.is_unavailable(), "{e}");
        assert!(e.to_string().contains("refused"), "{e}");
    }
}
