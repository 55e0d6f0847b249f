//! The lexer's states: one method per Go `lex*` state function.

use super::{esc, is_digit, is_key_separator, is_nl, is_number_suffix, is_space, is_whitespace};
use super::{ItemType, Lexer, Next, State, EOF};

impl<'a> Lexer<'a> {
    pub(super) fn step(&mut self, state: State) -> Next {
        match state {
            State::Top => self.lex_top(),
            State::TopValueEnd => self.lex_top_value_end(),
            State::BlockStart => self.lex_block_start(),
            State::BlockValueEnd => self.lex_block_value_end(),
            State::BlockEnd => self.lex_block_end(),
            State::KeyStart => self.lex_key_start(),
            State::DubQuotedKey => self.lex_quoted_key('"', State::KeyEnd),
            State::QuotedKey => self.lex_quoted_key('\'', State::KeyEnd),
            State::IncludeStart => self.lex_include_start(),
            State::IncludeQuotedString => self.lex_include_quoted('\''),
            State::IncludeDubQuotedString => self.lex_include_quoted('"'),
            State::IncludeString => self.lex_include_string(),
            State::Include => self.lex_include(),
            State::Key => self.lex_key(),
            State::KeyEnd => self.lex_key_end(),
            State::Value => self.lex_value(),
            State::ArrayValue => self.lex_array_value(),
            State::ArrayValueEnd => self.lex_array_value_end(),
            State::ArrayEnd => {
                self.ignore();
                self.emit(ItemType::ArrayEnd);
                self.pop()
            }
            State::MapKeyStart => self.lex_map_key_start(),
            State::MapQuotedKey => self.lex_map_quoted_key('\''),
            State::MapDubQuotedKey => self.lex_map_quoted_key('"'),
            State::MapKey => self.lex_map_key(),
            State::MapKeyEnd => self.lex_map_key_end(),
            State::MapValue => self.lex_map_value(),
            State::MapValueEnd => self.lex_map_value_end(),
            State::MapEnd => {
                self.ignore();
                self.emit(ItemType::MapEnd);
                self.pop()
            }
            State::QuotedString => self.lex_quoted_string(),
            State::DubQuotedString => self.lex_dub_quoted_string(),
            State::String => self.lex_string(),
            State::Block => self.lex_block(),
            State::StringEscape => self.lex_string_escape(),
            State::StringBinary => self.lex_string_binary(),
            State::NumberOrDateOrStringOrIpStart => {
                self.lex_number_start(State::NumberOrDateOrStringOrIp)
            }
            State::NumberOrDateOrStringOrIp => self.lex_number_or_date_or_string_or_ip(),
            State::ConvenientNumber => self.lex_convenient_number(),
            State::DateAfterYear => self.lex_date_after_year(),
            State::NegNumberStart => self.lex_number_start(State::NegNumber),
            State::NegNumber => self.lex_neg_number(),
            State::FloatStart => self.lex_float_start(),
            State::Float => self.lex_float(),
            State::IpAddr => self.lex_ip_addr(),
            State::CommentStart => {
                self.ignore();
                self.emit(ItemType::CommentStart);
                Some(State::Comment)
            }
            State::Comment => self.lex_comment(),
        }
    }

    fn lex_top(&mut self) -> Next {
        let r = self.next();
        if is_space(r) {
            return self.skip(State::Top);
        }
        match r {
            '{' => {
                self.push(State::Top);
                return self.skip(State::BlockStart);
            }
            '#' => {
                self.push(State::Top);
                return Some(State::CommentStart);
            }
            '/' => {
                if self.slash_comment(State::Top) {
                    return Some(State::CommentStart);
                }
                return self.eof_or_error();
            }
            EOF => return self.eof_or_error(),
            _ => {}
        }
        self.backup();
        self.push(State::TopValueEnd);
        Some(State::KeyStart)
    }

    fn lex_top_value_end(&mut self) -> Next {
        let r = self.next();
        if r == '#' {
            self.push(State::Top);
            return Some(State::CommentStart);
        }
        if r == '/' {
            if self.slash_comment(State::Top) {
                return Some(State::CommentStart);
            }
            return Some(State::TopValueEnd);
        }
        if is_whitespace(r) {
            return Some(State::TopValueEnd);
        }
        if is_nl(r) || r == EOF || r == ';' || r == ',' || r == '}' {
            self.ignore();
            return Some(State::Top);
        }
        self.errorf(format!(
            "Expected a top-level value to end with a new line, comment or EOF, but got '{}' instead.",
            esc(r)
        ))
    }

    fn lex_block_start(&mut self) -> Next {
        let r = self.next();
        if is_space(r) {
            return self.skip(State::BlockStart);
        }
        match r {
            '{' => {
                self.push(State::BlockEnd);
                return self.skip(State::BlockStart);
            }
            '}' => {
                self.ignore();
                return self.pop();
            }
            '#' => {
                self.push(State::BlockStart);
                return Some(State::CommentStart);
            }
            '/' => {
                if self.slash_comment(State::BlockStart) {
                    return Some(State::CommentStart);
                }
                return self.eof_or_error();
            }
            EOF => return self.eof_or_error(),
            _ => {}
        }
        self.backup();
        self.push(State::BlockValueEnd);
        Some(State::KeyStart)
    }

    fn lex_block_value_end(&mut self) -> Next {
        let r = self.next();
        if r == '#' {
            self.push(State::BlockValueEnd);
            return Some(State::CommentStart);
        }
        if r == '/' {
            if self.slash_comment(State::BlockValueEnd) {
                return Some(State::CommentStart);
            }
            return Some(State::BlockValueEnd);
        }
        if is_whitespace(r) {
            return Some(State::BlockValueEnd);
        }
        if is_nl(r) || r == ';' || r == ',' {
            self.ignore();
            return Some(State::BlockStart);
        }
        if r == '}' {
            self.backup();
            return Some(State::BlockEnd);
        }
        self.errorf(format!(
            "Expected a block-level value to end with a new line, comment or EOF, but got '{}' instead.",
            esc(r)
        ))
    }

    fn lex_block_end(&mut self) -> Next {
        let r = self.next();
        if r == '#' {
            self.push(State::BlockStart);
            return Some(State::CommentStart);
        }
        if r == '/' {
            if self.slash_comment(State::BlockStart) {
                return Some(State::CommentStart);
            }
            return Some(State::BlockEnd);
        }
        if is_nl(r) || is_whitespace(r) {
            return Some(State::BlockEnd);
        }
        if r == ';' || r == ',' {
            self.ignore();
            return Some(State::BlockStart);
        }
        if r == '}' {
            self.ignore();
            return self.pop();
        }
        self.errorf(format!(
            "Expected a block-level to end with a '}}', but got '{}' instead.",
            esc(r)
        ))
    }

    fn lex_key_start(&mut self) -> Next {
        let r = self.peek();
        if is_key_separator(r) {
            return self.errorf(format!("Unexpected key separator '{}'", esc(r)));
        }
        if is_space(r) {
            self.next();
            return self.skip(State::KeyStart);
        }
        if r == '"' {
            self.next();
            return self.skip(State::DubQuotedKey);
        }
        if r == '\'' {
            self.next();
            return self.skip(State::QuotedKey);
        }
        self.ignore();
        self.next();
        Some(State::Key)
    }

    /// lexDubQuotedKey / lexQuotedKey (top level).
    fn lex_quoted_key(&mut self, quote: char, end: State) -> Next {
        let r = self.peek();
        if r == quote {
            self.emit(ItemType::Key);
            self.next();
            return self.skip(end);
        }
        if r == EOF {
            return self.eof_or_error();
        }
        self.next();
        Some(if quote == '"' {
            State::DubQuotedKey
        } else {
            State::QuotedKey
        })
    }

    /// keyCheckKeyword: a key followed by a space may be the `include` keyword.
    fn key_check_keyword(&mut self, fall_through: State, push: Option<State>) -> Next {
        let key = self.slice(self.start, self.pos).to_ascii_lowercase();
        if key == b"include" {
            self.ignore();
            if let Some(state) = push {
                self.push(state);
            }
            return Some(State::IncludeStart);
        }
        self.emit(ItemType::Key);
        Some(fall_through)
    }

    fn lex_include_start(&mut self) -> Next {
        let r = self.next();
        if is_whitespace(r) {
            return self.skip(State::IncludeStart);
        }
        self.backup();
        Some(State::Include)
    }

    fn lex_include_quoted(&mut self, quote: char) -> Next {
        let r = self.next();
        if r == quote {
            self.backup();
            self.emit(ItemType::Include);
            self.next();
            self.ignore();
            return self.pop();
        }
        if r == EOF {
            let msg = if quote == '"' {
                "Unexpected EOF in double quoted include"
            } else {
                "Unexpected EOF in quoted include"
            };
            return self.errorf(msg.to_string());
        }
        Some(if quote == '"' {
            State::IncludeDubQuotedString
        } else {
            State::IncludeQuotedString
        })
    }

    fn lex_include_string(&mut self) -> Next {
        let r = self.next();
        if is_nl(r) || r == EOF || r == ';' || r == '}' || is_whitespace(r) {
            self.backup();
            self.emit(ItemType::Include);
            return self.pop();
        }
        if r == '\'' {
            self.backup();
            self.emit(ItemType::Include);
            self.next();
            self.ignore();
            return self.pop();
        }
        Some(State::IncludeString)
    }

    fn lex_include(&mut self) -> Next {
        let r = self.next();
        let what = match r {
            '\'' => {
                self.ignore();
                return Some(State::IncludeQuotedString);
            }
            '"' => {
                self.ignore();
                return Some(State::IncludeDubQuotedString);
            }
            '[' => "start of an array",
            '{' => "start of a map",
            '(' => "start of a block",
            '\\' => "escape sequence",
            _ if is_digit(r) || r == '-' => "start of a number",
            _ if is_nl(r) => "new line",
            _ => {
                self.backup();
                return Some(State::IncludeString);
            }
        };
        self.errorf(format!("Expected include value but found {what}"))
    }

    fn lex_key(&mut self) -> Next {
        let r = self.peek();
        if is_space(r) {
            return self.key_check_keyword(State::KeyEnd, None);
        }
        if is_key_separator(r) || r == EOF {
            self.emit(ItemType::Key);
            return Some(State::KeyEnd);
        }
        self.next();
        Some(State::Key)
    }

    fn lex_key_end(&mut self) -> Next {
        let r = self.next();
        if is_space(r) {
            return self.skip(State::KeyEnd);
        }
        if is_key_separator(r) {
            return self.skip(State::Value);
        }
        if r == EOF {
            self.emit(ItemType::Eof);
            return None;
        }
        self.backup();
        Some(State::Value)
    }

    fn lex_value(&mut self) -> Next {
        let r = self.next();
        if is_whitespace(r) {
            return self.skip(State::Value);
        }
        match r {
            '[' => {
                self.ignore();
                self.emit(ItemType::ArrayStart);
                Some(State::ArrayValue)
            }
            '{' => {
                self.ignore();
                self.emit(ItemType::MapStart);
                Some(State::MapKeyStart)
            }
            '\'' => {
                self.ignore();
                Some(State::QuotedString)
            }
            '"' => {
                self.ignore();
                self.string_state = State::DubQuotedString;
                Some(State::DubQuotedString)
            }
            '-' => Some(State::NegNumberStart),
            '(' => {
                self.ignore();
                Some(State::Block)
            }
            _ if is_digit(r) => {
                self.backup();
                Some(State::NumberOrDateOrStringOrIpStart)
            }
            '.' => self.errorf("Floats must start with a digit".to_string()),
            _ if is_nl(r) => self.errorf("Expected value but found new line".to_string()),
            _ => {
                self.backup();
                self.string_state = State::String;
                Some(State::String)
            }
        }
    }

    fn lex_array_value(&mut self) -> Next {
        let r = self.next();
        if is_space(r) {
            return self.skip(State::ArrayValue);
        }
        if r == '#' {
            self.push(State::ArrayValue);
            return Some(State::CommentStart);
        }
        if r == '/' {
            if self.slash_comment(State::ArrayValue) {
                return Some(State::CommentStart);
            }
            return self.errorf("Unexpected array value terminator ','.".to_string());
        }
        if r == ',' {
            return self.errorf("Unexpected array value terminator ','.".to_string());
        }
        if r == ']' {
            return Some(State::ArrayEnd);
        }
        self.backup();
        self.push(State::ArrayValueEnd);
        Some(State::Value)
    }

    fn lex_array_value_end(&mut self) -> Next {
        let r = self.next();
        if is_whitespace(r) {
            return self.skip(State::ArrayValueEnd);
        }
        if r == '#' {
            self.push(State::ArrayValueEnd);
            return Some(State::CommentStart);
        }
        if r == '/' {
            if self.slash_comment(State::ArrayValueEnd) {
                return Some(State::CommentStart);
            }
            return self.skip(State::ArrayValue);
        }
        if r == ',' || is_nl(r) {
            return self.skip(State::ArrayValue);
        }
        if r == ']' {
            return Some(State::ArrayEnd);
        }
        self.errorf(format!(
            "Expected an array value terminator \",\" or an array terminator \"]\", but got '{}' instead.",
            esc(r)
        ))
    }

    fn lex_map_key_start(&mut self) -> Next {
        let r = self.peek();
        if is_key_separator(r) {
            return self.errorf(format!("Unexpected key separator '{}'.", esc(r)));
        }
        if r == ']' {
            return self.errorf(format!("Unexpected array end '{}' processing map.", esc(r)));
        }
        if is_space(r) {
            self.next();
            return self.skip(State::MapKeyStart);
        }
        match r {
            '}' => {
                self.next();
                return self.skip(State::MapEnd);
            }
            '#' => {
                self.next();
                self.push(State::MapKeyStart);
                return Some(State::CommentStart);
            }
            '/' => {
                self.next();
                if self.slash_comment(State::MapKeyStart) {
                    return Some(State::CommentStart);
                }
            }
            '\'' => {
                self.next();
                return self.skip(State::MapQuotedKey);
            }
            '"' => {
                self.next();
                return self.skip(State::MapDubQuotedKey);
            }
            EOF => return self.errorf("Unexpected EOF processing map.".to_string()),
            _ => {}
        }
        self.ignore();
        self.next();
        Some(State::MapKey)
    }

    fn lex_map_quoted_key(&mut self, quote: char) -> Next {
        let r = self.peek();
        if r == EOF {
            let msg = if quote == '"' {
                "Unexpected EOF processing double quoted map key."
            } else {
                "Unexpected EOF processing quoted map key."
            };
            return self.errorf(msg.to_string());
        }
        if r == quote {
            self.emit(ItemType::Key);
            self.next();
            return self.skip(State::MapKeyEnd);
        }
        self.next();
        Some(if quote == '"' {
            State::MapDubQuotedKey
        } else {
            State::MapQuotedKey
        })
    }

    fn lex_map_key(&mut self) -> Next {
        let r = self.peek();
        if r == EOF {
            return self.errorf("Unexpected EOF processing map key.".to_string());
        }
        if is_space(r) {
            return self.key_check_keyword(State::MapKeyEnd, Some(State::MapValueEnd));
        }
        if is_key_separator(r) {
            self.emit(ItemType::Key);
            return Some(State::MapKeyEnd);
        }
        self.next();
        Some(State::MapKey)
    }

    fn lex_map_key_end(&mut self) -> Next {
        let r = self.next();
        if is_space(r) {
            return self.skip(State::MapKeyEnd);
        }
        if is_key_separator(r) {
            return self.skip(State::MapValue);
        }
        self.backup();
        Some(State::MapValue)
    }

    fn lex_map_value(&mut self) -> Next {
        let r = self.next();
        if is_space(r) {
            return self.skip(State::MapValue);
        }
        if r == ',' {
            return self.errorf("Unexpected map value terminator \",\".".to_string());
        }
        if r == '}' {
            return self.skip(State::MapEnd);
        }
        self.backup();
        self.push(State::MapValueEnd);
        Some(State::Value)
    }

    fn lex_map_value_end(&mut self) -> Next {
        let r = self.next();
        if is_whitespace(r) {
            return self.skip(State::MapValueEnd);
        }
        if r == '#' {
            self.push(State::MapValueEnd);
            return Some(State::CommentStart);
        }
        if r == '/' {
            if self.slash_comment(State::MapValueEnd) {
                return Some(State::CommentStart);
            }
            return self.skip(State::MapKeyStart);
        }
        if r == ';' || r == ',' || is_nl(r) {
            return self.skip(State::MapKeyStart);
        }
        if r == '}' {
            return self.skip(State::MapEnd);
        }
        self.errorf(format!(
            "Expected a map value terminator \",\" or a map terminator \"}}\", but got '{}' instead.",
            esc(r)
        ))
    }

    fn is_bool(&self) -> bool {
        let s = self.slice(self.start, self.pos).to_ascii_lowercase();
        matches!(&s[..], b"true" | b"false" | b"on" | b"off" | b"yes" | b"no")
    }

    fn is_variable(&mut self) -> bool {
        if self.start >= self.input.len() {
            return false;
        }
        if self.input[self.start] == b'$' {
            self.start += 1;
            return true;
        }
        false
    }

    fn lex_quoted_string(&mut self) -> Next {
        let r = self.next();
        if r == '\'' {
            self.backup();
            self.emit(ItemType::String);
            self.next();
            self.ignore();
            return self.pop();
        }
        if r == EOF {
            return self.eof_or_error();
        }
        Some(State::QuotedString)
    }

    fn lex_dub_quoted_string(&mut self) -> Next {
        let r = self.next();
        if r == '\\' {
            self.add_current_string_part(1);
            return Some(State::StringEscape);
        }
        if r == '"' {
            self.backup();
            self.emit_string();
            self.next();
            self.ignore();
            return self.pop();
        }
        if r == EOF {
            return self.eof_or_error();
        }
        Some(State::DubQuotedString)
    }

    fn lex_string(&mut self) -> Next {
        let r = self.next();
        if r == '\\' {
            self.add_current_string_part(1);
            return Some(State::StringEscape);
        }
        if is_nl(r) || r == EOF || r == ';' || r == ',' || r == ']' || r == '}' || is_whitespace(r)
        {
            self.backup();
            if self.has_escaped_parts() {
                self.emit_string();
            } else if self.is_bool() {
                self.emit(ItemType::Bool);
            } else if self.is_variable() {
                self.emit(ItemType::Variable);
            } else {
                self.emit_string();
            }
            return self.pop();
        }
        if r == '\'' {
            self.backup();
            self.emit_string();
            self.next();
            self.ignore();
            return self.pop();
        }
        Some(State::String)
    }

    /// A block string `(` ... `)`: ends at a `)` alone on its own line.
    fn lex_block(&mut self) -> Next {
        let r = self.next();
        if r == ')' {
            self.backup();
            self.backup();
            if self.next() != '\n' {
                self.next();
                return Some(State::Block);
            }
            self.next();
            let after = self.next();
            if after == '\n' || after == EOF {
                self.backup();
                self.backup();
                self.emit(ItemType::String);
                self.next();
                self.ignore();
                return self.pop();
            }
            self.backup();
            return Some(State::Block);
        }
        if r == EOF {
            return self.errorf("Unexpected EOF processing block.".to_string());
        }
        Some(State::Block)
    }

    fn lex_string_escape(&mut self) -> Next {
        let r = self.next();
        match r {
            'x' => Some(State::StringBinary),
            't' => self.add_string_part(b"\t"),
            'n' => self.add_string_part(b"\n"),
            'r' => self.add_string_part(b"\r"),
            '"' => self.add_string_part(b"\""),
            '\\' => self.add_string_part(b"\\"),
            _ => self.errorf(format!(
                "Invalid escape character '{}'. Only the following escape characters are allowed: \\xXX, \\t, \\n, \\r, \\\", \\\\.",
                esc(r)
            )),
        }
    }

    fn lex_string_binary(&mut self) -> Next {
        const HIT_EOL: &str = "Expected two hexadecimal digits after '\\x', but hit end of line";
        if is_nl(self.next()) {
            return self.errorf(HIT_EOL.to_string());
        }
        if is_nl(self.next()) {
            return self.errorf(HIT_EOL.to_string());
        }
        let digits = self.slice(self.pos.saturating_sub(2), self.pos);
        let decoded = std::str::from_utf8(digits)
            .ok()
            .and_then(|s| u8::from_str_radix(s, 16).ok());
        match decoded {
            Some(b) if digits.len() == 2 && digits.iter().all(u8::is_ascii_hexdigit) => {
                self.add_string_part(&[b]);
                Some(self.string_state)
            }
            _ => {
                let got = String::from_utf8_lossy(digits).into_owned();
                self.errorf(format!(
                    "Expected two hexadecimal digits after '\\x', but got '{got}'"
                ))
            }
        }
    }

    /// lexNumberOrDateOrStringOrIPStart and lexNegNumberStart: a digit must follow.
    fn lex_number_start(&mut self, next: State) -> Next {
        let r = self.next();
        if !is_digit(r) {
            if r == '.' {
                return self.errorf("Floats must start with a digit, not '.'.".to_string());
            }
            return self.errorf(format!("Expected a digit but got '{}'.", esc(r)));
        }
        Some(next)
    }

    fn ends_number(r: char) -> bool {
        is_nl(r) || r == EOF || r == '}' || r == ';' || r == ',' || is_whitespace(r) || is_digit(r)
    }

    fn lex_number_or_date_or_string_or_ip(&mut self) -> Next {
        let r = self.next();
        if r == '-' {
            if self.pos - self.start != 5 {
                return self.errorf("All ISO8601 dates must be in full Zulu form.".to_string());
            }
            return Some(State::DateAfterYear);
        }
        if is_digit(r) {
            return Some(State::NumberOrDateOrStringOrIp);
        }
        if r == '.' {
            return Some(State::FloatStart);
        }
        if is_number_suffix(r) {
            return Some(State::ConvenientNumber);
        }
        if !Self::ends_number(r) {
            self.string_state = State::String;
            return Some(State::String);
        }
        self.backup();
        self.emit(ItemType::Integer);
        self.pop()
    }

    fn lex_convenient_number(&mut self) -> Next {
        let r = self.next();
        if matches!(r, 'b' | 'B' | 'i' | 'I') {
            return Some(State::ConvenientNumber);
        }
        self.backup();
        if Self::ends_number(r) {
            self.emit(ItemType::Integer);
            return self.pop();
        }
        self.string_state = State::String;
        Some(State::String)
    }

    fn lex_date_after_year(&mut self) -> Next {
        const FORMAT: &[char] = &[
            '0', '0', '-', '0', '0', 'T', '0', '0', ':', '0', '0', ':', '0', '0', 'Z',
        ];
        for &f in FORMAT {
            let r = self.next();
            if f == '0' {
                if !is_digit(r) {
                    return self.errorf(format!(
                        "Expected digit in ISO8601 datetime, but found '{}' instead.",
                        esc(r)
                    ));
                }
            } else if f != r {
                return self.errorf(format!(
                    "Expected '{}' in ISO8601 datetime, but found '{}' instead.",
                    f,
                    esc(r)
                ));
            }
        }
        self.emit(ItemType::Datetime);
        self.pop()
    }

    fn lex_neg_number(&mut self) -> Next {
        let r = self.next();
        if is_digit(r) {
            return Some(State::NegNumber);
        }
        if r == '.' {
            return Some(State::FloatStart);
        }
        if is_number_suffix(r) {
            return Some(State::ConvenientNumber);
        }
        self.backup();
        self.emit(ItemType::Integer);
        self.pop()
    }

    fn lex_float_start(&mut self) -> Next {
        let r = self.next();
        if !is_digit(r) {
            return self.errorf(format!(
                "Floats must have a digit after the '.', but got '{}' instead.",
                esc(r)
            ));
        }
        Some(State::Float)
    }

    fn lex_float(&mut self) -> Next {
        let r = self.next();
        if is_digit(r) {
            return Some(State::Float);
        }
        if r == '.' {
            return Some(State::IpAddr);
        }
        self.backup();
        self.emit(ItemType::Float);
        self.pop()
    }

    fn lex_ip_addr(&mut self) -> Next {
        let r = self.next();
        if is_digit(r) || r == '.' || r == ':' || r == '-' {
            return Some(State::IpAddr);
        }
        self.backup();
        self.emit(ItemType::String);
        self.pop()
    }

    fn lex_comment(&mut self) -> Next {
        let r = self.peek();
        if is_nl(r) || r == EOF {
            self.emit(ItemType::Text);
            return self.pop();
        }
        self.next();
        Some(State::Comment)
    }
}
