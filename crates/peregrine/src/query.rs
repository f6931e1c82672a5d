//! Query-string parameters with Falcon's getters and error semantics.
//!
//! "Param" always means a query parameter here, as in Falcon; URI fields are read with
//! [`Request::field`](crate::Request::field).
//!
//! Each `get_param*` returns `Ok(None)` when the parameter is absent and **400 "Invalid parameter"** naming
//! it when its value is unusable; each has a `require_param*` twin that turns absence into **400 "Missing
//! parameter"**. When a parameter appears more than once, the single-value getters read the last one (as
//! Falcon does); the list getters read them all. Blank values (`?q=`) are kept as `""`.
//!
//! ```
//! let req = peregrine::testing::create_req("GET", "/things?limit=20&tag=a&tag=b&since=2026-11-30", &[]);
//! assert_eq!(req.get_param_as_int_in("limit", 1..=100).unwrap(), Some(20));
//! assert_eq!(req.get_param_as_list("tag").unwrap(), Some(vec!["a", "b"]));
//! let since = req.require_param_as_date("since", "%Y-%m-%d").unwrap();
//! assert_eq!(since.to_string(), "2026-11-30");
//!
//! let error = req.require_param("marker").unwrap_err();
//! assert_eq!(error.as_http_error().unwrap().title(), "Missing parameter");
//! ```

use std::ops::{Bound, RangeBounds};
use std::str::FromStr;

#[cfg(feature = "dates")]
use chrono::{NaiveDate, NaiveDateTime};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::error::{HttpError, Result};
use crate::Request;

const TRUE_WORDS: [&str; 7] = ["true", "True", "t", "yes", "y", "1", "on"];
const FALSE_WORDS: [&str; 7] = ["false", "False", "f", "no", "n", "0", "off"];

impl Request {
    /// Parameter `name` as text (the last value if repeated), or `None` when absent.
    ///
    /// ```
    /// let req = peregrine::testing::create_req("GET", "/?q=rust&q=falcon", &[]);
    /// assert_eq!(req.get_param("q"), Some("falcon"));
    /// ```
    pub fn get_param(&self, name: &str) -> Option<&str> {
        self.query_pairs()
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Parameter `name` as text.
    ///
    /// # Errors
    /// **400 "Missing parameter"** naming it when absent.
    pub fn require_param(&self, name: &str) -> Result<&str> {
        self.get_param(name)
            .ok_or_else(|| HttpError::missing_param(name).into())
    }

    /// Every value of parameter `name`, in order (`?t=1&t=2`).
    pub fn get_params(&self, name: &str) -> Vec<&str> {
        self.query_pairs()
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// All parameters as `(name, value)`, in order.
    pub fn query_params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.query_pairs().iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Whether parameter `name` is present.
    pub fn has_param(&self, name: &str) -> bool {
        self.query_pairs().iter().any(|(k, _)| k == name)
    }

    /// Parameter `name` parsed with `FromStr`; `why` is the sentence a client sees when it does not parse.
    ///
    /// ```
    /// let req = peregrine::testing::create_req("GET", "/?port=8080", &[]);
    /// let port: Option<u16> = req.get_param_as("port", "The value must be a port number.").unwrap();
    /// assert_eq!(port, Some(8080));
    /// ```
    ///
    /// # Errors
    /// **400 "Invalid parameter"** with `why` as its description when the value does not parse.
    pub fn get_param_as<T: FromStr>(&self, name: &str, why: &str) -> Result<Option<T>> {
        match self.get_param(name) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| HttpError::invalid_param(name, why).into()),
        }
    }

    /// Parameter `name` parsed with `FromStr`.
    ///
    /// # Errors
    /// As [`Request::get_param_as`], and **400 "Missing parameter"** when absent.
    pub fn require_param_as<T: FromStr>(&self, name: &str, why: &str) -> Result<T> {
        required(name, self.get_param_as(name, why)?)
    }

    /// Parameter `name` as an integer.
    ///
    /// ```
    /// let req = peregrine::testing::create_req("GET", "/?limit=20", &[]);
    /// let limit = req.get_param_as_int("limit").unwrap().unwrap_or(50);
    /// assert_eq!(limit, 20);
    /// ```
    ///
    /// # Errors
    /// **400 "Invalid parameter"** ("The value must be an integer.") when it is not one.
    pub fn get_param_as_int(&self, name: &str) -> Result<Option<i64>> {
        self.get_param_as(name, "The value must be an integer.")
    }

    /// Parameter `name` as an integer within `range` (`1..=100`).
    ///
    /// # Errors
    /// **400 "Invalid parameter"** when it is not an integer, or outside `range` (the description says the
    /// bound: "The value may not exceed 100.").
    pub fn get_param_as_int_in(&self, name: &str, range: impl RangeBounds<i64>) -> Result<Option<i64>> {
        let Some(v) = self.get_param_as_int(name)? else {
            return Ok(None);
        };
        check_bounds(name, v, &range)?;
        Ok(Some(v))
    }

    /// Parameter `name` as an integer within `range`.
    ///
    /// # Errors
    /// As [`Request::get_param_as_int_in`], and **400 "Missing parameter"** when absent.
    pub fn require_param_as_int_in(&self, name: &str, range: impl RangeBounds<i64>) -> Result<i64> {
        required(name, self.get_param_as_int_in(name, range)?)
    }

    /// Parameter `name` as an integer.
    ///
    /// # Errors
    /// As [`Request::get_param_as_int`], and **400 "Missing parameter"** when absent.
    pub fn require_param_as_int(&self, name: &str) -> Result<i64> {
        required(name, self.get_param_as_int(name)?)
    }

    /// Parameter `name` as a finite number.
    ///
    /// # Errors
    /// **400 "Invalid parameter"** when it is not a number, or not finite (`inf`, `NaN`).
    pub fn get_param_as_float(&self, name: &str) -> Result<Option<f64>> {
        match self.get_param_as::<f64>(name, "The value must be a float.")? {
            Some(v) if !v.is_finite() => {
                Err(HttpError::invalid_param(name, "The value must be a finite number.").into())
            }
            v => Ok(v),
        }
    }

    /// Parameter `name` as a finite number.
    ///
    /// # Errors
    /// As [`Request::get_param_as_float`], and **400 "Missing parameter"** when absent.
    pub fn require_param_as_float(&self, name: &str) -> Result<f64> {
        required(name, self.get_param_as_float(name)?)
    }

    /// Parameter `name` as a number within `range`.
    ///
    /// # Errors
    /// **400 "Invalid parameter"** when it is not a finite number, or outside `range`.
    pub fn get_param_as_float_in(&self, name: &str, range: impl RangeBounds<f64>) -> Result<Option<f64>> {
        let Some(v) = self.get_param_as_float(name)? else {
            return Ok(None);
        };
        check_bounds(name, v, &range)?;
        Ok(Some(v))
    }

    /// Parameter `name` as a boolean: `true True t yes y 1 on` / `false False f no n 0 off`. A blank value
    /// (`?flag` or `?flag=`) is `true`, as in Falcon.
    ///
    /// ```
    /// let req = peregrine::testing::create_req("GET", "/?verbose&dry_run=no", &[]);
    /// assert_eq!(req.get_param_as_bool("verbose").unwrap(), Some(true));
    /// assert_eq!(req.get_param_as_bool("dry_run").unwrap(), Some(false));
    /// ```
    ///
    /// # Errors
    /// **400 "Invalid parameter"** for any other value.
    pub fn get_param_as_bool(&self, name: &str) -> Result<Option<bool>> {
        match self.get_param(name) {
            None => Ok(None),
            Some("") => Ok(Some(true)),
            Some(v) if TRUE_WORDS.contains(&v) => Ok(Some(true)),
            Some(v) if FALSE_WORDS.contains(&v) => Ok(Some(false)),
            Some(_) => Err(HttpError::invalid_param(
                name,
                "The value must be true or false (also accepted: True, t, yes, y, 1, on; False, f, no, n, 0, off).",
            )
            .into()),
        }
    }

    /// Parameter `name` as a boolean.
    ///
    /// # Errors
    /// As [`Request::get_param_as_bool`], and **400 "Missing parameter"** when absent.
    pub fn require_param_as_bool(&self, name: &str) -> Result<bool> {
        required(name, self.get_param_as_bool(name)?)
    }

    /// Parameter `name` as a UUID.
    ///
    /// # Errors
    /// **400 "Invalid parameter"** when it is not a UUID.
    pub fn get_param_as_uuid(&self, name: &str) -> Result<Option<Uuid>> {
        self.get_param_as(name, "The value must be a UUID string.")
    }

    /// Parameter `name` as a UUID.
    ///
    /// # Errors
    /// As [`Request::get_param_as_uuid`], and **400 "Missing parameter"** when absent.
    pub fn require_param_as_uuid(&self, name: &str) -> Result<Uuid> {
        required(name, self.get_param_as_uuid(name)?)
    }

    #[cfg(feature = "dates")]
    /// Parameter `name` as a date in `format` (strftime, such as `%Y-%m-%d`; feature `dates`).
    ///
    /// # Errors
    /// **400 "Invalid parameter"** when it does not match `format`.
    pub fn get_param_as_date(&self, name: &str, format: &str) -> Result<Option<NaiveDate>> {
        match self.get_param(name) {
            None => Ok(None),
            Some(v) => NaiveDate::parse_from_str(v, format).map(Some).map_err(|_| {
                HttpError::invalid_param(name, "The date value does not match the required format.").into()
            }),
        }
    }

    #[cfg(feature = "dates")]
    /// Parameter `name` as a date in `format`.
    ///
    /// # Errors
    /// As [`Request::get_param_as_date`], and **400 "Missing parameter"** when absent.
    pub fn require_param_as_date(&self, name: &str, format: &str) -> Result<NaiveDate> {
        required(name, self.get_param_as_date(name, format)?)
    }

    #[cfg(feature = "dates")]
    /// Parameter `name` as a date and time in `format` (strftime, such as `%Y-%m-%dT%H:%M:%SZ`; feature
    /// `dates`).
    ///
    /// # Errors
    /// **400 "Invalid parameter"** when it does not match `format`.
    pub fn get_param_as_datetime(&self, name: &str, format: &str) -> Result<Option<NaiveDateTime>> {
        match self.get_param(name) {
            None => Ok(None),
            Some(v) => NaiveDateTime::parse_from_str(v, format).map(Some).map_err(|_| {
                HttpError::invalid_param(name, "The date value does not match the required format.").into()
            }),
        }
    }

    #[cfg(feature = "dates")]
    /// Parameter `name` as a date and time in `format`.
    ///
    /// # Errors
    /// As [`Request::get_param_as_datetime`], and **400 "Missing parameter"** when absent.
    pub fn require_param_as_datetime(&self, name: &str, format: &str) -> Result<NaiveDateTime> {
        required(name, self.get_param_as_datetime(name, format)?)
    }

    /// Parameter `name` deserialized from JSON text (`?filter={"a":1}`).
    ///
    /// # Errors
    /// **400 "Invalid parameter"** when it is not JSON of that shape.
    pub fn get_param_as_json<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        match self.get_param(name) {
            None => Ok(None),
            Some(v) => serde_json::from_str(v)
                .map(Some)
                .map_err(|_| HttpError::invalid_param(name, "It could not be parsed as JSON.").into()),
        }
    }

    /// Parameter `name` deserialized from JSON text.
    ///
    /// # Errors
    /// As [`Request::get_param_as_json`], and **400 "Missing parameter"** when absent.
    pub fn require_param_as_json<T: DeserializeOwned>(&self, name: &str) -> Result<T> {
        required(name, self.get_param_as_json(name)?)
    }

    /// Parameter `name` as a list: every repeated value (`?t=1&t=2`), or one value split on commas
    /// (`?t=1,2`). Blank items are kept.
    ///
    /// ```
    /// let req = peregrine::testing::create_req("GET", "/?t=1,2&u=a&u=b", &[]);
    /// assert_eq!(req.get_param_as_list("t").unwrap(), Some(vec!["1", "2"]));
    /// assert_eq!(req.get_param_as_list("u").unwrap(), Some(vec!["a", "b"]));
    /// assert_eq!(req.get_param_as_list("v").unwrap(), None);
    /// ```
    ///
    /// # Errors
    /// None today: the `Result` is there so that every list getter reads alike and a future bound on the
    /// number of items can refuse with 400.
    pub fn get_param_as_list(&self, name: &str) -> Result<Option<Vec<&str>>> {
        let values = self.get_params(name);
        Ok(match values.as_slice() {
            [] => None,
            [single] => Some(single.split(',').collect()),
            _ => Some(values),
        })
    }

    /// Parameter `name` as a list.
    ///
    /// # Errors
    /// **400 "Missing parameter"** when absent.
    pub fn require_param_as_list(&self, name: &str) -> Result<Vec<&str>> {
        required(name, self.get_param_as_list(name)?)
    }

    /// Parameter `name` as a list of `T`.
    ///
    /// # Errors
    /// **400 "Invalid parameter"** naming it when an item does not parse.
    pub fn get_param_as_list_of<T: FromStr>(&self, name: &str) -> Result<Option<Vec<T>>> {
        let Some(items) = self.get_param_as_list(name)? else {
            return Ok(None);
        };
        items
            .into_iter()
            .map(|i| {
                i.parse().map_err(|_| {
                    HttpError::invalid_param(name, "An item of the list is not of the expected type.").into()
                })
            })
            .collect::<Result<Vec<T>>>()
            .map(Some)
    }

    /// Parameter `name` as a list of `T`.
    ///
    /// # Errors
    /// As [`Request::get_param_as_list_of`], and **400 "Missing parameter"** when absent.
    pub fn require_param_as_list_of<T: FromStr>(&self, name: &str) -> Result<Vec<T>> {
        required(name, self.get_param_as_list_of(name)?)
    }
}

/// `value`, or 400 "Missing parameter" naming `name`.
fn required<T>(name: &str, value: Option<T>) -> Result<T> {
    value.ok_or_else(|| HttpError::missing_param(name).into())
}

fn check_bounds<T: PartialOrd + std::fmt::Display>(name: &str, v: T, range: &impl RangeBounds<T>) -> Result<()> {
    let below = match range.start_bound() {
        Bound::Included(m) if v < *m => Some(format!("The value must be at least {m}.")),
        Bound::Excluded(m) if v <= *m => Some(format!("The value must be greater than {m}.")),
        _ => None,
    };
    let above = match range.end_bound() {
        Bound::Included(m) if v > *m => Some(format!("The value may not exceed {m}.")),
        Bound::Excluded(m) if v >= *m => Some(format!("The value must be less than {m}.")),
        _ => None,
    };
    match below.or(above) {
        Some(why) => Err(HttpError::invalid_param(name, &why).into()),
        None => Ok(()),
    }
}
