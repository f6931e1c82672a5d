//! The catalogue as the API sees it: the database, and (unless it is off) an in-process copy of both tables
//! that the reads are served from. A write goes to the database and then replaces the copy before it is
//! acknowledged, so a read that follows an acknowledged write in the same process sees it.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::customer::{Customer, Known};
use crate::db::{filter_for, Db, DbError};
use crate::model::{valid_slug, Page, Section, SectionDetail, SectionEntry, Title};

/// Whether reads come from the in-process copy or from the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheMode {
    /// Reads come from the copy, refreshed after every write and on [`Catalogue::reload`].
    On,
    /// Every read queries the database.
    Off,
}

/// Both tables in memory: the sections in display order, each section's titles by id.
#[derive(Debug, Default)]
struct Snapshot {
    sections: Vec<Section>,
    titles: HashMap<String, Vec<Title>>,
}

/// The catalogue: reads, writes and the copy.
#[derive(Debug)]
pub struct Catalogue {
    db: Db,
    known: Known,
    /// `None` when the cache is off.
    copy: Option<RwLock<Arc<Snapshot>>>,
    /// Held while a copy is read from the database and installed, so that copies are installed in the
    /// order they were read and an older one never replaces a newer one.
    reloading: tokio::sync::Mutex<()>,
}

/// Why a page could not be served.
#[derive(Debug)]
pub enum ReadError {
    /// The marker names no section.
    UnknownMarker,
    /// The database failed.
    Db(DbError),
}

impl From<DbError> for ReadError {
    fn from(e: DbError) -> Self {
        ReadError::Db(e)
    }
}

/// Sections show by position, then by slug compared byte by byte. The database sorts by position only:
/// its text order depends on its collation, and both ways of reading must agree.
fn display_order(position: i64, slug: &str) -> (i64, &[u8]) {
    (position, slug.as_bytes())
}

/// Before every section: positions start at 1.
const START: (i64, &[u8]) = (i64::MIN, b"");

impl Catalogue {
    /// The catalogue over `db`, knowing the countries and devices in `known`; with the cache on, reads both
    /// tables once now.
    ///
    /// # Errors
    /// When the database fails while the copy is read.
    pub async fn open(db: Db, known: Known, mode: CacheMode) -> Result<Catalogue, DbError> {
        let catalogue = Catalogue {
            db,
            known,
            copy: (mode == CacheMode::On).then(|| RwLock::new(Arc::default())),
            reloading: tokio::sync::Mutex::new(()),
        };
        catalogue.reload().await?;
        Ok(catalogue)
    }

    /// The countries and devices a customer may name.
    pub fn known(&self) -> &Known {
        &self.known
    }

    /// Reads both tables again into the copy (nothing when the cache is off). Call it after changing the
    /// tables from outside this process; `main` does on SIGUSR1.
    ///
    /// # Errors
    /// When the database fails; the copy is then left as it was.
    pub async fn reload(&self) -> Result<(), DbError> {
        let Some(copy) = &self.copy else {
            return Ok(());
        };
        let _order = self.reloading.lock().await;
        let mut sections = self.db.all_sections().await?;
        sections.sort_by(|a, b| display_order(a.position, &a.slug).cmp(&display_order(b.position, &b.slug)));
        let mut titles: HashMap<String, Vec<Title>> = HashMap::new();
        for (slug, title) in self.db.all_titles().await? {
            titles.entry(slug).or_default().push(title);
        }
        let snapshot = Arc::new(Snapshot { sections, titles });
        *copy.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = snapshot;
        Ok(())
    }

    fn snapshot(&self) -> Option<Arc<Snapshot>> {
        let copy = self.copy.as_ref()?;
        Some(copy.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone())
    }

    /// The sections `customer` sees after the one named `marker` (from the start when `None`), `limit` of
    /// them. Sections are in display order: by position, then by slug (two sections may share a
    /// position), so a page starts exactly after its marker.
    ///
    /// # Errors
    /// [`ReadError::UnknownMarker`] when `marker` names no section (a section the customer does not see is
    /// a valid marker: the page starts after its place), or the database failed.
    pub async fn sections(
        &self,
        customer: &Customer,
        marker: Option<&str>,
        limit: usize,
    ) -> Result<Page<SectionEntry>, ReadError> {
        // Only a slug can name a section: anything else is refused before any lookup.
        if marker.is_some_and(|m| !valid_slug(m)) {
            return Err(ReadError::UnknownMarker);
        }
        if let Some(snapshot) = self.snapshot() {
            let after = match marker {
                None => START,
                Some(slug) => match snapshot.sections.iter().find(|s| s.slug == slug) {
                    Some(section) => display_order(section.position, slug),
                    None => return Err(ReadError::UnknownMarker),
                },
            };
            let items = snapshot
                .sections
                .iter()
                .filter(|s| display_order(s.position, &s.slug) > after && s.visible_to(customer))
                .map(|s| SectionEntry {
                    name: s.name.clone(),
                    slug: s.slug.clone(),
                })
                .collect();
            return Ok(Page::first(items, limit));
        }
        let after = match marker {
            None => START,
            Some(slug) => display_order(self.db.position_of(slug).await?.ok_or(ReadError::UnknownMarker)?, slug),
        };
        let mut rows = self.db.visible_sections(&filter_for(customer)).await?;
        rows.sort_by(|(a, pa), (b, pb)| display_order(*pa, &a.slug).cmp(&display_order(*pb, &b.slug)));
        let items = rows
            .into_iter()
            .filter(|(entry, p)| display_order(*p, &entry.slug) > after)
            .map(|(entry, _)| entry)
            .collect();
        Ok(Page::first(items, limit))
    }

    /// Section `slug` with `limit` of its titles after id `marker`, when `customer` sees it.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn section(
        &self,
        slug: &str,
        customer: &Customer,
        marker: i64,
        limit: usize,
    ) -> Result<Option<SectionDetail>, DbError> {
        if !valid_slug(slug) {
            return Ok(None);
        }
        if let Some(snapshot) = self.snapshot() {
            let Some(section) = snapshot
                .sections
                .iter()
                .find(|s| s.slug == slug && s.visible_to(customer))
            else {
                return Ok(None);
            };
            let titles = snapshot.titles.get(slug).map_or(&[][..], Vec::as_slice);
            // Titles are held by id: the page starts at the first id above the marker.
            let start = titles.partition_point(|t| t.id <= marker);
            let end = titles.len().min(start + limit);
            return Ok(Some(SectionDetail {
                name: section.name.clone(),
                slug: section.slug.clone(),
                count: end - start,
                items: titles[start..end].to_vec(),
                remaining: titles.len() - end,
            }));
        }
        let Some(name) = self.db.visible_section(slug, &filter_for(customer)).await? else {
            return Ok(None);
        };
        let (items, after_marker) = self.db.titles(slug, marker, limit as i64).await?;
        Ok(Some(SectionDetail {
            name,
            slug: slug.to_owned(),
            count: items.len(),
            remaining: after_marker.saturating_sub(items.len()),
            items,
        }))
    }

    /// Creates or replaces `section` (`position: None` keeps an existing section's place; a new one goes
    /// last), then refreshes the copy, so the write is visible to every read that starts after this returns.
    /// Returns whether the section was created.
    ///
    /// # Errors
    /// When the database fails. If the write succeeded and the refresh failed, the copy is stale until the
    /// next refresh, and the error says the database failed.
    pub async fn put_section(&self, section: &Section, position: Option<i64>) -> Result<bool, DbError> {
        let created = self.db.put_section(section, position).await?;
        self.reload().await?;
        Ok(created)
    }
}
