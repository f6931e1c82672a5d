//! The users API from the Falcon articles: a table of organisation users behind four endpoints.
//!
//! - `GET /users/?limit=&marker=` lists users by id (`marker` is the last id already seen);
//! - `GET /users/{user_id}` returns one, 404 when absent;
//! - `POST /users/` with `{"username": "..."}` adds one: 201 with `Location`, 409 on a duplicate name,
//!   400 for a body that is not `{"username": <text>}`, 422 for an empty or over-50-character name or one
//!   with a control character (NUL, escape, newline…);
//! - `DELETE /users/{user_id}` removes one: 204, or 404 when absent.
//!
//! Storage is SQLite through sqlx (embedded, the default) or PostgreSQL through tokio-postgres and deadpool
//! (`DATABASE_URL=postgres://…`), with prepared statements kept per connection ([`Db`]). A request
//! that cannot get a connection within the pool's acquire timeout, or that meets a database that is down,
//! gets 503 with `Retry-After`; the pool reconnects by itself when the database comes back.

use std::sync::Arc;

use peregrine::{header, App, HttpError, Request, Response, Result, StatusCode};
use serde::{Deserialize, Serialize};

mod db;

pub use db::{AddError, Backend, Db, DbError, Held, PoolConfig};

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
        let username = new.username.trim();
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
        let user = match self.db.add(username).await {
            Ok(user) => user,
            Err(AddError::Duplicate) => {
                return Err(HttpError::conflict()
                    .with_title("Username taken")
                    .with_description(format!("A user named '{username}' already exists."))
                    .into())
            }
            Err(AddError::Db(e)) => return Err(e.into()),
        };
        resp.set_status(StatusCode::CREATED);
        resp.set_location(format!("/users/{}", user.id));
        resp.set_media(&user)
    }

    async fn on_get_item(&self, req: &mut Request, resp: &mut Response) -> Result {
        let id: i64 = req.field("user_id")?;
        match self.db.get(id).await? {
            Some(user) => resp.set_media(&user),
            None => Err(no_such_user(id)),
        }
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

fn no_such_user(id: i64) -> peregrine::Error {
    HttpError::not_found()
        .with_description(format!("There is no user with id {id}."))
        .into()
}

/// Turns database failures into responses: unreachable or exhausted means 503 with `Retry-After`, anything
/// else a 500 whose detail goes only to the log.
fn database_error(error: &DbError, req: &Request, resp: &mut Response) {
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

/// The app over `db`.
pub fn app(db: Arc<Db>) -> App {
    let users = Arc::new(Users { db });
    App::new()
        .add_route("/users/", users.clone())
        .add_route_with_suffix("/users/{user_id:int}", users, "item")
        .add_error_handler(database_error)
}
