//! Property tests of the protocol decoder: any sequence of valid ops, encoded
//! and cut into pieces at arbitrary points (down to single bytes), decodes to
//! the same ops; arbitrary bytes never panic and decode the same however they
//! are split.

use bytes::{BufMut, Bytes, BytesMut};
use proptest::prelude::*;
use rnatsd_core::protocol::encode::encode_op;
use rnatsd_core::protocol::{Op, ParseError, Parser, ParserLimits};

fn big_limits() -> ParserLimits {
    ParserLimits {
        max_control_line: 1 << 20,
        max_payload: 1 << 20,
    }
}

fn token() -> impl Strategy<Value = Bytes> {
    "[a-zA-Z0-9._>*$-]{1,12}".prop_map(Bytes::from)
}

fn json() -> impl Strategy<Value = Bytes> {
    "\\{[a-z0-9\":, \t{}\\[\\]]{0,40}\\}".prop_map(Bytes::from)
}

fn payload() -> impl Strategy<Value = Bytes> {
    prop::collection::vec(any::<u8>(), 0..300).prop_map(Bytes::from)
}

fn message() -> impl Strategy<Value = (usize, Bytes)> {
    payload().prop_flat_map(|m| (0..=m.len(), Just(m)))
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        json().prop_map(Op::Info),
        json().prop_map(Op::Connect),
        (token(), prop::option::of(token()), payload()).prop_map(|(subject, reply, payload)| {
            Op::Pub {
                subject,
                reply,
                payload,
            }
        }),
        (token(), prop::option::of(token()), message()).prop_map(|(subject, reply, (h, m))| {
            Op::Hpub {
                subject,
                reply,
                header_len: h,
                message: m,
            }
        }),
        (token(), prop::option::of(token()), token()).prop_map(|(subject, queue, sid)| Op::Sub {
            subject,
            queue,
            sid
        }),
        (token(), prop::option::of(0u64..1_000_000_000))
            .prop_map(|(sid, max)| Op::Unsub { sid, max }),
        (token(), token(), prop::option::of(token()), payload()).prop_map(
            |(subject, sid, reply, payload)| Op::Msg {
                subject,
                sid,
                reply,
                payload
            }
        ),
        (token(), token(), prop::option::of(token()), message()).prop_map(
            |(subject, sid, reply, (h, m))| Op::Hmsg {
                subject,
                sid,
                reply,
                header_len: h,
                message: m
            }
        ),
        Just(Op::Ping),
        Just(Op::Pong),
        Just(Op::Ok),
        "[ -&(-~]{0,30}".prop_map(|t| Op::Err(Bytes::from(t))),
    ]
}

/// Protocol fragments, so garbage reaches deep states often.
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
    b"Pub ",
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

/// Chunk sizes: all ones, or random sizes up to a random bound.
fn chunks() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        Just(vec![1]),
        prop::collection::vec(1usize..4, 1..50),
        prop::collection::vec(1usize..64, 1..50),
        prop::collection::vec(1usize..2000, 1..10),
    ]
}

/// Feeds `input` cut into pieces (sizes taken cyclically from `sizes`),
/// decoding after each piece. Stops at the first error.
fn decode_split(
    mut parser: Parser,
    input: &[u8],
    sizes: &[usize],
) -> (Vec<Op>, Option<ParseError>) {
    let mut buf = BytesMut::new();
    let mut ops = Vec::new();
    let mut at = 0;
    let mut sizes = sizes.iter().cycle();
    while at < input.len() {
        let n = (*sizes.next().expect("sizes is not empty")).min(input.len() - at);
        buf.put_slice(&input[at..at + n]);
        at += n;
        loop {
            match parser.parse(&mut buf) {
                Ok(Some(op)) => ops.push(op),
                Ok(None) => break,
                Err(e) => return (ops, Some(e)),
            }
        }
    }
    (ops, None)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn encoded_ops_decode_to_themselves_under_any_split(
        ops in prop::collection::vec(op(), 0..20),
        sizes in chunks(),
    ) {
        let mut wire = BytesMut::new();
        for op in &ops {
            encode_op(&mut wire, op);
        }
        let (decoded, err) = decode_split(Parser::new(big_limits()), &wire, &sizes);
        prop_assert_eq!(err, None);
        prop_assert_eq!(decoded, ops);
    }

    #[test]
    fn garbage_never_panics_and_decodes_the_same_under_any_split(
        input in prop::collection::vec(
            prop_oneof![
                prop::collection::vec(any::<u8>(), 1..3),
                prop::sample::select(FRAGMENTS).prop_map(|f| f.to_vec()),
            ],
            0..120,
        ).prop_map(|pieces| pieces.concat()),
        sizes in chunks(),
        small in any::<bool>(),
    ) {
        let limits = if small {
            ParserLimits { max_control_line: 16, max_payload: 32 }
        } else {
            big_limits()
        };
        let (whole_ops, whole_err) = decode_split(Parser::new(limits), &input, &[input.len().max(1)]);
        let (split_ops, split_err) = decode_split(Parser::new(limits), &input, &sizes);
        prop_assert_eq!(whole_ops, split_ops);
        // The context (snippet, length seen) depends on the split; the error does not.
        prop_assert_eq!(whole_err.map(|e| e.err_text()), split_err.map(|e| e.err_text()));
    }
}
