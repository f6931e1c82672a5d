//! The app's route table as text ([`App::route_table`]), and the `--print-routes` flag any app binary can
//! offer ([`print_routes_flag`]), Falcon's `falcon-print-routes` / `falcon-inspect-app` in one call.

use std::fmt::{self, Write as _};

use crate::app::{App, Target};
use crate::methods::{self, METHODS};

/// The route table of an app, for people: routes in the order added, each with its resource type, and per
/// method the responder's hooks; the per-route middleware; sinks and static routes in the order they are
/// tried; mounted apps, indented; and the app-wide middleware in the order `process_request` runs. Made by
/// [`App::route_table`]; its `Display` is the text.
///
/// ```
/// # struct Users;
/// # #[peregrine::resource] impl Users { async fn on_get(&self, _: &mut peregrine::Request, _: &mut peregrine::Response) -> peregrine::Result { Ok(()) } }
/// let app = peregrine::App::new().add_route("/users/{id:int}", Users);
/// let table = app.route_table().to_string();
/// assert!(table.contains("/users/{id:int} -> "));
/// assert!(table.contains("GET"));
/// ```
#[derive(Debug, Clone)]
pub struct RouteTable {
    text: String,
}

impl fmt::Display for RouteTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl App {
    /// The app's route table as text; see [`RouteTable`].
    pub fn route_table(&self) -> RouteTable {
        let mut text = String::new();
        write_app(self, "", &mut text).expect("writing to a String cannot fail");
        RouteTable { text }
    }
}

/// Prints the app's route table to stdout and returns true when the program was started with
/// `--print-routes`; returns false otherwise. Call it in `main` before serving:
///
/// ```no_run
/// # fn app() -> peregrine::App { peregrine::App::new() }
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let app = app();
///     if peregrine::print_routes_flag(&app) {
///         return Ok(());
///     }
///     peregrine::run(app, peregrine::server::ServerConfig::from_env()?)?;
///     Ok(())
/// }
/// ```
pub fn print_routes_flag(app: &App) -> bool {
    if !std::env::args().skip(1).any(|a| a == "--print-routes") {
        return false;
    }
    print!("{}", app.route_table());
    true
}

fn write_app(app: &App, indent: &str, out: &mut String) -> fmt::Result {
    if !app.middleware.is_empty() {
        writeln!(
            out,
            "{indent}middleware (process_request in this order, process_response reversed):"
        )?;
        for (i, m) in app.middleware.iter().enumerate() {
            writeln!(out, "{indent}  {}. {}", i + 1, m.name())?;
        }
    }
    writeln!(out, "{indent}routes:")?;
    for (_, target) in app.router.routes() {
        write_target(app, target, &target.route.template, &format!("{indent}  "), out)?;
    }
    if app.router.routes().next().is_none() {
        writeln!(out, "{indent}  (none)")?;
    }
    if !app.sinks.is_empty() {
        writeln!(
            out,
            "{indent}sinks and static routes (tried in this order, after the routes):"
        )?;
        for sink in &app.sinks {
            let kind = if sink.target.route.resource == "peregrine::StaticRoute" {
                "static files"
            } else {
                "sink, every method"
            };
            writeln!(
                out,
                "{indent}  {} -> {} ({kind})",
                sink.matcher.text(),
                sink.target.route.resource
            )?;
            write_route_middleware(app, &sink.target.route.template, &format!("{indent}    "), out)?;
        }
    }
    for (prefix, child) in &app.mounts {
        writeln!(out, "{indent}mounted at {prefix}:")?;
        write_app(child, &format!("{indent}  "), out)?;
    }
    Ok(())
}

fn write_target(app: &App, target: &Target, template: &str, indent: &str, out: &mut String) -> fmt::Result {
    let route = &target.route;
    write!(out, "{indent}{template} -> {}", route.resource)?;
    if !route.suffix.is_empty() {
        write!(out, " (suffix '{}')", route.suffix)?;
    }
    writeln!(out)?;
    let specs = target.resource.responders();
    for (m, name) in METHODS.iter().enumerate() {
        let line = match target.responders[m] {
            Some(i) => {
                let spec = &specs[usize::from(i)];
                let mut line = String::new();
                if !spec.before.is_empty() {
                    write!(line, "  before: {}", spec.before.join(", "))?;
                }
                if !spec.after.is_empty() {
                    write!(line, "  after: {}", spec.after.join(", "))?;
                }
                line
            }
            None if m == methods::HEAD && target.responders[methods::GET].is_some() => "  (as GET)".to_owned(),
            None if m == methods::OPTIONS => "  (default: Allow)".to_owned(),
            None => continue,
        };
        writeln!(out, "{}", format!("{indent}  {name:<7}{line}").trim_end())?;
    }
    write_route_middleware(app, template, &format!("{indent}  "), out)
}

fn write_route_middleware(app: &App, template: &str, indent: &str, out: &mut String) -> fmt::Result {
    let names: Vec<&str> = app
        .route_middleware
        .iter()
        .filter(|(set, _)| set.contains(template))
        .map(|(_, m)| m.name())
        .collect();
    if !names.is_empty() {
        writeln!(out, "{indent}route middleware: {}", names.join(", "))?;
    }
    Ok(())
}
