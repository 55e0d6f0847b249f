//! Turning the bytes a server sent into a transcript that two different
//! servers can be compared on.
//!
//! - Lines are split at `\r\n`; other control bytes are escaped.
//! - `INFO {json}` becomes `INFO keys=[k:type,...] proto=.. headers=..`:
//!   the set of keys and the JSON type of each value, plus the values of
//!   [`INFO_VALUE_KEYS`]. Values of ids, names, ports, versions are dropped.
//! - [`INFO_IGNORED_KEYS`] are left out entirely (intentional differences).

use serde_json::Value;

/// INFO keys whose values are compared, not only their types.
pub const INFO_VALUE_KEYS: [&str; 5] = ["proto", "headers", "max_payload", "auth_required", "tls_required"];

/// INFO keys left out of the comparison: `git_commit` is a Go build detail
/// (rnatsd has no Go commit to report).
pub const INFO_IGNORED_KEYS: [&str; 1] = ["git_commit"];

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Normalizes the argument of one `INFO` line (the text after `INFO `).
pub fn normalize_info(json: &str) -> String {
    let v: Value = match serde_json::from_str(json.trim()) {
        Ok(v) => v,
        Err(_) => return format!("INFO <bad json> {}", escape(json.as_bytes())),
    };
    let Value::Object(map) = v else {
        return format!("INFO <not an object> {}", escape(json.as_bytes()));
    };
    let mut keys: Vec<String> = map
        .iter()
        .filter(|(k, _)| !INFO_IGNORED_KEYS.contains(&k.as_str()))
        .map(|(k, v)| format!("{k}:{}", json_type(v)))
        .collect();
    keys.sort();
    let mut out = format!("INFO keys=[{}]", keys.join(","));
    for k in INFO_VALUE_KEYS {
        if let Some(v) = map.get(k) {
            out.push_str(&format!(" {k}={v}"));
        }
    }
    out
}

/// Printable ASCII as is; everything else as `\r`, `\n`, `\t` or `\xNN`.
pub fn escape(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s
}

/// The transcript lines for `bytes` received on one connection. A final
/// piece without `\r\n` is kept, marked `<partial>`.
pub fn normalize_bytes(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        match rest.windows(2).position(|w| w == b"\r\n") {
            Some(pos) => {
                out.push(normalize_line(&rest[..pos]));
                rest = &rest[pos + 2..];
            }
            None => {
                out.push(format!("<partial> {}", escape(rest)));
                break;
            }
        }
    }
    out
}

fn normalize_line(line: &[u8]) -> String {
    if let Some(json) = line.strip_prefix(b"INFO ") {
        if let Ok(json) = std::str::from_utf8(json) {
            return normalize_info(json);
        }
    }
    escape(line)
}

/// Removes the final `PONG\r\n` (the tester's own barrier answer) from what
/// a step read. Returns false when there was none.
pub fn strip_barrier_pong(bytes: &mut Vec<u8>) -> bool {
    if bytes.ends_with(b"PONG\r\n") {
        bytes.truncate(bytes.len() - 6);
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_keeps_key_types_and_chosen_values() {
        let a = normalize_info(
            r#"{"server_id":"NABC","version":"2.9.10","proto":1,"headers":true,"max_payload":64,"client_id":7,"git_commit":"x"}"#,
        );
        let b = normalize_info(
            r#"{"max_payload":64,"client_id":9,"headers":true,"proto":1,"version":"2.11.0","server_id":"NXYZ"}"#,
        );
        assert_eq!(a, b);
        assert_eq!(
            a,
            "INFO keys=[client_id:number,headers:bool,max_payload:number,proto:number,server_id:string,version:string] \
             proto=1 headers=true max_payload=64"
        );
    }

    #[test]
    fn info_value_differences_show() {
        let a = normalize_info(r#"{"max_payload":64,"auth_required":true}"#);
        let b = normalize_info(r#"{"max_payload":65,"auth_required":true}"#);
        assert_ne!(a, b);
        let c = normalize_info(r#"{"max_payload":64}"#);
        assert_ne!(a, c, "a missing key is a difference");
        let d = normalize_info(r#"{"max_payload":"64","auth_required":true}"#);
        assert_ne!(a, d, "a type change is a difference");
    }

    #[test]
    fn bytes_split_into_lines_with_partial_tail() {
        let lines = normalize_bytes(b"+OK\r\nMSG foo 1 2\r\nhi\r\n-ERR 'x\x01'\r\nPON");
        assert_eq!(lines, vec!["+OK", "MSG foo 1 2", "hi", "-ERR 'x\\x01'", "<partial> PON"]);
        assert!(normalize_bytes(b"").is_empty());
    }

    #[test]
    fn info_line_inside_bytes_is_normalized() {
        let lines = normalize_bytes(b"INFO {\"proto\":1,\"server_id\":\"N\"} \r\nPONG\r\n");
        assert_eq!(lines, vec!["INFO keys=[proto:number,server_id:string] proto=1", "PONG"]);
        let bad = normalize_bytes(b"INFO {nope\r\n");
        assert!(bad[0].starts_with("INFO <bad json>"));
    }

    #[test]
    fn barrier_pong_is_stripped_once() {
        let mut b = b"PONG\r\nPONG\r\n".to_vec();
        assert!(strip_barrier_pong(&mut b));
        assert_eq!(b, b"PONG\r\n");
        let mut c = b"-ERR 'x'\r\n".to_vec();
        assert!(!strip_barrier_pong(&mut c));
        assert_eq!(c, b"-ERR 'x'\r\n");
    }
}
