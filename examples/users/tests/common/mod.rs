//! Databases for the users tests: a fresh SQLite file, or a fresh PostgreSQL schema when `PEREGRINE_TEST_PG`
//! names a server.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sqlx::Connection;
use users::{Db, PoolConfig};

/// A database that exists for one test. SQLite files are removed on drop; a PostgreSQL schema is dropped by
/// [`TestDb::remove`] (a test that panics leaves its small schema behind).
pub(crate) struct TestDb {
    /// The URL that `Db::connect` and the binary accept.
    pub url: String,
    file: Option<PathBuf>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(file) = &self.file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
    }
}

fn unique_name() -> String {
    format!("users_test_{}", uuid::Uuid::new_v4().simple())
}

/// A new, empty SQLite file in the temp directory.
pub(crate) fn sqlite() -> TestDb {
    let file = std::env::temp_dir().join(format!("{}.db", unique_name()));
    TestDb {
        url: format!("sqlite://{}?mode=rwc", file.display()),
        file: Some(file),
    }
}

/// A new, empty schema on the `PEREGRINE_TEST_PG` server, or `None` (with a note on stderr) when the variable
/// is unset. Panics when it is set and the server cannot be reached.
pub(crate) async fn postgres(test: &str) -> Option<TestDb> {
    let Ok(base) = std::env::var("PEREGRINE_TEST_PG") else {
        eprintln!("{test}: skipped, PEREGRINE_TEST_PG is not set");
        return None;
    };
    let schema = unique_name();
    let mut conn = sqlx::PgConnection::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("PEREGRINE_TEST_PG={base} is set but unreachable: {e}"));
    // The name is ours: a fixed prefix and a UUID's hex digits.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .expect("create schema");
    let separator = if base.contains('?') { '&' } else { '?' };
    // The application name marks this test's connections so that a test can cut them without touching others.
    Some(TestDb {
        url: format!("{base}{separator}options=-c%20search_path%3D{schema}&application_name={schema}"),
        file: None,
    })
}

impl TestDb {
    /// Connects with a small pool and a short acquire timeout, so exhaustion shows quickly.
    pub(crate) async fn connect(&self, max_connections: u32) -> Arc<Db> {
        let config = PoolConfig {
            max_connections,
            acquire_timeout: Duration::from_millis(300),
        };
        Arc::new(
            Db::connect(&self.url, &config)
                .await
                .expect("connect to the test database"),
        )
    }

    /// Drops the PostgreSQL schema (SQLite files go on drop).
    pub(crate) async fn remove(self) {
        if let (Some(schema), Ok(base)) = (self.pg_schema(), std::env::var("PEREGRINE_TEST_PG")) {
            let mut conn = sqlx::PgConnection::connect(&base).await.expect("reconnect");
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&mut conn)
                .await
                .expect("drop schema");
        }
    }

    /// The PostgreSQL application name (and schema) of this database, if it is one.
    pub(crate) fn pg_schema(&self) -> Option<&str> {
        self.url.rsplit_once("application_name=").map(|(_, name)| name)
    }
}
