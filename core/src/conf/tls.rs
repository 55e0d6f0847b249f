//! The top-level `tls {}` block: a port of Go's opts.go `parseTLS` for the
//! keys rnatsd serves (certificate, key, CA, client verification and
//! mapping, handshake timeout, handshake-first, pinned certificates). The
//! files themselves are loaded by the adapter (io-tokio), as Go's
//! `GenTLSConfig` does after parsing.

use std::time::Duration;

use super::apply::{conv_err, nanos_to_duration, Applier};
use super::duration::{go_quote, parse_duration};
use super::value::{ConfError, Kind, Value};
use crate::options::{ServerOptions, DEFAULT_TLS_HANDSHAKE_FIRST_FALLBACK_DELAY, TLS_TIMEOUT};

/// Go keys rnatsd accepts but does not honour yet (rustls picks the cipher
/// suites and curves; certificate stores and OCSP are Go/Windows features).
const UNSUPPORTED_TLS_KEYS: &[&str] = &[
    "insecure",
    "verify_cert_and_check_known_urls",
    "allow_insecure_cipher_suites",
    "cipher_suites",
    "curve_preferences",
    "connection_rate_limit",
    "cert_store",
    "cert_match_by",
    "cert_match",
    "ca_certs_match",
    "cert_match_skip_invalid",
    "ocsp_peer",
    "certs",
    "certificates",
    "min_version",
];

/// What a `tls {}` block sets (Go's `TLSConfigOpts`, the parts we keep).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsConfigOpts {
    pub cert_file: String,
    pub key_file: String,
    pub ca_file: String,
    pub verify: bool,
    pub map: bool,
    /// Seconds; 0 means the default (Go keeps a float).
    pub timeout: Duration,
    pub handshake_first: bool,
    pub fallback_delay: Duration,
    pub pinned_certs: Vec<String>,
}

fn tls_err(v: &Value, what: &str) -> ConfError {
    ConfError::at(v, format!("error parsing tls config, {what}"))
}

fn tls_string(v: &Value, key: &str) -> Result<String, ConfError> {
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| tls_err(v, &format!("expected '{key}' to be filename")))
}

fn tls_bool(v: &Value, key: &str) -> Result<bool, ConfError> {
    v.as_bool().ok_or_else(|| tls_err(v, &format!("expected '{key}' to be a boolean")))
}

impl Applier {
    /// The top-level `tls` key (Go's processConfigFileLine "tls" case).
    pub(crate) fn apply_tls(&mut self, v: &Value, o: &mut ServerOptions) -> Result<(), ConfError> {
        let tc = self.parse_tls(v)?;
        // Go's GenTLSConfig checks.
        if !tc.cert_file.is_empty() && tc.key_file.is_empty() {
            return Err(ConfError::at(v, "missing 'key_file' in TLS configuration"));
        }
        if tc.cert_file.is_empty() && !tc.key_file.is_empty() {
            return Err(ConfError::at(v, "missing 'cert_file' in TLS configuration"));
        }
        o.tls = true;
        o.tls_cert = Some(tc.cert_file).filter(|s| !s.is_empty());
        o.tls_key = Some(tc.key_file).filter(|s| !s.is_empty());
        o.tls_ca_cert = Some(tc.ca_file).filter(|s| !s.is_empty());
        o.tls_verify = tc.verify;
        o.tls_map = tc.map;
        o.tls_timeout = if tc.timeout.is_zero() { TLS_TIMEOUT } else { tc.timeout };
        o.tls_handshake_first = tc.handshake_first;
        o.tls_handshake_first_fallback = tc.fallback_delay;
        o.tls_pinned_certs = tc.pinned_certs;
        Ok(())
    }

    /// Go's `parseTLS` (server context).
    pub(crate) fn parse_tls(&mut self, v: &Value) -> Result<TlsConfigOpts, ConfError> {
        let Some(m) = v.as_map() else {
            return Err(conv_err(v, "map[string]interface {}"));
        };
        let mut tc = TlsConfigOpts::default();
        for (mk, mv) in m.iter() {
            let key = mk.to_ascii_lowercase();
            match key.as_str() {
                "cert_file" => tc.cert_file = tls_string(mv, "cert_file")?,
                "key_file" => tc.key_file = tls_string(mv, "key_file")?,
                "ca_file" => tc.ca_file = tls_string(mv, "ca_file")?,
                "verify" => tc.verify = tls_bool(mv, "verify")?,
                "verify_and_map" => {
                    let b = tls_bool(mv, "verify_and_map")?;
                    if b {
                        tc.verify = true;
                    }
                    tc.map = b;
                }
                "timeout" => tc.timeout = parse_tls_timeout(mv)?,
                "pinned_certs" => tc.pinned_certs = parse_pinned_certs(mv)?,
                "handshake_first" | "first" | "immediate" => {
                    (tc.handshake_first, tc.fallback_delay) = parse_handshake_first(mk, mv)?;
                }
                k if UNSUPPORTED_TLS_KEYS.contains(&k) => self.warn_unsupported(mk, mv),
                _ => return Err(tls_err(mv, &format!("unknown field {}", go_quote(mk)))),
            }
        }
        Ok(tc)
    }
}

/// `timeout`: seconds as an integer or float, or a duration string.
fn parse_tls_timeout(v: &Value) -> Result<Duration, ConfError> {
    let secs = match &v.kind {
        Kind::Integer(n) => *n as f64,
        Kind::Float(f) => *f,
        Kind::String(s) => match parse_duration(s) {
            Ok(n) => return Ok(nanos_to_duration(n)),
            Err(e) => return Err(tls_err(v, &format!("'timeout' {e}"))),
        },
        _ => return Err(tls_err(v, "'timeout' wrong type")),
    };
    if !secs.is_finite() || secs <= 0.0 {
        return Ok(Duration::ZERO);
    }
    Ok(Duration::from_secs_f64(secs.min(1e9)))
}

/// `pinned_certs`: hex SHA-256 of DER SubjectPublicKeyInfo, lowercased.
fn parse_pinned_certs(v: &Value) -> Result<Vec<String>, ConfError> {
    let Some(items) = v.as_array() else {
        return Err(tls_err(
            v,
            "expected 'pinned_certs' to be a list of hex-encoded sha256 of DER encoded SubjectPublicKeyInfo",
        ));
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let entry = item.as_str().ok_or_else(|| conv_err(item, "string"))?.to_ascii_lowercase();
        let ok = entry.len() == 64 && entry.bytes().all(|b| b.is_ascii_hexdigit());
        if !ok {
            return Err(tls_err(
                item,
                &format!(
                    "'pinned_certs' key {entry} does not look like hex-encoded sha256 of DER encoded SubjectPublicKeyInfo"
                ),
            ));
        }
        if !out.contains(&entry) {
            out.push(entry);
        }
    }
    Ok(out)
}

/// `handshake_first`: a bool, or "true"/"on", "false"/"off", "auto" (with
/// Go's default fallback delay) or a duration (the fallback delay).
fn parse_handshake_first(mk: &str, v: &Value) -> Result<(bool, Duration), ConfError> {
    match &v.kind {
        Kind::Bool(b) => Ok((*b, Duration::ZERO)),
        Kind::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "on" => Ok((true, Duration::ZERO)),
            "false" | "off" => Ok((false, Duration::ZERO)),
            "auto" | "auto_fallback" => Ok((true, DEFAULT_TLS_HANDSHAKE_FIRST_FALLBACK_DELAY)),
            _ => match parse_duration(s) {
                Ok(n) => Ok((true, nanos_to_duration(n))),
                Err(_) => Err(ConfError::at(
                    v,
                    format!("field {}'s value {} is invalid", go_quote(mk), go_quote(s)),
                )),
            },
        },
        other => Err(ConfError::at(
            v,
            format!("field {} should be a boolean or a string, got {}", go_quote(mk), other.go_type_name()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::conf::{apply_config, parse};
    use crate::options::ServerOptions;

    fn load(text: &str) -> Result<(ServerOptions, Vec<String>), Vec<String>> {
        let env = |_: &str| None;
        let mut include = |p: &str| Err(format!("open {p}: no such file"));
        let map = parse(text, "test.conf", &env, &mut include).map_err(|e| vec![e.to_string()])?;
        let mut o = ServerOptions::default();
        match apply_config(&map, &mut o) {
            Ok(w) => Ok((o, w)),
            Err(errs) => Err(errs.iter().map(ToString::to_string).collect()),
        }
    }

    /// Go: TestTLSConfigFile (opts_test.go), the keys rnatsd serves.
    #[test]
    fn test_tls_config_file() {
        let (o, w) = load(
            r#"
            tls {
              cert_file: "./configs/certs/server.pem"
              key_file: "./configs/certs/key.pem"
              ca_file: "./configs/certs/ca.pem"
              verify: true
              timeout: 3
              pinned_certs: ["A0B1C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6D7E8F9A0B1"]
            }
            allow_non_tls: true
            "#,
        )
        .unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert!(o.tls && o.tls_verify && !o.tls_map && o.allow_non_tls);
        assert_eq!(o.tls_cert.as_deref(), Some("./configs/certs/server.pem"));
        assert_eq!(o.tls_key.as_deref(), Some("./configs/certs/key.pem"));
        assert_eq!(o.tls_ca_cert.as_deref(), Some("./configs/certs/ca.pem"));
        assert_eq!(o.tls_timeout, Duration::from_secs(3));
        assert_eq!(o.tls_pinned_certs, vec!["a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1"]);
    }

    #[test]
    fn test_tls_config_defaults_and_map() {
        let (o, _) = load("tls { cert_file: c.pem, key_file: k.pem, verify_and_map: true, timeout: \"500ms\" }").unwrap();
        assert!(o.tls && o.tls_verify && o.tls_map && !o.tls_handshake_first);
        assert_eq!(o.tls_timeout, Duration::from_millis(500));
        let (o, _) = load("tls { cert_file: c.pem, key_file: k.pem }").unwrap();
        assert_eq!(o.tls_timeout, Duration::from_secs(2), "Go's TLS_TIMEOUT default");
        assert!(!o.tls_verify && !o.allow_non_tls);
    }

    /// Go: TestOptionsHandshakeFirst-like parsing of handshake_first.
    #[test]
    fn test_tls_handshake_first_values() {
        for (v, first, fallback) in [
            ("true", true, 0),
            ("\"on\"", true, 0),
            ("false", false, 0),
            ("\"auto\"", true, 50),
            ("\"300ms\"", true, 300),
        ] {
            let (o, _) = load(&format!("tls {{ cert_file: c, key_file: k, handshake_first: {v} }}")).unwrap();
            assert_eq!(o.tls_handshake_first, first, "{v}");
            assert_eq!(o.tls_handshake_first_fallback, Duration::from_millis(fallback), "{v}");
        }
        let e = load("tls { cert_file: c, key_file: k, handshake_first: \"maybe\" }").unwrap_err();
        assert!(e[0].contains("field \"handshake_first\"'s value \"maybe\" is invalid"), "{e:?}");
        let e = load("tls { cert_file: c, key_file: k, first: 1 }").unwrap_err();
        assert!(e[0].contains("should be a boolean or a string"), "{e:?}");
    }

    #[test]
    fn test_tls_config_errors() {
        let e = load("tls { cert_file: c.pem }").unwrap_err();
        assert!(e[0].contains("missing 'key_file' in TLS configuration"), "{e:?}");
        let e = load("tls { key_file: k.pem }").unwrap_err();
        assert!(e[0].contains("missing 'cert_file' in TLS configuration"), "{e:?}");
        let e = load("tls { cert_file: c, key_file: k, bogus: 1 }").unwrap_err();
        assert!(e[0].contains("error parsing tls config, unknown field \"bogus\""), "{e:?}");
        let e = load("tls { cert_file: 1 }").unwrap_err();
        assert!(e[0].contains("expected 'cert_file' to be filename"), "{e:?}");
        let e = load("tls { verify: \"yes\" }").unwrap_err();
        assert!(e[0].contains("expected 'verify' to be a boolean"), "{e:?}");
        let e = load("tls { cert_file: c, key_file: k, pinned_certs: [\"abc\"] }").unwrap_err();
        assert!(e[0].contains("does not look like hex-encoded sha256"), "{e:?}");
        let e = load("tls { cert_file: c, key_file: k, timeout: true }").unwrap_err();
        assert!(e[0].contains("'timeout' wrong type"), "{e:?}");
    }

    #[test]
    fn test_tls_unsupported_keys_warn() {
        let (o, w) =
            load("tls { cert_file: c, key_file: k, cipher_suites: [\"TLS_AES_128_GCM_SHA256\"], min_version: \"1.2\" }")
                .unwrap();
        assert!(o.tls);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w.iter().all(|w| w.contains("is not supported by rnatsd yet")), "{w:?}");
    }

    /// Go: TestMixedClientConfig (nkey_test.go).
    #[test]
    fn test_mixed_client_config() {
        let (o, _) = load(
            r#"authorization {
              users = [
                {nkey: "UDKTV7HZVYJFJN64LLMYQBUR6MTNNYCDC3LAZH4VHURW3GZLL3FULBXV"}
                {user: alice, password: foo}
              ]
            }"#,
        )
        .unwrap();
        assert_eq!(o.nkeys.len(), 1);
        assert_eq!(o.users.len(), 1);
    }

    #[test]
    fn test_nkey_users_config_errors_and_permissions() {
        let (o, _) = load(
            r#"authorization {
              default_permissions { publish: "pub.>" }
              users = [ {nkey: "UDKTV7HZVYJFJN64LLMYQBUR6MTNNYCDC3LAZH4VHURW3GZLL3FULBXV"} ]
            }"#,
        )
        .unwrap();
        let p = o.nkeys[0].permissions.as_ref().expect("default permissions apply to nkey users");
        assert_eq!(p.publish.as_ref().unwrap().allow, vec!["pub.>"]);
        let e = load("authorization { users = [ {nkey: \"UBAD\"} ] }").unwrap_err();
        assert!(e[0].contains("Not a valid public nkey for a user"), "{e:?}");
        let e = load(
            "authorization { users = [ {nkey: \"UDKTV7HZVYJFJN64LLMYQBUR6MTNNYCDC3LAZH4VHURW3GZLL3FULBXV\", user: a} ] }",
        )
        .unwrap_err();
        assert!(e[0].contains("Nkey users do not take usernames or passwords"), "{e:?}");
        let e = load(
            r#"authorization { users = [
                {nkey: "UDKTV7HZVYJFJN64LLMYQBUR6MTNNYCDC3LAZH4VHURW3GZLL3FULBXV"}
                {nkey: "UDKTV7HZVYJFJN64LLMYQBUR6MTNNYCDC3LAZH4VHURW3GZLL3FULBXV"}
            ] }"#,
        )
        .unwrap_err();
        assert!(e[0].contains("Duplicate nkey"), "{e:?}");
    }
}
