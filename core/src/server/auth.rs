//! Authentication of a CONNECT against the server's `authorization` options
//! (single user/password, token, a users list, NKEY users, and users mapped
//! from a TLS client certificate), as Go's `processClientOrLeafAuthentication`
//! does without JWTs and accounts.

use crate::options::{Permissions, ServerOptions};

use super::connect::ConnectOptions;
use super::nkey::verify_nonce_signature;
use super::tls::TlsInfo;

/// The configured ways to authenticate, derived once from the options.
#[derive(Clone, Debug, Default)]
pub struct AuthConfig {
    single: Option<(String, String)>,
    token: Option<String>,
    users: Vec<(String, String, Option<Permissions>)>,
    /// NKEY users: public key and permissions.
    nkeys: Vec<(String, Option<Permissions>)>,
    /// `verify_and_map`: users come from the client certificate.
    tls_map: bool,
}

/// The outcome of a successful authentication.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Authenticated {
    pub user: Option<String>,
    pub permissions: Option<Permissions>,
}

impl AuthConfig {
    pub fn from_options(opts: &ServerOptions) -> AuthConfig {
        let single = match (&opts.username, &opts.password) {
            (Some(u), p) if !u.is_empty() => Some((u.clone(), p.clone().unwrap_or_default())),
            _ => None,
        };
        let token = opts.authorization.clone().filter(|t| !t.is_empty());
        let users = opts
            .users
            .iter()
            .map(|u| (u.username.clone(), u.password.clone(), u.permissions.clone()))
            .collect();
        let nkeys = opts.nkeys.iter().map(|u| (u.nkey.clone(), u.permissions.clone())).collect();
        AuthConfig { single, token, users, nkeys, tls_map: opts.tls && opts.tls_map }
    }

    /// True when a client must authenticate (INFO `auth_required`).
    pub fn required(&self) -> bool {
        self.single.is_some() || self.token.is_some() || !self.users.is_empty() || !self.nkeys.is_empty()
    }

    /// Go's `nonceRequired`: INFO carries a nonce when NKEY users exist.
    pub fn nonce_required(&self) -> bool {
        !self.nkeys.is_empty()
    }

    /// Checks a CONNECT. `nonce` is the one this connection's INFO carried
    /// and `tls` what its TLS handshake established. `Err` carries the
    /// reason, for the server log only: the client always sees
    /// `Authorization Violation`.
    pub fn check(&self, c: &ConnectOptions, nonce: &[u8], tls: Option<&TlsInfo>) -> Result<Authenticated, &'static str> {
        if !self.required() {
            return Ok(Authenticated::default());
        }
        if let Some(key) = c.nkey.as_deref().filter(|k| !k.is_empty() && !self.nkeys.is_empty()) {
            let Some((nkey, perms)) = self.nkeys.iter().find(|(k, _)| k == key) else {
                return Err("no such nkey user");
            };
            verify_nonce_signature(nkey, nonce, c.sig.as_deref())?;
            return Ok(Authenticated { user: Some(nkey.clone()), permissions: perms.clone() });
        }
        if !self.users.is_empty() && self.tls_map {
            return self.check_tls_mapped(c, tls);
        }
        if !self.users.is_empty() {
            let user = c.user.as_deref().unwrap_or("");
            let pass = c.pass.as_deref().unwrap_or("");
            return match self.users.iter().find(|(u, _, _)| u == user) {
                Some((u, p, perms)) if password_matches(p, pass) => {
                    Ok(Authenticated { user: Some(u.clone()), permissions: perms.clone() })
                }
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
            return Ok(Authenticated { user: Some(u.clone()), permissions: None });
        }
        Err("no credentials")
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
        let found = candidates.iter().find_map(|name| self.users.iter().find(|(u, _, _)| u == name));
        let Some((u, p, perms)) = found else {
            return Err("User required in cert, none found");
        };
        if c.user.as_deref().is_some_and(|x| !x.is_empty()) {
            tracing::warn!("User {:?} found in connect proto, but user required from cert", c.user.as_deref().unwrap_or(""));
        }
        if !password_matches(p, c.pass.as_deref().unwrap_or("")) {
            return Err("password mismatch");
        }
        Ok(Authenticated { user: Some(u.clone()), permissions: perms.clone() })
    }
}

/// Compares a configured password with the one a client sent. Bcrypt hashes
/// (`$2a$`...) are not supported yet: such a password never matches, and the
/// server warns about it at startup.
fn password_matches(configured: &str, given: &str) -> bool {
    if is_bcrypt(configured) {
        return false;
    }
    constant_time_eq(configured.as_bytes(), given.as_bytes())
}

pub fn is_bcrypt(p: &str) -> bool {
    p.starts_with("$2a$") || p.starts_with("$2b$") || p.starts_with("$2y$")
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
