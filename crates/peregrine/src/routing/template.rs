//! URI template parsing: `/repos/{org}/{repo}/compare/{a}...{b}` into segments, checked once at `add_route`.

use std::fmt;

/// One `/`-separated piece of a template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Segment {
    /// Text that must match exactly.
    Literal(String),
    /// A segment that is one field, such as `{id}` or `{id:int}`.
    Field(Field),
    /// A segment mixing fields and text, such as `{name}.{ext}`.
    Complex(Vec<Part>),
}

/// A piece of a complex segment.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Part {
    Literal(String),
    Field(Field),
}

/// A `{name}` or `{name:converter(args)}` field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field {
    pub name: String,
    pub converter: Option<ConverterCall>,
}

/// A converter named in a field, with its raw argument text (`int(min=1)` gives `int` and `min=1`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConverterCall {
    pub name: String,
    pub args: Option<String>,
}

impl ConverterCall {
    /// The converter as written, used to tell shapes apart (`int(min=1)`).
    pub(crate) fn key(&self) -> String {
        match &self.args {
            Some(args) => format!("{}({})", self.name, args.trim()),
            None => self.name.clone(),
        }
    }
}

/// A parsed template: its text, segments, and field names in the order they appear.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    pub text: String,
    pub segments: Vec<Segment>,
}

/// Why a template was refused; its message quotes the template and points at the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteError {
    message: String,
}

impl RouteError {
    pub(crate) fn new(message: String) -> Self {
        RouteError { message }
    }

    pub(crate) fn in_template(template: &str, problem: impl fmt::Display) -> Self {
        RouteError::new(format!("invalid URI template '{template}': {problem}"))
    }

    /// The full message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RouteError {}

/// Parses and validates a URI template.
pub(crate) fn parse(text: &str) -> Result<Template, RouteError> {
    let bad = |problem: String| RouteError::in_template(text, problem);
    if !text.starts_with('/') {
        return Err(bad("it must start with '/'".into()));
    }
    if text.contains('?') || text.contains('#') {
        return Err(bad("it may not contain a query string or fragment".into()));
    }
    let body = &text[1..];
    let raw_segments: Vec<&str> = body.split('/').collect();
    let mut segments = Vec::with_capacity(raw_segments.len());
    let mut names: Vec<String> = Vec::new();
    let last = raw_segments.len() - 1;
    for (i, raw) in raw_segments.iter().enumerate() {
        // A trailing '/' is an empty last segment, matched literally (as in Falcon: `/users/` is not `/users`).
        if raw.is_empty() && i != last {
            return Err(bad("it contains an empty segment ('//')".into()));
        }
        let segment = parse_segment(raw).map_err(|p| bad(format!("in segment '{raw}': {p}")))?;
        for field in segment_fields(&segment) {
            if names.contains(&field.name) {
                return Err(bad(format!("the field name '{}' is used twice", field.name)));
            }
            names.push(field.name.clone());
            if field.converter.as_ref().is_some_and(|c| c.name == "path") {
                if i != last {
                    return Err(bad(format!(
                        "the field '{}' uses the 'path' converter, which must be in the last segment",
                        field.name
                    )));
                }
                if !matches!(segment, Segment::Field(_)) {
                    return Err(bad(format!(
                        "the field '{}' uses the 'path' converter, which must fill its segment alone",
                        field.name
                    )));
                }
            }
        }
        segments.push(segment);
    }
    Ok(Template {
        text: text.to_owned(),
        segments,
    })
}

/// The fields of a segment, in order.
pub(crate) fn segment_fields(segment: &Segment) -> Vec<&Field> {
    match segment {
        Segment::Literal(_) => Vec::new(),
        Segment::Field(f) => vec![f],
        Segment::Complex(parts) => parts
            .iter()
            .filter_map(|p| match p {
                Part::Field(f) => Some(f),
                Part::Literal(_) => None,
            })
            .collect(),
    }
}

fn parse_segment(raw: &str) -> Result<Segment, String> {
    let mut parts = Vec::new();
    let mut rest = raw;
    while !rest.is_empty() {
        match rest.find(['{', '}']) {
            None => {
                parts.push(Part::Literal(rest.to_owned()));
                rest = "";
            }
            Some(i) if rest.as_bytes()[i] == b'}' => return Err("'}' without a matching '{'".into()),
            Some(i) => {
                if i > 0 {
                    parts.push(Part::Literal(rest[..i].to_owned()));
                }
                let close = find_field_end(&rest[i..]).ok_or("'{' without a matching '}'")?;
                parts.push(Part::Field(parse_field(&rest[i + 1..i + close])?));
                rest = &rest[i + close + 1..];
            }
        }
    }
    let literal_has_space = parts
        .iter()
        .any(|p| matches!(p, Part::Literal(l) if l.chars().any(char::is_whitespace)));
    if literal_has_space {
        return Err("it may not contain whitespace outside a field's converter arguments".into());
    }
    Ok(match parts.len() {
        0 => Segment::Literal(String::new()),
        1 => match parts.pop() {
            Some(Part::Literal(l)) => Segment::Literal(l),
            Some(Part::Field(f)) => Segment::Field(f),
            None => unreachable!("one part"),
        },
        _ => Segment::Complex(parts),
    })
}

/// The characters of `text` outside quoted strings (`"…"` or `'…'`, with `\` escapes), with their byte
/// offsets. `Err(())` when a quote is left open.
pub(crate) fn unquoted_chars(text: &str) -> impl Iterator<Item = Result<(usize, char), ()>> + '_ {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut chars = text.char_indices();
    std::iter::from_fn(move || loop {
        let Some((i, c)) = chars.next() else {
            return quote.take().map(|_| Err(()));
        };
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            None => return Some(Ok((i, c))),
        }
    })
}

/// Finds the `}` closing the field that starts at `s[0] == '{'`, skipping over quoted converter arguments.
fn find_field_end(s: &str) -> Option<usize> {
    for item in unquoted_chars(s).skip(1) {
        match item.ok()? {
            (i, '}') => return Some(i),
            (_, '{') => return None,
            _ => {}
        }
    }
    None
}

fn parse_field(inner: &str) -> Result<Field, String> {
    let (name, converter) = match inner.split_once(':') {
        None => (inner, None),
        Some((name, conv)) => (name, Some(parse_converter_call(conv)?)),
    };
    if !is_identifier(name) {
        return Err(format!(
            "'{name}' is not a valid field name (use letters, digits and '_', not starting with a digit)"
        ));
    }
    Ok(Field {
        name: name.to_owned(),
        converter,
    })
}

fn parse_converter_call(text: &str) -> Result<ConverterCall, String> {
    let (name, args) = match text.find('(') {
        None => (text, None),
        Some(open) => {
            if !text.ends_with(')') {
                return Err(format!("the converter '{text}' has an unclosed argument list"));
            }
            (&text[..open], Some(text[open + 1..text.len() - 1].to_owned()))
        }
    };
    if !is_identifier(name) {
        return Err(format!("'{name}' is not a valid converter name"));
    }
    Ok(ConverterCall {
        name: name.to_owned(),
        args,
    })
}

pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, conv: Option<(&str, Option<&str>)>) -> Field {
        Field {
            name: name.into(),
            converter: conv.map(|(n, a)| ConverterCall {
                name: n.into(),
                args: a.map(Into::into),
            }),
        }
    }

    #[test]
    fn root_is_one_empty_literal() {
        let t = parse("/").unwrap();
        assert_eq!(t.segments, vec![Segment::Literal(String::new())]);
    }

    #[test]
    fn trailing_slash_is_an_empty_last_segment() {
        let t = parse("/users/").unwrap();
        assert_eq!(
            t.segments,
            vec![Segment::Literal("users".into()), Segment::Literal(String::new())]
        );
    }

    #[test]
    fn literal_field_and_complex_segments() {
        let t = parse("/files/{name}.{ext}/{id:int(min=1)}").unwrap();
        assert_eq!(t.segments[0], Segment::Literal("files".into()));
        assert_eq!(
            t.segments[1],
            Segment::Complex(vec![
                Part::Field(field("name", None)),
                Part::Literal(".".into()),
                Part::Field(field("ext", None)),
            ])
        );
        assert_eq!(t.segments[2], Segment::Field(field("id", Some(("int", Some("min=1"))))));
    }

    #[test]
    fn quoted_arguments_may_hold_braces_and_colons() {
        let t = parse(r#"/{ts:dt("%Y-%m-%d}")}"#).unwrap();
        assert_eq!(
            t.segments[0],
            Segment::Field(field("ts", Some(("dt", Some(r#""%Y-%m-%d}""#)))))
        );
    }

    #[test]
    fn refusals_quote_the_template() {
        for (t, needle) in [
            ("things", "must start with '/'"),
            ("/a//b", "empty segment"),
            ("/{1x}", "not a valid field name"),
            ("/{a}/{a}", "used twice"),
            ("/{a", "without a matching '}'"),
            ("/a}", "without a matching '{'"),
            ("/{p:path}/x", "must be in the last segment"),
            ("/x{p:path}", "fill its segment alone"),
            ("/{a:int(3}", "unclosed argument list"),
            ("/a b", "whitespace"),
        ] {
            let err = parse(t).unwrap_err().to_string();
            assert!(err.contains(&format!("'{t}'")), "{err}");
            assert!(err.contains(needle), "{t}: {err}");
        }
    }
}
