//! Tests for the protocol decoder: Go's server/parser_test.go, ported where
//! they apply to a pure decoder, and tests of our own below them.
//!
//! Not ported (they test client/route state, not decoding):
//! TestParseLeafMsgBadSize, TestParseLeafHeaderMsgBadSize,
//! TestParseRoutedHeaderMsg, TestParseRouteMsg (route/leaf RMSG/LMSG args),
//! TestParsePingNoAuthUserExceptionsAndRestrictions,
//! TestParsePingNoAuthUserEnforcesUserRestrictions,
//! TestParsePingAllowedAfterConnectForNonClients (auth before CONNECT),
//! TestMaxControlLineNonClientUpperBound (the x16 limit for routes, leafs, gateways).

use super::*;
use bytes::BufMut;

fn limits() -> ParserLimits {
    ParserLimits::default()
}

/// Appends `bytes` and decodes every op that is complete.
fn feed(p: &mut Parser, buf: &mut BytesMut, bytes: &[u8]) -> Result<Vec<Op>, ParseError> {
    buf.put_slice(bytes);
    let mut ops = Vec::new();
    while let Some(op) = p.parse(buf)? {
        ops.push(op);
    }
    Ok(ops)
}

/// Decodes `bytes` with a fresh parser of the server side (Go's kind CLIENT).
fn parse_client(bytes: &[u8]) -> Result<Vec<Op>, ParseError> {
    let mut p = Parser::for_client_conn(limits());
    feed(&mut p, &mut BytesMut::new(), bytes)
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn pub_op(subject: &str, reply: Option<&str>, payload: &str) -> Op {
    Op::Pub {
        subject: b(subject),
        reply: reply.map(b),
        payload: b(payload),
    }
}

/// Feeds `input` one byte at a time and checks the state after each byte.
fn check_states(input: &[u8], states: &[State], last: Op) {
    let mut p = Parser::new(limits());
    let mut buf = BytesMut::new();
    for (i, (&byte, &state)) in input.iter().zip(states).enumerate() {
        let ops = feed(&mut p, &mut buf, &[byte]).unwrap();
        assert_eq!(p.state(), state, "after byte {i}");
        if i + 1 == input.len() {
            assert_eq!(ops, vec![last.clone()]);
        } else {
            assert!(ops.is_empty());
        }
    }
}

#[test]
fn test_parse_ping() {
    use State::*;
    let states = [OP_P, OP_PI, OP_PIN, OP_PING, OP_PING, OP_START];
    check_states(b"PING\r\n", &states, Op::Ping);
    assert_eq!(parse_client(b"PING\r\n").unwrap(), vec![Op::Ping]);
    // Should tolerate spaces.
    let mut p = Parser::new(limits());
    let mut buf = BytesMut::new();
    assert!(feed(&mut p, &mut buf, b"PING  \r").unwrap().is_empty());
    assert_eq!(p.state(), OP_PING);
    let mut p = Parser::new(limits());
    assert_eq!(
        feed(&mut p, &mut BytesMut::new(), b"PING  \r  \n").unwrap(),
        vec![Op::Ping]
    );
    assert_eq!(p.state(), OP_START);
}

#[test]
fn test_parse_pong() {
    use State::*;
    let states = [OP_P, OP_PO, OP_PON, OP_PONG, OP_PONG, OP_START];
    check_states(b"PONG\r\n", &states, Op::Pong);
    assert_eq!(parse_client(b"PONG\r\n").unwrap(), vec![Op::Pong]);
    // Should tolerate spaces.
    let mut p = Parser::new(limits());
    assert!(feed(&mut p, &mut BytesMut::new(), b"PONG  \r")
        .unwrap()
        .is_empty());
    assert_eq!(p.state(), OP_PONG);
    let mut p = Parser::new(limits());
    assert_eq!(
        feed(&mut p, &mut BytesMut::new(), b"PONG  \r  \n").unwrap(),
        vec![Op::Pong]
    );
    assert_eq!(p.state(), OP_START);
    // (Go's ping.out bookkeeping belongs to the connection, not the decoder.)
}

#[test]
fn test_parse_connect() {
    let json = r#"{"verbose":false,"pedantic":true,"tls_required":false}"#;
    let mut p = Parser::for_client_conn(limits());
    let ops = feed(
        &mut p,
        &mut BytesMut::new(),
        format!("CONNECT {json}\r\n").as_bytes(),
    );
    // Go checks the argument starts at offset 8: the JSON is exactly the argument.
    assert_eq!(ops.unwrap(), vec![Op::Connect(b(json))]);
    assert_eq!(p.state(), State::OP_START);
}

#[test]
fn test_parse_sub() {
    let mut p = Parser::for_client_conn(limits());
    let mut buf = BytesMut::new();
    assert!(feed(&mut p, &mut buf, b"SUB foo 1\r").unwrap().is_empty());
    assert_eq!(p.state(), State::SUB_ARG);
    // Go checks `as` == 4 and the saved argument: the verb is consumed and the
    // argument waits at the front of the buffer.
    assert_eq!(&buf[..], b"foo 1\r");
    assert_eq!(p.scanned, 6);
    let ops = feed(&mut p, &mut buf, b"\n").unwrap();
    assert_eq!(
        ops,
        vec![Op::Sub {
            subject: b("foo"),
            queue: None,
            sid: b("1")
        }]
    );
    assert!(buf.is_empty());
}

#[test]
fn test_parse_pub() {
    let cases: [(&str, Op); 2] = [
        ("PUB foo 5\r\nhello\r", pub_op("foo", None, "hello")),
        (
            "PUB foo.bar INBOX.22 11\r\nhello world\r",
            pub_op("foo.bar", Some("INBOX.22"), "hello world"),
        ),
    ];
    for (input, want) in cases {
        let mut p = Parser::for_client_conn(limits());
        let mut buf = BytesMut::new();
        assert!(feed(&mut p, &mut buf, input.as_bytes()).unwrap().is_empty());
        assert_eq!(p.state(), State::MSG_END_N);
        assert_eq!(feed(&mut p, &mut buf, b"\n").unwrap(), vec![want]);
    }
    // This is the case when data has more bytes than expected by size.
    let err = parse_client(b"PUB foo.bar 11\r\nhello world hello world\r").unwrap_err();
    assert!(matches!(
        err,
        ParseError::UnknownOp {
            state: State::MSG_END_R,
            ..
        }
    ));
    assert_eq!(err.err_text(), "Unknown Protocol Operation");
}

/// https://www.twistlock.com/labs-blog/finding-dos-vulnerability-nats-go-fuzz-cve-2019-13126/
#[test]
fn test_parse_pub_size_overflow() {
    let input = b"PUB foo 3333333333333333333333333333333333333333333333333333333333333333\r\n";
    let err = parse_client(input).unwrap_err();
    assert!(matches!(
        err,
        ParseError::BadArgs {
            kind: ArgError::PubSize,
            ..
        }
    ));
}

#[test]
fn test_parse_pub_arg() {
    let cases: &[(&str, &str, &str, usize)] = &[
        ("a 2", "a", "", 2),
        ("a 222", "a", "", 222),
        ("foo 22", "foo", "", 22),
        (" foo 22", "foo", "", 22),
        ("foo 22 ", "foo", "", 22),
        ("foo   22", "foo", "", 22),
        (" foo 22 ", "foo", "", 22),
        (" foo   22 ", "foo", "", 22),
        ("foo bar 22", "foo", "bar", 22),
        (" foo bar 22", "foo", "bar", 22),
        ("foo bar 22 ", "foo", "bar", 22),
        ("foo  bar  22", "foo", "bar", 22),
        (" foo bar 22 ", "foo", "bar", 22),
        ("  foo   bar  22  ", "foo", "bar", 22),
        ("  foo   bar  2222  ", "foo", "bar", 2222),
        ("  foo     2222  ", "foo", "", 2222),
        ("a\t2", "a", "", 2),
        ("a\t222", "a", "", 222),
        ("foo\t22", "foo", "", 22),
        ("\tfoo\t22", "foo", "", 22),
        ("foo\t22\t", "foo", "", 22),
        ("foo\t\t\t22", "foo", "", 22),
        ("\tfoo\t22\t", "foo", "", 22),
        ("\tfoo\t\t\t22\t", "foo", "", 22),
        ("foo\tbar\t22", "foo", "bar", 22),
        ("\tfoo\tbar\t22", "foo", "bar", 22),
        ("foo\tbar\t22\t", "foo", "bar", 22),
        ("foo\t\tbar\t\t22", "foo", "bar", 22),
        ("\tfoo\tbar\t22\t", "foo", "bar", 22),
        ("\t \tfoo\t \t \tbar\t \t22\t \t", "foo", "bar", 22),
        ("\t\tfoo\t\t\tbar\t\t2222\t\t", "foo", "bar", 2222),
        ("\t \tfoo\t \t \t\t\t2222\t \t", "foo", "", 2222),
    ];
    for &(arg, subject, reply, size) in cases {
        let payload = "x".repeat(size);
        let input = format!("PUB {arg}\r\n{payload}\r\n");
        let reply = (!reply.is_empty()).then_some(reply);
        assert_eq!(
            parse_client(input.as_bytes()).unwrap(),
            vec![pub_op(subject, reply, &payload)],
            "{arg:?}"
        );
    }
}

#[test]
fn test_parse_pub_bad_size() {
    let mut p = Parser::for_client_conn(ParserLimits {
        max_payload: 32768,
        ..limits()
    });
    let err = feed(
        &mut p,
        &mut BytesMut::new(),
        b"PUB foo 2222222222222222\r\n",
    )
    .unwrap_err();
    assert!(matches!(
        err,
        ParseError::BadArgs {
            kind: ArgError::PubSize,
            ..
        }
    ));
}

#[test]
fn test_parse_header_pub() {
    let cases: [(&str, Option<&str>, usize, &str); 3] = [
        (
            "HPUB foo 12 17\r\nname:derek\r\nHELLO\r",
            None,
            12,
            "name:derek\r\nHELLO",
        ),
        (
            "HPUB foo INBOX.22 12 17\r\nname:derek\r\nHELLO\r",
            Some("INBOX.22"),
            12,
            "name:derek\r\nHELLO",
        ),
        (
            "HPUB foo INBOX.22 0 5\r\nHELLO\r",
            Some("INBOX.22"),
            0,
            "HELLO",
        ),
    ];
    for (input, reply, header_len, message) in cases {
        let mut p = Parser::for_client_conn(limits());
        let mut buf = BytesMut::new();
        assert!(feed(&mut p, &mut buf, input.as_bytes()).unwrap().is_empty());
        assert_eq!(p.state(), State::MSG_END_N);
        let want = Op::Hpub {
            subject: b("foo"),
            reply: reply.map(b),
            header_len,
            message: b(message),
        };
        assert_eq!(feed(&mut p, &mut buf, b"\n").unwrap(), vec![want]);
    }
}

#[test]
fn test_parse_header_pub_arg() {
    let cases: &[(&str, &str, &str, usize, usize)] = &[
        ("a 2 4", "a", "", 2, 4),
        ("a 22 222", "a", "", 22, 222),
        ("foo 3 22", "foo", "", 3, 22),
        (" foo   1 22", "foo", "", 1, 22),
        ("foo 0   22 ", "foo", "", 0, 22),
        ("foo  0     22", "foo", "", 0, 22),
        (" foo 1 22 ", "foo", "", 1, 22),
        (" foo   3 22 ", "foo", "", 3, 22),
        ("foo bar 1 22", "foo", "bar", 1, 22),
        (" foo bar 11 22", "foo", "bar", 11, 22),
        ("foo bar 11 22 ", "foo", "bar", 11, 22),
        ("foo  bar  11  22", "foo", "bar", 11, 22),
        (" foo bar  11 22 ", "foo", "bar", 11, 22),
        ("  foo   bar  11   22  ", "foo", "bar", 11, 22),
        ("  foo   bar  22   2222  ", "foo", "bar", 22, 2222),
        ("  foo 1    2222  ", "foo", "", 1, 2222),
        ("a\t2\t22", "a", "", 2, 22),
        ("a\t2\t\t222", "a", "", 2, 222),
        ("foo\t2 22", "foo", "", 2, 22),
        ("\tfoo\t11\t  22", "foo", "", 11, 22),
        ("foo\t11\t22\t", "foo", "", 11, 22),
        ("foo\t\t\t11 22", "foo", "", 11, 22),
        ("\tfoo\t11\t \t 22\t", "foo", "", 11, 22),
        ("\tfoo\t\t\t11 22\t", "foo", "", 11, 22),
        ("foo\tbar\t2 22", "foo", "bar", 2, 22),
        ("\tfoo\tbar\t11\t22", "foo", "bar", 11, 22),
        ("foo\tbar\t11\t\t22\t ", "foo", "bar", 11, 22),
        ("foo\t\tbar\t\t11\t\t\t22", "foo", "bar", 11, 22),
        ("\tfoo\tbar\t11\t22\t", "foo", "bar", 11, 22),
        ("\t \tfoo\t \t \tbar\t \t11\t 22\t \t", "foo", "bar", 11, 22),
        (
            "\t\tfoo\t\t\tbar\t\t22\t\t\t2222\t\t",
            "foo",
            "bar",
            22,
            2222,
        ),
        ("\t \tfoo\t \t \t\t\t11\t\t 2222\t \t", "foo", "", 11, 2222),
    ];
    for &(arg, subject, reply, header_len, size) in cases {
        let message = "y".repeat(size);
        let input = format!("HPUB {arg}\r\n{message}\r\n");
        let reply = (!reply.is_empty()).then_some(reply);
        let want = Op::Hpub {
            subject: b(subject),
            reply: reply.map(b),
            header_len,
            message: b(&message),
        };
        assert_eq!(
            parse_client(input.as_bytes()).unwrap(),
            vec![want],
            "{arg:?}"
        );
    }
}

#[test]
fn test_parse_msg_space() {
    // Ivan bug he found.
    let err = Parser::new(limits())
        .parse(&mut BytesMut::from(&b"MSG \r\n"[..]))
        .unwrap_err();
    assert!(matches!(
        err,
        ParseError::BadArgs {
            kind: ArgError::MsgParse,
            ..
        }
    ));
    // Anything with an M from a client should parse error.
    let err = parse_client(b"M").unwrap_err();
    assert!(matches!(
        err,
        ParseError::UnknownOp {
            state: State::OP_START,
            ..
        }
    ));
}

#[test]
fn test_should_fail() {
    // Go also lists "CONNECT \r\n" and "INFO  \r\n": those fail in Go's
    // processConnect/processInfo JSON decoding, which is not the decoder's job.
    let wrong_protos = [
        "xxx",
        "Px",
        "PIx",
        "PINx",
        " PING",
        "POx",
        "PONx",
        "+x",
        "+Ox",
        "-x",
        "-Ex",
        "-ERx",
        "-ERRx",
        "Cx",
        "COx",
        "CONx",
        "CONNx",
        "CONNEx",
        "CONNECx",
        "CONNECx",
        "PUx",
        "PUB foo\r\n",
        "PUB  \r\n",
        "PUB foo bar       \r\n",
        "PUB foo 2\r\nok \r\n",
        "PUB foo 2\r\nok\r \n",
        "Sx",
        "SUx",
        "SUB\r\n",
        "SUB  \r\n",
        "SUB foo\r\n",
        "SUB foo bar baz 22\r\n",
        "Ux",
        "UNx",
        "UNSx",
        "UNSUx",
        "UNSUBx",
        "UNSUBUNSUB 1\r\n",
        "UNSUB_2\r\n",
        "UNSUB_UNSUB_UNSUB 2\r\n",
        "UNSUB_\t2\r\n",
        "UNSUB\r\n",
        "UNSUB \r\n",
        "UNSUB          \t       \r\n",
        "Ix",
        "INx",
        "INFx",
    ];
    for proto in wrong_protos {
        assert!(
            parse_client(proto.as_bytes()).is_err(),
            "should fail: {proto:?}"
        );
        // The same, one byte at a time.
        let mut p = Parser::for_client_conn(limits());
        let mut buf = BytesMut::new();
        let failed = proto
            .as_bytes()
            .iter()
            .any(|&x| feed(&mut p, &mut buf, &[x]).is_err());
        assert!(failed, "should fail byte by byte: {proto:?}");
    }
    // Special case for MSG: the client side reads it.
    for proto in ["Mx", "MSx", "MSGx", "MSG  \r\n"] {
        let mut p = Parser::new(limits());
        assert!(
            feed(&mut p, &mut BytesMut::new(), proto.as_bytes()).is_err(),
            "{proto:?}"
        );
    }
}

#[test]
fn test_proto_snippet() {
    let sample = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let full = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY";
    for start in 0..=54usize {
        // Windows of 32; once cut by the end, Go also loses the last byte.
        let expected = if start + PROTO_SNIPPET_SIZE <= sample.len() {
            format!(
                "\"{}\"",
                &std::str::from_utf8(sample).unwrap()[start..start + 32]
            )
        } else if start < sample.len() {
            format!("\"{}\"", &full[start.min(full.len())..])
        } else {
            String::from("\"\"")
        };
        assert_eq!(
            proto_snippet(start, PROTO_SNIPPET_SIZE, sample),
            expected,
            "start={start}"
        );
    }
    // Spot checks against Go's table.
    assert_eq!(
        proto_snippet(0, 32, sample),
        r#""abcdefghijklmnopqrstuvwxyzABCDEF""#
    );
    assert_eq!(
        proto_snippet(21, 32, sample),
        r#""vwxyzABCDEFGHIJKLMNOPQRSTUVWXY""#
    );
    assert_eq!(proto_snippet(50, 32, sample), r#""Y""#);
    assert_eq!(proto_snippet(51, 32, sample), r#""""#);
}

#[test]
fn test_parse_ok() {
    use State::*;
    check_states(
        b"+OK\r\n",
        &[OP_PLUS, OP_PLUS_O, OP_PLUS_OK, OP_PLUS_OK, OP_START],
        Op::Ok,
    );
}

#[test]
fn test_max_control_line() {
    // Only Go's "client" row: the x16 limit of routes, leafs and gateways is not ours.
    let pub_proto = b"PUB foo.bar.baz 2\r\nok\r\n";
    let tight = ParserLimits {
        max_control_line: 8,
        ..limits()
    };
    // First try with a partial.
    let mut p = Parser::for_client_conn(tight);
    let err = feed(&mut p, &mut BytesMut::new(), &pub_proto[..14]).unwrap_err();
    assert!(matches!(
        err,
        ParseError::MaxControlLine {
            max_control_line: 8,
            len: 10,
            ..
        }
    ));
    assert_eq!(err.err_text(), "maximum control line exceeded");
    assert!(err.sends_err() && err.closes_connection());
    // Now with full protocol (no split) and we should still enforce.
    let mut p = Parser::for_client_conn(tight);
    let err = feed(&mut p, &mut BytesMut::new(), pub_proto).unwrap_err();
    assert!(matches!(
        err,
        ParseError::MaxControlLine {
            state: State::PUB_ARG,
            len: 13,
            ..
        }
    ));
    let logged = err.to_string();
    assert!(logged.starts_with("maximum control line exceeded: State 33, max_control_line 8,"));
    assert!(logged.ends_with(r#"(snip: "foo.bar.baz "...)"#), "{logged}");
}

// ---- Our own tests ----------------------------------------------------------

#[test]
fn verbs_are_case_insensitive() {
    let ops =
        parse_client(b"pub a 1\r\nx\r\nPuB b 0\r\n\r\nsub c 1\r\nUnSuB 1\r\nping\r\npOnG\r\n");
    let want = vec![
        pub_op("a", None, "x"),
        pub_op("b", None, ""),
        Op::Sub {
            subject: b("c"),
            queue: None,
            sid: b("1"),
        },
        Op::Unsub {
            sid: b("1"),
            max: None,
        },
        Op::Ping,
        Op::Pong,
    ];
    assert_eq!(ops.unwrap(), want);
}

#[test]
fn bare_lf_ends_a_control_line() {
    let ops = parse_client(b"PUB foo 2\nok\r\nSUB foo q 1\nPING\nCONNECT {}\n");
    let want = vec![
        pub_op("foo", None, "ok"),
        Op::Sub {
            subject: b("foo"),
            queue: Some(b("q")),
            sid: b("1"),
        },
        Op::Ping,
        Op::Connect(b("{}")),
    ];
    assert_eq!(ops.unwrap(), want);
}

#[test]
fn server_ops_decode() {
    let input = b"INFO {\"a\":1}\r\nMSG foo 1 5\r\nhello\r\nMSG foo 1 r 0\r\n\r\n\
        HMSG foo 2 r 3 5\r\nh:\rxy\r\n+OK\r\n-ERR 'Stale Connection'\r\n-ERR bare\r\n";
    let ops = Parser::new(limits()).parse_all_for_test(input).unwrap();
    let want = vec![
        Op::Info(b("{\"a\":1}")),
        Op::Msg {
            subject: b("foo"),
            sid: b("1"),
            reply: None,
            payload: b("hello"),
        },
        Op::Msg {
            subject: b("foo"),
            sid: b("1"),
            reply: Some(b("r")),
            payload: b(""),
        },
        Op::Hmsg {
            subject: b("foo"),
            sid: b("2"),
            reply: Some(b("r")),
            header_len: 3,
            message: b("h:\rxy"),
        },
        Op::Ok,
        Op::Err(b("Stale Connection")),
        Op::Err(b("bare")),
    ];
    assert_eq!(ops, want);
}

impl Parser {
    fn parse_all_for_test(mut self, input: &[u8]) -> Result<Vec<Op>, ParseError> {
        feed(&mut self, &mut BytesMut::new(), input)
    }
}

#[test]
fn client_conn_rejects_hmsg() {
    let err = parse_client(b"HMSG foo 1 0 0\r\n\r\n").unwrap_err();
    assert!(matches!(
        err,
        ParseError::UnknownOp {
            state: State::OP_H,
            ..
        }
    ));
}

#[test]
fn argument_error_texts_match_go() {
    let cases: &[(&str, &str)] = &[
        ("PUB foo\r\n", r#"processPub Parse Error: "foo""#),
        (
            "PUB foo -1\r\n",
            r#"processPub Bad or Missing Size: "foo -1""#,
        ),
        (
            "PUB foo bar\tbaz 1\r\n",
            "processPub Parse Error: \"foo bar\\tbaz 1\"",
        ),
        ("HPUB foo 1\r\n", r#"processHeaderPub Parse Error: "foo 1""#),
        (
            "HPUB foo x 2\r\n",
            r#"processHeaderPub Bad or Missing Header Size: "foo x 2""#,
        ),
        (
            "HPUB foo 2 x\r\n",
            r#"processHeaderPub Bad or Missing Total Size: "foo 2 x""#,
        ),
        (
            "HPUB foo 3 2\r\n",
            r#"processHeaderPub Header Size larger then TotalSize: "foo 3 2""#,
        ),
        ("SUB foo\r\n", r#"processSub Parse Error: "foo""#),
        ("UNSUB 1 2 3\r\n", r#"processUnsub Parse Error: "1 2 3""#),
    ];
    for &(input, text) in cases {
        let err = parse_client(input.as_bytes()).unwrap_err();
        assert_eq!(err.err_text(), text, "{input:?}");
        assert!(!err.sends_err() && err.closes_connection());
    }
    let client_cases: &[(&str, &str)] = &[
        ("MSG foo 1\r\n", "nats: processMsgArgs Parse Error: 'foo 1'"),
        (
            "MSG foo 1 x\r\n",
            "nats: processMsgArgs Bad or Missing Size: 'foo 1 x'",
        ),
        (
            "HMSG foo 1 2\r\n",
            "nats: processHeaderMsgArgs Parse Error: 'foo 1 2'",
        ),
        (
            "HMSG foo 1 3 2\r\n",
            "nats: processHeaderMsgArgs Bad or Missing Header Size: 'foo 1 3 2'",
        ),
        (
            "HMSG foo 1 0 x\r\n",
            "nats: processHeaderMsgArgs Bad or Missing Header Size: 'foo 1 0 x'",
        ),
    ];
    for &(input, text) in client_cases {
        let err = Parser::new(limits())
            .parse_all_for_test(input.as_bytes())
            .unwrap_err();
        assert_eq!(err.err_text(), text, "{input:?}");
    }
}

#[test]
fn max_payload_is_enforced_for_pub_hpub_msg_hmsg() {
    let small = ParserLimits {
        max_payload: 4,
        ..limits()
    };
    for input in [
        "PUB foo 5\r\n",
        "HPUB foo 0 5\r\n",
        "MSG foo 1 5\r\n",
        "HMSG foo 1 0 5\r\n",
    ] {
        let err = Parser::new(small)
            .parse_all_for_test(input.as_bytes())
            .unwrap_err();
        assert_eq!(
            err,
            ParseError::MaxPayload {
                size: 5,
                max_payload: 4
            }
        );
        assert_eq!(err.err_text(), "Maximum Payload Violation");
        assert!(err.sends_err() && err.closes_connection());
    }
    let ok = Parser::new(small)
        .parse_all_for_test(b"PUB foo 4\r\nabcd\r\n")
        .unwrap();
    assert_eq!(ok, vec![pub_op("foo", None, "abcd")]);
}

#[test]
fn unsub_max_parses_like_go() {
    let ops = parse_client(b"UNSUB 1 10\r\nUNSUB 2 x\r\nUNSUB 3 0\r\n").unwrap();
    let want = vec![
        Op::Unsub {
            sid: b("1"),
            max: Some(10),
        },
        // Go: an unparsable max is -1, which behaves as no max.
        Op::Unsub {
            sid: b("2"),
            max: None,
        },
        Op::Unsub {
            sid: b("3"),
            max: Some(0),
        },
    ];
    assert_eq!(ops, want);
}

#[test]
fn claimed_size_allocates_nothing() {
    let mut p = Parser::for_client_conn(ParserLimits {
        max_payload: usize::MAX,
        ..limits()
    });
    let mut buf = BytesMut::with_capacity(64);
    assert!(feed(&mut p, &mut buf, b"PUB foo 999999999\r\nab")
        .unwrap()
        .is_empty());
    assert_eq!(p.state(), State::MSG_PAYLOAD);
    assert!(buf.capacity() < 1024, "capacity {}", buf.capacity());
}

#[test]
fn payload_in_small_pieces_is_not_rescanned() {
    let mut p = Parser::for_client_conn(limits());
    let mut buf = BytesMut::new();
    let payload = vec![b'\n'; 100_000];
    feed(&mut p, &mut buf, b"PUB foo 100000\r\n").unwrap();
    for chunk in payload.chunks(7) {
        assert!(feed(&mut p, &mut buf, chunk).unwrap().is_empty());
        assert_eq!(p.state(), State::MSG_PAYLOAD);
    }
    let ops = feed(&mut p, &mut buf, b"\r\n").unwrap();
    assert_eq!(
        ops,
        vec![Op::Pub {
            subject: b("foo"),
            reply: None,
            payload: Bytes::from(payload)
        }]
    );
}

#[test]
fn long_argument_line_is_scanned_once() {
    let mut p = Parser::for_client_conn(limits());
    let mut buf = BytesMut::new();
    feed(&mut p, &mut buf, b"SUB ").unwrap();
    for i in 1..=100 {
        feed(&mut p, &mut buf, b"a.").unwrap();
        assert_eq!(p.scanned, 2 * i);
    }
    let ops = feed(&mut p, &mut buf, b"b 1\r\n").unwrap();
    let subject = format!("{}b", "a.".repeat(100));
    assert_eq!(
        ops,
        vec![Op::Sub {
            subject: b(&subject),
            queue: None,
            sid: b("1")
        }]
    );
}

#[test]
fn ops_are_slices_of_the_read_buffer() {
    let mut buf = BytesMut::from(&b"PUB foo 5\r\nhello\r\n"[..]);
    let start = buf.as_ptr() as usize;
    let op = Parser::for_client_conn(limits())
        .parse(&mut buf)
        .unwrap()
        .unwrap();
    let Op::Pub {
        subject, payload, ..
    } = op
    else {
        panic!("not a PUB: {op:?}")
    };
    assert_eq!(subject.as_ptr() as usize, start + 4);
    assert_eq!(payload.as_ptr() as usize, start + 11);
}

#[test]
fn ping_garbage_is_consumed_not_buffered() {
    // A PING whose tail never ends keeps the buffer empty.
    let mut p = Parser::for_client_conn(limits());
    let mut buf = BytesMut::new();
    feed(&mut p, &mut buf, b"PING").unwrap();
    for _ in 0..100 {
        assert!(feed(&mut p, &mut buf, b" junk junk").unwrap().is_empty());
        assert!(buf.is_empty());
    }
    assert_eq!(feed(&mut p, &mut buf, b"\r\n").unwrap(), vec![Op::Ping]);
}

#[test]
fn first_argument_byte_is_taken_as_is() {
    // Go consumes the first argument byte in the *_SPC state: a `\r` there is
    // part of the argument, and a `\n` there does not end the line.
    let ops = Parser::new(limits())
        .parse_all_for_test(b"INFO \r\r\nINFO \nx\r\n")
        .unwrap();
    assert_eq!(ops, vec![Op::Info(b("\r")), Op::Info(b("\nx"))]);
}
