//! Fuzz target of the JWT decoder (one per decoder, see STYLE.md).
//!
//! Under `cargo test` bolero runs a bounded number of random inputs; under
//! `cargo bolero test jwt_fuzz` it runs as a coverage-guided fuzzer.
//! Properties: no panic on any input; a valid token with any one byte
//! changed never decodes to different claims; creds and config-facing
//! parsers never panic either.

use rnatsd_core::jwt::auth::{authorize_connect, ConnectAuth, TrustedOperators};
use rnatsd_core::jwt::creds::{parse_decorated_jwt, parse_user_creds};
use rnatsd_core::jwt::decode::{decode, decode_generic, decode_operator_claims};
use rnatsd_core::jwt::encode::TestChain;

/// Arbitrary bytes as a token, as a creds file and through the whole
/// CONNECT path: errors only, never a panic.
#[test]
fn jwt_decode_fuzz() {
    let chain = TestChain::new(1, 1_700_000_000).unwrap();
    let op = decode_operator_claims(&chain.operator_jwt).unwrap();
    let trusted = TrustedOperators::new(vec![op], None).unwrap();
    bolero::check!().with_type::<Vec<u8>>().for_each(|input| {
        let text = String::from_utf8_lossy(input);
        let _ = decode(&text);
        let _ = decode_generic(&text);
        let _ = parse_user_creds(&text);
        let _ = parse_decorated_jwt(&text);
        let conn = ConnectAuth { jwt: &text, sig: Some(&text), nonce: input, host: &text, connection_type: "STANDARD" };
        let acc = chain.account_jwt.clone();
        let _ = authorize_connect(&trusted, None, &conn, 1_700_000_000, &mut |_| Some(acc.clone()));
    });
}

/// A valid token with one byte replaced: either it still decodes to the
/// same claims (base64 slack in the last character) or it is refused.
#[test]
fn jwt_mutation_fuzz() {
    let chain = TestChain::new(2, 1_700_000_000).unwrap();
    let tokens = [chain.operator_jwt.clone(), chain.account_jwt.clone(), chain.user_jwt.clone()];
    let originals: Vec<_> = tokens.iter().map(|t| decode(t).unwrap()).collect();
    bolero::check!().with_type::<(u8, u16, u8)>().for_each(|(which, pos, byte)| {
        let i = usize::from(*which) % tokens.len();
        let mut b = tokens[i].clone().into_bytes();
        let p = usize::from(*pos) % b.len();
        b[p] = *byte;
        let text = String::from_utf8_lossy(&b);
        if let Ok(c) = decode(&text) {
            assert_eq!(c, originals[i], "a changed token decoded to other claims");
        }
    });
}

/// Arbitrary config text through the config parser and the operator-mode
/// keys (`operator` names are read through a callback that returns the
/// same text): errors only, never a panic.
#[test]
fn operator_config_fuzz() {
    bolero::check!().with_type::<Vec<u8>>().for_each(|input| {
        let text = String::from_utf8_lossy(input);
        let env = |_: &str| None;
        let mut include = |_: &str| -> Result<(String, String), String> { Err("no includes".into()) };
        if let Ok(map) = rnatsd_core::conf::parse(&text, "fuzz.conf", &env, &mut include) {
            let mut read = |_: &str| -> Result<String, String> { Ok(text.to_string()) };
            if let Ok(cfg) = rnatsd_core::conf::operator::parse_operator_config(&map, &mut read) {
                let _ = cfg.trusted_operators();
                let _ = cfg.pinned_accounts();
            }
        }
        // The same text as the value of each operator-mode key.
        for key in ["operator", "resolver", "resolver_preload", "resolver_pinned_accounts"] {
            let line = format!("{key}: {text}\n");
            if let Ok(map) = rnatsd_core::conf::parse(&line, "fuzz.conf", &env, &mut include) {
                let mut read = |_: &str| -> Result<String, String> { Err("no file".into()) };
                let _ = rnatsd_core::conf::operator::parse_operator_config(&map, &mut read);
            }
        }
    });
}
