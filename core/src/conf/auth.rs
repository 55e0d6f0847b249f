//! The `authorization {}` block: users, passwords, tokens and permissions.
//! A port of Go's opts.go parseAuthorization, parseUsers,
//! parseUserPermissions and their helpers.

use std::time::Duration;

use super::apply::{
    auth_timeout, conv_err, go_fmt_v, int, nanos_to_duration, string, unknown_field, Applier,
};
use super::duration::{go_quote, parse_duration};
use super::value::{ConfError, Kind, Value};
use crate::options::{NkeyUser, Permissions, ResponsePermission, ServerOptions, SubjectPermission, User};
use crate::server::nkey::is_valid_public_user_key;

/// const.go DEFAULT_ALLOW_RESPONSE_MAX_MSGS.
pub const DEFAULT_ALLOW_RESPONSE_MAX_MSGS: i32 = 1;
/// const.go DEFAULT_ALLOW_RESPONSE_EXPIRATION (2 min).
pub const DEFAULT_ALLOW_RESPONSE_EXPIRATION: Duration = Duration::from_secs(120);

#[derive(Default)]
struct Authorization {
    user: String,
    pass: String,
    token: String,
    timeout: f64,
    /// Some when a `users` array was present, even if empty (as Go).
    users: Option<Vec<User>>,
    nkeys: Vec<NkeyUser>,
    default_permissions: Option<Permissions>,
}

impl Applier {
    pub(crate) fn apply_authorization(
        &mut self,
        v: &Value,
        o: &mut ServerOptions,
    ) -> Result<(), ConfError> {
        let mut auth = self.parse_authorization(v)?;
        o.username = Some(auth.user.clone()).filter(|s| !s.is_empty());
        o.password = Some(auth.pass.clone()).filter(|s| !s.is_empty());
        o.authorization = Some(auth.token.clone()).filter(|s| !s.is_empty());
        o.auth_timeout = auth_timeout(auth.timeout);
        if (!auth.user.is_empty() || !auth.pass.is_empty()) && !auth.token.is_empty() {
            return Err(ConfError::at(v, "Cannot have a user/pass and token"));
        }
        for (i, u) in auth.nkeys.iter().enumerate() {
            let dup = o.nkeys.iter().chain(&auth.nkeys[..i]).any(|x| x.nkey == u.nkey)
                || o.users.iter().any(|x| x.username == u.nkey);
            if dup {
                return Err(ConfError::at(v, format!("Duplicate nkey {} detected", go_quote(&u.nkey))));
            }
        }
        let nkeys = std::mem::take(&mut auth.nkeys);
        let Some(users) = auth.users else {
            o.nkeys.extend(nkeys);
            return Ok(());
        };
        if !auth.user.is_empty() {
            return Err(ConfError::at(
                v,
                "Can not have a single user/pass and a users array",
            ));
        }
        if !auth.token.is_empty() {
            return Err(ConfError::at(v, "Can not have a token and a users array"));
        }
        for u in &users {
            if o.users.iter().any(|x| x.username == u.username) {
                return Err(ConfError::at(
                    v,
                    format!("Duplicate user {} detected", go_quote(&u.username)),
                ));
            }
            o.users.push(u.clone());
        }
        o.nkeys.extend(nkeys);
        Ok(())
    }

    fn parse_authorization(&mut self, v: &Value) -> Result<Authorization, ConfError> {
        let Some(am) = v.as_map() else {
            return Err(conv_err(v, "map[string]interface {}"));
        };
        let mut auth = Authorization::default();
        for (mk, mv) in am.iter() {
            match mk.to_ascii_lowercase().as_str() {
                "user" | "username" => auth.user = string(mv)?,
                "pass" | "password" => auth.pass = string(mv)?,
                "token" => auth.token = string(mv)?,
                "timeout" => auth.timeout = self.parse_auth_timeout(mk, mv)?,
                "users" => match self.parse_users(mv) {
                    Ok((users, nkeys)) => {
                        auth.users = Some(users);
                        auth.nkeys = nkeys;
                    }
                    Err(e) => self.errors.push(e),
                },
                "default_permission" | "default_permissions" | "permissions" => {
                    match self.parse_user_permissions(mv) {
                        Ok(p) => auth.default_permissions = Some(p),
                        Err(e) => self.errors.push(e),
                    }
                }
                "auth_callout" | "auth_hook" | "proxy_required" => self.warn_unsupported(mk, mv),
                _ => {
                    if !mv.used_variable {
                        self.errors.push(unknown_field(mk, mv));
                    }
                }
            }
        }
        // Users without permissions get the default ones.
        if let (Some(users), Some(defaults)) =
            (auth.users.as_mut(), auth.default_permissions.as_ref())
        {
            for u in users.iter_mut().filter(|u| u.permissions.is_none()) {
                u.permissions = Some(defaults.clone());
            }
        }
        if let Some(defaults) = auth.default_permissions.as_ref() {
            for u in auth.nkeys.iter_mut().filter(|u| u.permissions.is_none()) {
                u.permissions = Some(defaults.clone());
            }
        }
        Ok(auth)
    }

    fn parse_auth_timeout(&mut self, mk: &str, mv: &Value) -> Result<f64, ConfError> {
        let at = match &mv.kind {
            Kind::Integer(n) => *n as f64,
            Kind::Float(f) => *f,
            Kind::String(s) => match parse_duration(s) {
                Ok(n) => n as f64 / 1e9,
                Err(e) => {
                    let msg = format!("error parsing authorization config, 'timeout' {e}");
                    return Err(ConfError::at(mv, msg));
                }
            },
            _ => {
                return Err(ConfError::at(
                    mv,
                    "error parsing authorization config, 'timeout' wrong type",
                ))
            }
        };
        if at > 60.0 {
            let reason = format!(
                "timeout of {} ({:.6} seconds) is high, consider keeping it under 60 seconds. \
                 possibly caused by unquoted duration; use '1m' instead of 1m, for example",
                go_fmt_v(&mv.kind),
                at
            );
            self.warn(mv, mk, &reason);
        }
        Ok(at)
    }

    /// Go's `parseUsers`: the plain users and the NKEY users.
    pub(super) fn parse_users(&mut self, mv: &Value) -> Result<(Vec<User>, Vec<NkeyUser>), ConfError> {
        let Some(uv) = mv.as_array() else {
            let msg = format!(
                "Expected users field to be an array, got {}",
                go_fmt_v(&mv.kind)
            );
            return Err(ConfError::at(mv, msg));
        };
        let mut users = Vec::new();
        let mut nkeys = Vec::new();
        for u in uv {
            let Some(um) = u.as_map() else {
                let msg = format!(
                    "Expected user entry to be a map/struct, got {}",
                    go_fmt_v(&u.kind)
                );
                self.errors.push(ConfError::at(u, msg));
                continue;
            };
            let mut user = User::default();
            let mut nkey = String::new();
            let mut last = u;
            for (k, v) in um.iter() {
                last = v;
                match k.to_ascii_lowercase().as_str() {
                    "nkey" => nkey = string(v)?,
                    "user" | "username" => user.username = string(v)?,
                    "pass" | "password" => user.password = string(v)?,
                    "permission" | "permissions" | "authorization" => {
                        match self.parse_user_permissions(v) {
                            Ok(p) => user.permissions = Some(p),
                            Err(e) => self.errors.push(e),
                        }
                    }
                    "allowed_connection_types"
                    | "connection_types"
                    | "clients"
                    | "proxy_required" => {
                        self.warn_unsupported(k, v);
                    }
                    _ => {
                        if !v.used_variable {
                            self.errors.push(unknown_field(k, v));
                        }
                    }
                }
            }
            if !nkey.is_empty() {
                if !is_valid_public_user_key(&nkey) {
                    return Err(ConfError::at(last, "Not a valid public nkey for a user"));
                }
                if !user.username.is_empty() || !user.password.is_empty() {
                    return Err(ConfError::at(last, "Nkey users do not take usernames or passwords"));
                }
                nkeys.push(NkeyUser { nkey, permissions: user.permissions });
                continue;
            }
            if user.username.is_empty() {
                return Err(ConfError::at(last, "User entry requires a user"));
            }
            users.push(user);
        }
        Ok((users, nkeys))
    }

    pub(crate) fn parse_user_permissions(&mut self, mv: &Value) -> Result<Permissions, ConfError> {
        let Some(pm) = mv.as_map() else {
            let msg = format!(
                "Expected permissions to be a map/struct, got {}",
                go_fmt_v(&mv.kind)
            );
            return Err(ConfError::at(mv, msg));
        };
        let mut p = Permissions::default();
        for (k, v) in pm.iter() {
            match k.to_ascii_lowercase().as_str() {
                "pub" | "publish" | "import" => match self.parse_variable_permissions(v, false) {
                    Ok(perms) => p.publish = perms,
                    Err(e) => self.errors.push(e),
                },
                "sub" | "subscribe" | "export" => match self.parse_variable_permissions(v, true) {
                    Ok(perms) => p.subscribe = perms,
                    Err(e) => self.errors.push(e),
                },
                "publish_allow_responses" | "allow_responses" => {
                    p.response = match v.as_bool() {
                        Some(true) => Some(ResponsePermission {
                            max_msgs: DEFAULT_ALLOW_RESPONSE_MAX_MSGS,
                            expires: DEFAULT_ALLOW_RESPONSE_EXPIRATION,
                        }),
                        Some(false) => None,
                        None => self.parse_allow_responses(v),
                    };
                    if p.response.is_some() && p.publish.is_none() {
                        // Turns off the blanket publish allow.
                        p.publish = Some(SubjectPermission::default());
                    }
                }
                _ => {
                    if !v.used_variable {
                        let msg = format!("Unknown field {} parsing permissions", go_quote(k));
                        self.errors.push(ConfError::at(v, msg));
                    }
                }
            }
        }
        Ok(p)
    }

    /// A map with allow/deny (new style) or a subject or list (old style).
    fn parse_variable_permissions(
        &mut self,
        v: &Value,
        allow_queue: bool,
    ) -> Result<Option<SubjectPermission>, ConfError> {
        let Some(m) = v.as_map() else {
            let allow = parse_perm_subjects(v, allow_queue)?;
            return Ok(Some(SubjectPermission {
                allow,
                deny: Vec::new(),
            }));
        };
        if m.is_empty() {
            return Ok(None);
        }
        let mut p = SubjectPermission::default();
        for (k, v) in m.iter() {
            match k.to_ascii_lowercase().as_str() {
                "allow" => match parse_perm_subjects(v, allow_queue) {
                    Ok(s) => p.allow = s,
                    Err(e) => self.errors.push(e),
                },
                "deny" => match parse_perm_subjects(v, allow_queue) {
                    Ok(s) => p.deny = s,
                    Err(e) => self.errors.push(e),
                },
                _ => {
                    if !v.used_variable {
                        let msg = format!(
                            "Unknown field name {} parsing subject permissions, only 'allow' or 'deny' are permitted",
                            go_quote(k)
                        );
                        self.errors.push(ConfError::at(v, msg));
                    }
                }
            }
        }
        Ok(Some(p))
    }

    fn parse_allow_responses(&mut self, v: &Value) -> Option<ResponsePermission> {
        let Some(pm) = v.as_map() else {
            let msg = "error parsing response permissions, expected a boolean or a map";
            self.errors.push(ConfError::at(v, msg));
            return None;
        };
        let mut rp = ResponsePermission {
            max_msgs: DEFAULT_ALLOW_RESPONSE_MAX_MSGS,
            expires: DEFAULT_ALLOW_RESPONSE_EXPIRATION,
        };
        for (k, v) in pm.iter() {
            match k.to_ascii_lowercase().as_str() {
                "max" | "max_msgs" | "max_messages" | "max_responses" => match int(v) {
                    // Negative means unlimited, zero keeps the default.
                    Ok(0) => {}
                    Ok(n) => {
                        rp.max_msgs = i32::try_from(n).unwrap_or(if n < 0 { -1 } else { i32::MAX })
                    }
                    Err(e) => {
                        self.errors.push(e);
                        return None;
                    }
                },
                "expires" | "expiration" | "ttl" => {
                    let Some(wd) = v.as_str() else {
                        self.errors.push(ConfError::at(
                            v,
                            "error parsing expires, not a duration string",
                        ));
                        return None;
                    };
                    match parse_duration(wd) {
                        Ok(0) => {}
                        // A negative expiration means no expiration.
                        Ok(n) if n < 0 => rp.expires = Duration::MAX,
                        Ok(n) => rp.expires = nanos_to_duration(n),
                        Err(e) => {
                            self.errors
                                .push(ConfError::at(v, format!("error parsing expires: {e}")));
                            return None;
                        }
                    }
                }
                _ => {
                    if !v.used_variable {
                        let msg = format!("Unknown field {} parsing permissions", go_quote(k));
                        self.errors.push(ConfError::at(v, msg));
                    }
                }
            }
        }
        Some(rp)
    }
}

/// A subject or an array of subjects, validated (queue subjects allowed for subscribe).
fn parse_perm_subjects(v: &Value, allow_queue: bool) -> Result<Vec<String>, ConfError> {
    let subjects = match &v.kind {
        Kind::String(s) => vec![s.clone()],
        Kind::Array(a) => {
            let mut out = Vec::with_capacity(a.len());
            for i in a {
                match i.as_str() {
                    Some(s) => out.push(s.to_string()),
                    None => {
                        return Err(ConfError::at(
                            i,
                            "Subject in permissions array cannot be cast to string",
                        ))
                    }
                }
            }
            out
        }
        other => {
            let msg = format!(
                "Expected subject permissions to be a subject, or array of subjects, got {}",
                other.go_type_name()
            );
            return Err(ConfError::at(v, msg));
        }
    };
    check_perm_subject_array(&subjects, allow_queue).map_err(|m| ConfError::at(v, m))?;
    Ok(subjects)
}

fn check_perm_subject_array(subjects: &[String], allow_queue: bool) -> Result<(), String> {
    for s in subjects {
        if is_valid_subject(s) {
            continue;
        }
        if !allow_queue {
            return Err(format!("subject {} is not a valid subject", go_quote(s)));
        }
        let elements: Vec<&str> = s.split_whitespace().collect();
        if elements.len() != 2 {
            return Err(format!("subject {} is not a valid subject", go_quote(s)));
        }
        if !is_valid_subject(elements[0]) {
            return Err(format!(
                "subject {} is not a valid subject",
                go_quote(elements[0])
            ));
        }
        if !is_valid_subject(elements[1]) {
            return Err(format!(
                "queue {} is not a valid queue",
                go_quote(elements[1])
            ));
        }
    }
    Ok(())
}

/// Go's IsValidSubject: non-empty tokens, no whitespace, '>' only last.
fn is_valid_subject(subject: &str) -> bool {
    if subject.is_empty() {
        return false;
    }
    let mut full_wildcard = false;
    for t in subject.split('.') {
        if t.is_empty() || full_wildcard {
            return false;
        }
        if t.len() > 1 {
            if t.contains(['\t', '\n', '\x0c', '\r', ' ']) {
                return false;
            }
            continue;
        }
        match t {
            ">" => full_wildcard = true,
            " " | "\t" | "\n" | "\r" | "\x0c" => return false,
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_is_valid_subject() {
        assert!(is_valid_subject("foo.bar"));
        assert!(is_valid_subject("foo.*.>"));
        assert!(!is_valid_subject("foo..bar"));
        assert!(!is_valid_subject("foo.>.bar"));
        assert!(!is_valid_subject("foo bar"));
        assert!(!is_valid_subject(""));
        assert!(check_perm_subject_array(&["foo.* q1".to_string()], true).is_ok());
        assert!(check_perm_subject_array(&["foo.* q1".to_string()], false).is_err());
    }
}
