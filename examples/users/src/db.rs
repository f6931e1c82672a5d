//! The users table over one of two concrete backends (`example_db::Store`): SQLite through sqlx's
//! `SqlitePool` (embedded, the default) or PostgreSQL through tokio-postgres with a deadpool pool, each
//! connection keeping its prepared statements. Every query is one `match`, and each arm is plain code for
//! its database.

use std::fmt;

use example_db::{Backend, DbError, PoolConfig, Store};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use tokio_postgres::error::SqlState;

use crate::User;

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
    /// Connects to `url` (`sqlite:…` or `postgres:…`/`postgresql:…`, as [`Store::connect`] reads them) and
    /// creates the table if it is missing.
    ///
    /// # Errors
    /// When the URL is neither SQLite nor PostgreSQL, or the database cannot be reached.
    pub async fn connect(url: &str, config: &PoolConfig) -> Result<Db, DbError> {
        let store = Store::connect(url, config).await?;
        let db = Db { store };
        db.create_schema().await?;
        Ok(db)
    }

    /// The database in use.
    pub fn backend(&self) -> Backend {
        self.store.backend()
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
            acquire_timeout: std::time::Duration::from_secs(2),
        };
        let e = Db::connect("postgres://nobody@127.0.0.1:1/none", &config)
            .await
            .unwrap_err();
        assert!(e.is_unavailable(), "{e}");
        assert!(e.to_string().contains("refused"), "{e}");
    }
}
