//! URI fields captured for a request, and their conversion to Rust types.

use std::sync::Arc;

#[cfg(feature = "dates")]
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use uuid::Uuid;

use super::converters::FieldValue;
use super::tree::{Capture, Captures, RouteInfo};

/// The fields a route captured, with the route they belong to. Values are spans of the request's path.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fields {
    pub info: Option<Arc<RouteInfo>>,
    pub captures: Captures,
}

impl Fields {
    /// The raw text and converted value of field `name`.
    #[inline]
    pub(crate) fn lookup<'a>(&'a self, path: &'a str, name: &str) -> Option<(&'a str, FieldValue)> {
        let c = self.capture(name)?;
        Some((&path[c.start as usize..c.end as usize], c.value.to_value()))
    }

    /// The raw text of field `name` (its converted value is not built).
    #[inline]
    pub(crate) fn text<'a>(&'a self, path: &'a str, name: &str) -> Option<&'a str> {
        let c = self.capture(name)?;
        Some(&path[c.start as usize..c.end as usize])
    }

    #[inline]
    fn capture(&self, name: &str) -> Option<&Capture> {
        let i = self.info.as_ref()?.index_of(name)?;
        self.captures.get(i)
    }

    /// `(name, text)` pairs in template order.
    pub(crate) fn iter<'a>(&'a self, path: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.info
            .iter()
            .flat_map(|i| i.field_names())
            .zip(self.captures.iter())
            .map(move |(n, c)| (n, &path[c.start as usize..c.end as usize]))
    }
}

/// A type a URI field can be read as, with [`Request::field`](crate::Request::field).
///
/// Values come from the field's converter when it has one (`{id:int}` gives an integer), else from the text.
#[diagnostic::on_unimplemented(
    message = "a URI field cannot be read as `{Self}`",
    label = "`req.field::<{Self}>(..)` needs `{Self}: peregrine::routing::FromField`",
    note = "fields read as String, integers, f32/f64, bool, uuid::Uuid and (feature `dates`) chrono dates; implement FromField for your own type"
)]
pub trait FromField: Sized {
    /// Converts the field's text (and its converter's value); `None` means the value does not fit.
    fn from_field(text: &str, value: &FieldValue) -> Option<Self>;
}

impl FromField for String {
    fn from_field(text: &str, _: &FieldValue) -> Option<Self> {
        Some(text.to_owned())
    }
}

macro_rules! int_from_field {
    ($($t:ty),*) => {$(
        impl FromField for $t {
            fn from_field(text: &str, value: &FieldValue) -> Option<Self> {
                match value {
                    FieldValue::Int(v) => <$t>::try_from(*v).ok(),
                    _ => text.parse().ok(),
                }
            }
        }
    )*};
}
int_from_field!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

macro_rules! float_from_param {
    ($($t:ty),*) => {$(
        impl FromField for $t {
            fn from_field(text: &str, value: &FieldValue) -> Option<Self> {
                match value {
                    FieldValue::Float(v) => Some(*v as $t),
                    FieldValue::Int(v) => Some(*v as $t),
                    _ => text.parse().ok(),
                }
            }
        }
    )*};
}
float_from_param!(f32, f64);

impl FromField for bool {
    fn from_field(text: &str, _: &FieldValue) -> Option<Self> {
        text.parse().ok()
    }
}

impl FromField for Uuid {
    fn from_field(text: &str, value: &FieldValue) -> Option<Self> {
        match value {
            FieldValue::Uuid(u) => Some(*u),
            _ => Uuid::parse_str(text).ok(),
        }
    }
}

#[cfg(feature = "dates")]
impl FromField for NaiveDateTime {
    fn from_field(_: &str, value: &FieldValue) -> Option<Self> {
        match value {
            FieldValue::DateTime(v) => Some(*v),
            FieldValue::DateTimeOffset(v) => Some(v.naive_utc()),
            _ => None,
        }
    }
}

#[cfg(feature = "dates")]
impl FromField for DateTime<FixedOffset> {
    fn from_field(_: &str, value: &FieldValue) -> Option<Self> {
        match value {
            FieldValue::DateTimeOffset(v) => Some(*v),
            _ => None,
        }
    }
}

#[cfg(feature = "dates")]
impl FromField for NaiveDate {
    fn from_field(_: &str, value: &FieldValue) -> Option<Self> {
        match value {
            FieldValue::Date(v) => Some(*v),
            FieldValue::DateTime(v) => Some(v.date()),
            _ => None,
        }
    }
}
