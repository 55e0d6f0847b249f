//! Parsed configuration values. Every value remembers where it came from
//! (source file, line, column) like Go's pedantic-mode `token`, so that
//! option processing can name the file, line and key of a bad setting.

use std::fmt;

/// A configuration error, displayed as `source:line:col: message` like
/// Go's `configErr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfError {
    pub source: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl ConfError {
    pub fn new(source: &str, line: usize, col: usize, message: impl Into<String>) -> ConfError {
        ConfError {
            source: source.to_string(),
            line,
            col,
            message: message.into(),
        }
    }

    /// An error located at `value`.
    pub fn at(value: &Value, message: impl Into<String>) -> ConfError {
        ConfError::new(&value.source, value.line, value.pos, message)
    }
}

impl fmt::Display for ConfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.source, self.line, self.col, self.message
        )
    }
}

impl std::error::Error for ConfError {}

/// A `YYYY-MM-DDTHH:MM:SSZ` timestamp (Go parses these into `time.Time`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    String(String),
    Bool(bool),
    Integer(i64),
    Float(f64),
    DateTime(DateTime),
    Array(Vec<Value>),
    Map(Map),
}

impl Kind {
    /// The Go type name (`%T`) of the value Go's parser would produce; used
    /// in error texts ported from opts.go.
    pub fn go_type_name(&self) -> &'static str {
        match self {
            Kind::String(_) => "string",
            Kind::Bool(_) => "bool",
            Kind::Integer(_) => "int64",
            Kind::Float(_) => "float64",
            Kind::DateTime(_) => "time.Time",
            Kind::Array(_) => "[]interface {}",
            Kind::Map(_) => "map[string]interface {}",
        }
    }
}

/// One parsed value with its position. For a value stored under a map key
/// the position is the key's position (as in Go's pedantic mode).
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub kind: Kind,
    pub line: usize,
    pub pos: usize,
    pub source: String,
    /// True when a later `$name` referenced this key; Go skips such keys
    /// when it reports unknown fields.
    pub used_variable: bool,
}

impl Value {
    pub fn new(kind: Kind, line: usize, pos: usize, source: &str) -> Value {
        Value {
            kind,
            line,
            pos,
            source: source.to_string(),
            used_variable: false,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self.kind {
            Kind::Integer(n) => Some(n),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.kind {
            Kind::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&Map> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match &self.kind {
            Kind::Array(a) => Some(a),
            _ => None,
        }
    }
}

/// A map of keys to values that keeps insertion order (Go's map is
/// unordered; keeping the file order makes error reports deterministic).
/// Setting an existing key replaces its value in place, as Go does.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Map {
    entries: Vec<(String, Value)>,
}

impl Map {
    pub fn new() -> Map {
        Map::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    pub fn insert(&mut self, key: String, value: Value) {
        match self.get_mut(&key) {
            Some(slot) => *slot = value,
            None => self.entries.push((key, value)),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn into_entries(self) -> Vec<(String, Value)> {
        self.entries
    }
}
