//! Reading a [`ServerConfig`] from `PEREGRINE_*` environment variables: one table row per variable, each
//! handing its value to the public setter, so a setting's default and rules live only on the setter.

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use super::config::{BindAddr, ConfigError, ServerConfig, ADDR_EXPECTED};

impl ServerConfig {
    /// The defaults, overridden by every `PEREGRINE_*` variable that is set (the table above: sizes in bytes,
    /// times in milliseconds, rates in bytes per second, switches as `1`/`0`, `true`/`false`, `on`/`off`).
    /// Setters called on the result override the variables in turn. When `PEREGRINE_ADDR` is unset and
    /// `PORT` is set (as container platforms do), the server listens on `0.0.0.0:$PORT`.
    ///
    /// # Errors
    /// When a variable is set to something that does not parse; the error names it.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`from_env`](Self::from_env), reading variables through `lookup` (for tests and other sources).
    ///
    /// # Errors
    /// When a variable is set to something that does not parse; the error names it.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut c = Self::default();
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        for variable in VARIABLES {
            if let Some(value) = get(variable.name) {
                c = (variable.set)(c, value.trim())
                    .map_err(|expected| ConfigError::new(variable.name, &value, expected))?;
            }
        }
        if get("PEREGRINE_ADDR").is_none() {
            if let Some(port) = get("PORT") {
                let port: u16 = number(&port, "a port number").map_err(|e| ConfigError::new("PORT", &port, e))?;
                c.addrs = vec![BindAddr::Tcp(SocketAddr::from(([0, 0, 0, 0], port)))];
            }
        }
        match (get("PEREGRINE_TLS_CERT"), get("PEREGRINE_TLS_KEY")) {
            (Some(cert), Some(key)) => c = c.tls(cert, key),
            (None, None) => {}
            (Some(_), None) => {
                return Err(ConfigError::new(
                    "PEREGRINE_TLS_KEY",
                    "",
                    "a key file beside PEREGRINE_TLS_CERT",
                ))
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "PEREGRINE_TLS_CERT",
                    "",
                    "a certificate file beside PEREGRINE_TLS_KEY",
                ))
            }
        }
        Ok(c)
    }
}

/// One `PEREGRINE_*` variable: its name, and which setter its (trimmed, non-empty) value goes to; `Err`
/// holds what was expected instead.
struct Variable {
    name: &'static str,
    set: fn(ServerConfig, &str) -> Result<ServerConfig, &'static str>,
}

/// Every variable [`ServerConfig::from_lookup`] reads but `PORT` and the TLS pair, which are read together.
const VARIABLES: &[Variable] = &[
    Variable {
        name: "PEREGRINE_ADDR",
        set: |mut c, v| {
            c.addrs = v
                .split(',')
                .map(|a| a.trim().parse().map_err(|_| ADDR_EXPECTED))
                .collect::<Result<_, _>>()?;
            Ok(c)
        },
    },
    Variable {
        name: "PEREGRINE_WORKERS",
        // 0 is refused, not read as "every core": `workers(1)` would select the single-threaded scheduler.
        set: |c, v| match number(v, "a number of threads, at least 1")? {
            0 => Err("a number of threads, at least 1"),
            n => Ok(c.workers(n)),
        },
    },
    Variable {
        name: "PEREGRINE_PER_CORE",
        set: |c, v| Ok(c.per_core(flag(v)?)),
    },
    Variable {
        name: "PEREGRINE_IO_EVENTS_PER_TICK",
        set: |c, v| Ok(c.io_events_per_tick(number(v, "a number")?)),
    },
    Variable {
        name: "PEREGRINE_MAX_CONNECTIONS",
        set: |c, v| Ok(c.max_connections(number(v, "a number")?)),
    },
    Variable {
        name: "PEREGRINE_MAX_CONCURRENT_REQUESTS",
        set: |c, v| Ok(c.max_concurrent_requests(number::<usize>(v, "a number (0 for no limit)")?)),
    },
    Variable {
        name: "PEREGRINE_ADAPTIVE_CONCURRENCY",
        set: |c, v| Ok(c.adaptive_concurrency(flag(v)?)),
    },
    Variable {
        name: "PEREGRINE_RETRY_AFTER_SECS",
        set: |c, v| Ok(c.retry_after(Duration::from_secs(number(v, "whole seconds")?))),
    },
    Variable {
        name: "PEREGRINE_HEADER_READ_TIMEOUT_MS",
        set: |c, v| Ok(c.header_read_timeout(millis(v)?)),
    },
    Variable {
        name: "PEREGRINE_REQUEST_TIMEOUT_MS",
        set: |c, v| Ok(c.request_timeout(millis(v)?)),
    },
    Variable {
        name: "PEREGRINE_DRAIN_TIMEOUT_MS",
        set: |c, v| Ok(c.drain_timeout(millis(v)?.unwrap_or(Duration::ZERO))),
    },
    Variable {
        name: "PEREGRINE_KEEP_ALIVE",
        set: |c, v| Ok(c.keep_alive(flag(v)?)),
    },
    Variable {
        name: "PEREGRINE_MAX_HEADER_SIZE",
        set: |c, v| Ok(c.max_header_size(number(v, "a number of bytes")?)),
    },
    Variable {
        name: "PEREGRINE_MAX_REQUEST_TARGET_SIZE",
        set: |c, v| Ok(c.max_request_target_size(number(v, "a number of bytes")?)),
    },
    Variable {
        name: "PEREGRINE_MAX_HEADERS",
        set: |c, v| Ok(c.max_headers(number(v, "a number")?)),
    },
    Variable {
        name: "PEREGRINE_MAX_BODY_SIZE",
        set: |c, v| Ok(c.max_body_size(number(v, "a number of bytes")?)),
    },
    Variable {
        name: "PEREGRINE_BODY_READ_TIMEOUT_MS",
        set: |c, v| Ok(c.body_read_timeout(millis(v)?)),
    },
    Variable {
        name: "PEREGRINE_MIN_BODY_RATE",
        set: |c, v| Ok(c.min_body_rate(number(v, "a number of bytes per second")?)),
    },
    Variable {
        name: "PEREGRINE_MAX_BODY_MEMORY",
        set: |c, v| Ok(c.max_body_memory(number(v, "a number of bytes")?)),
    },
    Variable {
        name: "PEREGRINE_PIPELINE_FLUSH",
        set: |c, v| Ok(c.pipeline_flush(flag(v)?)),
    },
    Variable {
        name: "PEREGRINE_HTTP2",
        set: |c, v| Ok(c.http2(flag(v)?)),
    },
    Variable {
        name: "PEREGRINE_H2_MAX_STREAMS",
        set: |c, v| Ok(c.h2_max_concurrent_streams(number(v, "a number")?)),
    },
    Variable {
        name: "PEREGRINE_H2_MAX_PENDING_RESETS",
        set: |c, v| Ok(c.h2_max_pending_reset_streams(number(v, "a number")?)),
    },
];

fn number<T: FromStr>(value: &str, expected: &'static str) -> Result<T, &'static str> {
    value.trim().parse().map_err(|_| expected)
}

fn millis(value: &str) -> Result<Option<Duration>, &'static str> {
    let ms: u64 = number(value, "milliseconds (0 for no limit)")?;
    Ok((ms > 0).then(|| Duration::from_millis(ms)))
}

fn flag(value: &str) -> Result<bool, &'static str> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("true or false"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::config::RequestTimeout;
    use std::path::PathBuf;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn reads_every_kind_of_variable() {
        let c = ServerConfig::from_lookup(env(&[
            ("PEREGRINE_ADDR", "[::1]:9000, unix:/tmp/p.sock"),
            ("PEREGRINE_MAX_CONCURRENT_REQUESTS", "0"),
            ("PEREGRINE_HEADER_READ_TIMEOUT_MS", "2500"),
            ("PEREGRINE_REQUEST_TIMEOUT_MS", "0"),
            ("PEREGRINE_HTTP2", "on"),
            ("PEREGRINE_ADAPTIVE_CONCURRENCY", "yes"),
            ("PEREGRINE_IO_EVENTS_PER_TICK", "0"),
        ]))
        .unwrap();
        assert_eq!(
            c.addrs,
            vec![
                BindAddr::Tcp("[::1]:9000".parse().unwrap()),
                BindAddr::Unix("/tmp/p.sock".into())
            ]
        );
        assert_eq!(c.max_concurrent_requests, None);
        assert_eq!(c.header_read_timeout, Some(Duration::from_millis(2500)));
        assert_eq!(c.request_timeout, RequestTimeout::Replace(None));
        assert!(c.http2);
        assert!(c.adaptive_concurrency);
        assert_eq!(c.io_events_per_tick, 1, "a poll takes at least one event");
    }

    #[test]
    fn unset_variables_keep_the_defaults() {
        let c = ServerConfig::from_lookup(env(&[])).unwrap();
        assert_eq!(c.max_concurrent_requests, Some(1024));
        assert_eq!(c.request_timeout, RequestTimeout::App);
        assert_eq!(c.io_events_per_tick, 61);
        assert_eq!(c.addrs, ServerConfig::new().addrs);
    }

    #[test]
    fn workers_0_is_refused_rather_than_taken_for_1() {
        let e = ServerConfig::from_lookup(env(&[("PEREGRINE_WORKERS", "0")])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "PEREGRINE_WORKERS is '0'; expected a number of threads, at least 1"
        );
        let c = ServerConfig::from_lookup(env(&[("PEREGRINE_WORKERS", "1")])).unwrap();
        assert_eq!(c.workers, Some(1));
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let e = ServerConfig::from_lookup(env(&[("PEREGRINE_KEEP_ALIVE", "maybe")])).unwrap_err();
        assert_eq!(e.to_string(), "PEREGRINE_KEEP_ALIVE is 'maybe'; expected true or false");
        let e = ServerConfig::from_lookup(env(&[("PEREGRINE_ADDR", "localhost")])).unwrap_err();
        assert!(e.to_string().starts_with("PEREGRINE_ADDR is 'localhost'"), "{e}");
        let e = ServerConfig::from_lookup(env(&[("PEREGRINE_TLS_CERT", "/c.pem")])).unwrap_err();
        assert!(e.to_string().starts_with("PEREGRINE_TLS_KEY"), "{e}");
        let c = ServerConfig::from_lookup(env(&[
            ("PEREGRINE_TLS_CERT", "/c.pem"),
            ("PEREGRINE_TLS_KEY", "/k.pem"),
        ]));
        assert_eq!(c.unwrap().tls.unwrap().key, PathBuf::from("/k.pem"));
    }

    #[test]
    fn port_is_honoured_when_peregrine_addr_is_unset() {
        let c = ServerConfig::from_lookup(env(&[("PORT", "9090")])).unwrap();
        assert_eq!(c.addrs, vec![BindAddr::Tcp("0.0.0.0:9090".parse().unwrap())]);
        let c = ServerConfig::from_lookup(env(&[("PORT", "9090"), ("PEREGRINE_ADDR", "127.0.0.1:1")])).unwrap();
        assert_eq!(c.addrs, vec![BindAddr::Tcp("127.0.0.1:1".parse().unwrap())]);
        let e = ServerConfig::from_lookup(env(&[("PORT", "http")])).unwrap_err();
        assert_eq!(e.to_string(), "PORT is 'http'; expected a port number");
    }

    #[test]
    fn every_variable_is_in_the_documented_table() {
        let source = include_str!("config.rs");
        let table = &source[..source.find("pub struct ServerConfig").unwrap()];
        for v in VARIABLES {
            assert!(
                table.contains(&format!("`{}`", v.name)),
                "{} is read but not in the table",
                v.name
            );
        }
    }
}
