//! Entity tags (RFC 9110 §8.8.3) and the lists `If-Match` / `If-None-Match` carry (§13.1.1, §13.1.2).

use std::fmt;

/// An entity tag: an opaque validator of one representation, strong (`"abc"`) or weak (`W/"abc"`).
///
/// ```
/// use peregrine::EntityTag;
/// let strong = EntityTag::strong("v7");
/// let weak = EntityTag::weak("v7");
/// assert_eq!(strong.to_string(), "\"v7\"");
/// assert_eq!(weak.to_string(), "W/\"v7\"");
/// assert!(strong.weak_eq(&weak) && !strong.strong_eq(&weak));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EntityTag {
    weak: bool,
    tag: String,
}

/// Whether `byte` may appear inside an entity tag's quotes (`etagc`: `!`, `#`–`~`, and obs-text).
fn is_etagc(byte: u8) -> bool {
    byte == 0x21 || (0x23..=0x7e).contains(&byte) || byte >= 0x80
}

impl EntityTag {
    /// A strong tag around `tag` (the text between the quotes).
    ///
    /// # Panics
    /// When `tag` holds a character an entity tag cannot (`"`, a space, a control character): tags are
    /// made by the app (a hash, a version number), so this is a programming error.
    #[track_caller]
    pub fn strong(tag: impl Into<String>) -> Self {
        Self::new(false, tag.into())
    }

    /// A weak tag around `tag`. Same panics as [`EntityTag::strong`].
    #[track_caller]
    pub fn weak(tag: impl Into<String>) -> Self {
        Self::new(true, tag.into())
    }

    #[track_caller]
    fn new(weak: bool, tag: String) -> Self {
        assert!(
            tag.bytes().all(is_etagc),
            "an entity tag may not hold quotes, spaces or control characters: {tag:?}"
        );
        EntityTag { weak, tag }
    }

    /// Whether the tag is weak.
    pub fn is_weak(&self) -> bool {
        self.weak
    }

    /// The text between the quotes.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// Strong comparison (RFC 9110 §8.8.3.2): both strong and the same text. `If-Match` uses it.
    pub fn strong_eq(&self, other: &EntityTag) -> bool {
        !self.weak && !other.weak && self.tag == other.tag
    }

    /// Weak comparison: the same text, weak or not. `If-None-Match` uses it.
    pub fn weak_eq(&self, other: &EntityTag) -> bool {
        self.tag == other.tag
    }

    /// Parses one tag (`"abc"` or `W/"abc"`), `None` when malformed.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim_matches([' ', '\t']);
        let (weak, quoted) = match text.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
        inner.bytes().all(is_etagc).then(|| EntityTag {
            weak,
            tag: inner.to_owned(),
        })
    }
}

impl fmt::Display for EntityTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.weak {
            f.write_str("W/")?;
        }
        write!(f, "\"{}\"", self.tag)
    }
}

/// The value of `If-Match` or `If-None-Match`: `*` or a list of entity tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntityTags {
    /// `*`: any current representation.
    Any,
    /// The listed tags, in order.
    Tags(Vec<EntityTag>),
}

impl EntityTags {
    /// Parses a field value (all lines of the field joined with commas); `None` when any member is
    /// malformed or the list is empty.
    pub fn parse(value: &str) -> Option<Self> {
        if value.trim_matches([' ', '\t']) == "*" {
            return Some(EntityTags::Any);
        }
        let mut tags = Vec::new();
        // A tag may hold a comma, so members are split at commas outside quotes (tags have no escapes).
        let mut members = Vec::new();
        let (mut start, mut quoted) = (0, false);
        for (i, b) in value.bytes().enumerate() {
            match b {
                b'"' => quoted = !quoted,
                b',' if !quoted => {
                    members.push(&value[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        members.push(&value[start..]);
        for member in members {
            if member.trim_matches([' ', '\t']).is_empty() {
                continue; // empty list elements are allowed (RFC 9110 §5.6.1.2)
            }
            tags.push(EntityTag::parse(member)?);
        }
        (!tags.is_empty()).then_some(EntityTags::Tags(tags))
    }

    /// Whether `current` (the representation's tag; `None` when there is no representation, or it has no
    /// tag) matches, by strong comparison (`If-Match`) or weak (`If-None-Match`). `*` matches any
    /// representation that exists, which the caller says with `exists`.
    pub(crate) fn matches(&self, current: Option<&EntityTag>, exists: bool, strong: bool) -> bool {
        match self {
            EntityTags::Any => exists,
            EntityTags::Tags(tags) => {
                current.is_some_and(|c| tags.iter().any(|t| if strong { t.strong_eq(c) } else { t.weak_eq(c) }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print() {
        assert_eq!(EntityTag::parse("\"xyzzy\""), Some(EntityTag::strong("xyzzy")));
        assert_eq!(EntityTag::parse(" W/\"r2d2\" "), Some(EntityTag::weak("r2d2")));
        assert_eq!(EntityTag::parse("\"\""), Some(EntityTag::strong("")));
        for bad in ["xyzzy", "\"a", "w/\"a\"", "\"a b\"", "\"a\"b\""] {
            assert_eq!(EntityTag::parse(bad), None, "{bad}");
        }
        assert_eq!(EntityTag::weak("a").to_string(), "W/\"a\"");
    }

    #[test]
    fn lists() {
        assert_eq!(EntityTags::parse(" * "), Some(EntityTags::Any));
        assert_eq!(
            EntityTags::parse("\"a\", W/\"b\",,"),
            Some(EntityTags::Tags(vec![EntityTag::strong("a"), EntityTag::weak("b")]))
        );
        assert_eq!(EntityTags::parse("\"a\", b"), None);
        assert_eq!(EntityTags::parse(""), None);
        assert_eq!(EntityTags::parse("*, \"a\""), None);
        assert_eq!(
            EntityTags::parse("\"a,b\", \",\""),
            Some(EntityTags::Tags(vec![EntityTag::strong("a,b"), EntityTag::strong(",")]))
        );
    }

    #[test]
    fn comparisons_follow_rfc_9110_table() {
        // RFC 9110 §8.8.3.2's example table.
        let cases = [
            ("W/\"1\"", "W/\"1\"", false, true),
            ("W/\"1\"", "W/\"2\"", false, false),
            ("W/\"1\"", "\"1\"", false, true),
            ("\"1\"", "\"1\"", true, true),
        ];
        for (a, b, strong, weak) in cases {
            let (a, b) = (EntityTag::parse(a).unwrap(), EntityTag::parse(b).unwrap());
            assert_eq!((a.strong_eq(&b), a.weak_eq(&b)), (strong, weak), "{a} {b}");
        }
        let list = EntityTags::parse("W/\"1\"").unwrap();
        let current = EntityTag::strong("1");
        assert!(!list.matches(Some(&current), true, true));
        assert!(list.matches(Some(&current), true, false));
        assert!(!EntityTags::Any.matches(None, false, true));
        assert!(EntityTags::Any.matches(None, true, true));
    }

    #[test]
    #[should_panic(expected = "may not hold quotes")]
    fn a_quote_in_a_tag_is_a_programming_error() {
        let _ = EntityTag::strong("a\"b");
    }
}
