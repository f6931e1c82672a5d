//! Falcon's quickstart and its "more involved" example, written with Peregrine.
//!
//! - `GET /things` answers with a quote (the quickstart).
//! - `GET /{user_id}/things?marker=&limit=` lists a user's things; `POST /{user_id}/things` adds one and
//!   answers 201 with `Location`. Both need an `X-Auth-Token` header (a before hook), and the API speaks
//!   JSON and MessagePack both ways: the body's `Content-Type` picks the reader (415 for anything else),
//!   the client's `Accept` the writer (406 when it takes neither). A listing carries an `ETag`, so a
//!   repeated `GET` with `If-None-Match` is answered 304 with no body.
//! - When storage fails, an error handler turns `StorageError` into a 503 with a friendly title.
//! - `GET /search/{engine}?q=` goes through a sink, as Falcon's example does; where Falcon's proxies the
//!   search, this one redirects to it (307), so the example needs no network.
//! - `/docs/` serves a small HTML page from `examples/things/docs` (a static route), and every answer
//!   carries CORS headers for any origin (`cors_enable`).
//!
//! Run it with `cargo run --release -p things`, then `curl localhost:8000/things`.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use peregrine::hooks::max_body;
use peregrine::media::MessagePack;
use peregrine::{App, EntityTag, HttpError, HttpStatus, Request, Response, Result, Sink, StaticOptions, StatusCode};
use serde::{Deserialize, Serialize};

/// The quickstart resource.
#[derive(Debug)]
pub struct Quote;

#[peregrine::resource]
impl Quote {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_text(
            "\nTwo things awe me most, the starry sky above me and the moral law within me.\n\n    ~ Immanuel Kant\n\n",
        );
        Ok(())
    }
}

/// A thing a user owns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thing {
    /// Its id, unique across users.
    pub id: u64,
    /// Its owner.
    pub user_id: u64,
    /// What it is called.
    pub name: String,
}

/// What a client posts to add a thing.
#[derive(Debug, Deserialize)]
pub struct NewThing {
    /// What it is called.
    pub name: String,
}

/// Storage failed; the error handler turns this into a 503.
#[derive(Debug)]
pub struct StorageError;

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the storage engine is unavailable")
    }
}

impl std::error::Error for StorageError {}

/// An in-memory storage engine that can be switched off, to show what a failure looks like.
#[derive(Debug, Default)]
pub struct Storage {
    things: Mutex<Vec<Thing>>,
    down: AtomicBool,
    /// Counts changes: a listing's entity tag, since any change may change any listing.
    version: AtomicU64,
}

impl Storage {
    /// Makes every call fail (`true`) or work again (`false`).
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    fn check(&self) -> std::result::Result<(), StorageError> {
        if self.down.load(Ordering::SeqCst) {
            Err(StorageError)
        } else {
            Ok(())
        }
    }

    /// Up to `limit` things of `user_id` whose id is above `marker`, by id, and the storage's version.
    pub fn things(
        &self,
        user_id: u64,
        marker: u64,
        limit: usize,
    ) -> std::result::Result<(Vec<Thing>, u64), StorageError> {
        self.check()?;
        let things = self.things.lock().expect("storage lock");
        let listed = things
            .iter()
            .filter(|t| t.user_id == user_id && t.id > marker)
            .take(limit)
            .cloned()
            .collect();
        Ok((listed, self.version.load(Ordering::SeqCst)))
    }

    /// Stores a new thing and returns it with its id.
    pub fn add(&self, user_id: u64, new: NewThing) -> std::result::Result<Thing, StorageError> {
        self.check()?;
        let mut things = self.things.lock().expect("storage lock");
        let thing = Thing {
            id: things.len() as u64 + 1,
            user_id,
            name: new.name,
        };
        things.push(thing.clone());
        self.version.fetch_add(1, Ordering::SeqCst);
        Ok(thing)
    }
}

/// Refuses requests without an `X-Auth-Token` header.
async fn require_token(req: &mut Request, _resp: &mut Response) -> Result {
    match req.get_header("x-auth-token") {
        Some(token) if !token.trim().is_empty() => Ok(()),
        _ => Err(HttpError::unauthorized()
            .with_title("Auth token required")
            .with_description("Please provide an auth token as part of the request.")
            .with_header(peregrine::header::WWW_AUTHENTICATE, "Token")
            .into()),
    }
}

/// A user's things.
#[derive(Debug)]
pub struct Things {
    storage: Arc<Storage>,
}

#[peregrine::resource]
#[before(require_token)]
impl Things {
    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        let user_id: u64 = req.field("user_id")?;
        let marker = req.get_param_as_int_in("marker", 0..)?.unwrap_or(0) as u64;
        let limit = req.get_param_as_int_in("limit", 1..=100)?.unwrap_or(50) as usize;
        let (things, version) = self.storage.things(user_id, marker, limit)?;
        resp.set_header("powered-by", "Peregrine")?;
        // The pipeline answers 304 when the client's If-None-Match holds this tag.
        resp.set_etag(&EntityTag::strong(format!("v{version}")));
        resp.set_media(&things)
    }

    // A hook factory: evaluated once, when the route is added.
    #[before(max_body(64 * 1024))]
    async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
        let user_id: u64 = req.field("user_id")?;
        let new: NewThing = req.media().await?;
        if new.name.trim().is_empty() {
            return Err(HttpError::bad_request()
                .with_title("Missing thing")
                .with_description("A thing must have a non-empty name.")
                .into());
        }
        let thing = self.storage.add(user_id, new)?;
        resp.set_status(StatusCode::CREATED);
        resp.set_location(format!("/{user_id}/things/{}", thing.id));
        resp.set_media(&thing)
    }
}

/// Sends `/search/{engine}?q=...` on to the engine's own search page (Falcon's example proxies it).
#[derive(Debug)]
pub struct SearchRedirect;

impl SearchRedirect {
    const ENGINES: [(&'static str, &'static str); 2] = [
        ("ddg", "https://duckduckgo.com/"),
        ("y", "https://search.yahoo.com/search"),
    ];
}

impl Sink for SearchRedirect {
    async fn on_request(&self, req: &mut Request, _resp: &mut Response) -> Result {
        let engine = req.path().strip_prefix("/search/").unwrap_or_default();
        let Some((_, url)) = Self::ENGINES.iter().find(|(name, _)| *name == engine) else {
            return Err(HttpError::not_found()
                .with_title("Unknown search engine")
                .with_description("Use /search/ddg or /search/y.")
                .into());
        };
        let query = req.get_param("q").unwrap_or_default();
        let query = percent_encoding::utf8_percent_encode(query, percent_encoding::NON_ALPHANUMERIC);
        Err(HttpStatus::temporary_redirect(&format!("{url}?q={query}")).into())
    }
}

/// The directory of the static docs page.
pub fn docs_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs")
}

/// The app, with `storage` shared by every request.
pub fn app(storage: Arc<Storage>) -> App {
    App::new()
        // JSON (the default) and MessagePack, for reading bodies and for writing answers.
        .req_options(|o| {
            o.media_handlers.insert("application/msgpack", MessagePack);
        })
        .resp_options(|o| {
            o.media_handlers.insert("application/msgpack", MessagePack);
        })
        .add_route("/things", Quote)
        .add_route("/{user_id:int(min=1)}/things", Things { storage })
        .add_sink(SearchRedirect, "/search")
        .add_static_route(
            "/docs",
            docs_dir(),
            StaticOptions::default().fallback_filename("index.html"),
        )
        .cors_enable()
        .add_error_handler(|_e: &StorageError, _req, resp| {
            resp.set_error(
                HttpError::service_unavailable()
                    .with_title("Service Outage")
                    .with_description(
                        "Aliens have attacked our base! We will be back as soon as we fight them off. \
                         We appreciate your patience.",
                    )
                    .with_header(peregrine::header::RETRY_AFTER, "30"),
            );
        })
}
