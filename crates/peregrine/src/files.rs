//! `resp.set_file(path)` (feature `files`): a file as the body, typed, dated and tagged; the body itself
//! (`body::FileBody`) is read in chunks as hyper asks for them.

use std::path::Path;
use std::time::UNIX_EPOCH;

use http::header::{self, HeaderValue};

use crate::body::{FileBody, ResponseBody};
use crate::error::{HttpError, Internal, Result};
use crate::etag::EntityTag;
use crate::Response;

impl Response {
    /// Sends the file at `path` as the body (feature `files`), read as the client takes it (memory stays at
    /// one 64 KiB chunk). Sets, unless already set: `Content-Type` from the extension (`mime_guess`;
    /// `application/octet-stream` when unknown), `Last-Modified` from the file's time, an `ETag` built from
    /// that time and the size, and `Accept-Ranges: bytes`. So a repeated GET is answered 304, and a
    /// `Range` request 206 (or 416), by the pipeline. `Content-Length` is the size.
    ///
    /// `path` is opened as given: never build it from request input without confining it to a directory.
    ///
    /// # Errors
    /// - **404 Not Found** when there is no regular file at `path` (nothing, a directory, a device, a FIFO).
    /// - Any other failure to open or read its metadata (permissions, say): a 500 whose detail is logged.
    pub async fn set_file(&mut self, path: impl AsRef<Path>) -> Result {
        let path = path.as_ref();
        let internal = |e: std::io::Error| -> crate::Error {
            Internal::new(format!("could not open {}: {e}", path.display())).into()
        };
        // Only regular files: opening a FIFO would block a thread of the runtime's blocking pool until a
        // writer came, and a device or a directory has no length to send.
        match tokio::fs::metadata(path).await {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => return Err(HttpError::not_found().into()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(HttpError::not_found().into()),
            Err(e) => return Err(internal(e)),
        }
        let file = match tokio::fs::File::open(path).await {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(HttpError::not_found().into()),
            Err(e) => return Err(internal(e)),
        };
        let meta = file.metadata().await.map_err(internal)?;
        if meta.is_dir() {
            return Err(HttpError::not_found().into());
        }
        let len = meta.len();
        let headers = self.headers_mut();
        if !headers.contains_key(header::CONTENT_TYPE) {
            let guessed = mime_guess::from_path(path).first_or_octet_stream();
            let value = HeaderValue::try_from(guessed.essence_str()).expect("a media type is header text");
            headers.insert(header::CONTENT_TYPE, value);
        }
        if let Ok(modified) = meta.modified() {
            if !headers.contains_key(header::LAST_MODIFIED) {
                let value = HeaderValue::try_from(httpdate::fmt_http_date(modified)).expect("a date is header text");
                headers.insert(header::LAST_MODIFIED, value);
            }
            if !headers.contains_key(header::ETAG) {
                let since = modified.duration_since(UNIX_EPOCH).unwrap_or_default();
                let tag = EntityTag::strong(format!("{:x}.{:x}-{len:x}", since.as_secs(), since.subsec_nanos()));
                self.set_etag(&tag);
            }
        }
        self.headers_mut()
            .entry(header::ACCEPT_RANGES)
            .or_insert(HeaderValue::from_static("bytes"));
        self.body = ResponseBody::File(Box::new(FileBody::new(file, len)));
        Ok(())
    }
}
