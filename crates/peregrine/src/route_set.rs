//! Sets of routes, named by their templates: what per-route middleware applies to.

/// A set of routes, chosen by template when the app starts serving (whatever the order of the calls):
/// [`App::add_route_middleware`](crate::App::add_route_middleware) attaches middleware to them.
///
/// A prefix matches at a segment boundary of the template text: `prefix("/admin")` holds `/admin`,
/// `/admin/users` and `/admin/{id}`, not `/administrators`. Sinks, static routes and mounted apps belong
/// to a set by their own prefix in the same way, not by the paths they answer: a sink at `/` is not in
/// `prefix("/admin")`.
///
/// ```
/// use peregrine::RouteSet;
///
/// let api = RouteSet::all().except(["/health", "/metrics"]);
/// assert!(api.contains("/users/{id}"));
/// assert!(!api.contains("/health"));
/// assert!(RouteSet::prefix("/admin").contains("/admin/{id}"));
/// assert!(!RouteSet::prefix("/admin").contains("/administrators"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSet {
    include: Include,
    except: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Include {
    All,
    Templates(Vec<String>),
    Prefix(String),
}

impl RouteSet {
    /// Every route.
    #[must_use]
    pub fn all() -> Self {
        RouteSet {
            include: Include::All,
            except: Vec::new(),
        }
    }

    /// The routes added with exactly this template.
    #[must_use]
    pub fn template(template: &str) -> Self {
        Self::templates([template])
    }

    /// The routes added with any of these templates.
    #[must_use]
    pub fn templates<S: AsRef<str>>(templates: impl IntoIterator<Item = S>) -> Self {
        RouteSet {
            include: Include::Templates(templates.into_iter().map(|t| t.as_ref().to_owned()).collect()),
            except: Vec::new(),
        }
    }

    /// The routes whose template starts with `prefix` at a segment boundary (a trailing `/` is ignored;
    /// `"/"` is every route).
    #[must_use]
    pub fn prefix(prefix: &str) -> Self {
        RouteSet {
            include: Include::Prefix(prefix.trim_end_matches('/').to_owned()),
            except: Vec::new(),
        }
    }

    /// The same set without the routes of these templates.
    #[must_use]
    pub fn except<S: AsRef<str>>(mut self, templates: impl IntoIterator<Item = S>) -> Self {
        self.except.extend(templates.into_iter().map(|t| t.as_ref().to_owned()));
        self
    }

    /// Whether the route (or sink) with this template (or prefix) is in the set.
    #[must_use]
    pub fn contains(&self, template: &str) -> bool {
        let included = match &self.include {
            Include::All => true,
            Include::Templates(list) => list.iter().any(|t| t == template),
            Include::Prefix(prefix) => under_prefix(template, prefix),
        };
        included && !self.except.iter().any(|t| t == template)
    }

    /// Whether any template the set names explicitly is missing from `known` (a likely typo).
    pub(crate) fn unknown_templates<'a>(&'a self, known: &'a [&str]) -> impl Iterator<Item = &'a str> + 'a {
        let listed = match &self.include {
            Include::Templates(list) => list.as_slice(),
            _ => &[],
        };
        listed
            .iter()
            .chain(&self.except)
            .map(String::as_str)
            .filter(move |t| !known.contains(t))
    }
}

/// Whether `path` is `prefix` or lies under it at a segment boundary (`prefix` has no trailing `/`).
pub(crate) fn under_prefix(path: &str, prefix: &str) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/') || prefix.is_empty(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_at_segment_boundaries() {
        let admin = RouteSet::prefix("/admin/");
        for yes in ["/admin", "/admin/", "/admin/users", "/admin/{id}/x"] {
            assert!(admin.contains(yes), "{yes}");
        }
        for no in ["/administrators", "/adm", "/", "/x/admin"] {
            assert!(!admin.contains(no), "{no}");
        }
        assert!(RouteSet::prefix("/").contains("/anything"));
    }

    #[test]
    fn except_removes_exact_templates() {
        let set = RouteSet::prefix("/api").except(["/api/health"]);
        assert!(set.contains("/api/users"));
        assert!(!set.contains("/api/health"));
        assert!(set.contains("/api/health/deep"), "except names templates, not prefixes");
        let known = ["/api/users"];
        assert_eq!(set.unknown_templates(&known).collect::<Vec<_>>(), ["/api/health"]);
    }
}
