//! The users API from the Falcon articles: a table of organisation users behind four endpoints.
//!
//! - `GET /users/?limit=&marker=` lists users by id (`marker` is the last id already seen);
//! - `GET /users/{user_id}` returns one, 404 when absent;
//! - `POST /users/` with `{"username": "..."}` adds one: 201 with `Location`, 409 on a duplicate name,
//!   400 for a body that is not `{"username": <text>}`, 422 for an empty or over-50-character name or one
//!   with a control character (NUL, escape, newline…);
//! - `PUT` or `PATCH /users/{user_id}` with `{"username": "..."}` renames one, only when `If-Match` names its
//!   current `ETag` (which `GET` sends): 428 without `If-Match`, 412 when the user changed since (the
//!   stored name is left as it was), 404, 409 and 422 as for `POST`; a repeated `GET` with
//!   `If-None-Match` is 304;
//! - `DELETE /users/{user_id}` removes one: 204, or 404 when absent.
//!
//! Storage is SQLite through sqlx (embedded, the default) or PostgreSQL through tokio-postgres and deadpool
//! (`DATABASE_URL=postgres://…`), with prepared statements kept per connection ([`Db`]). A request
//! that cannot get a connection within the pool's acquire timeout, or that meets a database that is down,
//! gets 503 with `Retry-After`; the pool reconnects by itself when the database comes back.

use std::sync::Arc;

use peregrine::{App, EntityTag, HttpError, Request, Response, Result, StatusCode};
use serde::{Deserialize, Serialize};

mod db;

pub use db::{AddError, Db, Held};
pub use example_db::{database_error, Backend, DbError, PoolConfig};

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
        let username = valid_username(&new.username)?;
        let user = match self.db.add(username).await {
            Ok(user) => user,
            Err(AddError::Duplicate) => return Err(taken(username)),
            Err(AddError::Db(e)) => return Err(e.into()),
        };
        resp.set_status(StatusCode::CREATED);
        resp.set_location(format!("/users/{}", user.id));
        resp.set_etag(&etag_of(&user));
        resp.set_media(&user)
    }

    async fn on_get_item(&self, req: &mut Request, resp: &mut Response) -> Result {
        let id: i64 = req.field("user_id")?;
        match self.db.get(id).await? {
            Some(user) => {
                // With this tag set, the pipeline answers a matching If-None-Match with 304.
                resp.set_etag(&etag_of(&user));
                resp.set_media(&user)
            }
            None => Err(no_such_user(id)),
        }
    }

    async fn on_put_item(&self, req: &mut Request, resp: &mut Response) -> Result {
        self.rename(req, resp).await
    }

    async fn on_patch_item(&self, req: &mut Request, resp: &mut Response) -> Result {
        self.rename(req, resp).await
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

impl Users {
    /// PUT and PATCH: the one field a user has, replaced under `If-Match`.
    async fn rename(&self, req: &mut Request, resp: &mut Response) -> Result {
        let id: i64 = req.field("user_id")?;
        if req.if_match()?.is_none() {
            return Err(HttpError::new(StatusCode::PRECONDITION_REQUIRED)
                .with_description("Send If-Match with the ETag of the user as you last read it.")
                .into());
        }
        let Some(current) = self.db.get(id).await? else {
            return Err(no_such_user(id));
        };
        // 412 here, before anything is written, when the client's tag is not the current one.
        req.check_preconditions(Some(&etag_of(&current)), None)?;
        let new: NewUser = req.media().await?;
        let username = valid_username(&new.username)?;
        // The update names the name the precondition held for, so a rename that lands in between is not
        // overwritten: then no row matches and the answer is 412 (or 404 if the user is gone).
        let user = match self.db.rename(id, &current.username, username).await {
            Ok(Some(user)) => user,
            Ok(None) if self.db.get(id).await?.is_none() => return Err(no_such_user(id)),
            Ok(None) => {
                return Err(HttpError::precondition_failed()
                    .with_description("The user changed while this request was being served.")
                    .into())
            }
            Err(AddError::Duplicate) => return Err(taken(username)),
            Err(AddError::Db(e)) => return Err(e.into()),
        };
        resp.set_etag(&etag_of(&user));
        resp.set_media(&user)
    }
}

/// The entity tag of a user as sent: FNV-1a (64 bits) over its id and name, so it changes when either does
/// and is the same in every process serving the table.
pub fn etag_of(user: &User) -> EntityTag {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in user.id.to_le_bytes().iter().chain(user.username.as_bytes()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    EntityTag::strong(format!("{hash:016x}"))
}

/// The trimmed name, or 422: 1 to 50 characters, none of them control characters.
fn valid_username(raw: &str) -> Result<&str> {
    let username = raw.trim();
    // Control characters (NUL, escape, newline…) are refused: PostgreSQL's text cannot hold NUL, and the
    // others would reach every terminal and log that prints a name.
    if username.is_empty() || username.chars().count() > MAX_USERNAME || username.chars().any(char::is_control) {
        return Err(HttpError::unprocessable_content()
            .with_title("Invalid username")
            .with_description(format!(
                "A username has 1 to {MAX_USERNAME} characters, none of them control characters."
            ))
            .into());
    }
    Ok(username)
}

fn taken(username: &str) -> peregrine::Error {
    HttpError::conflict()
        .with_title("Username taken")
        .with_description(format!("A user named '{username}' already exists."))
        .into()
}

fn no_such_user(id: i64) -> peregrine::Error {
    HttpError::not_found()
        .with_description(format!("There is no user with id {id}."))
        .into()
}

/// The app over `db`.
pub fn app(db: Arc<Db>) -> App {
    let users = Arc::new(Users { db });
    App::new()
        .add_route("/users/", users.clone())
        .add_route_with_suffix("/users/{user_id:int}", users, "item")
        .add_error_handler(database_error)
}
