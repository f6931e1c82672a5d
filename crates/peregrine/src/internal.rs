//! Errors that are the app's own mistakes (a missing URI field, an unserializable body, a bad header value):
//! they become a 500 whose detail goes to the log, never to the client.

use std::fmt;

/// A programming error found while serving a request.
#[derive(Debug)]
pub(crate) struct Internal {
    message: String,
}

impl Internal {
    pub fn new(message: String) -> Self {
        Internal { message }
    }
}

impl fmt::Display for Internal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Internal {}
