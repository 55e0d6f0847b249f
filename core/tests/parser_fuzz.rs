//! Fuzz target of the protocol decoder (one per decoder, see STYLE.md).
//!
//! Under `cargo test` bolero runs a bounded number of random inputs; under
//! `cargo bolero test parser_fuzz` it runs as a coverage-guided fuzzer.
//! Properties: no panic on any input or split; every op that comes out
//! re-encodes to bytes that decode to the same op.

use bytes::{BufMut, BytesMut};
use rnatsd_core::protocol::encode::encode_op;
use rnatsd_core::protocol::{Op, Parser, ParserLimits};

/// Chunk sizes derived from a seed byte: 1..=8, 1..=64 or 1..=1024.
fn chunk_sizes(seed: u8) -> impl Iterator<Item = usize> {
    let bound = [8u32, 64, 1024][usize::from(seed % 3)];
    let mut x = u32::from(seed) | 1;
    std::iter::repeat_with(move || {
        // xorshift32: deterministic, cheap, never zero.
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        (x % bound) as usize + 1
    })
}

fn decode_with_splits(parser: &mut Parser, input: &[u8], seed: u8) -> Vec<Op> {
    let mut buf = BytesMut::new();
    let mut ops = Vec::new();
    let mut at = 0;
    let mut sizes = chunk_sizes(seed);
    while at < input.len() {
        let n = sizes.next().unwrap_or(1).min(input.len() - at);
        buf.put_slice(&input[at..at + n]);
        at += n;
        loop {
            match parser.parse(&mut buf) {
                Ok(Some(op)) => ops.push(op),
                Ok(None) => break,
                Err(_) => return ops,
            }
        }
    }
    ops
}

/// Protocol fragments, so random inputs reach deep states often.
const FRAGMENTS: &[&[u8]] = &[
    b"PUB ",
    b"HPUB ",
    b"SUB ",
    b"UNSUB ",
    b"MSG ",
    b"HMSG ",
    b"INFO ",
    b"CONNECT ",
    b"PING",
    b"PONG",
    b"+OK",
    b"-ERR ",
    b"pub ",
    b" ",
    b"\t",
    b"\r\n",
    b"\n",
    b"\r",
    b"'",
    b"foo",
    b"q",
    b"0",
    b"1",
    b"2",
    b"3",
    b"5",
    b"12",
    b"-1",
    b"{}",
    b"x",
];

/// Half the byte values stand for a fragment, the others for themselves.
fn expand(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() * 2);
    for &b in input {
        match FRAGMENTS.get(usize::from(b / 4)) {
            Some(fragment) if b % 2 == 0 => out.extend_from_slice(fragment),
            _ => out.push(b),
        }
    }
    out
}

fn check_round_trip(op: &Op) {
    let mut wire = BytesMut::new();
    encode_op(&mut wire, op);
    let unlimited = ParserLimits {
        max_control_line: usize::MAX,
        max_payload: usize::MAX,
    };
    let mut parser = Parser::new(unlimited);
    let again = parser.parse(&mut wire);
    assert_eq!(
        again.as_ref().ok().and_then(|o| o.as_ref()),
        Some(op),
        "re-parse of {op:?}: {again:?}"
    );
    assert!(wire.is_empty(), "bytes left after re-parsing {op:?}");
}

#[test]
fn parser_fuzz() {
    bolero::check!()
        .with_type::<(u8, bool, Vec<u8>)>()
        .for_each(|(seed, small, input)| {
            let limits = if *small {
                ParserLimits {
                    max_control_line: 24,
                    max_payload: 64,
                }
            } else {
                ParserLimits::default()
            };
            let expanded = expand(input);
            for bytes in [&input[..], &expanded[..]] {
                for mut parser in [Parser::new(limits), Parser::for_client_conn(limits)] {
                    for op in decode_with_splits(&mut parser, bytes, *seed) {
                        check_round_trip(&op);
                    }
                }
            }
        });
}
