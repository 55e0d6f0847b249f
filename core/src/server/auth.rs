//! Authentication of a CONNECT against the server's `authorization` options
//! (single user/password, token, a users list, NKEY users, and users mapped
//! from a TLS client certificate, users of the `accounts {}` block, and the
//! `no_auth_user`), as Go's `processClientOrLeafAuthentication` does
//! without JWTs.

use crate::options::{Permissions, ServerOptions};

use super::connect::ConnectOptions;
use super::nkey::verify_nonce_signature;
use super::tls::TlsInfo;

/// The configured ways to authenticate, derived once from the options.
#[derive(Clone, Debug, Default)]
pub struct AuthConfig {
    single: Option<(String, String)>,
    token: Option<String>,
    users: Vec<UserEntry>,
    /// NKEY users: public key, permissions and account.
    nkeys: Vec<(String, Option<Permissions>, Option<String>)>,
    /// `verify_and_map`: users come from the client certificate.
    tls_map: bool,
    /// `no_auth_user`: who a client without credentials is.
    no_auth_user: Option<String>,
    /// Operator mode: every client authenticates with a user JWT.
    operator: bool,
}

/// A user with a password: name, password (plain or bcrypt), permissions,
/// and the account it is bound to (None: `$G`).
#[derive(Clone, Debug)]
struct UserEntry {
    name: String,
    pass: String,
    perms: Option<Permissions>,
    account: Option<String>,
}

/// The outcome of a successful authentication.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Authenticated {
    pub user: Option<String>,
    pub permissions: Option<Permissions>,
    /// The account the user belongs to; None is the global account.
    pub account: Option<String>,
}

impl AuthConfig {
    pub fn from_options(opts: &ServerOptions) -> AuthConfig {
        let single = match (&opts.username, &opts.password) {
            (Some(u), p) if !u.is_empty() => Some((u.clone(), p.clone().unwrap_or_default())),
            _ => None,
        };
        let token = opts.authorization.clone().filter(|t| !t.is_empty());
        let mut users: Vec<UserEntry> = opts
            .users
            .iter()
            .map(|u| UserEntry {
                name: u.username.clone(),
                pass: u.password.clone(),
                perms: u.permissions.clone(),
                account: None,
            })
            .collect();
        let mut nkeys: Vec<_> = opts.nkeys.iter().map(|u| (u.nkey.clone(), u.permissions.clone(), None)).collect();
        for a in &opts.accounts {
            for u in &a.users {
                users.push(UserEntry {
                    name: u.username.clone(),
                    pass: u.password.clone(),
                    perms: u.permissions.clone(),
                    account: Some(a.name.clone()),
                });
            }
            for u in &a.nkeys {
                nkeys.push((u.nkey.clone(), u.permissions.clone(), Some(a.name.clone())));
            }
        }
        let no_auth_user = opts.no_auth_user.clone().filter(|u| !u.is_empty());
        let operator = opts.operator.as_ref().is_some_and(|o| o.is_operator_mode());
        AuthConfig { single, token, users, nkeys, tls_map: opts.tls && opts.tls_map, no_auth_user, operator }
    }

    /// Go's `validateNoAuthUser`: the `no_auth_user` must be a configured
    /// user or NKEY.
    pub fn validate_no_auth_user(&self) -> Result<(), String> {
        let Some(n) = &self.no_auth_user else { return Ok(()) };
        if self.users.is_empty() && self.nkeys.is_empty() {
            return Err(format!("no_auth_user: \"{n}\" present, but users/nkeys are not defined"));
        }
        if self.users.iter().any(|u| &u.name == n) || self.nkeys.iter().any(|k| &k.0 == n) {
            return Ok(());
        }
        Err(format!(
            "no_auth_user: \"{n}\" not present as user or nkey in authorization block or account configuration"
        ))
    }

    /// True when a client must authenticate (INFO `auth_required`).
    pub fn required(&self) -> bool {
        self.operator
            || self.single.is_some()
            || self.token.is_some()
            || !self.users.is_empty()
            || !self.nkeys.is_empty()
    }

    /// Go's `nonceRequired`: INFO carries a nonce when NKEY users exist.
    pub fn nonce_required(&self) -> bool {
        self.operator || !self.nkeys.is_empty()
    }

    /// Checks a CONNECT. `nonce` is the one this connection's INFO carried
    /// and `tls` what its TLS handshake established. `Err` carries the
    /// reason, for the server log only: the client always sees
    /// `Authorization Violation`.
    pub fn check(&self, c: &ConnectOptions, nonce: &[u8], tls: Option<&TlsInfo>) -> Result<Authenticated, &'static str> {
        if !self.required() {
            return Ok(Authenticated::default());
        }
        if let Some(who) = self.check_no_auth_user(c) {
            return Ok(who);
        }
        if let Some(key) = c.nkey.as_deref().filter(|k| !k.is_empty() && !self.nkeys.is_empty()) {
            let Some((nkey, perms, account)) = self.nkeys.iter().find(|(k, _, _)| k == key) else {
                return Err("no such nkey user");
            };
            verify_nonce_signature(nkey, nonce, c.sig.as_deref())?;
            return Ok(Authenticated { user: Some(nkey.clone()), permissions: perms.clone(), account: account.clone() });
        }
        if !self.users.is_empty() && self.tls_map {
            return self.check_tls_mapped(c, tls);
        }
        if !self.users.is_empty() {
            let user = c.user.as_deref().unwrap_or("");
            let pass = c.pass.as_deref().unwrap_or("");
            return match self.users.iter().find(|u| u.name == user) {
                Some(u) if password_matches(&u.pass, pass) => Ok(u.authenticated()),
                Some(_) => Err("password mismatch"),
                None => Err("no such user"),
            };
        }
        if let Some(token) = &self.token {
            return match c.auth_token.as_deref() {
                Some(t) if constant_time_eq(t.as_bytes(), token.as_bytes()) => Ok(Authenticated::default()),
                Some(_) => Err("token mismatch"),
                None => Err("missing token"),
            };
        }
        if let Some((u, p)) = &self.single {
            let user = c.user.as_deref().unwrap_or("");
            let pass = c.pass.as_deref().unwrap_or("");
            if user != u {
                return Err("user mismatch");
            }
            if !password_matches(p, pass) {
                return Err("password mismatch");
            }
            return Ok(Authenticated { user: Some(u.clone()), permissions: None, account: None });
        }
        Err("no credentials")
    }

    /// Go: a client that sent no user, password, token or NKEY is the
    /// `no_auth_user`, without a password check.
    fn check_no_auth_user(&self, c: &ConnectOptions) -> Option<Authenticated> {
        let n = self.no_auth_user.as_deref()?;
        let empty = |s: &Option<String>| s.as_deref().is_none_or(str::is_empty);
        if !(empty(&c.user) && empty(&c.pass) && empty(&c.auth_token) && empty(&c.nkey)) {
            return None;
        }
        if let Some((k, perms, account)) = self.nkeys.iter().find(|(k, _, _)| k == n) {
            return Some(Authenticated { user: Some(k.clone()), permissions: perms.clone(), account: account.clone() });
        }
        self.users.iter().find(|u| u.name == n).map(UserEntry::authenticated)
    }

    /// Go's `checkClientTLSCertSubject` with the users-map lookup: the
    /// first certificate name (emails, DNS names, URIs, subject) that is a
    /// configured user is that user. A client-sent password must match the
    /// user's (usually both are empty).
    fn check_tls_mapped(&self, c: &ConnectOptions, tls: Option<&TlsInfo>) -> Result<Authenticated, &'static str> {
        let Some(cert) = tls.and_then(|t| t.peer_cert.as_ref()) else {
            return Err("User required in cert, no peer certificates found");
        };
        let candidates = cert.map_candidates();
        let found = candidates.iter().find_map(|name| self.users.iter().find(|u| &u.name == name));
        let Some(u) = found else {
            return Err("User required in cert, none found");
        };
        if c.user.as_deref().is_some_and(|x| !x.is_empty()) {
            tracing::warn!("User {:?} found in connect proto, but user required from cert", c.user.as_deref().unwrap_or(""));
        }
        if !password_matches(&u.pass, c.pass.as_deref().unwrap_or("")) {
            return Err("password mismatch");
        }
        Ok(u.authenticated())
    }
}

impl UserEntry {
    fn authenticated(&self) -> Authenticated {
        Authenticated { user: Some(self.name.clone()), permissions: self.perms.clone(), account: self.account.clone() }
    }
}

/// Go's `comparePasswords`: a configured bcrypt hash (`$2a$`, `$2b$`,
/// ...) is checked with bcrypt, anything else compared in constant time.
fn password_matches(configured: &str, given: &str) -> bool {
    if is_bcrypt(configured) {
        return bcrypt::verify(given, configured).unwrap_or(false);
    }
    constant_time_eq(configured.as_bytes(), given.as_bytes())
}

/// Go's `isBcrypt`: `$2` then a version letter, `$`, and two cost digits.
pub fn is_bcrypt(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() > 7
        && b.starts_with(b"$2")
        && matches!(b[2], b'a' | b'b' | b'x' | b'y')
        && b[3] == b'$'
        && b[4].is_ascii_digit()
        && b[5].is_ascii_digit()
        && b[6] == b'$'
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::User;

    fn connect(user: Option<&str>, pass: Option<&str>, token: Option<&str>) -> ConnectOptions {
        ConnectOptions {
            user: user.map(String::from),
            pass: pass.map(String::from),
            auth_token: token.map(String::from),
            ..ConnectOptions::default()
        }
    }

    impl AuthConfig {
        fn check_plain(&self, c: &ConnectOptions) -> Result<Authenticated, &'static str> {
            self.check(c, b"", None)
        }
    }

    #[test]
    fn no_auth_configured_accepts_anyone() {
        let a = AuthConfig::from_options(&ServerOptions::default());
        assert!(!a.required());
        assert!(a.check_plain(&connect(None, None, None)).is_ok());
    }

    #[test]
    fn single_user_password() {
        let opts = ServerOptions {
            username: Some("derek".into()),
            password: Some("foo".into()),
            ..ServerOptions::default()
        };
        let a = AuthConfig::from_options(&opts);
        assert!(a.required());
        assert!(a.check_plain(&connect(Some("derek"), Some("foo"), None)).is_ok());
        assert!(a.check_plain(&connect(Some("derek"), Some("bar"), None)).is_err());
        assert!(a.check_plain(&connect(None, None, None)).is_err());
    }

    #[test]
    fn token_auth() {
        let opts = ServerOptions { authorization: Some("s3cr3t".into()), ..ServerOptions::default() };
        let a = AuthConfig::from_options(&opts);
        assert!(a.check_plain(&connect(None, None, Some("s3cr3t"))).is_ok());
        assert!(a.check_plain(&connect(None, None, Some("nope"))).is_err());
        assert!(a.check_plain(&connect(None, None, None)).is_err());
    }

    #[test]
    fn users_list_carries_permissions() {
        let perms = Permissions::default();
        let opts = ServerOptions {
            users: vec![
                User { username: "a".into(), password: "pa".into(), permissions: Some(perms.clone()) },
                User { username: "b".into(), password: "pb".into(), permissions: None },
            ],
            ..ServerOptions::default()
        };
        let a = AuthConfig::from_options(&opts);
        let ok = a.check_plain(&connect(Some("a"), Some("pa"), None)).unwrap();
        assert_eq!(ok.permissions, Some(perms));
        assert!(a.check_plain(&connect(Some("b"), Some("pa"), None)).is_err());
        assert!(a.check_plain(&connect(Some("c"), Some("pc"), None)).is_err());
    }
}
