//! The catalogue's tables over one of two concrete backends (`example_db::Store`, as in the users
//! example): SQLite through sqlx (embedded, the default) or PostgreSQL through tokio-postgres with a
//! deadpool pool, each connection keeping its prepared statements. Both run the same SQL text.

use std::fmt;

use example_db::Store;
pub use example_db::{DbError, PoolConfig};
use sqlx::Row;

use crate::model::{min_version_key, Fixture, Section, SectionEntry, Title};

/// Which sections a customer may see, as the list query's parameters.
#[derive(Debug, Clone)]
pub struct Filter {
    /// `%,ZA,%` for a country, or empty (matches only unrestricted sections).
    pub country_like: String,
    /// `%,android,%` for a device, or empty.
    pub device_like: String,
    /// [`crate::Customer::version_key`].
    pub version_key: i64,
}

/// The condition a customer's sections meet, over the parameters of [`Filter`] ($1, $2, $3).
macro_rules! visible {
    () => {
        "(countries = '' OR countries LIKE $1) AND (devices = '' OR devices LIKE $2) AND min_version_key <= $3"
    };
}
const LIST: &str = concat!(
    "SELECT slug, name, position FROM section WHERE ",
    visible!(),
    " ORDER BY position"
);
const ONE: &str = concat!("SELECT name FROM section WHERE ", visible!(), " AND slug = $4");
const POSITION: &str = "SELECT position FROM section WHERE slug = $1";
// The window count runs before LIMIT: every title after the marker, so the page knows what remains.
const TITLES: &str = "SELECT id, title, year, kind, COUNT(*) OVER () FROM title \
                      WHERE section = $1 AND id > $2 ORDER BY id LIMIT $3";
const ALL_SECTIONS: &str =
    "SELECT slug, name, position, countries, devices, min_version FROM section ORDER BY position";
const ALL_TITLES: &str = "SELECT section, id, title, year, kind FROM title ORDER BY id";
// A new section takes the place after the last; a concurrent PUT of the same slug then finds the row and
// updates it instead (ON CONFLICT waits for the other transaction), so only one of them creates it.
const INSERT: &str = "INSERT INTO section (slug, name, position, countries, devices, min_version, min_version_key) \
     VALUES ($1, $2, COALESCE($3, (SELECT COALESCE(MAX(position), 0) + 1 FROM section)), $4, $5, $6, $7) \
     ON CONFLICT (slug) DO NOTHING RETURNING slug";
const UPDATE: &str = "UPDATE section SET name = $2, position = COALESCE($3, position), countries = $4, \
     devices = $5, min_version = $6, min_version_key = $7 WHERE slug = $1";
const INSERT_TITLE: &str = "INSERT INTO title (id, section, title, year, kind) VALUES ($1, $2, $3, $4, $5)";
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS section (
        slug TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        position BIGINT NOT NULL,
        countries TEXT NOT NULL,
        devices TEXT NOT NULL,
        min_version TEXT,
        min_version_key BIGINT NOT NULL);
    CREATE TABLE IF NOT EXISTS title (
        id BIGINT PRIMARY KEY,
        section TEXT NOT NULL REFERENCES section (slug),
        title TEXT NOT NULL,
        year INTEGER NOT NULL,
        kind TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS title_by_section ON title (section, id);";

/// A [`Title`] from columns `first` to `first + 3` of a row of either backend (their `try_get`s differ in
/// types, not in use).
macro_rules! title_at {
    ($row:expr, $first:expr) => {
        Title {
            id: $row.try_get($first)?,
            title: $row.try_get($first + 1)?,
            year: $row.try_get($first + 2)?,
            kind: $row.try_get($first + 3)?,
        }
    };
}

/// A [`Section`] from a row of [`ALL_SECTIONS`] of either backend.
macro_rules! section_of {
    ($row:expr) => {{
        let (countries, devices): (String, String) = ($row.try_get(3)?, $row.try_get(4)?);
        section_from(
            $row.try_get(0)?,
            $row.try_get(1)?,
            $row.try_get(2)?,
            &countries,
            &devices,
            $row.try_get(5)?,
        )
    }};
}

/// The catalogue's two tables, through a connection pool.
pub struct Db {
    store: Store,
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db").field("backend", &self.store.backend()).finish()
    }
}

/// A list of values as a column holds it: `,ZA,NG,` (so `LIKE '%,ZA,%'` finds one), or empty for none.
fn joined(values: &[String]) -> String {
    if values.is_empty() {
        String::new()
    } else {
        format!(",{},", values.join(","))
    }
}

fn split(column: &str) -> Vec<String> {
    column.split(',').filter(|v| !v.is_empty()).map(str::to_owned).collect()
}

fn section_from(
    slug: String,
    name: String,
    position: i64,
    countries: &str,
    devices: &str,
    min_version: Option<String>,
) -> Result<Section, DbError> {
    let min_app_version = match min_version {
        Some(text) => Some(
            text.parse()
                .map_err(|e| DbError::new(false, format!("section {slug}: stored min_version {text:?}: {e}")))?,
        ),
        None => None,
    };
    Ok(Section {
        slug,
        name,
        position,
        countries: split(countries),
        devices: split(devices),
        min_app_version,
    })
}

impl Db {
    /// Connects to `url` (`sqlite:…` or `postgres:…`/`postgresql:…`), creates the tables if they are
    /// missing, and fills them from `fixture` when they are empty.
    ///
    /// # Errors
    /// When the URL is neither SQLite nor PostgreSQL, or the database cannot be reached.
    pub async fn connect(url: &str, config: &PoolConfig, fixture: &Fixture) -> Result<Db, DbError> {
        let store = Store::connect(url, config).await?;
        let db = Db { store };
        db.create_schema().await?;
        if db.all_sections().await?.is_empty() {
            db.load(fixture).await?;
        }
        Ok(db)
    }

    async fn create_schema(&self) -> Result<(), DbError> {
        match &self.store {
            Store::Sqlite(pool) => {
                sqlx::query("PRAGMA journal_mode = WAL").execute(pool).await?;
                sqlx::raw_sql(SCHEMA).execute(pool).await?;
            }
            Store::Postgres(pool) => {
                let quiet = format!("SET client_min_messages = warning; {SCHEMA} RESET client_min_messages;");
                pool.get().await?.batch_execute(&quiet).await?;
            }
        }
        Ok(())
    }

    /// Writes the fixture's sections and titles, in one transaction.
    async fn load(&self, fixture: &Fixture) -> Result<(), DbError> {
        let sections = fixture.sections();
        match &self.store {
            Store::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                for s in &sections {
                    let min = s.min_app_version.map(|v| v.to_string());
                    sqlx::query(INSERT)
                        .bind(&s.slug)
                        .bind(&s.name)
                        .bind(s.position)
                        .bind(joined(&s.countries))
                        .bind(joined(&s.devices))
                        .bind(min)
                        .bind(min_version_key(s.min_app_version.as_ref()))
                        .execute(&mut *tx)
                        .await?;
                }
                for t in &fixture.titles {
                    let title = &t.title;
                    sqlx::query(INSERT_TITLE)
                        .bind(title.id)
                        .bind(&t.section)
                        .bind(&title.title)
                        .bind(title.year)
                        .bind(&title.kind)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            }
            Store::Postgres(pool) => {
                let mut client = pool.get().await?;
                let tx = client.transaction().await?;
                let insert = tx.prepare(INSERT).await?;
                for s in &sections {
                    let min = s.min_app_version.map(|v| v.to_string());
                    let key = min_version_key(s.min_app_version.as_ref());
                    let position = Some(s.position);
                    tx.query_opt(
                        &insert,
                        &[
                            &s.slug,
                            &s.name,
                            &position,
                            &joined(&s.countries),
                            &joined(&s.devices),
                            &min,
                            &key,
                        ],
                    )
                    .await?;
                }
                // One round trip for the titles: each column as an array, unnested into rows.
                let (mut ids, mut slugs, mut names, mut years, mut kinds) = (vec![], vec![], vec![], vec![], vec![]);
                for t in &fixture.titles {
                    ids.push(t.title.id);
                    slugs.push(t.section.as_str());
                    names.push(t.title.title.as_str());
                    years.push(t.title.year);
                    kinds.push(t.title.kind.as_str());
                }
                tx.execute(
                    "INSERT INTO title (id, section, title, year, kind) \
                     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::text[])",
                    &[&ids, &slugs, &names, &years, &kinds],
                )
                .await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// The sections `filter` lets through, in display order, with their positions.
    pub async fn visible_sections(&self, filter: &Filter) -> Result<Vec<(SectionEntry, i64)>, DbError> {
        match &self.store {
            Store::Sqlite(pool) => {
                let rows = sqlx::query(LIST)
                    .bind(&filter.country_like)
                    .bind(&filter.device_like)
                    .bind(filter.version_key)
                    .fetch_all(pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok((
                            SectionEntry {
                                slug: r.try_get(0)?,
                                name: r.try_get(1)?,
                            },
                            r.try_get(2)?,
                        ))
                    })
                    .collect()
            }
            Store::Postgres(pool) => {
                let client = pool.get().await?;
                let statement = client.prepare_cached(LIST).await?;
                let rows = client
                    .query(
                        &statement,
                        &[&filter.country_like, &filter.device_like, &filter.version_key],
                    )
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok((
                            SectionEntry {
                                slug: r.try_get(0)?,
                                name: r.try_get(1)?,
                            },
                            r.try_get(2)?,
                        ))
                    })
                    .collect()
            }
        }
    }

    /// The position of the section named `slug`, visible or not; `None` when there is none.
    pub async fn position_of(&self, slug: &str) -> Result<Option<i64>, DbError> {
        match &self.store {
            Store::Sqlite(pool) => {
                let row = sqlx::query(POSITION).bind(slug).fetch_optional(pool).await?;
                Ok(row.map(|r| r.try_get(0)).transpose()?)
            }
            Store::Postgres(pool) => {
                let client = pool.get().await?;
                let statement = client.prepare_cached(POSITION).await?;
                let row = client.query_opt(&statement, &[&slug]).await?;
                Ok(row.map(|r| r.try_get(0)).transpose()?)
            }
        }
    }

    /// The name of section `slug` when `filter` lets it through.
    pub async fn visible_section(&self, slug: &str, filter: &Filter) -> Result<Option<String>, DbError> {
        match &self.store {
            Store::Sqlite(pool) => {
                let row = sqlx::query(ONE)
                    .bind(&filter.country_like)
                    .bind(&filter.device_like)
                    .bind(filter.version_key)
                    .bind(slug)
                    .fetch_optional(pool)
                    .await?;
                Ok(row.map(|r| r.try_get(0)).transpose()?)
            }
            Store::Postgres(pool) => {
                let client = pool.get().await?;
                let statement = client.prepare_cached(ONE).await?;
                let row = client
                    .query_opt(
                        &statement,
                        &[&filter.country_like, &filter.device_like, &filter.version_key, &slug],
                    )
                    .await?;
                Ok(row.map(|r| r.try_get(0)).transpose()?)
            }
        }
    }

    /// Up to `limit` titles of section `slug` with an id above `marker`, by id, and how many titles there
    /// are above `marker` in all.
    pub async fn titles(&self, slug: &str, marker: i64, limit: i64) -> Result<(Vec<Title>, usize), DbError> {
        let (titles, total): (Vec<Title>, Vec<i64>) = match &self.store {
            Store::Sqlite(pool) => {
                let rows = sqlx::query(TITLES)
                    .bind(slug)
                    .bind(marker)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        let title = title_at!(r, 0);
                        Ok((title, r.try_get::<i64, _>(4)?))
                    })
                    .collect::<Result<Vec<_>, sqlx::Error>>()?
                    .into_iter()
                    .unzip()
            }
            Store::Postgres(pool) => {
                let client = pool.get().await?;
                let statement = client.prepare_cached(TITLES).await?;
                let rows = client.query(&statement, &[&slug, &marker, &limit]).await?;
                rows.iter()
                    .map(|r| {
                        let title = title_at!(r, 0);
                        Ok((title, r.try_get::<_, i64>(4)?))
                    })
                    .collect::<Result<Vec<_>, tokio_postgres::Error>>()?
                    .into_iter()
                    .unzip()
            }
        };
        let total = total.first().map_or(0, |n| usize::try_from(*n).unwrap_or(0));
        Ok((titles, total))
    }

    /// Every section, in display order.
    pub async fn all_sections(&self) -> Result<Vec<Section>, DbError> {
        match &self.store {
            Store::Sqlite(pool) => {
                let rows = sqlx::query(ALL_SECTIONS).fetch_all(pool).await?;
                rows.iter().map(|r| section_of!(r)).collect()
            }
            Store::Postgres(pool) => {
                let client = pool.get().await?;
                let rows = client.query(ALL_SECTIONS, &[]).await?;
                rows.iter().map(|r| section_of!(r)).collect()
            }
        }
    }

    /// Every title with its section's slug, by id.
    pub async fn all_titles(&self) -> Result<Vec<(String, Title)>, DbError> {
        match &self.store {
            Store::Sqlite(pool) => {
                let rows = sqlx::query(ALL_TITLES).fetch_all(pool).await?;
                rows.iter()
                    .map(|r| {
                        let title = title_at!(r, 1);
                        Ok((r.try_get(0)?, title))
                    })
                    .collect::<Result<_, sqlx::Error>>()
                    .map_err(Into::into)
            }
            Store::Postgres(pool) => {
                let client = pool.get().await?;
                let rows = client.query(ALL_TITLES, &[]).await?;
                rows.iter()
                    .map(|r| {
                        let title = title_at!(r, 1);
                        Ok((r.try_get(0)?, title))
                    })
                    .collect::<Result<_, tokio_postgres::Error>>()
                    .map_err(Into::into)
            }
        }
    }

    /// Creates or replaces section `section.slug`; `position: None` keeps an existing section's place and
    /// puts a new one last. Returns whether it was created.
    pub async fn put_section(&self, section: &Section, position: Option<i64>) -> Result<bool, DbError> {
        let min = section.min_app_version.map(|v| v.to_string());
        let key = min_version_key(section.min_app_version.as_ref());
        let (countries, devices) = (joined(&section.countries), joined(&section.devices));
        match &self.store {
            Store::Sqlite(pool) => {
                // IMMEDIATE takes the write lock at the start, so concurrent writers wait for it (up to the
                // busy timeout) instead of failing when a reader tries to become a writer.
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let mut created = false;
                for statement in [INSERT, UPDATE] {
                    let done = sqlx::query(statement)
                        .bind(&section.slug)
                        .bind(&section.name)
                        .bind(position)
                        .bind(&countries)
                        .bind(&devices)
                        .bind(&min)
                        .bind(key)
                        .execute(&mut *tx)
                        .await?;
                    if statement == INSERT && done.rows_affected() == 1 {
                        created = true;
                        break;
                    }
                }
                tx.commit().await?;
                Ok(created)
            }
            Store::Postgres(pool) => {
                let mut client = pool.get().await?;
                let tx = client.transaction().await?;
                let values: [&(dyn tokio_postgres::types::ToSql + Sync); 7] = [
                    &section.slug,
                    &section.name,
                    &position,
                    &countries,
                    &devices,
                    &min,
                    &key,
                ];
                let created = tx.query_opt(INSERT, &values).await?.is_some();
                if !created {
                    tx.execute(UPDATE, &values).await?;
                }
                tx.commit().await?;
                Ok(created)
            }
        }
    }
}

/// The list query's parameters for what `customer` said.
pub(crate) fn filter_for(customer: &crate::Customer) -> Filter {
    let like = |value: &Option<String>| value.as_ref().map_or_else(String::new, |v| format!("%,{v},%"));
    Filter {
        country_like: like(&customer.country),
        device_like: like(&customer.device),
        version_key: customer.version_key(),
    }
}
