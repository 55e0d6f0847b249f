//! The config parser: a port of Go's conf/parse.go (always in Go's
//! "pedantic" mode, so every value carries its position).
//!
//! IO stays outside: environment variables come through `env`, included
//! files through `include`, which receives the path Go would open (the
//! include name joined to the directory of the including file).

use std::collections::HashSet;

use super::lexer::{Item, ItemType, Lexer};
use super::value::{ConfError, DateTime, Kind, Map, Value};

/// Looks up an environment variable.
pub type EnvFn<'a> = &'a dyn Fn(&str) -> Option<String>;
/// Loads an included file: given a path, returns (text, source name).
pub type IncludeFn<'a> = &'a mut dyn FnMut(&str) -> Result<(String, String), String>;

/// Includes nested deeper than this are refused (Go recurses without a limit).
pub const INCLUDE_DEPTH_MAX: usize = 32;

/// The key Go uses to parse an environment variable's value (`pk=<value>`).
const PKEY: &str = "pk";
/// A raw bcrypt hash (`$2a$...`) is a string, not a variable reference.
const BCRYPT_PREFIX: &str = "2a$";

/// Parses config `text` read from `source` into a map.
pub fn parse(
    text: &str,
    source: &str,
    env: EnvFn<'_>,
    include: IncludeFn<'_>,
) -> Result<Map, ConfError> {
    let mut env_refs = HashSet::new();
    let mut p = Parser::new(text, source, env, include, &mut env_refs, 0);
    p.parse()
}

enum Ctx {
    Map(Map),
    Array(Vec<Value>),
}

struct Parser<'p, 'e> {
    lx: Lexer<'p>,
    ctxs: Vec<Ctx>,
    keys: Vec<String>,
    ikeys: Vec<Item>,
    source: String,
    env: EnvFn<'e>,
    include: IncludeFn<'p>,
    env_refs: &'p mut HashSet<String>,
    depth: usize,
}

impl<'p, 'e> Parser<'p, 'e> {
    fn new(
        text: &'p str,
        source: &str,
        env: EnvFn<'e>,
        include: IncludeFn<'p>,
        env_refs: &'p mut HashSet<String>,
        depth: usize,
    ) -> Self {
        Parser {
            lx: Lexer::new(text),
            ctxs: Vec::new(),
            keys: Vec::new(),
            ikeys: Vec::new(),
            source: source.to_string(),
            env,
            include,
            env_refs,
            depth,
        }
    }

    fn err(&self, it: &Item, message: String) -> ConfError {
        ConfError::new(&self.source, it.line, it.pos, message)
    }

    fn parse(&mut self) -> Result<Map, ConfError> {
        self.ctxs.push(Ctx::Map(Map::new()));
        let mut prev: Option<Item> = None;
        loop {
            let it = self.lx.next_item();
            if it.typ == ItemType::Eof {
                // A trailing '}' may lex as a key (JSON-like configs); any
                // other dangling key is an error.
                if let Some(prev) = &prev {
                    if prev.typ == ItemType::Key && prev.val != "}" {
                        let msg =
                            format!("config is invalid ({}:{}:{})", self.source, it.line, it.pos);
                        return Err(self.err(&it, msg));
                    }
                }
                break;
            }
            self.process_item(&it)?;
            prev = Some(it);
        }
        match self.ctxs.pop() {
            Some(Ctx::Map(m)) if self.ctxs.is_empty() => Ok(m),
            _ => Err(ConfError::new(
                &self.source,
                0,
                0,
                "config is invalid: unbalanced map or array",
            )),
        }
    }

    fn set_value(&mut self, it: &Item, mut val: Value) -> Result<(), ConfError> {
        match self.ctxs.last_mut() {
            Some(Ctx::Array(a)) => {
                a.push(val);
                Ok(())
            }
            Some(Ctx::Map(_)) => {
                let (Some(key), Some(ikey)) = (self.keys.pop(), self.ikeys.pop()) else {
                    return Err(self.err(it, "config is invalid: value without a key".to_string()));
                };
                // Report the key's position: more useful in errors.
                val.line = ikey.line;
                val.pos = ikey.pos;
                if let Some(Ctx::Map(m)) = self.ctxs.last_mut() {
                    m.insert(key, val);
                }
                Ok(())
            }
            None => Err(self.err(it, "config is invalid: no context".to_string())),
        }
    }

    fn value(&self, it: &Item, kind: Kind) -> Value {
        Value::new(kind, it.line, it.pos, &self.source)
    }

    fn process_item(&mut self, it: &Item) -> Result<(), ConfError> {
        match it.typ {
            ItemType::Error => {
                Err(self.err(it, format!("Parse error on line {}: '{}'", it.line, it.val)))
            }
            ItemType::Key => {
                self.keys.push(it.val.clone());
                self.ikeys.push(it.clone());
                Ok(())
            }
            ItemType::MapStart => {
                self.ctxs.push(Ctx::Map(Map::new()));
                Ok(())
            }
            ItemType::ArrayStart => {
                self.ctxs.push(Ctx::Array(Vec::new()));
                Ok(())
            }
            ItemType::MapEnd | ItemType::ArrayEnd => {
                if self.ctxs.len() < 2 {
                    return Err(
                        self.err(it, "config is invalid: unbalanced map or array".to_string())
                    );
                }
                let kind = match self.ctxs.pop() {
                    Some(Ctx::Map(m)) => Kind::Map(m),
                    Some(Ctx::Array(a)) => Kind::Array(a),
                    None => return Err(self.err(it, "config is invalid: no context".to_string())),
                };
                let v = self.value(it, kind);
                self.set_value(it, v)
            }
            ItemType::String => {
                let v = self.value(it, Kind::String(it.val.clone()));
                self.set_value(it, v)
            }
            ItemType::Integer => match parse_integer(&it.val) {
                Ok(Some(n)) => {
                    let v = self.value(it, Kind::Integer(n));
                    self.set_value(it, v)
                }
                // Go silently drops an integer with an unknown suffix.
                Ok(None) => Ok(()),
                Err(msg) => Err(self.err(it, msg)),
            },
            ItemType::Float => {
                let n = parse_float(&it.val).map_err(|m| self.err(it, m))?;
                let v = self.value(it, Kind::Float(n));
                self.set_value(it, v)
            }
            ItemType::Bool => {
                let b = match it.val.to_ascii_lowercase().as_str() {
                    "true" | "yes" | "on" => true,
                    "false" | "no" | "off" => false,
                    _ => {
                        return Err(
                            self.err(it, format!("expected boolean value, but got '{}'", it.val))
                        )
                    }
                };
                let v = self.value(it, Kind::Bool(b));
                self.set_value(it, v)
            }
            ItemType::Datetime => {
                let Some(dt) = parse_datetime(&it.val) else {
                    let msg = format!("expected Zulu formatted DateTime, but got '{}'", it.val);
                    return Err(self.err(it, msg));
                };
                let v = self.value(it, Kind::DateTime(dt));
                self.set_value(it, v)
            }
            ItemType::Variable => self.process_variable(it),
            ItemType::Include => self.process_include(it),
            ItemType::Nil | ItemType::Eof | ItemType::Text | ItemType::CommentStart => Ok(()),
        }
    }

    fn process_variable(&mut self, it: &Item) -> Result<(), ConfError> {
        match self.lookup_variable(&it.val) {
            Err(e) => {
                let msg = format!(
                    "variable reference for '{}' on line {} could not be parsed: {}",
                    it.val, it.line, e
                );
                Err(self.err(it, msg))
            }
            Ok(None) => {
                let msg = format!(
                    "variable reference for '{}' on line {} can not be found",
                    it.val, it.line
                );
                Err(self.err(it, msg))
            }
            Ok(Some(kind)) => {
                let v = self.value(it, kind);
                self.set_value(it, v)
            }
        }
    }

    /// Looks a variable up in the enclosing maps (innermost first), then in
    /// the environment. Marks a referenced key as used.
    fn lookup_variable(&mut self, name: &str) -> Result<Option<Kind>, String> {
        if name.starts_with(BCRYPT_PREFIX) {
            return Ok(Some(Kind::String(format!("${name}"))));
        }
        for ctx in self.ctxs.iter_mut().rev() {
            if let Ctx::Map(m) = ctx {
                if let Some(v) = m.get_mut(name) {
                    v.used_variable = true;
                    return Ok(Some(v.kind.clone()));
                }
            }
        }
        if self.env_refs.contains(name) {
            return Err(format!("variable reference cycle for '{name}'"));
        }
        let Some(text) = (self.env)(name) else {
            return Ok(None);
        };
        self.env_refs.insert(name.to_string());
        let data = format!("{PKEY}={text}");
        let result = {
            let mut sub = Parser::new(
                &data,
                "",
                self.env,
                &mut *self.include,
                &mut *self.env_refs,
                self.depth,
            );
            sub.parse()
        };
        self.env_refs.remove(name);
        match result {
            Ok(m) => Ok(m.get(PKEY).map(|v| v.kind.clone())),
            Err(e) => Err(e.message),
        }
    }

    fn process_include(&mut self, it: &Item) -> Result<(), ConfError> {
        let wrap = |msg: String| format!("error parsing include file '{}', {}", it.val, msg);
        if self.depth >= INCLUDE_DEPTH_MAX {
            let msg = wrap(format!("includes nested deeper than {INCLUDE_DEPTH_MAX}"));
            return Err(self.err(it, msg));
        }
        let path = go_path_join(&go_path_dir(&self.source), &it.val);
        let (text, source) = match (self.include)(&path) {
            Ok(loaded) => loaded,
            Err(e) => {
                let msg = wrap(format!("error opening config file: {e}"));
                return Err(self.err(it, msg));
            }
        };
        let included = {
            let mut sub = Parser::new(
                &text,
                &source,
                self.env,
                &mut *self.include,
                &mut *self.env_refs,
                self.depth + 1,
            );
            sub.parse()
        };
        let m = included.map_err(|e| self.err(it, wrap(e.to_string())))?;
        for (k, v) in m.into_entries() {
            let ikey = Item {
                typ: ItemType::Key,
                val: k.clone(),
                line: v.line,
                pos: v.pos,
            };
            self.keys.push(k);
            self.ikeys.push(ikey);
            // The included value keeps its own file position.
            self.set_value(it, v)?;
        }
        Ok(())
    }
}

/// Parses an integer item with an optional size suffix, as Go's parser:
/// `k`=1000, `kb`/`ki`/`kib`=1024, and so on up to `e`/`eb`. Returns
/// Ok(None) for an unknown suffix (Go drops such a value).
pub(crate) fn parse_integer(val: &str) -> Result<Option<i64>, String> {
    let digits = val
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .count();
    let (num_str, suffix) = val.split_at(digits);
    let num: i64 = match num_str.parse() {
        Ok(n) => n,
        Err(e) => {
            use std::num::IntErrorKind;
            if matches!(
                e.kind(),
                IntErrorKind::PosOverflow | IntErrorKind::NegOverflow
            ) {
                return Err(format!("integer '{val}' is out of the range"));
            }
            return Err(format!("expected integer, but got '{val}'"));
        }
    };
    let mult: i64 = match suffix.trim().to_ascii_lowercase().as_str() {
        "" => 1,
        "k" => 1000,
        "kb" | "ki" | "kib" => 1 << 10,
        "m" => 1_000_000,
        "mb" | "mi" | "mib" => 1 << 20,
        "g" => 1_000_000_000,
        "gb" | "gi" | "gib" => 1 << 30,
        "t" => 1_000_000_000_000,
        "tb" | "ti" | "tib" => 1 << 40,
        "p" => 1_000_000_000_000_000,
        "pb" | "pi" | "pib" => 1 << 50,
        "e" => 1_000_000_000_000_000_000,
        "eb" | "ei" | "eib" => 1 << 60,
        _ => return Ok(None),
    };
    // Go's int64 multiplication wraps on overflow.
    Ok(Some(num.wrapping_mul(mult)))
}

fn parse_float(val: &str) -> Result<f64, String> {
    match val.parse::<f64>() {
        Ok(n) if n.is_infinite() => Err(format!("float '{val}' is out of the range")),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("expected float, but got '{val}'")),
    }
}

/// Validates `YYYY-MM-DDTHH:MM:SSZ` like Go's time.Parse does.
fn parse_datetime(val: &str) -> Option<DateTime> {
    let b = val.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |from: usize, to: usize| val.get(from..to)?.parse::<u32>().ok();
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some(DateTime {
        year: year as i32,
        month: month as u8,
        day: day as u8,
        hour: hour as u8,
        minute: minute as u8,
        second: second as u8,
    })
}

/// Go's path/filepath.Clean for '/'-separated paths.
pub(crate) fn go_path_clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let rooted = path.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if matches!(out.last(), Some(last) if *last != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            _ => out.push(part),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Go's filepath.Dir.
pub(crate) fn go_path_dir(path: &str) -> String {
    match path.rfind('/') {
        Some(i) => go_path_clean(&path[..=i]),
        None => ".".to_string(),
    }
}

/// Go's filepath.Join of two elements (an absolute second element is still
/// joined under the first, as in Go).
pub(crate) fn go_path_join(dir: &str, name: &str) -> String {
    match (dir.is_empty(), name.is_empty()) {
        (true, true) => String::new(),
        (true, false) => go_path_clean(name),
        (false, true) => go_path_clean(dir),
        (false, false) => go_path_clean(&format!("{dir}/{name}")),
    }
}
