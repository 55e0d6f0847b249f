//! Fuzz target of the configuration decoder (one per decoder, see
//! STYLE.md): the conf parser, the options it maps onto, and the accounts
//! the server builds from them.
//!
//! Under `cargo test` bolero runs a bounded number of random inputs; under
//! `cargo bolero test conf_fuzz` it runs as a coverage-guided fuzzer.
//! Property: no panic on any input, whatever the parse or apply outcome;
//! options that apply cleanly either build a server or give an error.

use rnatsd_core::conf::{apply_config, parse};
use rnatsd_core::options::ServerOptions;
use rnatsd_core::server::Server;
use rnatsd_core::time::Instant;

/// Config fragments, so random inputs reach the accounts and
/// authorization blocks often.
const FRAGMENTS: &[&str] = &[
    "accounts { ",
    "A { users = [ {user: a, password: a} ] }\n",
    "exports = [ {stream: \"foo.>\"}, {service: \"svc.*\", response_type: stream} ]\n",
    "imports = [ {stream: {account: A, subject: \"foo.>\"}, prefix: p} ]\n",
    "imports = [ {service: {account: A, subject: \"svc.*\"}, to: \"x.*\"} ]\n",
    "default_permissions { publish: { allow: [\"a.>\"] }, subscribe: \"b q\" }\n",
    "authorization { users = [ {user: u, password: \"$2a$04$abc\"} ] }\n",
    "no_auth_user: a\n",
    "system_account: A\n",
    "limits { max_connections: 3 }\n",
    "}\n",
    "]",
    "{",
    "$var",
    "include x.conf\n",
    "port: 4222\n",
];

fn expand(input: &[u8]) -> String {
    let mut s = String::new();
    for &b in input {
        if b < 0x80 {
            s.push(b as char);
        } else {
            s.push_str(FRAGMENTS[usize::from(b) % FRAGMENTS.len()]);
        }
    }
    s
}

fn decode(text: &str) {
    let env = |_: &str| None;
    let mut include = |p: &str| Err(format!("no include {p}"));
    let Ok(map) = parse(text, "fuzz.conf", &env, &mut include) else { return };
    let mut opts = ServerOptions::default();
    if apply_config(&map, &mut opts).is_err() {
        return;
    }
    opts.port = 4222;
    if let Ok(s) = Server::new(opts, 1, Instant::ZERO, 0) {
        s.check_invariants();
    }
}

#[test]
fn conf_fuzz() {
    bolero::check!().with_type::<Vec<u8>>().for_each(|input| {
        decode(&String::from_utf8_lossy(input));
        decode(&expand(input));
    });
}
