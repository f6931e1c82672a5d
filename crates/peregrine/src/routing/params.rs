//! URI fields captured for a request, and their conversion to Rust types.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use uuid::Uuid;

use super::converters::ParamValue;
use super::tree::{Captures, RouteInfo};

/// The fields a route captured, with the route they belong to. Values are spans of the request's path.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    pub info: Option<Arc<RouteInfo>>,
    pub captures: Captures,
}

impl Params {
    /// The raw text and converted value of field `name`.
    pub fn lookup<'a>(&'a self, path: &'a str, name: &str) -> Option<(&'a str, ParamValue)> {
        let i = self.info.as_ref()?.index_of(name)?;
        let c = self.captures.get(i)?;
        Some((&path[c.start as usize..c.end as usize], c.value.to_value()))
    }

    /// `(name, text)` pairs in template order.
    pub fn iter<'a>(&'a self, path: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.info
            .iter()
            .flat_map(|i| i.field_names())
            .zip(self.captures.iter())
            .map(move |(n, c)| (n, &path[c.start as usize..c.end as usize]))
    }
}

/// A type a URI field can be read as, with [`Request::param`](crate::Request::param).
///
/// Values come from the field's converter when it has one (`{id:int}` gives an integer), else from the text.
#[diagnostic::on_unimplemented(
    message = "a URI field cannot be read as `{Self}`",
    label = "`req.param::<{Self}>(..)` needs `{Self}: peregrine::routing::FromParam`",
    note = "fields read as String, integers, f32/f64, bool, uuid::Uuid and chrono dates; implement FromParam for your own type"
)]
pub trait FromParam: Sized {
    /// Converts the field's text (and its converter's value); `None` means the value does not fit.
    fn from_param(text: &str, value: &ParamValue) -> Option<Self>;
}

impl FromParam for String {
    fn from_param(text: &str, _: &ParamValue) -> Option<Self> {
        Some(text.to_owned())
    }
}

macro_rules! int_from_param {
    ($($t:ty),*) => {$(
        impl FromParam for $t {
            fn from_param(text: &str, value: &ParamValue) -> Option<Self> {
                match value {
                    ParamValue::Int(v) => <$t>::try_from(*v).ok(),
                    _ => text.parse().ok(),
                }
            }
        }
    )*};
}
int_from_param!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

macro_rules! float_from_param {
    ($($t:ty),*) => {$(
        impl FromParam for $t {
            fn from_param(text: &str, value: &ParamValue) -> Option<Self> {
                match value {
                    ParamValue::Float(v) => Some(*v as $t),
                    ParamValue::Int(v) => Some(*v as $t),
                    _ => text.parse().ok(),
                }
            }
        }
    )*};
}
float_from_param!(f32, f64);

impl FromParam for bool {
    fn from_param(text: &str, _: &ParamValue) -> Option<Self> {
        text.parse().ok()
    }
}

impl FromParam for Uuid {
    fn from_param(text: &str, value: &ParamValue) -> Option<Self> {
        match value {
            ParamValue::Uuid(u) => Some(*u),
            _ => Uuid::parse_str(text).ok(),
        }
    }
}

impl FromParam for NaiveDateTime {
    fn from_param(_: &str, value: &ParamValue) -> Option<Self> {
        match value {
            ParamValue::DateTime(v) => Some(*v),
            ParamValue::DateTimeOffset(v) => Some(v.naive_utc()),
            _ => None,
        }
    }
}

impl FromParam for DateTime<FixedOffset> {
    fn from_param(_: &str, value: &ParamValue) -> Option<Self> {
        match value {
            ParamValue::DateTimeOffset(v) => Some(*v),
            _ => None,
        }
    }
}

impl FromParam for NaiveDate {
    fn from_param(_: &str, value: &ParamValue) -> Option<Self> {
        match value {
            ParamValue::Date(v) => Some(*v),
            ParamValue::DateTime(v) => Some(v.date()),
            _ => None,
        }
    }
}
