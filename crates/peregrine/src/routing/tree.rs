//! The compiled router: templates merged into one decision tree, walked segment by segment.
//!
//! Each node keeps its children by kind, in the order they are tried: literal segments, then complex segments
//! (`{name}.{ext}`), then single fields with a converter, then plain fields, then a trailing `{rest:path}`.
//! When a branch fails deeper down, the walk backtracks and tries the next candidate. Children are keyed by
//! *shape* — the literal text, or the converters with the field names left out — so `/teams/{id}` and
//! `/teams/{name}/members` share one field node, and each route names the captured values itself. Two routes
//! that end at the same node with different templates match exactly the same paths: that is the only
//! conflict refused.

use std::sync::{Arc, OnceLock};

use smallvec::SmallVec;

use super::converters::{Built, Converter, ConverterFactory, ConverterRegistry, FieldValue};
use super::literals::Literals;
use super::reverse::{Names, Reverse};
use super::template::{self, Field, Part, RouteError, Segment, Template};
use super::words::{next_slash, same_bytes};

/// One captured field: where it sits in the path, and its converted value.
#[derive(Debug, Clone)]
pub(crate) struct Capture {
    pub start: u32,
    pub end: u32,
    pub value: Stored,
}

/// A converted value as a capture keeps it: numbers inline, anything larger boxed, so captures stay small
/// and cheap to move on the hot path.
#[derive(Debug, Clone)]
pub(crate) enum Stored {
    Text,
    Int(i64),
    Float(f64),
    Other(Box<FieldValue>),
}

impl From<FieldValue> for Stored {
    #[inline]
    fn from(v: FieldValue) -> Self {
        match v {
            FieldValue::Text => Stored::Text,
            FieldValue::Int(i) => Stored::Int(i),
            FieldValue::Float(f) => Stored::Float(f),
            other => Stored::Other(Box::new(other)),
        }
    }
}

impl Stored {
    pub(crate) fn to_value(&self) -> FieldValue {
        match self {
            Stored::Text => FieldValue::Text,
            Stored::Int(i) => FieldValue::Int(*i),
            Stored::Float(f) => FieldValue::Float(*f),
            Stored::Other(v) => (**v).clone(),
        }
    }
}

/// The captures of one lookup, in template order. Four fit without allocating.
pub(crate) type Captures = SmallVec<[Capture; 4]>;

/// What a route knows about itself: its template and the names of its fields, in capture order.
#[derive(Debug)]
pub struct RouteInfo {
    template: Arc<str>,
    field_names: Box<[Box<str>]>,
    /// The named routes of the router it belongs to, once the router is frozen (for `req.url_for`).
    names: OnceLock<Arc<Names>>,
}

impl RouteInfo {
    /// The URI template, as it was added.
    pub fn template(&self) -> &str {
        &self.template
    }

    /// The template, shared (for labels that outlive the request).
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))] // used by metrics
    pub(crate) fn template_shared(&self) -> &Arc<str> {
        &self.template
    }

    /// The field names, in the order they appear in the template.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.field_names.iter().map(|n| &**n)
    }

    /// A route known by another text than a template (a sink's prefix or pattern), with these fields.
    pub(crate) fn named(text: &str, field_names: impl IntoIterator<Item = String>) -> Self {
        RouteInfo {
            template: text.into(),
            field_names: field_names.into_iter().map(String::into_boxed_str).collect(),
            names: OnceLock::new(),
        }
    }

    /// Shares the router's named routes with this route (once).
    pub(crate) fn set_names(&self, names: &Arc<Names>) {
        let _ = self.names.set(Arc::clone(names));
    }

    /// The path of the route named `name` in this route's router, filled with `fields`.
    pub(crate) fn url_for(&self, name: &str, fields: &[(&str, &str)]) -> Result<String, RouteError> {
        fill(self.names.get().map(|n| &**n), name, fields)
    }

    #[inline]
    pub(crate) fn index_of(&self, name: &str) -> Option<usize> {
        self.field_names.iter().position(|n| &**n == name)
    }
}

/// A route's entry: what it was added with.
pub(crate) struct Entry<T> {
    pub info: Arc<RouteInfo>,
    pub value: T,
}

/// Where a path led: the route's value, its template, and the captured fields.
pub struct RouteMatch<'r, 'p, T> {
    /// The value the route was added with.
    pub value: &'r T,
    info: &'r RouteInfo,
    path: &'p str,
    captures: Captures,
}

impl<'r, 'p, T> RouteMatch<'r, 'p, T> {
    /// The template that matched.
    pub fn template(&self) -> &'r str {
        self.info.template()
    }

    /// The text of the field `name`, if the template has it.
    pub fn get(&self, name: &str) -> Option<&'p str> {
        let i = self.info.index_of(name)?;
        let c = self.captures.get(i)?;
        Some(&self.path[c.start as usize..c.end as usize])
    }

    /// The fields as `(name, text)` pairs, in template order.
    pub fn iter(&self) -> impl Iterator<Item = (&'r str, &'p str)> + '_ {
        let path = self.path;
        self.info
            .field_names()
            .zip(self.captures.iter())
            .map(move |(n, c)| (n, &path[c.start as usize..c.end as usize]))
    }
}

/// A URI-template router compiled into a decision tree.
///
/// ```
/// use peregrine::routing::Router;
///
/// let mut router = Router::new();
/// router.add("/files/{name}.{ext}", "file").unwrap();
/// router.add("/items/{id:int(min=1)}", "item").unwrap();
///
/// let m = router.find("/files/archive.tar.gz").unwrap();
/// assert_eq!(*m.value, "file");
/// assert_eq!(m.get("name"), Some("archive.tar"));
/// assert!(router.find("/items/0").is_none());
/// ```
pub struct Router<T> {
    root: Node,
    entries: Vec<Entry<T>>,
    converters: ConverterRegistry,
    /// Named routes; shared with the routes once the app is frozen.
    names: Arc<Names>,
}

impl<T> std::fmt::Debug for Router<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field(
                "templates",
                &self.entries.iter().map(|e| e.info.template()).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for RouteMatch<'_, '_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteMatch")
            .field("template", &self.info.template())
            .field("value", self.value)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl<T> Default for Router<T> {
    fn default() -> Self {
        Router {
            root: Node::default(),
            entries: Vec::new(),
            converters: ConverterRegistry::default(),
            names: Arc::default(),
        }
    }
}

#[derive(Default)]
struct Node {
    route: Option<usize>,
    literals: Literals<Node>,
    complex: Vec<ComplexChild>,
    fields: Vec<FieldChild>,
    path: Option<usize>,
    /// Which children the node has, kept by [`Node::refresh`] as routes are added.
    shape: Shape,
}

/// The children a node has, as the walk sees them: at most one candidate for a segment lets the walk go on
/// without a frame to come back to.
#[derive(Default, Clone, Copy, PartialEq, Debug)]
enum Shape {
    /// Literal children only (or none).
    #[default]
    Literals,
    /// One single-field child and nothing else.
    Field,
    /// One complex child (`{name}.{ext}`) and nothing else.
    Complex,
    /// Anything else: several kinds of child, several fields, complex segments or a `path` field.
    Mixed,
}

struct ComplexChild {
    shape: String,
    parts: Vec<ComplexPart>,
    node: Node,
}

enum ComplexPart {
    Literal(Box<str>),
    Field(Option<Built>),
}

struct FieldChild {
    key: String,
    converter: Option<Built>,
    node: Node,
}

impl Built {
    /// The value a capture keeps for `segment`, or `None` when the converter refuses it.
    #[inline(always)]
    fn convert(&self, segment: &str) -> Option<Stored> {
        match self {
            Built::Int(int) => int.parse(segment).map(Stored::Int),
            Built::Other(c) => c.convert(segment).map(Stored::from),
        }
    }
}

/// What a field captures for `segment`: its text without a converter, else the converter's value.
#[inline]
fn field_value(converter: &Option<Built>, segment: &str) -> Option<Stored> {
    match converter {
        None => Some(Stored::Text),
        Some(c) => c.convert(segment),
    }
}

enum Step<'a> {
    Literal(&'a str),
    Complex(String, Vec<ComplexPart>),
    Field(String, Option<Built>),
    Path,
}

impl<T> Router<T> {
    /// An empty router with the built-in converters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a converter under `name`, for the templates added after this call. A name already
    /// registered, a built-in one included, is taken over; templates added before keep their converter,
    /// even where they share a prefix with later ones. `path` is not a converter but the rest of the path,
    /// and cannot be taken over.
    ///
    /// # Errors
    /// When `name` is not an identifier, or is `path`.
    pub fn add_converter(&mut self, name: &str, factory: ConverterFactory) -> Result<(), RouteError> {
        if !template::is_identifier(name) {
            return Err(RouteError::new(format!("'{name}' is not a valid converter name")));
        }
        if name == "path" {
            return Err(RouteError::new(
                "'path' takes the rest of the path and cannot be registered over".to_owned(),
            ));
        }
        self.converters.add(name, factory);
        Ok(())
    }

    /// Adds a route. Re-adding an identical template replaces its value; a different template that matches
    /// exactly the same paths as an existing one is refused, naming both.
    pub fn add(&mut self, template: &str, value: T) -> Result<(), RouteError> {
        let parsed = template::parse(template)?;
        let steps = self.compile(&parsed)?;
        let field_names: Box<[Box<str>]> = parsed
            .segments
            .iter()
            .flat_map(template::segment_fields)
            .map(|f| f.name.clone().into_boxed_str())
            .collect();
        let new_index = self.entries.len();
        let mut node = &mut self.root;
        let mut rest_field = false;
        for step in steps {
            match step {
                Step::Literal(text) => {
                    let i = node.literals.index_or_add(text);
                    node.refresh();
                    node = node.literals.child_mut(i);
                }
                Step::Complex(shape, parts) => {
                    let i = match node.complex.iter().position(|c| c.shape == shape) {
                        Some(i) => i,
                        None => {
                            node.complex.push(ComplexChild {
                                shape,
                                parts,
                                node: Node::default(),
                            });
                            node.complex.len() - 1
                        }
                    };
                    node.refresh();
                    node = &mut node.complex[i].node;
                }
                Step::Field(key, converter) => {
                    let i = match node.fields.iter().position(|f| f.key == key) {
                        Some(i) => i,
                        None => {
                            // Fields with a converter are tried before plain ones, in the order they were added.
                            let at = if converter.is_some() {
                                node.fields.iter().take_while(|f| f.converter.is_some()).count()
                            } else {
                                node.fields.len()
                            };
                            node.fields.insert(
                                at,
                                FieldChild {
                                    key,
                                    converter,
                                    node: Node::default(),
                                },
                            );
                            at
                        }
                    };
                    node.refresh();
                    node = &mut node.fields[i].node;
                }
                Step::Path => {
                    rest_field = true;
                    break;
                }
            }
        }
        let info = Arc::new(RouteInfo {
            template: template.into(),
            field_names,
            names: OnceLock::new(),
        });
        let slot = if rest_field { &mut node.path } else { &mut node.route };
        let added = match *slot {
            Some(existing) if *self.entries[existing].info.template == *template => {
                self.entries[existing] = Entry { info, value };
                Ok(())
            }
            Some(existing) => Err(RouteError::new(format!(
                "route '{template}' conflicts with route '{}': both match exactly the same paths",
                self.entries[existing].info.template
            ))),
            None => {
                *slot = Some(new_index);
                self.entries.push(Entry { info, value });
                Ok(())
            }
        };
        node.refresh();
        added
    }

    /// Names the route added with `template` (for [`Router::url_for`]).
    ///
    /// # Errors
    /// When no route has that template, the name is taken, or the router is already shared.
    pub fn name_route(&mut self, template: &str, name: &str) -> Result<(), RouteError> {
        if !self.entries.iter().any(|e| &*e.info.template == template) {
            return Err(RouteError::new(format!(
                "cannot name '{template}': no route has that template"
            )));
        }
        let parsed = template::parse(template)?;
        let converters = parsed
            .segments
            .iter()
            .flat_map(template::segment_fields)
            .map(|field| self.converter_of(&parsed, field))
            .collect::<Result<Vec<_>, _>>()?;
        let names = Arc::get_mut(&mut self.names)
            .ok_or_else(|| RouteError::new("routes cannot be named once the app is serving".to_owned()))?;
        if names.contains_key(name) {
            return Err(RouteError::new(format!("the route name '{name}' is taken")));
        }
        names.insert(name.to_owned(), Reverse::new(parsed, converters));
        Ok(())
    }

    /// The path of the route named `name`, its fields filled from `fields` (`(name, value)` pairs):
    /// values percent-encoded for a path segment, each checked by its field's converter.
    ///
    /// ```
    /// let mut router = peregrine::routing::Router::new();
    /// router.add("/books/{isbn:int}/pages/{page}", ()).unwrap();
    /// router.name_route("/books/{isbn:int}/pages/{page}", "page").unwrap();
    /// assert_eq!(router.url_for("page", &[("isbn", "42"), ("page", "a b")]).unwrap(), "/books/42/pages/a%20b");
    /// assert!(router.url_for("page", &[("isbn", "x"), ("page", "1")]).is_err());
    /// ```
    ///
    /// # Errors
    /// When no route has that name, a field is missing, empty or refused by its converter, or `fields`
    /// names a field the template does not have.
    pub fn url_for(&self, name: &str, fields: &[(&str, &str)]) -> Result<String, RouteError> {
        fill(Some(&self.names), name, fields)
    }

    /// The named routes, shared with every route's [`RouteInfo`]; after this, no route can be named.
    pub(crate) fn share_names(&mut self) -> Arc<Names> {
        for entry in &self.entries {
            entry.info.set_names(&self.names);
        }
        Arc::clone(&self.names)
    }

    fn converter_of(&self, parsed: &Template, field: &Field) -> Result<Option<Arc<dyn Converter>>, RouteError> {
        field_converter(parsed, field, |name, args| self.converters.build(name, args))
    }

    /// The field's converter as the walk runs it.
    fn walk_converter_of(&self, parsed: &Template, field: &Field) -> Result<Option<Built>, RouteError> {
        field_converter(parsed, field, |name, args| self.converters.build_for_walk(name, args))
    }

    fn compile<'t>(&self, parsed: &'t Template) -> Result<Vec<Step<'t>>, RouteError> {
        let build = |field: &Field| self.walk_converter_of(parsed, field);
        // A converter registered over since an earlier template used its name makes a different child.
        let key = |field: &Field| match &field.converter {
            None => String::new(),
            Some(c) => match self.converters.registrations(&c.name) {
                0 | 1 => c.key(),
                n => format!("{}#{n}", c.key()),
            },
        };
        parsed
            .segments
            .iter()
            .map(|segment| {
                Ok(match segment {
                    Segment::Literal(text) => Step::Literal(text),
                    Segment::Field(f) if f.converter.as_ref().is_some_and(|c| c.name == "path") => {
                        build(f)?;
                        Step::Path
                    }
                    Segment::Field(f) => Step::Field(key(f), build(f)?),
                    Segment::Complex(parts) => {
                        let mut shape = String::new();
                        let mut compiled = Vec::with_capacity(parts.len());
                        for part in parts {
                            match part {
                                Part::Literal(l) => {
                                    shape.push_str(l);
                                    compiled.push(ComplexPart::Literal(l.as_str().into()));
                                }
                                Part::Field(f) => {
                                    shape.push('{');
                                    shape.push_str(&key(f));
                                    shape.push('}');
                                    compiled.push(ComplexPart::Field(build(f)?));
                                }
                            }
                        }
                        Step::Complex(shape, compiled)
                    }
                })
            })
            .collect()
    }

    /// Finds the route for a percent-decoded path that starts with `/`.
    #[inline]
    pub fn find<'p>(&self, path: &'p str) -> Option<RouteMatch<'_, 'p, T>> {
        let mut captures = Captures::new();
        let entry = self.find_entry(path, &mut captures)?;
        Some(RouteMatch {
            value: &entry.value,
            info: &entry.info,
            path,
            captures,
        })
    }

    #[inline]
    pub(crate) fn find_entry(&self, path: &str, captures: &mut Captures) -> Option<&Entry<T>> {
        self.find_index(path, captures).map(|i| &self.entries[i])
    }

    /// The index of the route for `path` (for [`Router::entry`]), its fields in `captures` (left empty
    /// when there is none).
    #[inline]
    pub(crate) fn find_index(&self, path: &str, captures: &mut Captures) -> Option<usize> {
        if !path.starts_with('/') || path.len() > u32::MAX as usize {
            return None;
        }
        let found = self.root.find(path, 1, captures);
        if found.is_none() {
            captures.clear();
        }
        found
    }

    /// The route at `index`, as [`Router::find_index`] gave it.
    pub(crate) fn entry(&self, index: usize) -> &Entry<T> {
        &self.entries[index]
    }

    /// The routes, in the order they were first added.
    pub fn routes(&self) -> impl Iterator<Item = (&RouteInfo, &T)> {
        self.entries.iter().map(|e| (&*e.info, &e.value))
    }

    /// The routes, mutably, in the order they were first added.
    pub(crate) fn routes_mut(&mut self) -> impl Iterator<Item = (&RouteInfo, &mut T)> {
        self.entries.iter_mut().map(|e| (&*e.info, &mut e.value))
    }
}

impl Node {
    /// Keeps [`Node::shape`] true after a child or route was added.
    fn refresh(&mut self) {
        let only_one = self.literals.is_empty() && self.complex.len() + self.fields.len() == 1 && self.path.is_none();
        self.shape = if self.complex.is_empty() && self.fields.is_empty() && self.path.is_none() {
            Shape::Literals
        } else if only_one && self.fields.len() == 1 {
            Shape::Field
        } else if only_one {
            Shape::Complex
        } else {
            Shape::Mixed
        };
    }

    /// Matches the segment starting at `start` and everything after it. A walk that fails may leave
    /// captures behind; whoever tries another branch truncates them.
    // PERF: a node with one candidate for the segment hands over to it in this loop instead of a new frame,
    // and a REST table's nodes mostly have one (bench/NOTES.md, "Router").
    fn find(&self, path: &str, mut start: usize, captures: &mut Captures) -> Option<usize> {
        let bytes = path.as_bytes();
        let mut node = self;
        loop {
            let (child, end) = match node.shape {
                Shape::Literals => node.literals.match_at(bytes, start)?,
                Shape::Field => {
                    let field = node.fields.first()?;
                    let end = next_slash(bytes, start).unwrap_or(path.len());
                    let segment = path.get(start..end).filter(|s| !s.is_empty())?;
                    let value = field_value(&field.converter, segment)?;
                    captures.push(Capture {
                        start: start as u32,
                        end: end as u32,
                        value,
                    });
                    (&field.node, end)
                }
                Shape::Complex => {
                    let child = node.complex.first()?;
                    let end = next_slash(bytes, start).unwrap_or(path.len());
                    let segment = path.get(start..end).filter(|s| !s.is_empty())?;
                    if !match_complex(&child.parts, segment, start, captures) {
                        return None;
                    }
                    (&child.node, end)
                }
                Shape::Mixed => return node.find_among(path, start, captures),
            };
            if end == path.len() {
                return child.route;
            }
            node = child;
            start = end + 1;
        }
    }

    /// [`Node::find`] at a node with several candidates for the segment that starts at `start`: each in turn,
    /// backtracking to the next when the rest of the path fails below it.
    fn find_among(&self, path: &str, start: usize, captures: &mut Captures) -> Option<usize> {
        let end = next_slash(path.as_bytes(), start).unwrap_or(path.len());
        let next = (end < path.len()).then_some(end + 1);
        let segment = &path[start..end];
        let mark = captures.len();
        if let Some((child, _)) = self.literals.match_at(path.as_bytes(), start) {
            if let Some(found) = child.descend(path, next, captures) {
                return Some(found);
            }
            captures.truncate(mark);
        }
        if segment.is_empty() {
            return None;
        }
        for child in &self.complex {
            if match_complex(&child.parts, segment, start, captures) {
                if let Some(found) = child.node.descend(path, next, captures) {
                    return Some(found);
                }
                captures.truncate(mark);
            }
        }
        for child in &self.fields {
            let Some(value) = field_value(&child.converter, segment) else {
                continue;
            };
            captures.push(Capture {
                start: start as u32,
                end: end as u32,
                value,
            });
            if let Some(found) = child.node.descend(path, next, captures) {
                return Some(found);
            }
            captures.truncate(mark);
        }
        if let Some(route) = self.path {
            captures.push(Capture {
                start: start as u32,
                end: path.len() as u32,
                value: Stored::Text,
            });
            return Some(route);
        }
        None
    }

    fn descend(&self, path: &str, next: Option<usize>, captures: &mut Captures) -> Option<usize> {
        match next {
            None => self.route,
            Some(start) => self.find(path, start, captures),
        }
    }
}

/// `field`'s converter, made by `build` from its name and arguments; `None` for a field without one. An error
/// names the template and the field.
fn field_converter<C>(
    parsed: &Template,
    field: &Field,
    build: impl FnOnce(&str, Option<&str>) -> Result<C, String>,
) -> Result<Option<C>, RouteError> {
    match &field.converter {
        None => Ok(None),
        Some(call) => build(&call.name, call.args.as_deref())
            .map(Some)
            .map_err(|e| RouteError::in_template(&parsed.text, format!("field '{}': {e}", field.name))),
    }
}

/// How much work splitting a complex segment may take, per byte of the segment (plus [`SPLIT_BUDGET_BASE`]):
/// bytes scanned for literals and split points tried. A literal that does not occur after a position ends
/// the search there without scanning. A split that finds its answer at the first try costs
/// about the segment's length for each literal; a segment that would take more (thousands of `-` against
/// `{a}-{b}-{c}-{d}.png`, where trying every split point is polynomial in the length) is a no-match instead
/// of a core busy for minutes.
const SPLIT_BUDGET_PER_BYTE: usize = 32;
const SPLIT_BUDGET_BASE: usize = 1024;

/// Matches a complex segment as Falcon does: the fields split the text greedily (earlier fields take as much
/// as they can, at least one character each), then each field's converter runs; a refusal fails the segment.
fn match_complex(parts: &[ComplexPart], segment: &str, offset: usize, captures: &mut Captures) -> bool {
    let mark = captures.len();
    let split = match parts {
        [ComplexPart::Field(_), ComplexPart::Literal(l), ComplexPart::Field(_)] => {
            split_around(l, segment, offset, captures)
        }
        _ => split_greedy(
            parts,
            0,
            segment,
            0,
            &mut Split {
                offset,
                spans: captures,
                budget: SPLIT_BUDGET_BASE + SPLIT_BUDGET_PER_BYTE * segment.len(),
                last_start: None,
            },
        ),
    };
    if !split {
        captures.truncate(mark);
        return false;
    }
    if !parts.iter().any(|p| matches!(p, ComplexPart::Field(Some(_)))) {
        return true;
    }
    let converters = parts.iter().filter_map(|p| match p {
        ComplexPart::Field(c) => Some(c),
        ComplexPart::Literal(_) => None,
    });
    for (converter, capture) in converters.zip(captures[mark..].iter_mut()) {
        let Some(c) = converter else { continue };
        let text = &segment[capture.start as usize - offset..capture.end as usize - offset];
        match c.convert(text) {
            Some(v) => capture.value = v,
            None => {
                captures.truncate(mark);
                return false;
            }
        }
    }
    true
}

/// Splits `{a}<literal>{b}` as [`split_greedy`] would: the first field as long as it can be, so at the
/// literal's last occurrence that leaves each field at least one byte. That is one character: the literal's
/// bytes are whole characters, so an occurrence starts and ends on character boundaries.
// PERF: the commonest complex shape (`{name}.{ext}`) costs one backwards scan, not the general search.
fn split_around(literal: &str, segment: &str, offset: usize, captures: &mut Captures) -> bool {
    let bytes = segment.as_bytes();
    if bytes.len() < literal.len() + 2 {
        return false;
    }
    let Some(found) = rfind_bytes(&bytes[1..bytes.len() - 1], literal.as_bytes()) else {
        return false;
    };
    let at = 1 + found;
    captures.push(text_capture(offset, offset + at));
    captures.push(text_capture(offset + at + literal.len(), offset + bytes.len()));
    true
}

/// The start of the last occurrence of `needle` in `haystack`. Template literals are short, so a plain scan
/// beats a two-way searcher's set-up.
fn rfind_bytes(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    if rest.is_empty() {
        return haystack.iter().rposition(|&b| b == first);
    }
    if haystack.len() < needle.len() {
        return None;
    }
    (0..=haystack.len() - needle.len())
        .rev()
        .find(|&i| haystack[i] == first && same_bytes(&haystack[i + 1..i + needle.len()], rest))
}

/// The state of one segment's split: where its captures go, the work left, and where each literal part
/// (by index) last occurs in the segment.
struct Split<'c> {
    offset: usize,
    spans: &'c mut Captures,
    budget: usize,
    /// Found once the first try has failed (a split that succeeds at once pays nothing for it).
    last_start: Option<smallvec::SmallVec<[Option<usize>; 8]>>,
}

/// Where each literal part of `parts` last starts in `text`.
fn last_starts(parts: &[ComplexPart], text: &str) -> smallvec::SmallVec<[Option<usize>; 8]> {
    parts
        .iter()
        .map(|p| match p {
            ComplexPart::Literal(l) => rfind_bytes(text.as_bytes(), l.as_bytes()),
            ComplexPart::Field(_) => None,
        })
        .collect()
}

/// Takes `cost` from `budget`; false when there is not that much left.
fn spend(budget: &mut usize, cost: usize) -> bool {
    match budget.checked_sub(cost) {
        Some(left) => {
            *budget = left;
            true
        }
        None => false,
    }
}

fn split_greedy(parts: &[ComplexPart], i: usize, text: &str, at: usize, split: &mut Split<'_>) -> bool {
    match &parts[i..] {
        [] => at == text.len(),
        [ComplexPart::Literal(l), ..] => {
            spend(&mut split.budget, l.len())
                && text[at..].starts_with(&**l)
                && split_greedy(parts, i + 1, text, at + l.len(), split)
        }
        // A last field takes the rest, if there is any.
        [ComplexPart::Field(_)] => {
            if at < text.len() {
                split
                    .spans
                    .push(text_capture(split.offset + at, split.offset + text.len()));
                true
            } else {
                false
            }
        }
        // A field before a literal ends where that literal starts: try the last occurrence first (greedy),
        // then earlier ones. The field takes at least one character.
        [ComplexPart::Field(_), ComplexPart::Literal(l), ..] => {
            if at >= text.len() {
                return false;
            }
            let mut first = at + 1;
            while !text.is_char_boundary(first) {
                first += 1;
            }
            // PERF: once a split has failed, a literal is searched for only up to its last occurrence in the
            // segment, and one that does not occur there fails at once.
            let mut limit = text.len();
            if let Some(last) = &split.last_start {
                match last[i + 1] {
                    Some(start) => limit = limit.min(start + l.len()),
                    None => return false,
                }
            }
            while limit >= first + l.len() {
                let found = rfind_bytes(&text.as_bytes()[first..limit], l.as_bytes());
                let scanned = limit - found.map_or(first, |f| first + f);
                if !spend(&mut split.budget, scanned) {
                    return false;
                }
                let Some(found) = found else {
                    return false;
                };
                let end = first + found;
                split.spans.push(text_capture(split.offset + at, split.offset + end));
                if split_greedy(parts, i + 1, text, end, split) {
                    return true;
                }
                split.spans.pop();
                if split.last_start.is_none() {
                    split.last_start = Some(last_starts(parts, text));
                }
                // Look for occurrences that start before this one.
                limit = end + l.len() - 1;
                while !text.is_char_boundary(limit) {
                    limit -= 1;
                }
            }
            false
        }
        // Two fields in a row: every split point, longest first.
        [ComplexPart::Field(_), ..] => {
            let mut end = text.len();
            while end > at {
                if !spend(&mut split.budget, 1) {
                    return false;
                }
                if text.is_char_boundary(end) {
                    split.spans.push(text_capture(split.offset + at, split.offset + end));
                    if split_greedy(parts, i + 1, text, end, split) {
                        return true;
                    }
                    split.spans.pop();
                }
                end -= 1;
            }
            false
        }
    }
}

#[inline]
fn text_capture(start: usize, end: usize) -> Capture {
    Capture {
        start: start as u32,
        end: end as u32,
        value: Stored::Text,
    }
}

/// The path of `name` in `names`, filled with `fields`.
fn fill(names: Option<&Names>, name: &str, fields: &[(&str, &str)]) -> Result<String, RouteError> {
    match names.and_then(|n| n.get(name)) {
        Some(reverse) => reverse.fill(name, fields),
        None => Err(RouteError::new(format!("url_for: no route is named '{name}'"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(templates: &[&str]) -> Router<usize> {
        let mut r = Router::new();
        for (i, t) in templates.iter().enumerate() {
            r.add(t, i).unwrap_or_else(|e| panic!("{e}"));
        }
        r
    }

    fn hit(r: &Router<usize>, path: &str) -> Option<(usize, Vec<(String, String)>)> {
        let m = r.find(path)?;
        let pairs = m.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        Some((*m.value, pairs))
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn a_segment_that_would_take_polynomial_work_is_cut_off_as_a_no_match() {
        let r = router(&["/c/{a}-{b}-{c}-{d}.png", "/d/{a}{b}{c}x"]);
        let dashes = "-".repeat(3000);
        assert!(r.find(&format!("/c/{dashes}")).is_none());
        assert!(r.find(&format!("/d/{}", "a".repeat(3000))).is_none());
        // The search gave up with its budget spent, rather than trying every split.
        let c = r.root.literals.child("c").unwrap();
        let parts = &c.complex[0].parts;
        let mut spans = Captures::new();
        let mut split = Split {
            offset: 0,
            spans: &mut spans,
            budget: SPLIT_BUDGET_BASE + SPLIT_BUDGET_PER_BYTE * dashes.len(),
            last_start: None,
        };
        assert!(!split_greedy(parts, 0, &dashes, 0, &mut split));
        assert!(
            split.budget < dashes.len(),
            "{} left: the split was not cut off",
            split.budget
        );
        // A long segment that does split still matches, backtracking included.
        let long = format!("x-{}-z-w.png", "y".repeat(5000));
        assert_eq!(hit(&r, &format!("/c/{long}")).unwrap().1[1].1.len(), 5000);
        let tricky = format!("a-b-{}-c.png", "-".repeat(2000));
        assert!(r.find(&format!("/c/{tricky}")).is_some());
    }

    #[test]
    fn segments_with_many_separators_still_split() {
        // Found cut off by an earlier budget that charged every backtrack the whole remaining window.
        let r = router(&["/c/{a}-{b}.{ext}"]);
        for path in [
            format!("/c/a-b.c{}", "-".repeat(2000)),
            format!("/c/a-b.tar{}", "-gz".repeat(1000)),
            format!("/c/release-notes.en-us{}", "-w".repeat(1000)),
            format!("/c/{}-b.c{}", "y".repeat(1000), "-x".repeat(1000)),
        ] {
            assert!(r.find(&path).is_some(), "{path}");
        }
    }

    #[test]
    fn literal_beats_complex_beats_field() {
        let r = router(&["/files/{name}", "/files/{name}.{ext}", "/files/latest"]);
        assert_eq!(hit(&r, "/files/latest").unwrap().0, 2);
        assert_eq!(hit(&r, "/files/a.txt").unwrap().0, 1);
        assert_eq!(hit(&r, "/files/readme").unwrap().0, 0);
    }

    #[test]
    fn complex_segments_split_greedily() {
        let r = router(&["/files/{name}.{ext}"]);
        assert_eq!(
            hit(&r, "/files/archive.tar.gz").unwrap().1,
            pairs(&[("name", "archive.tar"), ("ext", "gz")])
        );
        assert!(hit(&r, "/files/noext").is_none());
        assert!(hit(&r, "/files/.gz").is_none());
    }

    #[test]
    fn compare_template_from_github() {
        let r = router(&["/repos/{org}/{repo}/compare/{usr0}:{branch0}...{usr1}:{branch1}"]);
        let (_, p) = hit(&r, "/repos/falconry/falcon/compare/a:main...b:dev").unwrap();
        assert_eq!(
            p,
            pairs(&[
                ("org", "falconry"),
                ("repo", "falcon"),
                ("usr0", "a"),
                ("branch0", "main"),
                ("usr1", "b"),
                ("branch1", "dev")
            ])
        );
    }

    #[test]
    fn backtracks_when_a_deeper_segment_fails() {
        let r = router(&["/a/literal/x", "/a/{f}/y"]);
        assert_eq!(hit(&r, "/a/literal/y").unwrap(), (1, pairs(&[("f", "literal")])));
    }

    #[test]
    fn different_field_names_at_one_level_coexist() {
        let r = router(&["/teams/{id}", "/teams/{name}/members"]);
        assert_eq!(hit(&r, "/teams/7").unwrap(), (0, pairs(&[("id", "7")])));
        assert_eq!(hit(&r, "/teams/red/members").unwrap(), (1, pairs(&[("name", "red")])));
    }

    #[test]
    fn true_ambiguity_is_refused_naming_both_routes() {
        let mut r = router(&["/teams/{id}"]);
        let err = r.add("/teams/{name}", 1).unwrap_err().to_string();
        assert!(
            err.contains("'/teams/{name}'") && err.contains("'/teams/{id}'"),
            "{err}"
        );
        let mut r = router(&["/f/{a}.{b}"]);
        assert!(r.add("/f/{x}.{y}", 1).is_err());
        let mut r = router(&["/s/{a:path}"]);
        assert!(r.add("/s/{b:path}", 1).is_err());
    }

    #[test]
    fn identical_template_replaces() {
        let mut r = router(&["/things"]);
        r.add("/things", 9).unwrap();
        assert_eq!(hit(&r, "/things").unwrap().0, 9);
        assert_eq!(r.routes().count(), 1);
    }

    #[test]
    fn converter_failure_falls_through_then_404() {
        let r = router(&["/items/{id:int}", "/items/{slug}"]);
        assert_eq!(hit(&r, "/items/12").unwrap().0, 0);
        assert_eq!(hit(&r, "/items/abc").unwrap().0, 1);
        let r = router(&["/items/{id:int(min=1)}"]);
        assert!(hit(&r, "/items/0").is_none());
    }

    #[test]
    fn path_converter_takes_the_rest() {
        let r = router(&["/static/{p:path}", "/static/index"]);
        assert_eq!(
            hit(&r, "/static/css/site.css").unwrap(),
            (0, pairs(&[("p", "css/site.css")]))
        );
        assert_eq!(hit(&r, "/static/index").unwrap().0, 1);
        assert!(hit(&r, "/static/").is_none());
    }

    #[test]
    fn root_trailing_slash_and_empty_segments() {
        let r = router(&["/", "/things"]);
        assert_eq!(hit(&r, "/").unwrap().0, 0);
        assert!(hit(&r, "/things/").is_none());
        assert!(hit(&r, "//things").is_none());
        assert!(hit(&r, "").is_none());
        let r = router(&["/{x}"]);
        assert!(hit(&r, "/").is_none());
    }

    #[test]
    fn template_with_trailing_slash_matches_only_that_form() {
        let r = router(&["/users/", "/users/{id:int}"]);
        assert_eq!(hit(&r, "/users/").unwrap().0, 0);
        assert!(hit(&r, "/users").is_none());
        assert_eq!(hit(&r, "/users/3").unwrap().0, 1);
    }

    #[test]
    fn unknown_converter_is_refused() {
        let mut r: Router<()> = Router::new();
        let err = r.add("/x/{id:nope}", ()).unwrap_err().to_string();
        assert!(
            err.contains("'/x/{id:nope}'") && err.contains("unknown converter 'nope'"),
            "{err}"
        );
    }

    #[test]
    fn converted_complex_field() {
        let r = router(&["/v/{major:int}.{minor:int}"]);
        assert_eq!(hit(&r, "/v/1.22").unwrap().1, pairs(&[("major", "1"), ("minor", "22")]));
        assert!(hit(&r, "/v/1.x").is_none());
    }

    #[test]
    fn an_app_converter_registered_as_int_replaces_the_built_in_one() {
        let mut r = Router::new();
        let even: ConverterFactory = Arc::new(|_| {
            struct Even;
            impl Converter for Even {
                fn convert(&self, segment: &str) -> Option<FieldValue> {
                    let n: i64 = segment.parse().ok()?;
                    (n % 2 == 0).then_some(FieldValue::Int(n))
                }
            }
            Ok(Arc::new(Even))
        });
        r.add("/a/{n:int}", 0).unwrap();
        r.add_converter("int", even).unwrap();
        r.add("/b/{n:int}", 1).unwrap();
        assert_eq!(hit(&r, "/a/3").map(|h| h.0), Some(0), "added before: the built-in int");
        assert!(
            hit(&r, "/b/3").is_none(),
            "added after: the app's int refuses odd numbers"
        );
        assert_eq!(hit(&r, "/b/4").map(|h| h.0), Some(1));
    }

    #[test]
    fn a_taken_over_converter_keeps_templates_apart_that_share_a_prefix() {
        let mut r = Router::new();
        let words: ConverterFactory = Arc::new(|_| {
            struct Words;
            impl Converter for Words {
                fn convert(&self, segment: &str) -> Option<FieldValue> {
                    let n = ["one", "two", "three"].iter().position(|w| *w == segment)?;
                    Some(FieldValue::Int(n as i64 + 1))
                }
            }
            Ok(Arc::new(Words))
        });
        r.add("/s/{n:int}/before", 0).unwrap();
        r.add("/q/{n:int}", 2).unwrap();
        r.add_converter("int", words).unwrap();
        r.add("/s/{n:int}/after", 1).unwrap();
        r.add("/q/{n:int}", 3).unwrap();
        let at = |p: &str| hit(&r, p).map(|h| h.0);
        assert_eq!(at("/s/5/before"), Some(0), "added before: the built-in int");
        assert_eq!(at("/s/two/before"), None);
        assert_eq!(
            at("/s/two/after"),
            Some(1),
            "added after, under the same prefix: the app's int"
        );
        assert_eq!(at("/s/5/after"), None);
        // The same text again: a second route with the new converter, tried after the first.
        assert_eq!(at("/q/5"), Some(2));
        assert_eq!(at("/q/two"), Some(3));
    }

    #[test]
    fn path_cannot_be_registered_over() {
        let mut r = Router::<usize>::new();
        let e = r
            .add_converter(
                "path",
                Arc::new(|_| Ok(Arc::new(super::super::converters::PathConverter))),
            )
            .unwrap_err();
        assert!(e.to_string().contains("cannot be registered over"), "{e}");
    }

    #[test]
    fn a_failed_branch_leaves_no_captures_behind() {
        // `/x/{a}/{b:int}/end` fails at its last segment; the literal branch after it must not see `a`.
        let r = router(&["/x/{a:int}/{b:int}/end", "/x/{c}/{d}/other"]);
        assert_eq!(hit(&r, "/x/1/2/other").unwrap().1, pairs(&[("c", "1"), ("d", "2")]));
        let mut captures = Captures::new();
        assert!(r.find_index("/x/1/2/neither", &mut captures).is_none());
        assert!(captures.is_empty(), "{captures:?}");
    }

    proptest::proptest! {
        /// The shortcut for `{a}<literal>{b}` splits exactly where the general greedy search does.
        #[test]
        fn split_around_agrees_with_the_general_split(
            segment in "[a.\\-é]{0,12}",
            literal in "[.\\-é]{1,3}",
        ) {
            let parts = [
                ComplexPart::Field(None),
                ComplexPart::Literal(literal.as_str().into()),
                ComplexPart::Field(None),
            ];
            let mut general = Captures::new();
            let mut split = Split { offset: 3, spans: &mut general, budget: usize::MAX, last_start: None };
            let expected = split_greedy(&parts, 0, &segment, 0, &mut split);
            let mut shortcut = Captures::new();
            let got = split_around(&literal, &segment, 3, &mut shortcut);
            proptest::prop_assert_eq!(got, expected);
            if got {
                let spans = |c: &Captures| c.iter().map(|c| (c.start, c.end)).collect::<Vec<_>>();
                proptest::prop_assert_eq!(spans(&shortcut), spans(&general));
            }
        }
    }
}
