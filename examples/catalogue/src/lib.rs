//! The catalogue API from the Django-to-Falcon migration: the "sections" a media service shows a customer,
//! which depend on the customer's country, device and app version.
//!
//! - `GET /sections?country=ZA&device=android&app_version=5.2&limit=&marker=` lists the sections this
//!   customer sees, in display order: `{"count": N, "items": [{"name": …, "slug": …}], "remaining": M}`.
//!   `limit` is 1 to 100 (default 20); `marker` is the slug of the last section already seen (the page
//!   starts after its place, even if this customer does not see it; a slug that names no section is 400).
//!   `country` may come from the edge's `X-Country` header instead (then the response has `Vary:
//!   X-Country`). A customer who does not say a country, device or version sees only the sections not
//!   limited by it.
//! - `GET /sections/{slug}?…&limit=&marker=` returns one section with a page of its titles, by id
//!   (`marker` is the last title id already seen): `{"name", "slug", "count", "items": [{"id", "title",
//!   "year", "kind"}], "remaining"}`; 404 when there is no such section or this customer does not see it.
//! - Both answer with a strong `ETag` (a hash of the body) and `Cache-Control: public, max-age=60`; a
//!   request whose `If-None-Match` names the current tag gets 304.
//! - `PUT /sections/{slug}` with `Authorization: Bearer <CATALOGUE_ADMIN_TOKEN>` and a [`SectionUpdate`] as
//!   `application/json` creates (201) or replaces (200) a section: 401 without the token, 403 when the
//!   server has none, 415 for another body type, 422 naming a field that breaks the rules. Reads that this
//!   process serves after the answer see the change; other processes serving the same database see it
//!   after their own refresh (SIGUSR1), or at once with the cache off. PUT takes no `If-Match`: a
//!   section's representations differ by customer, so no one tag stands for it.
//! - Unknown `country` or `device`, or a malformed `app_version`: 400 naming the parameter and what is
//!   allowed. A blank parameter (`limit=`) counts as absent.
//!
//! Reads come from an in-process copy of the tables ([`CacheMode::On`], the default) or query the
//! database every time ([`CacheMode::Off`]); storage is SQLite (embedded, the default) or PostgreSQL
//! (`DATABASE_URL=postgres://…`), filled from the committed fixture when empty.

use std::sync::Arc;

use peregrine::hooks::max_body;
use peregrine::{header, App, EntityTag, HttpError, Request, Response, Result, StatusCode};
use serde::Serialize;

mod catalogue;
mod customer;
mod db;
mod model;
mod version;

pub use catalogue::{CacheMode, Catalogue, ReadError};
pub use customer::{Customer, Known, COUNTRY_HEADER};
pub use db::{Db, DbError, PoolConfig};
use example_db::database_error;
pub use model::{Fixture, Page, Section, SectionDetail, SectionEntry, SectionUpdate, Title};
pub use version::{AppVersion, InvalidVersion};

/// Sections or titles per page when `limit` is absent.
pub const DEFAULT_LIMIT: i64 = 20;
/// Most sections or titles per page.
pub const MAX_LIMIT: i64 = 100;
/// What caches may do with a read: keep it for a minute.
pub const CACHE_CONTROL: &str = "public, max-age=60";

/// The sections resource: the list at `/sections`, one section at `/sections/{slug}` (suffix `item`).
#[derive(Debug)]
pub struct Sections {
    catalogue: Arc<Catalogue>,
    /// The bearer token `PUT` needs; `None` turns writes off.
    admin_token: Option<String>,
}

#[peregrine::resource]
impl Sections {
    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        let customer = Customer::from_request(req, resp, self.catalogue.known())?;
        let limit = page_limit(req)?;
        let marker = req.get_param("marker");
        let page = match self.catalogue.sections(&customer, marker, limit).await {
            Ok(page) => page,
            Err(ReadError::UnknownMarker) => {
                return Err(HttpError::invalid_param("marker", "It names no section.").into())
            }
            Err(ReadError::Db(e)) => return Err(e.into()),
        };
        send_cacheable(resp, &page)
    }

    async fn on_get_item(&self, req: &mut Request, resp: &mut Response) -> Result {
        let customer = Customer::from_request(req, resp, self.catalogue.known())?;
        let limit = page_limit(req)?;
        let marker = req.get_param_as_int_in("marker", 0..)?.unwrap_or(0);
        let slug: String = req.field("slug")?;
        match self.catalogue.section(&slug, &customer, marker, limit).await? {
            Some(detail) => send_cacheable(resp, &detail),
            None => Err(HttpError::not_found()
                .with_description(format!("There is no section '{slug}' for this customer."))
                .into()),
        }
    }

    #[before(max_body(16 * 1024))]
    async fn on_put_item(&self, req: &mut Request, resp: &mut Response) -> Result {
        self.check_admin(req)?;
        let slug: String = req.field("slug")?;
        let is_json = req.content_type().is_some_and(|t| {
            t.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .eq_ignore_ascii_case("application/json")
        });
        if !is_json {
            return Err(HttpError::unsupported_media_type()
                .with_description("Send the section as application/json.")
                .into());
        }
        let update: SectionUpdate = req.media().await?;
        let (section, position) = self.valid_section(slug, update)?;
        let created = self.catalogue.put_section(&section, position).await?;
        if created {
            resp.set_status(StatusCode::CREATED);
            resp.set_location(format!("/sections/{}", section.slug));
        }
        resp.set_media(&SectionEntry {
            name: section.name,
            slug: section.slug,
        })
    }
}

impl Sections {
    /// `Authorization: Bearer <token>` with the admin token.
    fn check_admin(&self, req: &Request) -> Result {
        let Some(token) = &self.admin_token else {
            return Err(HttpError::forbidden()
                .with_title("Writes are off")
                .with_description("This server was started without CATALOGUE_ADMIN_TOKEN.")
                .into());
        };
        let mut values = req.headers().get_all(header::AUTHORIZATION).iter();
        let (first, second) = (values.next(), values.next());
        if second.is_some() {
            return Err(HttpError::bad_request()
                .with_title("Invalid header value")
                .with_description("Send one Authorization header.")
                .into());
        }
        // "Bearer <token>", the scheme in any case (RFC 9110 §11.1).
        let given = first
            .and_then(|v| v.as_bytes().split_at_checked(7))
            .and_then(|(scheme, token)| scheme.eq_ignore_ascii_case(b"bearer ").then_some(token));
        if given.is_some_and(|given| same_secret(given, token.as_bytes())) {
            return Ok(());
        }
        Err(HttpError::unauthorized()
            .with_description("Send Authorization: Bearer with the admin token.")
            .with_header(header::WWW_AUTHENTICATE, "Bearer realm=\"catalogue\"")
            .into())
    }

    /// The stored form of an update, or 422 naming the field at fault.
    fn valid_section(&self, slug: String, update: SectionUpdate) -> Result<(Section, Option<i64>)> {
        let known = self.catalogue.known();
        let invalid = |what: String| {
            HttpError::unprocessable_content()
                .with_title("Invalid section")
                .with_description(what)
        };
        if !model::valid_slug(&slug) {
            return Err(invalid("A slug is 1 to 64 characters: a-z, 0-9 and '-'.".into()).into());
        }
        let name = update.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(|c| c.is_control() || is_layout_control(c))
        {
            return Err(invalid(
                "name: 1 to 100 characters, none of them control, line-separator or text-direction characters.".into(),
            )
            .into());
        }
        if update.position.is_some_and(|p| !model::POSITIONS.contains(&p)) {
            return Err(invalid("position: 1 to 1000000000.".into()).into());
        }
        let mut countries: Vec<String> = update.countries.iter().map(|c| c.to_ascii_uppercase()).collect();
        if let Some(bad) = countries.iter().find(|c| !known.countries.contains(c)) {
            return Err(invalid(format!(
                "countries: '{bad}' is not one of {}.",
                known.countries.join(", ")
            ))
            .into());
        }
        let mut devices: Vec<String> = update.devices.iter().map(|d| d.to_ascii_lowercase()).collect();
        if let Some(bad) = devices.iter().find(|d| !known.devices.contains(d)) {
            return Err(invalid(format!("devices: '{bad}' is not one of {}.", known.devices.join(", "))).into());
        }
        countries.sort();
        countries.dedup();
        devices.sort();
        devices.dedup();
        let min_app_version = match update.min_app_version.as_deref().map(str::parse::<AppVersion>) {
            None => None,
            Some(Ok(version)) => Some(version),
            Some(Err(e)) => return Err(invalid(format!("min_app_version: {e}")).into()),
        };
        let section = Section {
            slug,
            name,
            position: update.position.unwrap_or_default(),
            countries,
            devices,
            min_app_version,
        };
        Ok((section, update.position))
    }
}

/// Line and paragraph separators and the bidirectional controls, which would let a name reorder or break
/// the text around it where it is shown.
fn is_layout_control(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `limit`, 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent.
fn page_limit(req: &Request) -> Result<usize> {
    let limit = req
        .get_param_as_int_in("limit", 1..=MAX_LIMIT)?
        .unwrap_or(DEFAULT_LIMIT);
    Ok(usize::try_from(limit).expect("1 to 100 fits"))
}

/// Sends `value` as JSON with a strong `ETag` over the body and [`CACHE_CONTROL`]; the pipeline turns a
/// matching `If-None-Match` into 304.
fn send_cacheable(resp: &mut Response, value: &impl Serialize) -> Result {
    resp.set_media(value)?;
    let body = resp.body_bytes().map_or(&[][..], |b| &b[..]);
    let tag = EntityTag::strong(format!("{:016x}", fnv1a(body)));
    resp.set_etag(&tag);
    resp.set_cache_control(CACHE_CONTROL)
}

/// FNV-1a, 64 bits: the same tag for the same body in every process behind a load balancer.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Compares in time that depends only on the lengths, so the token cannot be guessed byte by byte.
fn same_secret(given: &[u8], secret: &[u8]) -> bool {
    given.len() == secret.len() && given.iter().zip(secret).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// The app over `catalogue`; `admin_token` is the bearer token `PUT` needs (`None`: writes are off, 403).
pub fn app(catalogue: Arc<Catalogue>, admin_token: Option<String>) -> App {
    let sections = Arc::new(Sections { catalogue, admin_token });
    App::new()
        // `limit=` means "no limit given", as the article's clients send it.
        .req_options(|o| o.keep_blank_qs_values = false)
        .add_route("/sections", sections.clone())
        .add_route_with_suffix("/sections/{slug}", sections, "item")
        .add_error_handler(database_error)
}

/// The known countries and devices, from the committed fixture.
pub fn known_from(fixture: &Fixture) -> Known {
    Known {
        countries: fixture.countries.clone(),
        devices: fixture.devices.clone(),
    }
}
