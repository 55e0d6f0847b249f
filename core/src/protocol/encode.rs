//! Encoders for the NATS protocol ops, appending to a `BytesMut`.
//!
//! These run on the hot path (every delivered message goes through
//! [`write_msg`] / [`write_hmsg`]): no allocation beyond the buffer's own
//! growth, integers formatted on the stack. The layouts are those of Go's
//! `msgHeader` (client.go) and of the Go client for PUB/HPUB/SUB/UNSUB.
//!
//! The encoders do not validate: subjects, sids and replies must be tokens
//! without blanks or CR/LF, and an `-ERR` text must not contain CR/LF. An
//! `Op` produced by the parser always re-encodes to bytes that parse back to
//! the same `Op` (see tests/parser_fuzz.rs).

use super::op::Op;
use bytes::{BufMut, BytesMut};

pub const PING: &[u8] = b"PING\r\n";
pub const PONG: &[u8] = b"PONG\r\n";
pub const OK: &[u8] = b"+OK\r\n";
const CRLF: &[u8] = b"\r\n";

/// Room for the digits of any `u64`.
pub const U64_DIGITS_MAX: usize = 20;

/// The decimal digits of `n`, written at the end of `buf`.
pub fn u64_digits(mut n: u64, buf: &mut [u8; U64_DIGITS_MAX]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[at..]
}

/// Appends the decimal digits of `n`.
fn put_u64(out: &mut BytesMut, n: u64) {
    let mut digits = [0u8; U64_DIGITS_MAX];
    out.put_slice(u64_digits(n, &mut digits));
}

fn put_usize(out: &mut BytesMut, n: usize) {
    put_u64(out, n as u64);
}

/// ` <token>`
fn put_arg(out: &mut BytesMut, token: &[u8]) {
    out.put_u8(b' ');
    out.put_slice(token);
}

/// `MSG <subject> <sid> [reply] <#bytes>\r\n<payload>\r\n`
pub fn write_msg(
    out: &mut BytesMut,
    subject: &[u8],
    sid: &[u8],
    reply: Option<&[u8]>,
    payload: &[u8],
) {
    let reply_len = reply.map_or(0, |r| r.len() + 1);
    out.reserve(16 + subject.len() + sid.len() + reply_len + payload.len());
    out.put_slice(b"MSG");
    put_arg(out, subject);
    put_arg(out, sid);
    if let Some(reply) = reply {
        put_arg(out, reply);
    }
    out.put_u8(b' ');
    put_usize(out, payload.len());
    out.put_slice(CRLF);
    out.put_slice(payload);
    out.put_slice(CRLF);
}

/// `HMSG <subject> <sid> [reply] <#header bytes> <#total bytes>\r\n<message>\r\n`;
/// `message` is headers then body.
pub fn write_hmsg(
    out: &mut BytesMut,
    subject: &[u8],
    sid: &[u8],
    reply: Option<&[u8]>,
    header_len: usize,
    message: &[u8],
) {
    debug_assert!(header_len <= message.len());
    let reply_len = reply.map_or(0, |r| r.len() + 1);
    out.reserve(32 + subject.len() + sid.len() + reply_len + message.len());
    out.put_slice(b"HMSG");
    put_arg(out, subject);
    put_arg(out, sid);
    if let Some(reply) = reply {
        put_arg(out, reply);
    }
    out.put_u8(b' ');
    put_usize(out, header_len);
    out.put_u8(b' ');
    put_usize(out, message.len());
    out.put_slice(CRLF);
    out.put_slice(message);
    out.put_slice(CRLF);
}

/// `PUB <subject> [reply] <#bytes>\r\n<payload>\r\n`
pub fn write_pub(out: &mut BytesMut, subject: &[u8], reply: Option<&[u8]>, payload: &[u8]) {
    let reply_len = reply.map_or(0, |r| r.len() + 1);
    out.reserve(16 + subject.len() + reply_len + payload.len());
    out.put_slice(b"PUB");
    put_arg(out, subject);
    if let Some(reply) = reply {
        put_arg(out, reply);
    }
    out.put_u8(b' ');
    put_usize(out, payload.len());
    out.put_slice(CRLF);
    out.put_slice(payload);
    out.put_slice(CRLF);
}

/// `HPUB <subject> [reply] <#header bytes> <#total bytes>\r\n<message>\r\n`
pub fn write_hpub(
    out: &mut BytesMut,
    subject: &[u8],
    reply: Option<&[u8]>,
    header_len: usize,
    message: &[u8],
) {
    debug_assert!(header_len <= message.len());
    let reply_len = reply.map_or(0, |r| r.len() + 1);
    out.reserve(32 + subject.len() + reply_len + message.len());
    out.put_slice(b"HPUB");
    put_arg(out, subject);
    if let Some(reply) = reply {
        put_arg(out, reply);
    }
    out.put_u8(b' ');
    put_usize(out, header_len);
    out.put_u8(b' ');
    put_usize(out, message.len());
    out.put_slice(CRLF);
    out.put_slice(message);
    out.put_slice(CRLF);
}

/// `SUB <subject> [queue] <sid>\r\n`
pub fn write_sub(out: &mut BytesMut, subject: &[u8], queue: Option<&[u8]>, sid: &[u8]) {
    out.put_slice(b"SUB");
    put_arg(out, subject);
    if let Some(queue) = queue {
        put_arg(out, queue);
    }
    put_arg(out, sid);
    out.put_slice(CRLF);
}

/// `UNSUB <sid> [max]\r\n`. Go parses at most 9 digits: a larger `max`
/// reads back as no max.
pub fn write_unsub(out: &mut BytesMut, sid: &[u8], max: Option<u64>) {
    out.put_slice(b"UNSUB");
    put_arg(out, sid);
    if let Some(max) = max {
        out.put_u8(b' ');
        put_u64(out, max);
    }
    out.put_slice(CRLF);
}

/// `INFO <json>\r\n`
pub fn write_info(out: &mut BytesMut, json: &[u8]) {
    out.reserve(7 + json.len());
    out.put_slice(b"INFO ");
    out.put_slice(json);
    out.put_slice(CRLF);
}

/// `CONNECT <json>\r\n`
pub fn write_connect(out: &mut BytesMut, json: &[u8]) {
    out.reserve(10 + json.len());
    out.put_slice(b"CONNECT ");
    out.put_slice(json);
    out.put_slice(CRLF);
}

/// `-ERR '<text>'\r\n` (Go's `errProto`).
pub fn write_err(out: &mut BytesMut, text: &str) {
    write_err_bytes(out, text.as_bytes());
}

fn write_err_bytes(out: &mut BytesMut, text: &[u8]) {
    out.reserve(9 + text.len());
    if text.first() == Some(&b'\n') {
        // Only the decoder makes such a text (`-ERR \n...`: Go takes the first
        // argument byte whatever it is). Quoted, the `\n` would end the line;
        // unquoted, it reads back the same.
        out.put_slice(b"-ERR ");
        out.put_slice(text);
        out.put_slice(CRLF);
        return;
    }
    out.put_slice(b"-ERR '");
    out.put_slice(text);
    out.put_slice(b"'\r\n");
}

/// Writes any op in its wire form.
pub fn encode_op(out: &mut BytesMut, op: &Op) {
    match op {
        Op::Info(json) => write_info(out, json),
        Op::Connect(json) => write_connect(out, json),
        Op::Pub {
            subject,
            reply,
            payload,
        } => write_pub(out, subject, reply.as_deref(), payload),
        Op::Hpub {
            subject,
            reply,
            header_len,
            message,
        } => write_hpub(out, subject, reply.as_deref(), *header_len, message),
        Op::Sub {
            subject,
            queue,
            sid,
        } => write_sub(out, subject, queue.as_deref(), sid),
        Op::Unsub { sid, max } => write_unsub(out, sid, *max),
        Op::Msg {
            subject,
            sid,
            reply,
            payload,
        } => write_msg(out, subject, sid, reply.as_deref(), payload),
        Op::Hmsg {
            subject,
            sid,
            reply,
            header_len,
            message,
        } => write_hmsg(out, subject, sid, reply.as_deref(), *header_len, message),
        Op::Ping => out.put_slice(PING),
        Op::Pong => out.put_slice(PONG),
        Op::Ok => out.put_slice(OK),
        Op::Err(text) => write_err_bytes(out, text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(f: impl FnOnce(&mut BytesMut)) -> Vec<u8> {
        let mut out = BytesMut::new();
        f(&mut out);
        out.to_vec()
    }

    #[test]
    fn test_put_u64_edges() {
        for n in [0u64, 9, 10, 99, 100, 1234567890, u64::MAX] {
            let got = encoded(|o| put_u64(o, n));
            assert_eq!(got, n.to_string().into_bytes());
        }
    }

    #[test]
    fn test_write_layouts() {
        assert_eq!(
            encoded(|o| write_msg(o, b"foo", b"1", None, b"hi")),
            b"MSG foo 1 2\r\nhi\r\n"
        );
        assert_eq!(
            encoded(|o| write_msg(o, b"foo", b"1", Some(b"_INBOX.a"), b"")),
            b"MSG foo 1 _INBOX.a 0\r\n\r\n"
        );
        assert_eq!(
            encoded(|o| write_hmsg(o, b"foo", b"22", Some(b"r"), 12, b"NATS/1.0\r\n\r\nhi")),
            b"HMSG foo 22 r 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
        );
        assert_eq!(
            encoded(|o| write_pub(o, b"a.b", None, b"hello")),
            b"PUB a.b 5\r\nhello\r\n"
        );
        assert_eq!(
            encoded(|o| write_hpub(o, b"a", Some(b"r"), 2, b"hdbody")),
            b"HPUB a r 2 6\r\nhdbody\r\n"
        );
        assert_eq!(
            encoded(|o| write_sub(o, b"foo", Some(b"q"), b"7")),
            b"SUB foo q 7\r\n"
        );
        assert_eq!(
            encoded(|o| write_sub(o, b"foo", None, b"7")),
            b"SUB foo 7\r\n"
        );
        assert_eq!(
            encoded(|o| write_unsub(o, b"7", Some(10))),
            b"UNSUB 7 10\r\n"
        );
        assert_eq!(encoded(|o| write_unsub(o, b"7", None)), b"UNSUB 7\r\n");
        assert_eq!(encoded(|o| write_info(o, b"{}")), b"INFO {}\r\n");
        assert_eq!(encoded(|o| write_connect(o, b"{}")), b"CONNECT {}\r\n");
        assert_eq!(
            encoded(|o| write_err(o, "Unknown Protocol Operation")),
            b"-ERR 'Unknown Protocol Operation'\r\n"
        );
        assert_eq!(encoded(|o| encode_op(o, &Op::Ok)), b"+OK\r\n");
        assert_eq!(encoded(|o| encode_op(o, &Op::Ping)), b"PING\r\n");
        assert_eq!(encoded(|o| encode_op(o, &Op::Pong)), b"PONG\r\n");
    }
}
