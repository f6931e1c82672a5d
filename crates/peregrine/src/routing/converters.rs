//! Field converters: `int`, `float`, `uuid`, `dt`, `path`, `re`, and the ones an app registers.
//!
//! A converter turns one path segment into a typed value, or refuses it. Refusal means "this route does not
//! match" (the router tries the next candidate, else answers 404), never 400: a path that does not fit a
//! template names no resource.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

#[cfg(feature = "dates")]
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use uuid::Uuid;

/// A value produced by a converter, kept beside the raw text of the field.
#[derive(Clone)]
#[non_exhaustive]
pub enum FieldValue {
    /// The field had no converter (or `path`/`re`): the text is the value.
    Text,
    /// From `int`.
    Int(i64),
    /// From `float`.
    Float(f64),
    /// From `uuid`.
    Uuid(Uuid),
    /// From `dt` with a format that has no offset (feature `dates`).
    #[cfg(feature = "dates")]
    DateTime(NaiveDateTime),
    /// From `dt` with a format that has an offset (`%z`; feature `dates`).
    #[cfg(feature = "dates")]
    DateTimeOffset(DateTime<FixedOffset>),
    /// From `dt` with a date-only format (feature `dates`).
    #[cfg(feature = "dates")]
    Date(NaiveDate),
    /// From a converter the app registered.
    Custom(Arc<dyn Any + Send + Sync>),
}

impl fmt::Debug for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Text => f.write_str("Text"),
            FieldValue::Int(v) => write!(f, "Int({v})"),
            FieldValue::Float(v) => write!(f, "Float({v})"),
            FieldValue::Uuid(v) => write!(f, "Uuid({v})"),
            #[cfg(feature = "dates")]
            FieldValue::DateTime(v) => write!(f, "DateTime({v})"),
            #[cfg(feature = "dates")]
            FieldValue::DateTimeOffset(v) => write!(f, "DateTimeOffset({v})"),
            #[cfg(feature = "dates")]
            FieldValue::Date(v) => write!(f, "Date({v})"),
            FieldValue::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// Turns a path segment into a value, or refuses it.
///
/// Register one with [`App::add_converter`](crate::App::add_converter); use it in a template as
/// `{field:name}` or `{field:name(args)}`.
///
/// ```
/// use peregrine::routing::{Converter, FieldValue};
///
/// struct Even;
/// impl Converter for Even {
///     fn convert(&self, segment: &str) -> Option<FieldValue> {
///         let n: i64 = segment.parse().ok()?;
///         (n % 2 == 0).then_some(FieldValue::Int(n))
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Peregrine converter",
    label = "this needs `impl peregrine::routing::Converter for {Self}`",
    note = "a converter is `fn convert(&self, segment: &str) -> Option<FieldValue>`; None means the route does not match"
)]
pub trait Converter: Send + Sync + 'static {
    /// Converts `segment` (already percent-decoded); `None` means "no match".
    fn convert(&self, segment: &str) -> Option<FieldValue>;
}

/// A literal value in a converter's argument list: `int(3)`, `int(min=1)`, `dt("%Y")`, `float(finite=false)`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ArgValue {
    /// An integer literal.
    Int(i64),
    /// A floating-point literal.
    Float(f64),
    /// A quoted string.
    Str(String),
    /// `true`/`false` (Python's `True`/`False` are accepted too).
    Bool(bool),
}

/// The parsed arguments of a converter, taken one by one by its factory; leftovers are an error.
#[derive(Debug, Clone, Default)]
pub struct ConverterArgs {
    positional: Vec<Option<ArgValue>>,
    named: Vec<(String, Option<ArgValue>)>,
}

impl ConverterArgs {
    /// Parses `min=1, max=9`, `3`, `"%Y-%m-%d"`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut args = ConverterArgs::default();
        for piece in split_args(text)? {
            let piece = piece.trim();
            if piece.is_empty() {
                return Err("empty argument".into());
            }
            match named_arg(piece) {
                Some((name, value)) => {
                    if args.named.iter().any(|(n, _)| n == name) {
                        return Err(format!("argument '{name}' given twice"));
                    }
                    args.named.push((name.to_owned(), Some(parse_value(value.trim())?)));
                }
                None => {
                    if !args.named.is_empty() {
                        return Err("positional argument after a named one".into());
                    }
                    args.positional.push(Some(parse_value(piece)?));
                }
            }
        }
        Ok(args)
    }

    /// Takes the argument at `position`, or the one named `name`.
    pub fn take(&mut self, position: usize, name: &str) -> Result<Option<ArgValue>, String> {
        let by_position = self.positional.get_mut(position).and_then(Option::take);
        let by_name = self
            .named
            .iter_mut()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.take());
        match (by_position, by_name) {
            (Some(_), Some(_)) => Err(format!("argument '{name}' given twice")),
            (a, b) => Ok(a.or(b)),
        }
    }

    /// Takes an integer argument.
    pub fn take_int(&mut self, position: usize, name: &str) -> Result<Option<i64>, String> {
        match self.take(position, name)? {
            None => Ok(None),
            Some(ArgValue::Int(v)) => Ok(Some(v)),
            Some(other) => Err(format!("'{name}' must be an integer, not {other:?}")),
        }
    }

    /// Takes a number argument (an integer literal is accepted).
    pub fn take_float(&mut self, position: usize, name: &str) -> Result<Option<f64>, String> {
        match self.take(position, name)? {
            None => Ok(None),
            Some(ArgValue::Float(v)) => Ok(Some(v)),
            Some(ArgValue::Int(v)) => Ok(Some(v as f64)),
            Some(other) => Err(format!("'{name}' must be a number, not {other:?}")),
        }
    }

    /// Takes a string argument.
    pub fn take_str(&mut self, position: usize, name: &str) -> Result<Option<String>, String> {
        match self.take(position, name)? {
            None => Ok(None),
            Some(ArgValue::Str(v)) => Ok(Some(v)),
            Some(other) => Err(format!("'{name}' must be a quoted string, not {other:?}")),
        }
    }

    /// Takes a boolean argument.
    pub fn take_bool(&mut self, position: usize, name: &str) -> Result<Option<bool>, String> {
        match self.take(position, name)? {
            None => Ok(None),
            Some(ArgValue::Bool(v)) => Ok(Some(v)),
            Some(other) => Err(format!("'{name}' must be true or false, not {other:?}")),
        }
    }

    /// Fails if any argument was not taken.
    pub fn finish(self) -> Result<(), String> {
        if self.positional.iter().any(Option::is_some) {
            return Err("too many arguments".into());
        }
        if let Some((name, _)) = self.named.iter().find(|(_, v)| v.is_some()) {
            return Err(format!("unknown argument '{name}'"));
        }
        Ok(())
    }
}

fn named_arg(piece: &str) -> Option<(&str, &str)> {
    let (name, value) = piece.split_once('=')?;
    let name = name.trim();
    super::template::is_identifier(name).then_some((name, value))
}

fn split_args(text: &str) -> Result<Vec<&str>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut pieces = Vec::new();
    let mut start = 0;
    for item in super::template::unquoted_chars(text) {
        let (i, c) = item.map_err(|()| "unterminated string".to_owned())?;
        if c == ',' {
            pieces.push(&text[start..i]);
            start = i + 1;
        }
    }
    pieces.push(&text[start..]);
    Ok(pieces)
}

fn parse_value(text: &str) -> Result<ArgValue, String> {
    let quoted = |q: char| text.len() >= 2 && text.starts_with(q) && text.ends_with(q);
    if quoted('"') || quoted('\'') {
        let inner = &text[1..text.len() - 1];
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                out.push(chars.next().ok_or("dangling '\\'")?);
            } else {
                out.push(c);
            }
        }
        return Ok(ArgValue::Str(out));
    }
    match text {
        "true" | "True" => return Ok(ArgValue::Bool(true)),
        "false" | "False" => return Ok(ArgValue::Bool(false)),
        _ => {}
    }
    if let Ok(v) = text.parse::<i64>() {
        return Ok(ArgValue::Int(v));
    }
    if let Ok(v) = text.parse::<f64>() {
        return Ok(ArgValue::Float(v));
    }
    Err(format!("'{text}' is not a number, a quoted string, true or false"))
}

/// Builds a converter from its arguments; registered under a name.
pub type ConverterFactory = Arc<dyn Fn(&mut ConverterArgs) -> Result<Arc<dyn Converter>, String> + Send + Sync>;

/// The converters a router knows by name.
#[derive(Clone)]
pub(crate) struct ConverterRegistry {
    /// Each name's factory, and how many times the name was registered (1 for a built-in never taken over).
    factories: HashMap<String, (ConverterFactory, u32)>,
    /// The built-in `int` factory, to know a field that uses it while `int` has not been registered over.
    builtin_int: ConverterFactory,
}

/// A converter as the router's walk runs it: the built-in `int` directly, any other through its trait object.
pub(crate) enum Built {
    Int(IntConverter),
    Other(Arc<dyn Converter>),
}

impl Default for ConverterRegistry {
    fn default() -> Self {
        let builtin_int: ConverterFactory = Arc::new(|a| IntConverter::from_args(a).map(to_dyn));
        let mut r = ConverterRegistry {
            factories: HashMap::new(),
            builtin_int: Arc::clone(&builtin_int),
        };
        r.add("int", builtin_int);
        r.add("float", Arc::new(|a| FloatConverter::from_args(a).map(to_dyn)));
        r.add("uuid", Arc::new(|_| Ok(to_dyn(UuidConverter))));
        #[cfg(feature = "dates")]
        r.add("dt", Arc::new(|a| DateTimeConverter::from_args(a).map(to_dyn)));
        #[cfg(not(feature = "dates"))]
        r.add(
            "dt",
            Arc::new(|_| Err("the 'dt' converter needs peregrine's `dates` cargo feature".to_owned())),
        );
        r.add("path", Arc::new(|_| Ok(to_dyn(PathConverter))));
        #[cfg(feature = "re")]
        r.add("re", Arc::new(|a| RegexConverter::from_args(a).map(to_dyn)));
        #[cfg(not(feature = "re"))]
        r.add(
            "re",
            Arc::new(|_| Err("the 're' converter needs peregrine's `re` cargo feature".to_owned())),
        );
        r
    }
}

fn to_dyn<C: Converter>(c: C) -> Arc<dyn Converter> {
    Arc::new(c)
}

impl ConverterRegistry {
    pub(super) fn add(&mut self, name: &str, factory: ConverterFactory) {
        let registered = self.factories.get(name).map_or(0, |(_, n)| *n);
        self.factories.insert(name.to_owned(), (factory, registered + 1));
    }

    /// How many times `name` was registered (0 when it never was): two fields with the same converter
    /// text share a child in the router only when this did not change between them.
    pub(super) fn registrations(&self, name: &str) -> u32 {
        self.factories.get(name).map_or(0, |(_, n)| *n)
    }

    /// Builds the converter a field names, or says why not.
    pub(super) fn build(&self, name: &str, args: Option<&str>) -> Result<Arc<dyn Converter>, String> {
        self.with_args(name, args, |factory, parsed| factory(parsed))
    }

    /// Builds the converter a field names for the router's walk: the built-in `int` as itself.
    pub(super) fn build_for_walk(&self, name: &str, args: Option<&str>) -> Result<Built, String> {
        self.with_args(name, args, |factory, parsed| {
            if Arc::ptr_eq(factory, &self.builtin_int) {
                IntConverter::from_args(parsed).map(Built::Int)
            } else {
                factory(parsed).map(Built::Other)
            }
        })
    }

    /// Runs `build` with the factory registered as `name` and the parsed `args`, checking that it took them
    /// all.
    fn with_args<R>(
        &self,
        name: &str,
        args: Option<&str>,
        build: impl FnOnce(&ConverterFactory, &mut ConverterArgs) -> Result<R, String>,
    ) -> Result<R, String> {
        let (factory, _) = self.factories.get(name).ok_or_else(|| {
            let mut known: Vec<&str> = self.factories.keys().map(String::as_str).collect();
            known.sort_unstable();
            format!("unknown converter '{name}' (known: {})", known.join(", "))
        })?;
        let mut parsed = ConverterArgs::parse(args.unwrap_or(""))
            .map_err(|e| format!("bad arguments for converter '{name}': {e}"))?;
        let built = build(factory, &mut parsed).map_err(|e| format!("bad arguments for converter '{name}': {e}"))?;
        parsed
            .finish()
            .map_err(|e| format!("bad arguments for converter '{name}': {e}"))?;
        Ok(built)
    }
}

/// `int`, `int(num_digits)`, `int(min=.., max=..)`: optional `-`, then ASCII digits.
pub(crate) struct IntConverter {
    num_digits: Option<usize>,
    min: Option<i64>,
    max: Option<i64>,
}

impl IntConverter {
    fn from_args(a: &mut ConverterArgs) -> Result<Self, String> {
        let num_digits = match a.take_int(0, "num_digits")? {
            Some(n) if n < 1 => return Err("'num_digits' must be at least 1".into()),
            n => n.map(|n| n as usize),
        };
        let min = a.take_int(1, "min")?;
        let max = a.take_int(2, "max")?;
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo > hi {
                return Err(format!("'min' ({lo}) is greater than 'max' ({hi})"));
            }
        }
        Ok(IntConverter { num_digits, min, max })
    }

    /// The segment's value, when it is an integer within the converter's bounds.
    #[inline]
    pub(crate) fn parse(&self, segment: &str) -> Option<i64> {
        if self.num_digits.is_some_and(|n| n != segment.len()) {
            return None;
        }
        let (negative, digits) = match segment.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, segment),
        };
        if digits.is_empty() {
            return None;
        }
        if let Some(value) = super::digits::up_to_16(digits.as_bytes()) {
            let value = if negative { -value } else { value };
            return self.within_bounds(value);
        }
        // Longer: check and accumulate, refusing overflow (as a negative number, so i64::MIN fits).
        let mut value: i64 = 0;
        for b in digits.bytes() {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            value = value.checked_mul(10)?.checked_sub(i64::from(d))?;
        }
        let value = if negative { value } else { value.checked_neg()? };
        self.within_bounds(value)
    }

    #[inline]
    fn within_bounds(&self, value: i64) -> Option<i64> {
        if self.min.is_some_and(|m| value < m) || self.max.is_some_and(|m| value > m) {
            return None;
        }
        Some(value)
    }
}

impl Converter for IntConverter {
    fn convert(&self, segment: &str) -> Option<FieldValue> {
        self.parse(segment).map(FieldValue::Int)
    }
}

/// `float`, `float(min=.., max=.., finite=true)`.
struct FloatConverter {
    min: Option<f64>,
    max: Option<f64>,
    finite: bool,
}

impl FloatConverter {
    fn from_args(a: &mut ConverterArgs) -> Result<Self, String> {
        Ok(FloatConverter {
            min: a.take_float(0, "min")?,
            max: a.take_float(1, "max")?,
            finite: a.take_bool(2, "finite")?.unwrap_or(true),
        })
    }
}

impl Converter for FloatConverter {
    fn convert(&self, segment: &str) -> Option<FieldValue> {
        if segment.trim() != segment {
            return None;
        }
        let value: f64 = segment.parse().ok()?;
        if (self.finite && !value.is_finite())
            || self.min.is_some_and(|m| value < m)
            || self.max.is_some_and(|m| value > m)
        {
            return None;
        }
        Some(FieldValue::Float(value))
    }
}

/// `uuid`: hyphenated, simple, braced or URN forms.
struct UuidConverter;

impl Converter for UuidConverter {
    fn convert(&self, segment: &str) -> Option<FieldValue> {
        Uuid::parse_str(segment).ok().map(FieldValue::Uuid)
    }
}

/// `dt`, `dt("%Y-%m-%d")`: strftime formats; the default is `%Y-%m-%dT%H:%M:%SZ` (Falcon's).
#[cfg(feature = "dates")]
struct DateTimeConverter {
    format: String,
    kind: DateKind,
}

#[cfg(feature = "dates")]
enum DateKind {
    Offset,
    Naive,
    DateOnly,
}

#[cfg(feature = "dates")]
impl DateTimeConverter {
    fn from_args(a: &mut ConverterArgs) -> Result<Self, String> {
        let format = a
            .take_str(0, "format_string")?
            .unwrap_or_else(|| "%Y-%m-%dT%H:%M:%SZ".to_owned());
        let has = |spec: &[&str]| spec.iter().any(|s| format.contains(s));
        let kind = if has(&["%z", "%:z", "%#z"]) {
            DateKind::Offset
        } else if has(&["%H", "%M", "%S", "%T", "%R", "%I", "%s"]) {
            DateKind::Naive
        } else {
            DateKind::DateOnly
        };
        Ok(DateTimeConverter { format, kind })
    }
}

#[cfg(feature = "dates")]
impl Converter for DateTimeConverter {
    fn convert(&self, segment: &str) -> Option<FieldValue> {
        match self.kind {
            DateKind::Offset => DateTime::parse_from_str(segment, &self.format)
                .ok()
                .map(FieldValue::DateTimeOffset),
            DateKind::Naive => NaiveDateTime::parse_from_str(segment, &self.format)
                .ok()
                .map(FieldValue::DateTime),
            DateKind::DateOnly => NaiveDate::parse_from_str(segment, &self.format)
                .ok()
                .map(FieldValue::Date),
        }
    }
}

/// `path`: the rest of the path, slashes included; only in the last segment.
pub(crate) struct PathConverter;

impl Converter for PathConverter {
    fn convert(&self, _segment: &str) -> Option<FieldValue> {
        Some(FieldValue::Text)
    }
}

/// `re("[a-z0-9-]+")`: the whole segment must match the expression.
#[cfg(feature = "re")]
struct RegexConverter {
    regex: regex::Regex,
}

#[cfg(feature = "re")]
impl RegexConverter {
    fn from_args(a: &mut ConverterArgs) -> Result<Self, String> {
        let pattern = a
            .take_str(0, "pattern")?
            .ok_or("'re' needs a pattern, as re(\"[a-z]+\")")?;
        let regex = regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| format!("bad pattern: {e}"))?;
        Ok(RegexConverter { regex })
    }
}

#[cfg(feature = "re")]
impl Converter for RegexConverter {
    fn convert(&self, segment: &str) -> Option<FieldValue> {
        self.regex.is_match(segment).then_some(FieldValue::Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(name: &str, args: Option<&str>) -> Arc<dyn Converter> {
        ConverterRegistry::default().build(name, args).unwrap()
    }

    fn int_of(v: Option<FieldValue>) -> Option<i64> {
        match v {
            Some(FieldValue::Int(i)) => Some(i),
            _ => None,
        }
    }

    #[test]
    fn int_accepts_digits_and_bounds() {
        let c = conv("int", None);
        assert_eq!(int_of(c.convert("42")), Some(42));
        assert_eq!(int_of(c.convert("-7")), Some(-7));
        for bad in ["", "-", "4x", " 4", "+4", "1_0", "99999999999999999999"] {
            assert!(c.convert(bad).is_none(), "{bad}");
        }
        let c = conv("int", Some("min=1, max=9999"));
        assert!(c.convert("0").is_none());
        assert!(c.convert("10000").is_none());
        assert_eq!(int_of(c.convert("9999")), Some(9999));
        let c = conv("int", Some("3"));
        assert_eq!(int_of(c.convert("007")), Some(7));
        assert!(c.convert("07").is_none());
        assert_eq!(
            int_of(c.convert("-12")),
            Some(-12),
            "the sign counts as one of the digits"
        );
    }

    #[test]
    fn int_agrees_with_parse_around_the_bounds_of_i64() {
        let c = conv("int", None);
        let mut texts: Vec<String> = ["9223372036854775807", "9223372036854775808", "-9223372036854775808"]
            .iter()
            .chain(&[
                "-9223372036854775809",
                "999999999999999999",
                "-999999999999999999",
                "000000000000000000",
            ])
            .map(|t| t.to_string())
            .collect();
        for digits in 17..=20 {
            for lead in ['1', '5', '9'] {
                let t = format!("{lead}{}", "9".repeat(digits - 1));
                texts.push(format!("-{t}"));
                texts.push(t);
            }
        }
        for t in &texts {
            assert_eq!(int_of(c.convert(t)), t.parse::<i64>().ok(), "{t}");
        }
    }

    #[test]
    fn float_refuses_non_finite_by_default() {
        let c = conv("float", None);
        assert!(matches!(c.convert("1.5"), Some(FieldValue::Float(v)) if v == 1.5));
        assert!(c.convert("inf").is_none());
        assert!(c.convert("nan").is_none());
        assert!(conv("float", Some("finite=false")).convert("inf").is_some());
        assert!(conv("float", Some("min=0")).convert("-0.5").is_none());
        for spaced in [" 1.5", "1.5 ", "1 .5"] {
            assert!(c.convert(spaced).is_none(), "{spaced:?}");
        }
    }

    #[test]
    fn uuid() {
        let c = conv("uuid", None);
        assert!(c.convert("6f0e8a6c-3b1d-4b8e-9c3a-0d4b9f3c2a11").is_some());
        // The other forms the routing docs list: simple, URN and braced.
        assert!(c.convert("6f0e8a6c3b1d4b8e9c3a0d4b9f3c2a11").is_some());
        assert!(c.convert("urn:uuid:6f0e8a6c-3b1d-4b8e-9c3a-0d4b9f3c2a11").is_some());
        assert!(c.convert("{6f0e8a6c-3b1d-4b8e-9c3a-0d4b9f3c2a11}").is_some());
        assert!(c.convert("nope").is_none());
    }

    #[test]
    #[cfg(feature = "dates")]
    fn dt_gives_the_kind_of_date_its_format_has() {
        let c = conv("dt", Some(r#""%Y-%m-%d""#));
        assert!(matches!(c.convert("2024-02-29"), Some(FieldValue::Date(_))));
        assert!(c.convert("2023-02-29").is_none());
        let c = conv("dt", None);
        assert!(matches!(
            c.convert("2024-01-02T03:04:05Z"),
            Some(FieldValue::DateTime(_))
        ));
    }

    #[test]
    #[cfg(feature = "re")]
    fn re_matches_the_whole_segment() {
        let c = conv("re", Some(r#""[a-z0-9-]+""#));
        assert!(c.convert("my-slug-1").is_some());
        assert!(c.convert("My_Slug").is_none());
        let r = ConverterRegistry::default();
        let err = |n: &str, a: Option<&str>| r.build(n, a).err().unwrap();
        assert!(err("re", None).contains("needs a pattern"));
        assert!(err("re", Some("\"(\"")).contains("bad pattern"));
    }

    #[test]
    #[cfg(not(feature = "re"))]
    fn re_without_its_feature_says_which_feature() {
        let r = ConverterRegistry::default();
        let e = r.build("re", Some(r#""[a-z]+""#)).err().unwrap();
        assert!(e.contains("`re` cargo feature"), "{e}");
    }

    #[test]
    fn bad_arguments_are_refused_with_a_reason() {
        let r = ConverterRegistry::default();
        let err = |n: &str, a: Option<&str>| r.build(n, a).err().unwrap();
        assert!(err("int", Some("min=5, max=1")).contains("greater than"));
        assert!(err("int", Some("foo=1")).contains("unknown argument 'foo'"));
        assert!(err("int", Some("\"x\"")).contains("must be an integer"));
        assert!(err("int", Some("1, 2, 3, 4")).contains("too many arguments"));
        assert!(err("nope", None).contains("unknown converter 'nope'"));
    }
}
