//! The client's `CONNECT` options (Go's `ClientOpts`, client.go).
//!
//! Before any CONNECT, Go seeds `verbose`, `pedantic` and `echo` with true;
//! a CONNECT overwrites only the keys it carries, so a second CONNECT keeps
//! what the first one set for keys it omits. [`ConnectOptions::apply`] does
//! exactly that with a struct of `Option`s.

use serde::Deserialize;

/// The options in force for one client connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectOptions {
    pub verbose: bool,
    pub pedantic: bool,
    pub echo: bool,
    pub tls_required: bool,
    pub headers: bool,
    pub no_responders: bool,
    pub protocol: i64,
    pub name: String,
    pub lang: String,
    pub version: String,
    pub user: Option<String>,
    pub pass: Option<String>,
    pub auth_token: Option<String>,
    pub nkey: Option<String>,
    pub jwt: Option<String>,
    pub sig: Option<String>,
    pub account: Option<String>,
    /// Go's `AccountNew`: a refused request for a fresh account.
    pub new_account: bool,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            verbose: true,
            pedantic: true,
            echo: true,
            tls_required: false,
            headers: false,
            no_responders: false,
            protocol: 0,
            name: String::new(),
            lang: String::new(),
            version: String::new(),
            user: None,
            pass: None,
            auth_token: None,
            nkey: None,
            jwt: None,
            sig: None,
            account: None,
            new_account: false,
        }
    }
}

/// What a CONNECT carried: every key optional.
#[derive(Debug, Default, Deserialize)]
struct ConnectJson {
    verbose: Option<bool>,
    pedantic: Option<bool>,
    echo: Option<bool>,
    tls_required: Option<bool>,
    headers: Option<bool>,
    no_responders: Option<bool>,
    protocol: Option<i64>,
    name: Option<String>,
    lang: Option<String>,
    version: Option<String>,
    user: Option<String>,
    pass: Option<String>,
    auth_token: Option<String>,
    nkey: Option<String>,
    jwt: Option<String>,
    sig: Option<String>,
    account: Option<String>,
    new_account: Option<bool>,
}

/// Client protocol levels (client.go: ClientProtoZero, ClientProtoInfo).
pub const CLIENT_PROTO_ZERO: i64 = 0;
pub const CLIENT_PROTO_INFO: i64 = 1;

impl ConnectOptions {
    /// Applies a CONNECT's JSON on top of the current options.
    /// Errors when the JSON is not an object of the expected types.
    pub fn apply(&mut self, json: &[u8]) -> Result<(), String> {
        let c: ConnectJson = serde_json::from_slice(json).map_err(|e| e.to_string())?;
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = c.$f { self.$f = v; } )* };
        }
        set!(verbose, pedantic, echo, tls_required, headers, no_responders, protocol, name, lang, version, new_account);
        macro_rules! set_opt {
            ($($f:ident),*) => { $( if c.$f.is_some() { self.$f = c.$f; } )* };
        }
        set_opt!(user, pass, auth_token, nkey, jwt, sig, account);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_gos_before_connect() {
        let o = ConnectOptions::default();
        assert!(o.verbose && o.pedantic && o.echo);
        assert!(!o.headers && !o.no_responders);
    }

    #[test]
    fn second_connect_keeps_omitted_keys() {
        let mut o = ConnectOptions::default();
        o.apply(br#"{"verbose":false,"headers":true,"name":"a"}"#).unwrap();
        assert!(!o.verbose && o.headers && o.pedantic);
        o.apply(br#"{"pedantic":false}"#).unwrap();
        assert!(!o.verbose && o.headers && !o.pedantic);
        assert_eq!(o.name, "a");
    }

    #[test]
    fn bad_connect_json_is_an_error() {
        let mut o = ConnectOptions::default();
        assert!(o.apply(b"{").is_err());
        assert!(o.apply(b"[1]").is_err());
        assert!(o.apply(br#"{"verbose":"yes"}"#).is_err());
        // Unknown keys are ignored, as Go's json.Unmarshal does.
        assert!(o.apply(br#"{"unknown":1}"#).is_ok());
    }
}
