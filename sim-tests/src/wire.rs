//! The client side of the wire, written independently of core's parser so
//! that the simulator does not share its bugs: a small incremental decoder
//! for what a server sends (INFO, MSG, HMSG, PING, PONG, +OK, -ERR) and
//! encoders for what a client sends.

use bytes::{Buf, Bytes, BytesMut};

/// One thing the server said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerOp {
    Info(String),
    Msg {
        subject: String,
        sid: u64,
        reply: Option<String>,
        headers: Option<Bytes>,
        payload: Bytes,
    },
    Ping,
    Pong,
    Ok,
    Err(String),
}

/// Why the server's bytes could not be decoded (always a server bug).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireError(pub String);

fn bad(what: impl Into<String>) -> WireError {
    WireError(what.into())
}

/// Decodes the front of `buf`; `Ok(None)` if more bytes are needed.
pub fn decode(buf: &mut BytesMut) -> Result<Option<ServerOp>, WireError> {
    let Some(eol) = buf.windows(2).position(|w| w == b"\r\n") else {
        if buf.len() > 64 * 1024 {
            return Err(bad("control line without CRLF"));
        }
        return Ok(None);
    };
    let line = std::str::from_utf8(&buf[..eol]).map_err(|_| bad("control line not UTF-8"))?;
    let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
    let op = match verb {
        "INFO" => ServerOp::Info(rest.to_string()),
        "PING" => ServerOp::Ping,
        "PONG" => ServerOp::Pong,
        "+OK" => ServerOp::Ok,
        "-ERR" => ServerOp::Err(rest.trim_matches('\'').trim_end_matches('\'').to_string()),
        "MSG" | "HMSG" => return decode_msg(buf, eol, verb == "HMSG"),
        _ => return Err(bad(format!("unknown server op {line:?}"))),
    };
    buf.advance(eol + 2);
    Ok(Some(op))
}

fn decode_msg(buf: &mut BytesMut, eol: usize, hmsg: bool) -> Result<Option<ServerOp>, WireError> {
    let line = std::str::from_utf8(&buf[..eol]).map_err(|_| bad("MSG line not UTF-8"))?;
    let args: Vec<&str> = line.split(' ').skip(1).filter(|s| !s.is_empty()).collect();
    let num = |s: &str| {
        s.parse::<usize>()
            .map_err(|_| bad(format!("bad size in {line:?}")))
    };
    let (subject, sid, reply, hdr, total) = match (hmsg, args.len()) {
        (false, 3) => (args[0], args[1], None, 0, num(args[2])?),
        (false, 4) => (args[0], args[1], Some(args[2]), 0, num(args[3])?),
        (true, 4) => (args[0], args[1], None, num(args[2])?, num(args[3])?),
        (true, 5) => (
            args[0],
            args[1],
            Some(args[2]),
            num(args[3])?,
            num(args[4])?,
        ),
        _ => return Err(bad(format!("bad MSG line {line:?}"))),
    };
    if hdr > total {
        return Err(bad(format!("header size above total in {line:?}")));
    }
    let sid = sid
        .parse::<u64>()
        .map_err(|_| bad(format!("bad sid in {line:?}")))?;
    let (subject, reply) = (subject.to_string(), reply.map(str::to_string));
    let need = eol + 2 + total + 2;
    if buf.len() < need {
        return Ok(None);
    }
    if &buf[need - 2..need] != b"\r\n" {
        return Err(bad(format!("payload of {line:?} not followed by CRLF")));
    }
    buf.advance(eol + 2);
    let mut body = buf.split_to(total).freeze();
    buf.advance(2);
    let headers = hmsg.then(|| body.split_to(hdr));
    Ok(Some(ServerOp::Msg {
        subject,
        sid,
        reply,
        headers,
        payload: body,
    }))
}

pub fn connect(headers: bool, no_responders: bool) -> Vec<u8> {
    format!(
        "CONNECT {{\"verbose\":false,\"pedantic\":false,\"lang\":\"sim\",\"version\":\"0\",\
         \"protocol\":1,\"headers\":{headers},\"no_responders\":{no_responders}}}\r\n"
    )
    .into_bytes()
}

/// CONNECT with a user and password (accounts workloads).
pub fn connect_as(headers: bool, no_responders: bool, creds: Option<(&str, &str)>) -> Vec<u8> {
    let Some((user, pass)) = creds else { return connect(headers, no_responders) };
    format!(
        "CONNECT {{\"verbose\":false,\"pedantic\":false,\"lang\":\"sim\",\"version\":\"0\",\
         \"protocol\":1,\"headers\":{headers},\"no_responders\":{no_responders},\
         \"user\":\"{user}\",\"pass\":\"{pass}\"}}\r\n"
    )
    .into_bytes()
}

pub fn sub(subject: &str, queue: Option<&str>, sid: u64) -> Vec<u8> {
    match queue {
        Some(q) => format!("SUB {subject} {q} {sid}\r\n").into_bytes(),
        None => format!("SUB {subject} {sid}\r\n").into_bytes(),
    }
}

pub fn unsub(sid: u64, max: Option<u64>) -> Vec<u8> {
    match max {
        Some(m) => format!("UNSUB {sid} {m}\r\n").into_bytes(),
        None => format!("UNSUB {sid}\r\n").into_bytes(),
    }
}

pub fn publish(
    subject: &str,
    reply: Option<&str>,
    headers: Option<&[u8]>,
    payload: &[u8],
) -> Vec<u8> {
    let reply = reply.map(|r| format!("{r} ")).unwrap_or_default();
    let mut out = match headers {
        Some(h) => format!(
            "HPUB {subject} {reply}{} {}\r\n",
            h.len(),
            h.len() + payload.len()
        )
        .into_bytes(),
        None => format!("PUB {subject} {reply}{}\r\n", payload.len()).into_bytes(),
    };
    out.extend_from_slice(headers.unwrap_or_default());
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\r\n");
    out
}

/// Whether `subject` (literal) matches `filter` (with `*` and `>`).
pub fn subject_matches(filter: &str, subject: &str) -> bool {
    let mut f = filter.split('.');
    let mut s = subject.split('.');
    loop {
        match (f.next(), s.next()) {
            (Some(">"), Some(_)) => return true,
            (Some("*"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_split_messages() {
        let all = b"INFO {\"a\":1}\r\nMSG foo 1 5\r\nhello\r\nHMSG r 2 in 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPING\r\n-ERR 'Unknown Protocol Operation'\r\n";
        for cut in 0..all.len() {
            let mut buf = BytesMut::new();
            let mut ops = Vec::new();
            for part in [&all[..cut], &all[cut..]] {
                buf.extend_from_slice(part);
                while let Some(op) = decode(&mut buf).unwrap() {
                    ops.push(op);
                }
            }
            assert_eq!(ops.len(), 5, "cut {cut}");
            assert_eq!(
                ops[1],
                ServerOp::Msg {
                    subject: "foo".into(),
                    sid: 1,
                    reply: None,
                    headers: None,
                    payload: Bytes::from_static(b"hello"),
                }
            );
            let ServerOp::Msg {
                reply,
                headers,
                payload,
                ..
            } = &ops[2]
            else {
                panic!()
            };
            assert_eq!(reply.as_deref(), Some("in"));
            assert_eq!(headers.as_deref(), Some(&b"NATS/1.0\r\n\r\n"[..]));
            assert_eq!(&payload[..], b"hi");
            assert_eq!(ops[4], ServerOp::Err("Unknown Protocol Operation".into()));
        }
    }

    #[test]
    fn rejects_garbage_from_server() {
        let mut buf = BytesMut::from(&b"MSG foo x 1\r\na\r\n"[..]);
        assert!(decode(&mut buf).is_err());
        let mut buf = BytesMut::from(&b"MSG foo 1 1\r\nabc\r\n"[..]);
        assert!(decode(&mut buf).is_err());
    }

    #[test]
    fn subject_matching() {
        assert!(subject_matches("a.*", "a.b"));
        assert!(!subject_matches("a.*", "a.b.c"));
        assert!(subject_matches("a.>", "a.b.c"));
        assert!(!subject_matches("a.>", "a"));
        assert!(subject_matches(">", "x"));
        assert!(subject_matches("a.b", "a.b"));
        assert!(!subject_matches("a.b", "a.c"));
        assert!(subject_matches("*.b", "a.b"));
    }

    #[test]
    fn encodes_client_ops() {
        assert_eq!(publish("a", Some("r"), None, b"xy"), b"PUB a r 2\r\nxy\r\n");
        assert_eq!(
            publish("a", None, Some(b"NATS/1.0\r\n\r\n"), b"x"),
            b"HPUB a 12 13\r\nNATS/1.0\r\n\r\nx\r\n"
        );
        assert_eq!(sub("a", Some("q"), 3), b"SUB a q 3\r\n");
        assert_eq!(unsub(3, Some(2)), b"UNSUB 3 2\r\n");
    }
}
