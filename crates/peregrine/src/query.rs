//! Query-string parameters with Falcon's getters and error semantics.
//!
//! Each `get_param*` returns `Ok(None)` when the parameter is absent and a 400 "Invalid parameter" naming it
//! when its value is unusable; `require_param*` turn absence into 400 "Missing parameter". When a parameter
//! appears more than once, the single-value getters read the last one (as Falcon does); the list getter reads
//! them all. Blank values (`?q=`) are kept as `""`.

use std::ops::{Bound, RangeBounds};
use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::error::{HttpError, Result};
use crate::Request;

const TRUE_WORDS: [&str; 7] = ["true", "True", "t", "yes", "y", "1", "on"];
const FALSE_WORDS: [&str; 7] = ["false", "False", "f", "no", "n", "0", "off"];

impl Request {
    /// Parameter `name` as text (the last value if repeated).
    pub fn get_param(&self, name: &str) -> Option<&str> {
        self.query_pairs()
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Parameter `name`, or 400 "Missing parameter".
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
    pub fn get_param_as<T: FromStr>(&self, name: &str, why: &str) -> Result<Option<T>> {
        match self.get_param(name) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| HttpError::invalid_param(name, why).into()),
        }
    }

    /// Parameter `name` as an integer.
    ///
    /// ```ignore
    /// let limit = req.get_param_as_int("limit")?.unwrap_or(50);
    /// ```
    pub fn get_param_as_int(&self, name: &str) -> Result<Option<i64>> {
        self.get_param_as(name, "The value must be an integer.")
    }

    /// Parameter `name` as an integer within `range` (`1..=100`); outside it, 400 saying the bound.
    pub fn get_param_as_int_in(&self, name: &str, range: impl RangeBounds<i64>) -> Result<Option<i64>> {
        let Some(v) = self.get_param_as_int(name)? else {
            return Ok(None);
        };
        check_bounds(name, v, &range)?;
        Ok(Some(v))
    }

    /// Parameter `name` as an integer, or 400 "Missing parameter".
    pub fn require_param_as_int(&self, name: &str) -> Result<i64> {
        self.get_param_as_int(name)?
            .ok_or_else(|| HttpError::missing_param(name).into())
    }

    /// Parameter `name` as a number.
    pub fn get_param_as_float(&self, name: &str) -> Result<Option<f64>> {
        match self.get_param_as::<f64>(name, "The value must be a float.")? {
            Some(v) if !v.is_finite() => {
                Err(HttpError::invalid_param(name, "The value must be a finite number.").into())
            }
            v => Ok(v),
        }
    }

    /// Parameter `name` as a number within `range`.
    pub fn get_param_as_float_in(&self, name: &str, range: impl RangeBounds<f64>) -> Result<Option<f64>> {
        let Some(v) = self.get_param_as_float(name)? else {
            return Ok(None);
        };
        check_bounds(name, v, &range)?;
        Ok(Some(v))
    }

    /// Parameter `name` as a boolean: `true True t yes y 1 on` / `false False f no n 0 off`. A blank value
    /// (`?flag` or `?flag=`) is `true`, as in Falcon.
    pub fn get_param_as_bool(&self, name: &str) -> Result<Option<bool>> {
        match self.get_param(name) {
            None => Ok(None),
            Some("") => Ok(Some(true)),
            Some(v) if TRUE_WORDS.contains(&v) => Ok(Some(true)),
            Some(v) if FALSE_WORDS.contains(&v) => Ok(Some(false)),
            Some(_) => {
                Err(HttpError::invalid_param(name, "The value of the parameter must be \"true\" or \"false\".").into())
            }
        }
    }

    /// Parameter `name` as a UUID.
    pub fn get_param_as_uuid(&self, name: &str) -> Result<Option<Uuid>> {
        self.get_param_as(name, "The value must be a UUID string.")
    }

    /// Parameter `name` as a date in `format` (strftime, such as `%Y-%m-%d`).
    pub fn get_param_as_date(&self, name: &str, format: &str) -> Result<Option<NaiveDate>> {
        match self.get_param(name) {
            None => Ok(None),
            Some(v) => NaiveDate::parse_from_str(v, format).map(Some).map_err(|_| {
                HttpError::invalid_param(name, "The date value does not match the required format.").into()
            }),
        }
    }

    /// Parameter `name` as a date and time in `format` (strftime, such as `%Y-%m-%dT%H:%M:%SZ`).
    pub fn get_param_as_datetime(&self, name: &str, format: &str) -> Result<Option<NaiveDateTime>> {
        match self.get_param(name) {
            None => Ok(None),
            Some(v) => NaiveDateTime::parse_from_str(v, format).map(Some).map_err(|_| {
                HttpError::invalid_param(name, "The date value does not match the required format.").into()
            }),
        }
    }

    /// Parameter `name` deserialized from JSON text (`?filter={"a":1}`).
    pub fn get_param_as_json<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        match self.get_param(name) {
            None => Ok(None),
            Some(v) => serde_json::from_str(v)
                .map(Some)
                .map_err(|_| HttpError::invalid_param(name, "It could not be parsed as JSON.").into()),
        }
    }

    /// Parameter `name` as a list: every repeated value (`?t=1&t=2`), or one value split on commas
    /// (`?t=1,2`). Blank items are kept.
    pub fn get_param_as_list(&self, name: &str) -> Option<Vec<&str>> {
        let values = self.get_params(name);
        match values.as_slice() {
            [] => None,
            [single] => Some(single.split(',').collect()),
            _ => Some(values),
        }
    }

    /// Parameter `name` as a list of `T`; an item that does not parse is a 400 naming the parameter.
    pub fn get_param_as_list_of<T: FromStr>(&self, name: &str) -> Result<Option<Vec<T>>> {
        let Some(items) = self.get_param_as_list(name) else {
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
