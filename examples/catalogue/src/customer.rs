//! Who is asking: country, device and app version, from the query string, the country also from the edge's
//! `X-Country` header.

use peregrine::{HttpError, Request, Response, Result};

use crate::version::AppVersion;

/// The header a CDN sets to the client's country (as Cloudflare's `CF-IPCountry` does).
pub const COUNTRY_HEADER: &str = "x-country";

/// The countries and devices the catalogue knows (the fixture defines them).
#[derive(Debug, Clone)]
pub struct Known {
    /// ISO 3166 alpha-2 codes, upper case.
    pub countries: Vec<String>,
    /// Device names, lower case.
    pub devices: Vec<String>,
}

/// A customer: what decides which sections they see. `None` is "not said".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Customer {
    /// Upper case, one of [`Known::countries`].
    pub country: Option<String>,
    /// Lower case, one of [`Known::devices`].
    pub device: Option<String>,
    /// The app's version.
    pub app_version: Option<AppVersion>,
}

impl Customer {
    /// The customer a request describes, from the query parameters `country`, `device` and `app_version` (a
    /// blank one counts as absent; codes and names in any case). When the query has no `country`, the
    /// `X-Country` header gives it, and `resp` gets `Vary: X-Country`, since the answer then depends on it.
    /// An `X-Country` the catalogue does not know counts as no country: the edge may send codes for
    /// countries the catalogue does not list (or `XX`, unknown), and the client cannot change them.
    ///
    /// # Errors
    /// **400 "Invalid parameter"** naming `country` or `device` and the values allowed, or naming
    /// `app_version` and its form.
    pub fn from_request(req: &Request, resp: &mut Response, known: &Known) -> Result<Customer> {
        let country = match req.get_param("country") {
            Some(code) => Some(one_of("country", &code.to_ascii_uppercase(), &known.countries)?),
            None => {
                resp.append_vary("X-Country");
                req.get_header(COUNTRY_HEADER)
                    .map(|code| code.trim().to_ascii_uppercase())
                    .filter(|code| known.countries.contains(code))
            }
        };
        let device = match req.get_param("device") {
            Some(name) => Some(one_of("device", &name.to_ascii_lowercase(), &known.devices)?),
            None => None,
        };
        let app_version = match req.get_param("app_version") {
            Some(text) => Some(
                text.parse::<AppVersion>()
                    .map_err(|e| HttpError::invalid_param("app_version", &e.to_string()))?,
            ),
            None => None,
        };
        Ok(Customer {
            country,
            device,
            app_version,
        })
    }

    /// The app version as [`AppVersion::key`], 0 when not said (older than any minimum but none).
    pub fn version_key(&self) -> i64 {
        self.app_version.as_ref().map_or(0, AppVersion::key)
    }
}

fn one_of(param: &str, value: &str, allowed: &[String]) -> Result<String> {
    if allowed.iter().any(|a| a == value) {
        return Ok(value.to_owned());
    }
    Err(HttpError::invalid_param(param, &format!("Allowed values: {}.", allowed.join(", "))).into())
}
