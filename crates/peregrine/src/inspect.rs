//! The route table, for printing at start-up and for tests.

use std::fmt;

use crate::app::Target;
use crate::routing::Router;

/// One route as the app will serve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteDescription {
    /// The URI template.
    pub template: String,
    /// The resource's type name.
    pub resource: &'static str,
    /// The responder suffix (`""` for none).
    pub suffix: String,
    /// The methods served, as `Allow` lists them (HEAD included when GET is served; OPTIONS only when the
    /// resource has its own `on_options`).
    pub methods: Vec<&'static str>,
}

impl fmt::Display for RouteDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.template, self.resource)?;
        if !self.suffix.is_empty() {
            write!(f, " (suffix '{}')", self.suffix)?;
        }
        write!(f, " [{}]", self.methods.join(", "))
    }
}

pub(crate) fn describe(router: &Router<Target>) -> Vec<RouteDescription> {
    router
        .routes()
        .map(|(info, target)| RouteDescription {
            template: info.template().to_owned(),
            resource: target.type_name,
            suffix: target.suffix.clone(),
            methods: target.methods.clone(),
        })
        .collect()
}
