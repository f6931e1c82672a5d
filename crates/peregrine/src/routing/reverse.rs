//! Reverse routing: a named route's template filled with field values (`url_for`).

use std::collections::HashMap;
use std::sync::Arc;

use percent_encoding::{AsciiSet, CONTROLS};

use super::converters::Converter;
use super::template::{Part, RouteError, Segment, Template};

/// What a field value may not hold unencoded in a path segment (RFC 3986 §3.3 `pchar`): everything but
/// unreserved characters, sub-delims, `:` and `@`.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// A named route's template, parsed, with each field's converter (in template order).
pub(crate) struct Reverse {
    template: Template,
    converters: Vec<Option<Arc<dyn Converter>>>,
}

impl Reverse {
    pub(crate) fn new(template: Template, converters: Vec<Option<Arc<dyn Converter>>>) -> Self {
        Reverse { template, converters }
    }

    /// The path for `fields` (`(name, value)` pairs, in any order): each value percent-encoded for a path
    /// segment (a `path` field keeps its `/`), after its converter accepted it.
    pub(crate) fn fill(&self, name: &str, fields: &[(&str, &str)]) -> Result<String, RouteError> {
        let fail = |why: String| RouteError::new(format!("url_for('{name}', {}): {why}", self.template.text));
        let mut used = vec![false; fields.len()];
        let mut converters = self.converters.iter();
        let mut value_of = |field: &super::template::Field| -> Result<String, RouteError> {
            let converter = converters.next().and_then(Option::as_ref);
            let Some(i) = fields.iter().position(|(n, _)| *n == field.name) else {
                return Err(fail(format!("missing field '{}'", field.name)));
            };
            used[i] = true;
            let value = fields[i].1;
            let is_path = field.converter.as_ref().is_some_and(|c| c.name == "path");
            if value.is_empty() && !is_path {
                return Err(fail(format!("field '{}' is empty", field.name)));
            }
            if let Some(converter) = converter {
                if converter.convert(value).is_none() {
                    return Err(fail(format!("'{value}' does not fit field '{}'", field.name)));
                }
            }
            if is_path {
                if value.is_empty() || value.split('/').any(str::is_empty) {
                    return Err(fail(format!(
                        "'{value}' for field '{}' has an empty segment, which would not route back",
                        field.name
                    )));
                }
                Ok(value.split('/').map(encode_segment).collect::<Vec<_>>().join("/"))
            } else if value.contains('/') {
                Err(fail(format!(
                    "'{value}' for field '{}' holds a '/', which the router keeps encoded; use a {{name:path}} field",
                    field.name
                )))
            } else {
                Ok(encode_segment(value))
            }
        };
        let mut path = String::new();
        for segment in &self.template.segments {
            path.push('/');
            match segment {
                Segment::Literal(text) => path.push_str(text),
                Segment::Field(field) => path.push_str(&value_of(field)?),
                Segment::Complex(parts) => {
                    for (i, part) in parts.iter().enumerate() {
                        match part {
                            Part::Literal(text) => path.push_str(text),
                            Part::Field(field) => {
                                let value = value_of(field)?;
                                // The text around a field bounds it when the path is matched: a value
                                // holding that text could be split elsewhere.
                                let around = [i.checked_sub(1).and_then(|j| parts.get(j)), parts.get(i + 1)];
                                for part in around.into_iter().flatten() {
                                    if let Part::Literal(bound) = part {
                                        if value.contains(bound.as_str()) {
                                            return Err(fail(format!(
                                                "'{value}' for field '{}' holds '{bound}', which ends the field",
                                                field.name
                                            )));
                                        }
                                    }
                                }
                                path.push_str(&value);
                            }
                        }
                    }
                }
            }
        }
        if path.is_empty() {
            path.push('/');
        }
        if let Some(i) = used.iter().position(|u| !u) {
            return Err(fail(format!("the template has no field '{}'", fields[i].0)));
        }
        Ok(path)
    }
}

/// `value` encoded as one path segment; `.` and `..` encoded whole, so that no client or proxy removes them
/// as dot segments (RFC 3986 §5.2.4) and sends the request elsewhere (the router decodes them back).
fn encode_segment(value: &str) -> String {
    match value {
        "." => "%2E".to_owned(),
        ".." => "%2E%2E".to_owned(),
        _ => percent_encoding::utf8_percent_encode(value, SEGMENT).to_string(),
    }
}

/// The named routes of one router.
pub(crate) type Names = HashMap<String, Reverse>;

impl std::fmt::Debug for Reverse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.template.text)
    }
}
