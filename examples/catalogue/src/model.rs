//! What the catalogue holds and what it sends: sections (in display order, each maybe limited to some
//! countries, devices or a minimum app version), their titles, and the pages of both.

use serde::{Deserialize, Serialize};

use crate::customer::Customer;
use crate::version::AppVersion;

/// A section as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Its name in URLs: `[a-z0-9-]`, 1 to 64 characters.
    pub slug: String,
    /// Its display name.
    pub name: String,
    /// Display order, ascending.
    pub position: i64,
    /// The countries it is shown in (ISO 3166 alpha-2, upper case); empty: every country.
    pub countries: Vec<String>,
    /// The devices it is shown on; empty: every device.
    pub devices: Vec<String>,
    /// The oldest app version it is shown to; `None`: every version.
    pub min_app_version: Option<AppVersion>,
}

impl Section {
    /// Whether `customer` sees this section. A customer whose country (or device, or app version) is not
    /// known sees only the sections not limited by it: the catalogue cannot show them to be eligible.
    pub fn visible_to(&self, customer: &Customer) -> bool {
        let listed = |allowed: &[String], value: Option<&str>| {
            allowed.is_empty() || value.is_some_and(|v| allowed.iter().any(|a| a == v))
        };
        listed(&self.countries, customer.country.as_deref())
            && listed(&self.devices, customer.device.as_deref())
            && min_version_key(self.min_app_version.as_ref()) <= customer.version_key()
    }
}

/// Whether `text` can be a slug: 1 to 64 of `a-z`, `0-9` and `-`.
pub(crate) fn valid_slug(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Where sections may be placed: positions 1 to 1,000,000,000.
pub(crate) const POSITIONS: std::ops::RangeInclusive<i64> = 1..=1_000_000_000;

/// The version key a minimum compares with: 0 when there is none, so every customer passes it.
pub(crate) fn min_version_key(version: Option<&AppVersion>) -> i64 {
    version.map_or(0, AppVersion::key)
}

/// A title as stored and as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Title {
    /// Unique across the catalogue; titles page by it.
    pub id: i64,
    /// Its display title.
    pub title: String,
    /// Release year.
    pub year: i32,
    /// `film`, `series` or `documentary`.
    pub kind: String,
}

/// One entry of the section list, as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionEntry {
    /// Display name.
    pub name: String,
    /// Name in URLs.
    pub slug: String,
}

/// A page of a list: `count` items, and how many more follow for this customer (`remaining`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    /// How many items this page holds.
    pub count: usize,
    /// The items, in order.
    pub items: Vec<T>,
    /// How many items come after this page.
    pub remaining: usize,
}

impl<T> Page<T> {
    /// The first `limit` of `items`, which are every item after the marker.
    pub fn first(mut items: Vec<T>, limit: usize) -> Page<T> {
        let remaining = items.len().saturating_sub(limit);
        items.truncate(limit);
        Page {
            count: items.len(),
            items,
            remaining,
        }
    }
}

/// One section with a page of its titles, as sent by `GET /sections/{slug}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionDetail {
    /// Display name.
    pub name: String,
    /// Name in URLs.
    pub slug: String,
    /// How many titles this page holds.
    pub count: usize,
    /// The titles, by id.
    pub items: Vec<Title>,
    /// How many titles come after this page.
    pub remaining: usize,
}

/// What `PUT /sections/{slug}` takes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionUpdate {
    /// Display name, 1 to 100 characters.
    pub name: String,
    /// Display order, 1 to 1,000,000,000 (sections that share a position show by slug); when absent, an
    /// existing section keeps its place and a new one goes last.
    #[serde(default)]
    pub position: Option<i64>,
    /// Countries it is limited to (known ones only); absent or empty: every country.
    #[serde(default)]
    pub countries: Vec<String>,
    /// Devices it is limited to (known ones only); absent or empty: every device.
    #[serde(default)]
    pub devices: Vec<String>,
    /// The oldest app version it is shown to, such as `"5.2"`; absent or null: every version.
    #[serde(default)]
    pub min_app_version: Option<String>,
}

/// The fixture: the known countries and devices, the sections in display order, and the titles.
#[derive(Debug, Deserialize)]
pub struct Fixture {
    /// Every country a customer may name.
    pub countries: Vec<String>,
    /// Every device a customer may name.
    pub devices: Vec<String>,
    /// The sections, first shown first.
    pub sections: Vec<FixtureSection>,
    /// The titles.
    pub titles: Vec<FixtureTitle>,
}

/// A section as the fixture writes it.
#[derive(Debug, Deserialize)]
pub struct FixtureSection {
    /// See [`Section::slug`].
    pub slug: String,
    /// See [`Section::name`].
    pub name: String,
    /// See [`Section::countries`].
    pub countries: Vec<String>,
    /// See [`Section::devices`].
    pub devices: Vec<String>,
    /// See [`Section::min_app_version`].
    pub min_app_version: Option<String>,
}

/// A title as the fixture writes it.
#[derive(Debug, Deserialize)]
pub struct FixtureTitle {
    /// The slug of its section.
    pub section: String,
    /// The title itself.
    #[serde(flatten)]
    pub title: Title,
}

impl Fixture {
    /// The fixture committed beside the example (`fixture/catalogue.json`, made by `make_fixture.py`).
    pub fn committed() -> Fixture {
        serde_json::from_str(include_str!("../fixture/catalogue.json")).expect("the committed fixture parses")
    }

    /// The fixture's sections as stored (positions 1, 2, …).
    ///
    /// # Panics
    /// When a minimum app version in the fixture does not parse.
    pub fn sections(&self) -> Vec<Section> {
        self.sections
            .iter()
            .zip(1..)
            .map(|(s, position)| Section {
                slug: s.slug.clone(),
                name: s.name.clone(),
                position,
                countries: s.countries.clone(),
                devices: s.devices.clone(),
                min_app_version: s
                    .min_app_version
                    .as_deref()
                    .map(|v| v.parse().expect("fixture versions parse")),
            })
            .collect()
    }
}
