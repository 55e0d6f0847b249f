//! The config lexer: a port of the state machine of Go's conf/lex.go.
//!
//! Go writes each state as a function returning the next state; here each
//! state is a [`State`] variant and [`Lexer::step`] runs one of them. Item
//! positions (line, column) are computed exactly as Go does, so error
//! positions match nats-server's. The lexer works on bytes and decodes
//! UTF-8 the way Go's `utf8.DecodeRuneInString` does (a bad byte is one
//! U+FFFD rune). As in Go, a NUL character ends the input.

use std::collections::VecDeque;

mod states;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemType {
    Error,
    Nil,
    Eof,
    Key,
    Text,
    String,
    Bool,
    Integer,
    Float,
    Datetime,
    ArrayStart,
    ArrayEnd,
    MapStart,
    MapEnd,
    CommentStart,
    Variable,
    Include,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub typ: ItemType,
    pub val: String,
    pub line: usize,
    pub pos: usize,
}

impl Item {
    pub fn new(typ: ItemType, val: &str, line: usize, pos: usize) -> Item {
        Item {
            typ,
            val: val.to_string(),
            line,
            pos,
        }
    }
}

const EOF: char = '\0';

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Top,
    TopValueEnd,
    BlockStart,
    BlockValueEnd,
    BlockEnd,
    KeyStart,
    DubQuotedKey,
    QuotedKey,
    IncludeStart,
    IncludeQuotedString,
    IncludeDubQuotedString,
    IncludeString,
    Include,
    Key,
    KeyEnd,
    Value,
    ArrayValue,
    ArrayValueEnd,
    ArrayEnd,
    MapKeyStart,
    MapQuotedKey,
    MapDubQuotedKey,
    MapKey,
    MapKeyEnd,
    MapValue,
    MapValueEnd,
    MapEnd,
    QuotedString,
    DubQuotedString,
    String,
    Block,
    StringEscape,
    StringBinary,
    NumberOrDateOrStringOrIpStart,
    NumberOrDateOrStringOrIp,
    ConvenientNumber,
    DateAfterYear,
    NegNumberStart,
    NegNumber,
    FloatStart,
    Float,
    IpAddr,
    CommentStart,
    Comment,
}

type Next = Option<State>;

pub struct Lexer<'a> {
    input: &'a [u8],
    start: usize,
    pos: usize,
    width: usize,
    line: usize,
    state: Next,
    items: VecDeque<Item>,
    stack: Vec<State>,
    /// Escaped parts of the current string, joined; `parts_count` says how
    /// many parts were added (Go checks the number of parts, not bytes).
    string_parts: Vec<u8>,
    parts_count: usize,
    string_state: State,
    /// Byte offset of the newline that started the current line.
    lstart: usize,
    /// Line start at the moment the current item started.
    ilstart: usize,
}

fn is_whitespace(r: char) -> bool {
    r == '\t' || r == ' '
}

fn is_nl(r: char) -> bool {
    r == '\n' || r == '\r'
}

fn is_space(r: char) -> bool {
    r.is_whitespace()
}

fn is_digit(r: char) -> bool {
    r.is_ascii_digit()
}

fn is_key_separator(r: char) -> bool {
    r == '=' || r == ':'
}

fn is_number_suffix(r: char) -> bool {
    matches!(
        r,
        'k' | 'K' | 'm' | 'M' | 'g' | 'G' | 't' | 'T' | 'p' | 'P' | 'e' | 'E'
    )
}

/// Go's `%v` of a rune in lexer errors (escapeSpecial).
fn esc(r: char) -> String {
    if r == '\n' {
        "\\n".to_string()
    } else {
        r.to_string()
    }
}

/// Decodes one rune like Go's utf8.DecodeRune: invalid input is U+FFFD, width 1.
fn decode_rune(b: &[u8]) -> (char, usize) {
    let first = b[0];
    let n = match first {
        0x00..=0x7f => return (first as char, 1),
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => return ('\u{fffd}', 1),
    };
    match b.get(..n).map(std::str::from_utf8) {
        Some(Ok(s)) => match s.chars().next() {
            Some(c) => (c, n),
            None => ('\u{fffd}', 1),
        },
        _ => ('\u{fffd}', 1),
    }
}

/// Converts lexed bytes to a String. Valid UTF-8 is kept; otherwise (only
/// possible through `\xHH` escapes) each byte maps to the Latin-1 char.
pub(crate) fn bytes_to_string(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => b.iter().map(|&c| c as char).collect(),
    }
}

impl<'a> Lexer<'a> {
    pub fn new(input: &'a str) -> Lexer<'a> {
        Lexer {
            input: input.as_bytes(),
            start: 0,
            pos: 0,
            width: 0,
            line: 1,
            state: Some(State::Top),
            items: VecDeque::new(),
            stack: Vec::new(),
            string_parts: Vec::new(),
            parts_count: 0,
            string_state: State::String,
            lstart: 0,
            ilstart: 0,
        }
    }

    /// Returns the next item. After an error or EOF item the lexer keeps
    /// returning EOF items.
    pub fn next_item(&mut self) -> Item {
        loop {
            if let Some(item) = self.items.pop_front() {
                return item;
            }
            match self.state.take() {
                Some(state) => self.state = self.step(state),
                None => return Item::new(ItemType::Eof, "", self.line, 0),
            }
        }
    }

    fn slice(&self, from: usize, to: usize) -> &'a [u8] {
        if from >= to {
            return &[];
        }
        &self.input[from..to.min(self.input.len())]
    }

    fn push(&mut self, state: State) {
        self.stack.push(state);
    }

    fn pop(&mut self) -> Next {
        match self.stack.pop() {
            Some(state) => Some(state),
            None => self.errorf("BUG in lexer: no states to pop.".to_string()),
        }
    }

    fn emit(&mut self, typ: ItemType) {
        let mut val = self.string_parts.clone();
        val.extend_from_slice(self.slice(self.start, self.pos));
        self.push_item(typ, &val);
    }

    fn emit_string(&mut self) {
        let mut val = std::mem::take(&mut self.string_parts);
        self.parts_count = 0;
        val.extend_from_slice(self.slice(self.start, self.pos));
        self.push_item(ItemType::String, &val);
    }

    fn push_item(&mut self, typ: ItemType, val: &[u8]) {
        let pos = self
            .pos
            .saturating_sub(self.ilstart)
            .saturating_sub(val.len());
        let item = Item {
            typ,
            val: bytes_to_string(val),
            line: self.line,
            pos,
        };
        self.items.push_back(item);
        self.start = self.pos;
        self.ilstart = self.lstart;
    }

    fn add_current_string_part(&mut self, offset: usize) {
        let part = self.slice(self.start, self.pos.saturating_sub(offset));
        self.string_parts.extend_from_slice(part);
        self.parts_count += 1;
        self.start = self.pos;
    }

    fn add_string_part(&mut self, s: &[u8]) -> Next {
        self.string_parts.extend_from_slice(s);
        self.parts_count += 1;
        self.start = self.pos;
        Some(self.string_state)
    }

    fn has_escaped_parts(&self) -> bool {
        self.parts_count > 0
    }

    fn next(&mut self) -> char {
        if self.pos >= self.input.len() {
            self.width = 0;
            return EOF;
        }
        if self.input[self.pos] == b'\n' {
            self.line += 1;
            self.lstart = self.pos;
        }
        let (r, w) = decode_rune(&self.input[self.pos..]);
        self.width = w;
        self.pos += w;
        r
    }

    fn ignore(&mut self) {
        self.start = self.pos;
        self.ilstart = self.lstart;
    }

    fn backup(&mut self) {
        self.pos = self.pos.saturating_sub(self.width);
        if self.pos < self.input.len() && self.input[self.pos] == b'\n' {
            self.line -= 1;
        }
    }

    fn peek(&mut self) -> char {
        let r = self.next();
        self.backup();
        r
    }

    fn errorf(&mut self, msg: String) -> Next {
        let pos = self.pos.saturating_sub(self.lstart);
        self.items.push_back(Item {
            typ: ItemType::Error,
            val: msg,
            line: self.line,
            pos,
        });
        None
    }

    fn skip(&mut self, next: State) -> Next {
        self.ignore();
        Some(next)
    }

    /// The shared "EOF where an item may end" handling of several states.
    fn eof_or_error(&mut self) -> Next {
        if self.pos > self.start {
            return self.errorf("Unexpected EOF.".to_string());
        }
        self.emit(ItemType::Eof);
        None
    }

    /// Consumes the second '/' of a `//` comment. Returns true when it was
    /// a comment (with `ret` pushed); otherwise backs up.
    fn slash_comment(&mut self, ret: State) -> bool {
        let rn = self.next();
        if rn == '/' {
            self.push(ret);
            return true;
        }
        self.backup();
        false
    }
}
