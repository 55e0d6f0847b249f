//! nats-server compatible command-line flags, with the semantics of Go's
//! `flag` package: `-flag` and `--flag` are the same, values are given as
//! `-flag value` or `-flag=value`, boolean flags take no separate value
//! (`-D=false` works), parsing stops at the first non-flag argument or
//! `--`. The config file (`-c`) is loaded first and explicitly given flags
//! override it, as Go's `ConfigureOptions` does.

use rnatsd_core::options::ServerOptions;

use crate::config::load_config_file;

/// What the command line asks for.
#[derive(Debug, PartialEq)]
pub enum Command {
    /// Run a server with these options.
    Run(Box<ServerOptions>),
    /// `-h`, `--help` or the `help` command.
    Help,
    /// `--help_tls`.
    HelpTls,
    /// `-v`, `--version` or the `version` command.
    Version,
    /// `-sl`/`--signal <command>[=<pid or pid file>]`: signal a running server.
    Signal {
        command: String,
        pid: Option<String>,
    },
    /// `-t`: the config file parsed without errors.
    CheckConfig(Box<ServerOptions>),
}

/// Usage text (same flags as nats-server's, our words).
/// `--help_tls`: the TLS keys rnatsd serves.
pub const TLS_USAGE: &str = "\
TLS Server Options:
    tls {
        cert_file: \"./certs/server.pem\"
        key_file: \"./certs/server-key.pem\"
        ca_file: \"./certs/ca.pem\"      # client certificates are checked against it
        verify: true                    # require client certificates
        verify_and_map: true            # client certificate names the user
        timeout: 2                      # handshake timeout, seconds
        handshake_first: false          # TLS before INFO (or \"auto\", or a fallback duration)
        pinned_certs: [\"<hex sha256 of the SubjectPublicKeyInfo>\"]
    }
    allow_non_tls: false                # offer TLS without requiring it

rnatsd uses rustls: cipher suites, curves and minimum version are rustls's safe defaults.";

pub const USAGE: &str = "\
Usage: rnatsd [options]

Server Options:
    -a, --addr, --net <host>         Listen on this host address (default: 0.0.0.0)
    -p, --port <port>                Client port (default: 4222; -1 picks a random port)
    -n, --name
        --server_name <server_name>  Server name (default: generated)
    -P, --pid <file>                 Write the process id to this file
    -m, --http_port <port>           HTTP monitoring port
    -ms,--https_port <port>          HTTPS monitoring port
    -c, --config <file>              Config file
    -t                               Check the config file and exit
    -sl,--signal <signal>[=<pid>]    Signal a running server (ldm, stop, quit, term, reopen, reload);
                                     <pid> is a process id or the path of a pid file
        --client_advertise <string>  Client URL advertised to other servers
        --ports_file_dir <dir>       Write a ports file (<executable_name>_<pid>.ports) in this directory

Logging Options:
    -l, --log <file>                 Log to this file
    -T, --logtime                    Timestamp log lines (default: true)
    -s, --syslog                     Log to syslog
    -r, --remote_syslog <addr>       Remote syslog address (udp://localhost:514)
    -D, --debug                      Debug logging
    -V, --trace                      Trace the raw protocol
    -VV                              Verbose trace (system account too)
    -DV                              Debug and trace
    -DVV                             Debug and verbose trace (system account too)
        --log_size_limit <limit>     Rotate the log file at this size
        --max_traced_msg_len <len>   Longest traced message payload (default: no limit)

JetStream Options:
    -js, --jetstream                 Enable JetStream
    -sd, --store_dir <dir>           JetStream storage directory

Authorization Options:
        --user <user>                Username clients must present
        --pass <password>            Password clients must present
        --auth <token>               Token clients must present

TLS Options:
        --tls                        Enable TLS without verifying clients (default: false)
        --tlscert <file>             Server certificate
        --tlskey <file>              Server private key
        --tlsverify                  Enable TLS and verify client certificates
        --tlscacert <file>           CA for client certificates

Cluster Options:
        --routes <rurl-1, rurl-2>    Routes to connect to
        --cluster <cluster-url>      Cluster URL other servers connect to
        --cluster_name <string>      Cluster name (default: generated)
        --no_advertise <bool>        Do not advertise cluster URLs to clients
        --cluster_advertise <string> Cluster URL advertised to other servers
        --connect_retries <number>   Connect retries for implicit routes
        --cluster_listen <url>       Same as --cluster

Profiling Options:
        --profile <port>             Profiling HTTP port

Common Options:
    -h, --help                       Show this message
    -v, --version                    Show the version
        --help_tls                   TLS help
";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Int,
    Int64,
    Str,
}

/// Every flag Go's ConfigureOptions defines, with its canonical name.
const FLAGS: &[(&str, &str, Kind)] = &[
    ("h", "help", Kind::Bool),
    ("help", "help", Kind::Bool),
    ("port", "port", Kind::Int),
    ("p", "port", Kind::Int),
    ("n", "server_name", Kind::Str),
    ("name", "server_name", Kind::Str),
    ("server_name", "server_name", Kind::Str),
    ("addr", "addr", Kind::Str),
    ("a", "addr", Kind::Str),
    ("net", "addr", Kind::Str),
    ("client_advertise", "client_advertise", Kind::Str),
    ("D", "debug", Kind::Bool),
    ("debug", "debug", Kind::Bool),
    ("V", "trace", Kind::Bool),
    ("trace", "trace", Kind::Bool),
    ("VV", "VV", Kind::Bool),
    ("DV", "DV", Kind::Bool),
    ("DVV", "DVV", Kind::Bool),
    ("T", "logtime", Kind::Bool),
    ("logtime", "logtime", Kind::Bool),
    ("logtime_utc", "logtime_utc", Kind::Bool),
    ("user", "user", Kind::Str),
    ("pass", "pass", Kind::Str),
    ("auth", "auth", Kind::Str),
    ("m", "http_port", Kind::Int),
    ("http_port", "http_port", Kind::Int),
    ("ms", "https_port", Kind::Int),
    ("https_port", "https_port", Kind::Int),
    ("c", "config", Kind::Str),
    ("config", "config", Kind::Str),
    ("t", "t", Kind::Bool),
    ("sl", "signal", Kind::Str),
    ("signal", "signal", Kind::Str),
    ("P", "pid", Kind::Str),
    ("pid", "pid", Kind::Str),
    ("ports_file_dir", "ports_file_dir", Kind::Str),
    ("l", "log", Kind::Str),
    ("log", "log", Kind::Str),
    ("log_size_limit", "log_size_limit", Kind::Int64),
    ("s", "syslog", Kind::Bool),
    ("syslog", "syslog", Kind::Bool),
    ("r", "remote_syslog", Kind::Str),
    ("remote_syslog", "remote_syslog", Kind::Str),
    ("version", "version", Kind::Bool),
    ("v", "version", Kind::Bool),
    ("profile", "profile", Kind::Int),
    ("routes", "routes", Kind::Str),
    ("cluster", "cluster", Kind::Str),
    ("cluster_listen", "cluster", Kind::Str),
    ("cluster_advertise", "cluster_advertise", Kind::Str),
    ("no_advertise", "no_advertise", Kind::Bool),
    ("connect_retries", "connect_retries", Kind::Int),
    ("cluster_name", "cluster_name", Kind::Str),
    ("help_tls", "help_tls", Kind::Bool),
    ("tls", "tls", Kind::Bool),
    ("tlsverify", "tlsverify", Kind::Bool),
    ("tlscert", "tlscert", Kind::Str),
    ("tlskey", "tlskey", Kind::Str),
    ("tlscacert", "tlscacert", Kind::Str),
    ("max_traced_msg_len", "max_traced_msg_len", Kind::Int),
    ("js", "jetstream", Kind::Bool),
    ("jetstream", "jetstream", Kind::Bool),
    ("sd", "store_dir", Kind::Str),
    ("store_dir", "store_dir", Kind::Str),
];

/// A flag value after Go-style conversion.
#[derive(Clone, Debug, PartialEq)]
enum FlagValue {
    Bool(bool),
    Int(i64),
    Str(String),
}

/// The flags given, in order (canonical name, value), and the rest.
struct Parsed {
    set: Vec<(&'static str, FlagValue)>,
    args: Vec<String>,
}

impl Parsed {
    fn last(&self, name: &str) -> Option<&FlagValue> {
        self.set
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    fn bool(&self, name: &str) -> bool {
        matches!(self.last(name), Some(FlagValue::Bool(true)))
    }

    fn str(&self, name: &str) -> Option<&str> {
        match self.last(name) {
            Some(FlagValue::Str(s)) => Some(s),
            _ => None,
        }
    }
}

/// Go's strconv.ParseBool.
fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's strconv.ParseInt(s, 0, 64): sign, then 0x/0o/0b/0 prefixes.
fn parse_int(s: &str) -> Result<i64, &'static str> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.replace('_', ""))
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.replace('_', ""))
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.replace('_', ""))
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].replace('_', ""))
    } else {
        (10, lower.clone())
    };
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return Err("parse error");
    }
    let magnitude = u64::from_str_radix(&digits, radix).map_err(|e| match e.kind() {
        std::num::IntErrorKind::PosOverflow => "value out of range",
        _ => "parse error",
    })?;
    if neg {
        0i64.checked_sub_unsigned(magnitude)
            .ok_or("value out of range")
    } else {
        i64::try_from(magnitude).map_err(|_| "value out of range")
    }
}

/// Go's FlagSet.Parse over `args` (without the program name).
fn parse_flags(args: Vec<String>) -> Result<Parsed, String> {
    let mut set = Vec::new();
    let mut rest = args.into_iter();
    let mut remaining = Vec::new();
    while let Some(s) = rest.next() {
        if s.len() < 2 || !s.starts_with('-') {
            remaining.push(s);
            break;
        }
        let minuses = if s.as_bytes()[1] == b'-' { 2 } else { 1 };
        if minuses == 2 && s.len() == 2 {
            break; // "--" ends the flags
        }
        let spec = &s[minuses..];
        if spec.is_empty() || spec.starts_with(['-', '=']) {
            return Err(format!("bad flag syntax: {s}"));
        }
        let (name, inline) = match spec[1..].find('=') {
            Some(i) => (&spec[..=i], Some(spec[i + 2..].to_string())),
            None => (spec, None),
        };
        let Some(&(_, canonical, kind)) = FLAGS.iter().find(|(n, _, _)| *n == name) else {
            return Err(format!("flag provided but not defined: -{name}"));
        };
        let value = match kind {
            Kind::Bool => {
                let raw = inline.unwrap_or_else(|| "true".to_string());
                match parse_bool(&raw) {
                    Some(b) => FlagValue::Bool(b),
                    None => {
                        return Err(format!(
                            "invalid boolean value \"{raw}\" for -{name}: parse error"
                        ))
                    }
                }
            }
            _ => {
                let raw = match inline.or_else(|| rest.next()) {
                    Some(v) => v,
                    None => return Err(format!("flag needs an argument: -{name}")),
                };
                let invalid =
                    |why: &str| format!("invalid value \"{raw}\" for flag -{name}: {why}");
                match kind {
                    Kind::Int => {
                        let n = parse_int(&raw).map_err(invalid)?;
                        i32::try_from(n).map_err(|_| invalid("value out of range"))?;
                        FlagValue::Int(n)
                    }
                    Kind::Int64 => FlagValue::Int(parse_int(&raw).map_err(invalid)?),
                    _ => FlagValue::Str(raw),
                }
            }
        };
        set.push((canonical, value));
    }
    remaining.extend(rest);
    Ok(Parsed {
        set,
        args: remaining,
    })
}

/// Parses the command line (without the program name), loads the config
/// file if one is given, and applies the flags over it.
pub fn parse_args<I: IntoIterator<Item = String>>(args: I) -> Result<Command, String> {
    let parsed = parse_flags(args.into_iter().collect())?;
    if parsed.bool("version") {
        return Ok(Command::Version);
    }
    if parsed.bool("help") {
        return Ok(Command::Help);
    }
    if parsed.bool("help_tls") {
        return Ok(Command::HelpTls);
    }
    if let Some(arg) = parsed.args.first() {
        return match arg.to_ascii_lowercase().as_str() {
            "version" => Ok(Command::Version),
            "help" => Ok(Command::Help),
            _ => Err(format!("unrecognized command: \"{arg}\"")),
        };
    }
    if let Some(signal) = parsed.str("signal").filter(|s| !s.is_empty()) {
        let parts: Vec<&str> = signal.split('=').collect();
        if parts.len() > 2 {
            return Err(format!(
                "invalid signal parameters: [{}]",
                parts[2..].join(" ")
            ));
        }
        return Ok(Command::Signal {
            command: parts[0].to_string(),
            pid: parts.get(1).map(|p| p.to_string()),
        });
    }
    let check_config = parsed.bool("t");
    let mut opts = ServerOptions::default();
    match parsed.str("config").filter(|c| !c.is_empty()) {
        Some(path) => {
            load_config_file(path, &mut opts)?;
            if check_config {
                return Ok(Command::CheckConfig(Box::new(opts)));
            }
        }
        None if check_config => {
            return Err(
                "must specify [-c, --config] option to check configuration file syntax".to_string(),
            );
        }
        None => {}
    }
    apply_flags(&parsed, &mut opts)?;
    Ok(Command::Run(Box::new(opts)))
}

/// Applies the explicitly given flags over `opts` (Go's second fs.Parse
/// and the special handling that follows it).
fn apply_flags(parsed: &Parsed, o: &mut ServerOptions) -> Result<(), String> {
    let mut tls_override = false;
    let mut tls_disabled = false;
    for (name, value) in &parsed.set {
        let (b, n, s) = match value {
            FlagValue::Bool(b) => (*b, 0, String::new()),
            FlagValue::Int(n) => (false, *n, String::new()),
            FlagValue::Str(s) => (false, 0, s.clone()),
        };
        // Range checked when parsed.
        let n32 = i32::try_from(n).unwrap_or(0);
        match *name {
            "port" => o.port = n32,
            "server_name" => o.server_name = s,
            "addr" => o.host = s,
            "client_advertise" => o.client_advertise = Some(s),
            "debug" => o.debug = b,
            "trace" => o.trace = b,
            "VV" => (o.trace, o.trace_verbose) = (b, b),
            "DV" => (o.trace, o.debug) = (b, b),
            "DVV" => (o.trace, o.debug, o.trace_verbose) = (b, b, b),
            "logtime" => o.logtime = b,
            "logtime_utc" => o.logtime_utc = b,
            "user" => o.username = Some(s),
            "pass" => o.password = Some(s),
            "auth" => o.authorization = Some(s),
            "http_port" => o.http_port = n32,
            "https_port" => o.https_port = n32,
            "pid" => o.pid_file = Some(s),
            "ports_file_dir" => o.ports_file_dir = Some(s),
            "log" => o.log_file = Some(s),
            "log_size_limit" => o.log_size_limit = n,
            "syslog" => o.syslog = b,
            "remote_syslog" => o.remote_syslog = Some(s),
            "profile" => o.prof_port = n32,
            "routes" => o.routes = routes_from_str(&s),
            "cluster" => o.cluster_listen = override_cluster(&s)?,
            "cluster_advertise" => o.cluster_advertise = Some(s),
            "no_advertise" => o.cluster_no_advertise = b,
            "connect_retries" => o.cluster_connect_retries = n32,
            "cluster_name" => o.cluster_name = Some(s),
            "max_traced_msg_len" => o.max_traced_msg_len = n32,
            "jetstream" => o.jetstream.enabled = b,
            "store_dir" => o.jetstream.store_dir = Some(s),
            "tls" => {
                o.tls = b;
                tls_disabled = !b;
                tls_override = b;
            }
            "tlsverify" => {
                o.tls_verify = b;
                tls_override |= !tls_disabled;
            }
            "tlscert" => {
                o.tls_cert = Some(s);
                tls_override |= !tls_disabled;
            }
            "tlskey" => {
                o.tls_key = Some(s);
                tls_override |= !tls_disabled;
            }
            "tlscacert" => {
                o.tls_ca_cert = Some(s);
                tls_override |= !tls_disabled;
            }
            _ => {}
        }
    }
    if tls_override {
        if o.tls_cert.as_deref().is_none_or(str::is_empty) {
            return Err("TLS Server certificate must be present and valid".to_string());
        }
        if o.tls_key.as_deref().is_none_or(str::is_empty) {
            return Err("TLS Server private key must be present and valid".to_string());
        }
        o.tls = true;
    }
    let routes_given = parsed.str("routes").is_some_and(|r| !r.is_empty());
    if routes_given && o.cluster_listen.is_none() {
        return Err("solicited routes require cluster capabilities, e.g. --cluster".to_string());
    }
    Ok(())
}

/// Go's RoutesFromStr: comma separated, trimmed.
fn routes_from_str(s: &str) -> Vec<String> {
    if s.is_empty() {
        return Vec::new();
    }
    s.split(',').map(|r| r.trim().to_string()).collect()
}

/// Go's overrideCluster: `--cluster nats://[user:pass@]host:port` sets the
/// cluster listen address; an empty value disables clustering.
fn override_cluster(url: &str) -> Result<Option<String>, String> {
    if url.is_empty() {
        return Ok(None);
    }
    let Some((_, after_scheme)) = url.split_once("://") else {
        return Err(format!("parse \"{url}\": missing protocol scheme"));
    };
    let authority = after_scheme.split('/').next().unwrap_or_default();
    let hostport = match authority.rsplit_once('@') {
        Some((userinfo, hp)) => {
            if !userinfo.contains(':') {
                return Err("expected cluster password to be set".to_string());
            }
            hp
        }
        None => authority,
    };
    let Some((host, port)) = hostport.rsplit_once(':') else {
        return Err(format!("address {hostport}: missing port in address"));
    };
    let port: i32 = port
        .parse()
        .map_err(|_| format!("expected integer port in cluster URL \"{url}\""))?;
    Ok(Some(format!("{host}:{port}")))
}

/// Options rnatsd parses but cannot honour; startup refuses them. TLS is
/// served (io-tokio); client verification needs an explicit CA file, as
/// rnatsd does not read the system trust store.
pub fn ensure_supported(opts: &ServerOptions) -> Result<(), String> {
    if opts.tls && opts.tls_verify && opts.tls_ca_cert.as_deref().is_none_or(str::is_empty) {
        return Err("TLS client verification (--tlsverify, verify) needs a CA file (--tlscacert, ca_file)".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_parse_int_like_go() {
        assert_eq!(parse_int("4222"), Ok(4222));
        assert_eq!(parse_int("-1"), Ok(-1));
        assert_eq!(parse_int("0x10"), Ok(16));
        assert_eq!(parse_int("010"), Ok(8));
        assert_eq!(parse_int("0b11"), Ok(3));
        assert_eq!(parse_int("abc"), Err("parse error"));
        assert_eq!(parse_int(""), Err("parse error"));
        assert_eq!(parse_int("99999999999999999999"), Err("value out of range"));
    }

    #[test]
    fn test_override_cluster() {
        assert_eq!(
            override_cluster("nats://127.0.0.1:6222"),
            Ok(Some("127.0.0.1:6222".to_string()))
        );
        assert_eq!(
            override_cluster("nats://u:p@0.0.0.0:-1"),
            Ok(Some("0.0.0.0:-1".to_string()))
        );
        assert_eq!(override_cluster(""), Ok(None));
        assert!(override_cluster("nats://u@h:1").is_err());
        assert!(override_cluster("127.0.0.1:6222").is_err());
    }
}
