//! Configuration reload (Go's `Server.ReloadOptions`, reload.go): compare
//! the new options with the running ones, refuse the whole reload if an
//! option Go cannot change live has changed (naming it as Go does:
//! `config reload not supported for Port: old=4222, new=4333`), otherwise
//! apply what changed: limits go to the INFO and to every connection's
//! parser, and an authorization change re-checks every client with the
//! credentials of its CONNECT (Go's `reloadAuthorization`): clients that
//! no longer authenticate are cut with `Authorization Violation`, the
//! others get their new permissions and lose subscriptions those no longer
//! allow.

use std::time::Duration;

use crate::options::{JetStreamOptions, ServerOptions, User};
use crate::time::{Instant, UnixNanos};

use crate::prng::Prng;

use super::accounts::{Accounts, GLOBAL};
use super::auth::AuthConfig;
use super::client::CloseReason;
use super::perms::ClientPermissions;
use super::zfmt::go_duration;
use super::{validate_options, ConnId, Server};

/// How Go's `%v` prints an option value in reload errors.
trait GoValue {
    fn go(&self) -> String;
}

impl GoValue for String {
    fn go(&self) -> String {
        self.clone()
    }
}
impl GoValue for Option<String> {
    fn go(&self) -> String {
        self.clone().unwrap_or_default()
    }
}
impl GoValue for i32 {
    fn go(&self) -> String {
        self.to_string()
    }
}
impl GoValue for i64 {
    fn go(&self) -> String {
        self.to_string()
    }
}
impl GoValue for bool {
    fn go(&self) -> String {
        self.to_string()
    }
}
impl GoValue for Duration {
    fn go(&self) -> String {
        go_duration(*self)
    }
}
impl GoValue for Vec<String> {
    fn go(&self) -> String {
        format!("[{}]", self.join(" "))
    }
}
impl GoValue for JetStreamOptions {
    fn go(&self) -> String {
        self.enabled.to_string()
    }
}
impl GoValue for Vec<User> {
    fn go(&self) -> String {
        format!("[{} users]", self.len())
    }
}

/// Lists every option, so adding one to [`ServerOptions`] fails to compile
/// here until its reload behaviour is decided in [`diff_options`].
#[allow(dead_code)]
fn every_option_is_classified(o: &ServerOptions) {
    let ServerOptions {
        config_file: _, server_name: _, host: _, port: _, client_advertise: _, username: _, password: _,
        authorization: _, users: _, auth_timeout: _, no_auth_user: _, max_conn: _, max_subs: _, max_payload: _,
        max_control_line: _, max_pending: _, ping_interval: _, max_pings_out: _, write_deadline: _,
        no_header_support: _, debug: _, trace: _, trace_verbose: _, logtime: _, logtime_utc: _, log_file: _,
        syslog: _, pid_file: _, ports_file_dir: _, http_host: _, http_port: _, https_port: _, http_base_path: _,
        jetstream: _, cluster_listen: _, cluster_name: _, routes: _, lame_duck_duration: _,
        lame_duck_grace_period: _, log_size_limit: _, max_traced_msg_len: _, remote_syslog: _, trace_headers: _,
        prof_port: _, cluster_advertise: _, cluster_no_advertise: _, cluster_connect_retries: _, tls: _,
        tls_verify: _, tls_cert: _, tls_key: _, tls_ca_cert: _, warnings: _, nkeys: _, tls_map: _,
        tls_timeout: _, tls_handshake_first: _, tls_handshake_first_fallback: _, tls_pinned_certs: _,
        allow_non_tls: _, accounts: _, system_account: _, no_system_account: _, operator: _,
    } = o;
}

/// Go's `diffOptions`: the config keys of the reloadable options that
/// changed, or Go's error for the first one that cannot change.
pub(super) fn diff_options(old: &ServerOptions, new: &ServerOptions) -> Result<Vec<&'static str>, String> {
    let mut changed = Vec::new();
    macro_rules! fixed {
        ($field:ident, $go:literal) => {
            if old.$field != new.$field {
                return Err(format!(
                    "config reload not supported for {}: old={}, new={}",
                    $go,
                    old.$field.go(),
                    new.$field.go()
                ));
            }
        };
    }
    macro_rules! live {
        ($field:ident, $key:literal) => {
            if old.$field != new.$field {
                changed.push($key);
            }
        };
    }
    if old.operator != new.operator {
        return Err("config reload not supported for TrustedOperators".to_string());
    }
    fixed!(server_name, "ServerName");
    fixed!(host, "Host");
    fixed!(port, "Port");
    fixed!(max_subs, "MaxSubs");
    fixed!(max_pending, "MaxPending");
    fixed!(no_header_support, "NoHeaderSupport");
    fixed!(http_host, "HTTPHost");
    fixed!(http_port, "HTTPPort");
    fixed!(https_port, "HTTPSPort");
    fixed!(http_base_path, "HTTPBasePath");
    fixed!(jetstream, "JetStream");
    fixed!(cluster_listen, "Cluster");
    fixed!(cluster_name, "Cluster");
    fixed!(cluster_advertise, "Cluster");
    fixed!(cluster_no_advertise, "Cluster");
    fixed!(cluster_connect_retries, "Cluster");
    fixed!(routes, "Routes");
    fixed!(system_account, "SystemAccount");
    fixed!(no_system_account, "NoSystemAccount");
    fixed!(lame_duck_duration, "LameDuckDuration");
    fixed!(lame_duck_grace_period, "LameDuckGracePeriod");
    fixed!(log_size_limit, "LogSizeLimit");
    fixed!(prof_port, "ProfPort");
    fixed!(tls, "TLSConfig");
    fixed!(tls_verify, "TLSConfig");
    fixed!(tls_cert, "TLSConfig");
    fixed!(tls_key, "TLSConfig");
    fixed!(tls_ca_cert, "TLSConfig");
    // The rest of the TLS block: refused as a whole, like the fields above.
    if old.tls_map != new.tls_map
        || old.tls_timeout != new.tls_timeout
        || old.tls_handshake_first != new.tls_handshake_first
        || old.tls_handshake_first_fallback != new.tls_handshake_first_fallback
        || old.tls_pinned_certs != new.tls_pinned_certs
        || old.allow_non_tls != new.allow_non_tls
    {
        return Err("config reload not supported for TLSConfig".to_string());
    }
    if old.nkeys != new.nkeys {
        changed.push("authorization");
    }
    if old.no_auth_user != new.no_auth_user {
        // Go: only dropping a no_auth_user whose user is gone too is allowed.
        let dropped_with_user = match (&old.no_auth_user, &new.no_auth_user) {
            (Some(o), None) => !new.users.iter().any(|u| &u.username == o),
            _ => false,
        };
        if !dropped_with_user {
            return Err(format!(
                "config reload not supported for NoAuthUser: old={}, new={}",
                old.no_auth_user.go(),
                new.no_auth_user.go()
            ));
        }
        changed.push("no_auth_user");
    }
    live!(client_advertise, "client_advertise");
    live!(username, "username");
    live!(password, "password");
    live!(authorization, "authorization");
    live!(users, "users");
    live!(accounts, "accounts");
    live!(auth_timeout, "auth_timeout");
    live!(max_conn, "max_connections");
    live!(max_payload, "max_payload");
    live!(max_control_line, "max_control_line");
    live!(ping_interval, "ping_interval");
    live!(max_pings_out, "ping_max");
    live!(write_deadline, "write_deadline");
    live!(debug, "debug");
    live!(trace, "trace");
    live!(trace_verbose, "trace_verbose");
    live!(trace_headers, "trace_headers");
    live!(logtime, "logtime");
    live!(logtime_utc, "logtime_utc");
    live!(log_file, "log_file");
    live!(syslog, "syslog");
    live!(remote_syslog, "remote_syslog");
    live!(max_traced_msg_len, "max_traced_msg_len");
    live!(pid_file, "pid_file");
    live!(ports_file_dir, "ports_file_dir");
    Ok(changed)
}

impl Server {
    /// Applies reloaded options (the config file re-read, flags applied
    /// over it, as at startup). On error nothing changes and the error is
    /// Go's text. On success returns the config keys that changed, so the
    /// adapter can apply its part (logging, pid file).
    pub fn handle_reload(
        &mut self,
        now: Instant,
        realtime: UnixNanos,
        mut new: ServerOptions,
    ) -> Result<Vec<&'static str>, String> {
        // A random port (or monitoring port) means "the one bound at start".
        if new.port <= 0 {
            new.port = self.opts.port;
        }
        if new.http_port < 0 {
            new.http_port = self.opts.http_port;
        }
        validate_options(&new)?;
        let changed = diff_options(&self.opts, &new)?;
        // Check the new accounts and users before anything changes.
        AuthConfig::from_options(&new).validate_no_auth_user()?;
        if changed.contains(&"accounts") {
            Accounts::from_options(&new, &mut Prng::from_seed(0))?;
        }
        self.opts = new;
        self.config_time = realtime;
        for key in &changed {
            self.apply_reloaded(key);
        }
        let auth_changed = changed
            .iter()
            .any(|k| matches!(*k, "username" | "password" | "authorization" | "users" | "no_auth_user" | "accounts"));
        if changed.contains(&"accounts") {
            // Validated above; keeps ids and sublists of accounts that stay.
            self.accounts.configure(&self.opts, &mut self.prng)?;
            tracing::info!("Reloaded: accounts");
        }
        if auth_changed {
            self.auth = AuthConfig::from_options(&self.opts);
            self.info.auth_required = self.auth.required();
            self.reload_authorization();
        }
        tracing::info!("Reloaded server configuration");
        self.debug_check();
        let _ = now;
        Ok(changed)
    }

    fn apply_reloaded(&mut self, key: &str) {
        let o = &self.opts;
        match key {
            "username" => tracing::info!("Reloaded: authorization username"),
            "password" => tracing::info!("Reloaded: authorization password"),
            "authorization" => tracing::info!("Reloaded: authorization token"),
            "users" => tracing::info!("Reloaded: authorization users"),
            "auth_timeout" => tracing::info!("Reloaded: authorization timeout = {}", o.auth_timeout.as_secs_f64()),
            "max_connections" => self.reload_max_conn(),
            "max_payload" | "max_control_line" => {
                self.limits.max_payload = usize::try_from(o.max_payload).unwrap_or(0);
                self.limits.max_control_line = usize::try_from(o.max_control_line).unwrap_or(4096);
                self.info.max_payload = o.max_payload;
                let limits = self.limits;
                for c in self.conns.values_mut() {
                    c.parser.set_limits(limits);
                }
                if key == "max_payload" {
                    tracing::info!("Reloaded: max_payload = {}", self.opts.max_payload);
                } else {
                    tracing::info!("Reloaded: max_control_line = {}", self.opts.max_control_line);
                }
            }
            "ping_interval" => tracing::info!("Reloaded: ping_interval = {}", go_duration(o.ping_interval)),
            "ping_max" => tracing::info!("Reloaded: ping_max = {}", o.max_pings_out),
            "write_deadline" => tracing::info!("Reloaded: write_deadline = {}", go_duration(o.write_deadline)),
            "debug" => tracing::info!("Reloaded: debug = {}", o.debug),
            "trace" => tracing::info!("Reloaded: trace = {}", o.trace),
            "trace_verbose" => tracing::info!("Reloaded: trace_verbose = {}", o.trace_verbose),
            "trace_headers" => tracing::info!("Reloaded: trace_headers = {}", o.trace_headers),
            "logtime" => tracing::info!("Reloaded: logtime = {}", o.logtime),
            "logtime_utc" => tracing::info!("Reloaded: logtime_utc = {}", o.logtime_utc),
            "log_file" => tracing::info!("Reloaded: log_file = {}", o.log_file.clone().unwrap_or_default()),
            "syslog" => tracing::info!("Reloaded: syslog = {}", o.syslog),
            "remote_syslog" => tracing::info!("Reloaded: remote_syslog = {}", o.remote_syslog.go()),
            "pid_file" => tracing::info!("Reloaded: pid_file = {}", o.pid_file.go()),
            "ports_file_dir" => tracing::info!("Reloaded: ports_file_dir = {}", o.ports_file_dir.go()),
            "client_advertise" => tracing::info!("Reloaded: client_advertise = {}", o.client_advertise.go()),
            "max_traced_msg_len" => tracing::info!("Reloaded: max_traced_msg_len = {}", o.max_traced_msg_len),
            _ => {}
        }
    }

    /// Go's `maxConnOption.Apply`: close the newest connections beyond
    /// the new limit.
    fn reload_max_conn(&mut self) {
        let max = self.opts.max_conn.max(0) as usize;
        let mut ids = self.open_conn_ids();
        if ids.len() > max && self.opts.max_conn > 0 {
            let excess = ids.len() - max;
            ids.reverse();
            for &id in ids.iter().take(excess) {
                self.send_err(id, "maximum connections exceeded");
                self.close_conn(id, CloseReason::MaxConnectionsExceeded, true);
            }
            tracing::info!("Closed {} connections to fall within max_connections", excess);
        }
        tracing::info!("Reloaded: max_connections = {}", self.opts.max_conn);
    }

    fn open_conn_ids(&self) -> Vec<ConnId> {
        let mut ids: Vec<ConnId> = self.conns.values().filter(|c| !c.is_closing()).map(|c| c.id).collect();
        ids.sort_unstable();
        ids
    }

    /// Go's `reloadAuthorization` for plain (non-JWT) authorization.
    /// A client whose user is gone, whose credentials no longer pass, or
    /// whose user now belongs to another account (or to a removed one) is
    /// cut; the others get their new permissions.
    fn reload_authorization(&mut self) {
        for id in self.open_conn_ids() {
            let Some(c) = self.conns.get_mut(&id) else { continue };
            if c.jwt.is_some() {
                continue; // Operator mode: JWT users follow their account JWT.
            }
            if !self.auth.required() {
                if c.acc != GLOBAL {
                    self.auth_violation(id, "account no longer configured");
                }
                continue;
            }
            let who = match self.auth.check(&c.opts, c.nonce.as_bytes(), c.tls.as_ref()) {
                Ok(who) => who,
                Err(why) => {
                    self.auth_violation(id, why);
                    continue;
                }
            };
            let acc = match who.account.as_deref() {
                None => Some(GLOBAL),
                Some(name) => self.accounts.lookup(name),
            };
            if acc != Some(c.acc) {
                self.auth_violation(id, "account changed on reload");
                continue;
            }
            c.user = who.user;
            c.perms = who.permissions.as_ref().map(ClientPermissions::new);
            self.remove_unauthorized_subs(id);
        }
    }

    /// Go's `processSubsOnConfigReload`: drop the subscriptions the new
    /// permissions no longer allow, telling the client.
    fn remove_unauthorized_subs(&mut self, id: ConnId) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        let Some(perms) = c.perms.as_mut() else { return };
        let mut denied = Vec::new();
        for (sid, r) in &c.subs {
            if let Some(s) = self.subs.get(*r) {
                if !perms.can_subscribe(&s.subject, s.queue.as_deref()) {
                    denied.push((sid.clone(), s.subject.clone(), s.queue.clone()));
                }
            }
        }
        denied.sort();
        let user = c.user.clone().unwrap_or_default();
        for (sid, subject, queue) in denied {
            self.remove_sub(id, &sid);
            let (subj, sid_s) = (String::from_utf8_lossy(&subject), String::from_utf8_lossy(&sid));
            let text = match &queue {
                Some(q) => format!(
                    "Permissions Violation for Subscription to \"{subj}\" using queue \"{}\" (sid \"{sid_s}\")",
                    String::from_utf8_lossy(q)
                ),
                None => format!("Permissions Violation for Subscription to \"{subj}\" (sid \"{sid_s}\")"),
            };
            tracing::info!("Removed sub \"{}\" (sid \"{}\") for user \"{}\" - not authorized", subj, sid_s, user);
            self.send_err(id, &text);
        }
    }
}
