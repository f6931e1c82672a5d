//! Static files under a prefix (Falcon's `add_static_route`, feature `files`): the file body of
//! [`Response::set_file`], so validators (304), ranges (206), HEAD and bounded memory come with it.
//!
//! **What is served.** The path below the prefix names a file under the directory. It is refused with 404,
//! before the file system is asked, when it ends in `/`, is longer than 1,024 bytes, or has a
//! segment that is empty (`//`), longer than 255 bytes, `.` or `..` (also when sent as `%2e%2e`), or holds a backslash, a NUL or
//! another control character, or one of `~ ? < > : * | ' "` (Falcon's set, which keeps Windows device
//! names and short names out). An encoded slash (`%2F`) never separates segments ([`Request::path`]). The
//! file is then resolved with `canonicalize`, and refused with 404 unless it still lies under the
//! directory's own canonical path: a symbolic link inside the directory may point within it, never out
//! of it. A path the file system cannot resolve (a loop of links, no permission) is refused with 404 too.
//! Dotfiles (`.env`) are served like any file, as in Falcon: keep them out of the directory.
//!
//! **A known race.** The check and the open are two steps: a process that can write to the directory can
//! swap a checked file for a symbolic link in between. Closing it needs `openat` with `O_NOFOLLOW` on
//! each segment, which the crate's `forbid(unsafe_code)` rules out; serve only directories that untrusted
//! local users cannot write to.
//!
//! **Fallback.** With [`StaticOptions::fallback_filename`], a path that passes those checks but names no
//! file, and the prefix itself, get the fallback file (a single-page app's `index.html`); a refused path
//! still gets 404.
//!
//! **Methods.** GET and HEAD; OPTIONS answers with `Allow`; anything else is 405.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::resource::{BoxFuture, Resource, ResponderSpec};
use crate::{HttpError, Request, Response};

/// The longest path below the prefix that is looked up, in bytes.
const MAX_RELATIVE_PATH: usize = 1024;

/// How [`App::add_static_route`](crate::App::add_static_route) serves its files. The defaults serve each
/// file inline, with no fallback and no `Cache-Control`.
///
/// ```
/// use peregrine::StaticOptions;
///
/// // A single-page app: unknown paths get index.html, which the browser revalidates.
/// let spa = StaticOptions::default()
///     .fallback_filename("index.html")
///     .cache_control("no-cache");
/// # let _ = spa;
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct StaticOptions {
    /// Send `Content-Disposition: attachment` with the file's name (default: off).
    pub downloadable: bool,
    /// A file under the directory sent when the requested one does not exist (a single-page app's
    /// `index.html`); a refused path still gets 404.
    pub fallback_filename: Option<String>,
    /// A `Cache-Control` value for every file served.
    pub cache_control: Option<String>,
}

impl StaticOptions {
    /// Sends files as attachments.
    #[must_use]
    pub fn downloadable(mut self, on: bool) -> Self {
        self.downloadable = on;
        self
    }

    /// Sends `name` (relative to the directory) when the requested file does not exist.
    #[must_use]
    pub fn fallback_filename(mut self, name: &str) -> Self {
        self.fallback_filename = Some(name.to_owned());
        self
    }

    /// Sends this `Cache-Control` value with every file.
    #[must_use]
    pub fn cache_control(mut self, value: &str) -> Self {
        self.cache_control = Some(value.to_owned());
        self
    }
}

/// A directory served under a prefix.
pub(crate) struct StaticRoute {
    /// The prefix, without a trailing `/`.
    prefix: String,
    /// The directory's canonical path.
    root: PathBuf,
    /// The fallback file's path, checked to lie under `root` when the route was added.
    fallback: Option<PathBuf>,
    options: StaticOptions,
    cache_control: Option<http::HeaderValue>,
}

impl StaticRoute {
    /// # Errors
    /// A message when `directory` is not a directory, the fallback is not under it, or `cache_control` is
    /// not header text.
    pub(crate) fn new(prefix: &str, directory: &Path, options: StaticOptions) -> std::result::Result<Self, String> {
        let root =
            std::fs::canonicalize(directory).map_err(|e| format!("cannot serve '{}': {e}", directory.display()))?;
        if !root.is_dir() {
            return Err(format!("cannot serve '{}': not a directory", directory.display()));
        }
        let fallback = match &options.fallback_filename {
            Some(name) => Some(
                relative_file(&root, name)
                    .ok_or_else(|| format!("the fallback file '{name}' is not a plain path under the directory"))?,
            ),
            None => None,
        };
        let cache_control = match &options.cache_control {
            Some(v) => Some(http::HeaderValue::try_from(v.as_str()).map_err(|_| format!("'{v}' is not header text"))?),
            None => None,
        };
        Ok(StaticRoute {
            prefix: prefix.trim_end_matches('/').to_owned(),
            root,
            fallback,
            options,
            cache_control,
        })
    }

    async fn serve(&self, req: &mut Request, resp: &mut Response) -> Result {
        let below = req.relative_path().get(self.prefix.len()..).unwrap_or("");
        let below = below.strip_prefix('/').unwrap_or(below);
        let found = match relative_file(&self.root, below) {
            Some(candidate) => self.confined(&candidate).await,
            // The prefix itself: the fallback's to answer, when there is one.
            None if below.is_empty() => Found::Missing,
            None => Found::Refused,
        };
        let file = match (found, &self.fallback) {
            (Found::File(file), _) => file,
            (Found::Missing, Some(fallback)) => match self.confined(fallback).await {
                Found::File(file) => file,
                _ => return Err(HttpError::not_found().into()),
            },
            _ => return Err(HttpError::not_found().into()),
        };
        if let Some(value) = &self.cache_control {
            resp.headers_mut().insert(http::header::CACHE_CONTROL, value.clone());
        }
        if self.options.downloadable {
            if let Some(name) = file.file_name().and_then(|n| n.to_str()) {
                resp.downloadable_as(name);
            }
        }
        resp.set_file(&file).await
    }

    /// What `candidate` is: a file under the root (its canonical path), missing, or refused (it resolves
    /// outside the root, or cannot be resolved: a name too long, a loop of links, no permission).
    async fn confined(&self, candidate: &Path) -> Found {
        match tokio::fs::canonicalize(candidate).await {
            // A directory is no file to send: the fallback's to answer, when there is one.
            Ok(real) if real.starts_with(&self.root) => match tokio::fs::metadata(&real).await {
                Ok(meta) if meta.is_dir() => Found::Missing,
                _ => Found::File(real),
            },
            Ok(_) => Found::Refused,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                Found::Missing
            }
            Err(e) => {
                // The client named the path: its trouble is a 404, not the server's 500.
                tracing::debug!(path = %candidate.display(), error = %e, "static route refused a path");
                Found::Refused
            }
        }
    }
}

/// What a path below the prefix names.
enum Found {
    File(PathBuf),
    Missing,
    Refused,
}

/// The longest segment looked up, in bytes (most file systems' limit on a name).
const MAX_SEGMENT: usize = 255;

/// `root` joined with `relative` when every segment of `relative` is a plain name (see the module); else
/// `None`.
fn relative_file(root: &Path, relative: &str) -> Option<PathBuf> {
    if relative.is_empty() || relative.len() > MAX_RELATIVE_PATH {
        return None;
    }
    let mut path = root.to_path_buf();
    for segment in relative.split('/') {
        if !plain_segment(segment) {
            return None;
        }
        path.push(segment);
    }
    Some(path)
}

/// Whether `segment` can name a file without leaving its directory or meaning something else to some file
/// system.
fn plain_segment(segment: &str) -> bool {
    !segment.is_empty()
        && segment.len() <= MAX_SEGMENT
        && segment != "."
        && segment != ".."
        && !segment.chars().any(|c| {
            c.is_control()
                || matches!(
                    c,
                    '\\' | '~' | '?' | '<' | '>' | ':' | '*' | '|' | '\'' | '"' | '\u{fffd}'
                )
        })
}

const GET_ONLY: &[ResponderSpec] = &[ResponderSpec::new("GET", "")];

impl Resource for StaticRoute {
    fn name(&self) -> &'static str {
        "peregrine::StaticRoute"
    }

    fn responders(&self) -> &'static [ResponderSpec] {
        GET_ONLY
    }

    fn respond<'a>(&'a self, _index: usize, req: &'a mut Request, resp: &'a mut Response) -> BoxFuture<'a, Result> {
        Box::pin(self.serve(req, resp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_segments_are_joined() {
        let root = Path::new("/srv/www");
        assert_eq!(
            relative_file(root, "css/site.css"),
            Some(PathBuf::from("/srv/www/css/site.css"))
        );
        for bad in [
            "",
            "..",
            "../etc/passwd",
            "a/../../b",
            "./a",
            "a//b",
            "a/",
            "/etc/passwd",
            "a\\..\\b",
            "a\0b",
            "~root",
            "c:",
            "a?b",
            "con<",
            "a|b",
            "a*",
            "it's",
            "\"q\"",
            "a\u{1}b",
            "a\u{85}b",
        ] {
            assert_eq!(relative_file(root, bad), None, "{bad:?}");
        }
        assert_eq!(relative_file(root, &"a".repeat(1025)), None);
        let segment = "a".repeat(204);
        let longest = [segment.as_str(); 5].join("/");
        assert_eq!(longest.len(), 1024);
        assert!(relative_file(root, &longest).is_some(), "1,024 bytes");
        assert_eq!(relative_file(root, &format!("{longest}a")), None, "1,025 bytes");
        assert!(relative_file(root, &"a".repeat(255)).is_some());
        assert_eq!(relative_file(root, &"a".repeat(256)), None, "a segment over 255 bytes");
    }
}
