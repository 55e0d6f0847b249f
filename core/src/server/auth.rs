//! Authentication of a CONNECT against the server's `authorization` options
//! (single user/password, token, or a users list), as Go's auth.go does for
//! the non-JWT, non-NKEY cases. NKEY, JWT and TLS-mapped users come with the
//! security issue.

use crate::options::{Permissions, ServerOptions};

use super::connect::ConnectOptions;

/// The configured ways to authenticate, derived once from the options.
#[derive(Clone, Debug, Default)]
pub struct AuthConfig {
    single: Option<(String, String)>,
    token: Option<String>,
    users: Vec<(String, String, Option<Permissions>)>,
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
        AuthConfig { single, token, users }
    }

    /// True when a client must authenticate (INFO `auth_required`).
    pub fn required(&self) -> bool {
        self.single.is_some() || self.token.is_some() || !self.users.is_empty()
    }

    /// Checks a CONNECT. `Err` carries the reason, for the server log only:
    /// the client always sees `Authorization Violation`.
    pub fn check(&self, c: &ConnectOptions) -> Result<Authenticated, &'static str> {
        if !self.required() {
            return Ok(Authenticated::default());
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

    #[test]
    fn no_auth_configured_accepts_anyone() {
        let a = AuthConfig::from_options(&ServerOptions::default());
        assert!(!a.required());
        assert!(a.check(&connect(None, None, None)).is_ok());
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
        assert!(a.check(&connect(Some("derek"), Some("foo"), None)).is_ok());
        assert!(a.check(&connect(Some("derek"), Some("bar"), None)).is_err());
        assert!(a.check(&connect(None, None, None)).is_err());
    }

    #[test]
    fn token_auth() {
        let opts = ServerOptions { authorization: Some("s3cr3t".into()), ..ServerOptions::default() };
        let a = AuthConfig::from_options(&opts);
        assert!(a.check(&connect(None, None, Some("s3cr3t"))).is_ok());
        assert!(a.check(&connect(None, None, Some("nope"))).is_err());
        assert!(a.check(&connect(None, None, None)).is_err());
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
        let ok = a.check(&connect(Some("a"), Some("pa"), None)).unwrap();
        assert_eq!(ok.permissions, Some(perms));
        assert!(a.check(&connect(Some("b"), Some("pa"), None)).is_err());
        assert!(a.check(&connect(Some("c"), Some("pc"), None)).is_err());
    }
}
