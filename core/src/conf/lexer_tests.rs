//! Lexer tests ported from Go's conf/lex_test.go (inputs and expected
//! items converted mechanically; `expect` mirrors Go's helper: it stops at
//! the first EOF or error item).

use super::lexer::{Item, ItemType as T, Lexer};

fn expect(input: &str, items: &[(T, &str, usize, usize)]) {
    let mut lx = Lexer::new(input);
    for &(typ, val, line, pos) in items {
        let item = lx.next_item();
        if item.typ == T::Eof {
            break;
        }
        assert_eq!(item, Item::new(typ, val, line, pos), "lexing {input:?}");
        if item.typ == T::Error {
            break;
        }
    }
}

/// Go: conf/lex_test.go TestPlainValue
#[test]
fn test_plain_value() {
    expect("foo", &[(T::Key, "foo", 1, 0), (T::Eof, "", 1, 0)]);
}

/// Go: conf/lex_test.go TestSimpleKeyStringValues
#[test]
fn test_simple_key_string_values() {
    expect(
        "foo = \"bar\"",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "bar", 1, 7),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo = 'bar'",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "bar", 1, 7),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo='bar'",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "bar", 1, 5),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo='bar'\r\n",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "bar", 1, 5),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo=\t'bar'\t",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "bar", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestComplexStringValues
#[test]
fn test_complex_string_values() {
    expect(
        "foo = 'bar\\r\\n  \\t'",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "bar\\r\\n  \\t", 1, 7),
            (T::Eof, "", 2, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestStringStartingWithNumber
#[test]
fn test_string_starting_with_number() {
    expect(
        "foo = 3xyz",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "3xyz", 1, 6),
            (T::Eof, "", 2, 0),
        ],
    );
    expect(
        "foo = 3xyz,",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "3xyz", 1, 6),
            (T::Eof, "", 2, 0),
        ],
    );
    expect(
        "foo = 3xyz;",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "3xyz", 1, 6),
            (T::Eof, "", 2, 0),
        ],
    );
    expect(
        "\n        foo = 3xyz\n        ",
        &[
            (T::Key, "foo", 2, 9),
            (T::String, "3xyz", 2, 15),
            (T::Eof, "", 2, 0),
        ],
    );
    expect(
        "\n        map {\n          foo = 3xyz}\n        ",
        &[
            (T::Key, "map", 2, 9),
            (T::MapStart, "", 2, 14),
            (T::Key, "foo", 3, 11),
            (T::String, "3xyz", 3, 17),
            (T::MapEnd, "", 3, 22),
            (T::Eof, "", 2, 0),
        ],
    );
    expect(
        "\n        map {\n          foo = 3xyz;\n        }\n        ",
        &[
            (T::Key, "map", 2, 9),
            (T::MapStart, "", 2, 14),
            (T::Key, "foo", 3, 11),
            (T::String, "3xyz", 3, 17),
            (T::MapEnd, "", 4, 10),
            (T::Eof, "", 2, 0),
        ],
    );
    expect(
        "\n        map {\n          foo = 3xyz,\n          bar = 4wqs\n        }\n        ",
        &[
            (T::Key, "map", 2, 9),
            (T::MapStart, "", 2, 14),
            (T::Key, "foo", 3, 11),
            (T::String, "3xyz", 3, 17),
            (T::Key, "bar", 4, 11),
            (T::String, "4wqs", 4, 17),
            (T::MapEnd, "", 5, 10),
            (T::Eof, "", 2, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestBinaryString
#[test]
fn test_binary_string() {
    expect(
        "foo = \\x65",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "e", 1, 9),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestBinaryStringLatin1
#[test]
fn test_binary_string_latin1() {
    expect(
        "foo = \\xe9",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "é", 1, 9),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestSimpleKeyIntegerValues
#[test]
fn test_simple_key_integer_values() {
    expect(
        "foo = 123",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "123", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo=123",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "123", 1, 4),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo=123\r\n",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "123", 1, 4),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestSimpleKeyNegativeIntegerValues
#[test]
fn test_simple_key_negative_integer_values() {
    expect(
        "foo = -123",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "-123", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo=-123",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "-123", 1, 4),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo=-123\r\n",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "-123", 1, 4),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestConvenientIntegerValues
#[test]
fn test_convenient_integer_values() {
    expect(
        "foo = 1k",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "1k", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo = 1K",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "1K", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo = 1m",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "1m", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo = 1M",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "1M", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo = 1g",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "1g", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo = 1G",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "1G", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo = 1MB",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "1MB", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo = 1Gb",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "1Gb", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo = -1m",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "-1m", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo = -1GB ",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "-1GB", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo = 1Ghz",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "1Ghz", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo = 2Pie",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "2Pie", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo = 3Mbs,",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "3Mbs", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo = 4Gb, bar = 5Gø",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "4Gb", 1, 6),
            (T::Key, "bar", 1, 11),
            (T::String, "5Gø", 1, 17),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestSimpleKeyFloatValues
#[test]
fn test_simple_key_float_values() {
    expect(
        "foo = 22.2",
        &[
            (T::Key, "foo", 1, 0),
            (T::Float, "22.2", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo=22.2",
        &[
            (T::Key, "foo", 1, 0),
            (T::Float, "22.2", 1, 4),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo=22.2\r\n",
        &[
            (T::Key, "foo", 1, 0),
            (T::Float, "22.2", 1, 4),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestBadBinaryStringEndingAfterZeroHexChars
#[test]
fn test_bad_binary_string_ending_after_zero_hex_chars() {
    expect(
        "foo = xyz\\x\n",
        &[
            (T::Key, "foo", 1, 0),
            (
                T::Error,
                "Expected two hexadecimal digits after '\\x', but hit end of line",
                2,
                1,
            ),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestBadBinaryStringEndingAfterOneHexChar
#[test]
fn test_bad_binary_string_ending_after_one_hex_char() {
    expect(
        "foo = xyz\\xF\n",
        &[
            (T::Key, "foo", 1, 0),
            (
                T::Error,
                "Expected two hexadecimal digits after '\\x', but hit end of line",
                2,
                1,
            ),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestBadBinaryStringWithZeroHexChars
#[test]
fn test_bad_binary_string_with_zero_hex_chars() {
    expect(
        "foo = \"[\\x]\"",
        &[
            (T::Key, "foo", 1, 0),
            (
                T::Error,
                "Expected two hexadecimal digits after '\\x', but got ']\"'",
                1,
                12,
            ),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestBadBinaryStringWithOneHexChar
#[test]
fn test_bad_binary_string_with_one_hex_char() {
    expect(
        "foo = \"[\\xe]\"",
        &[
            (T::Key, "foo", 1, 0),
            (
                T::Error,
                "Expected two hexadecimal digits after '\\x', but got 'e]'",
                1,
                12,
            ),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestBadFloatValues
#[test]
fn test_bad_float_values() {
    expect(
        "foo = .2",
        &[
            (T::Key, "foo", 1, 0),
            (T::Error, "Floats must start with a digit", 1, 7),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestBadKey
#[test]
fn test_bad_key() {
    expect(
        " :foo = 22",
        &[
            (T::Error, "Unexpected key separator ':'", 1, 1),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestSimpleKeyBoolValues
#[test]
fn test_simple_key_bool_values() {
    expect(
        "foo = true",
        &[
            (T::Key, "foo", 1, 0),
            (T::Bool, "true", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo=true",
        &[
            (T::Key, "foo", 1, 0),
            (T::Bool, "true", 1, 4),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo=true\r\n",
        &[
            (T::Key, "foo", 1, 0),
            (T::Bool, "true", 1, 4),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestComments
#[test]
fn test_comments() {
    expect(
        "# This is a comment",
        &[
            (T::CommentStart, "", 1, 1),
            (T::Text, " This is a comment", 1, 1),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "# This is a comment\r\n",
        &[
            (T::CommentStart, "", 1, 1),
            (T::Text, " This is a comment", 1, 1),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "// This is a comment\r\n",
        &[
            (T::CommentStart, "", 1, 2),
            (T::Text, " This is a comment", 1, 2),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestTopValuesWithComments
#[test]
fn test_top_values_with_comments() {
    expect(
        "foo = 123 // This is a comment",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "123", 1, 6),
            (T::CommentStart, "", 1, 12),
            (T::Text, " This is a comment", 1, 12),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo=123    # This is a comment",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "123", 1, 4),
            (T::CommentStart, "", 1, 12),
            (T::Text, " This is a comment", 1, 12),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestRawString
#[test]
fn test_raw_string() {
    expect(
        "foo = bar",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "bar", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo = bar' ",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "bar", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestDateValues
#[test]
fn test_date_values() {
    expect(
        "foo = 2016-05-04T18:53:41Z",
        &[
            (T::Key, "foo", 1, 0),
            (T::Datetime, "2016-05-04T18:53:41Z", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestVariableValues
#[test]
fn test_variable_values() {
    expect(
        "foo = $bar",
        &[
            (T::Key, "foo", 1, 0),
            (T::Variable, "bar", 1, 7),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo =$bar",
        &[
            (T::Key, "foo", 1, 0),
            (T::Variable, "bar", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo $bar",
        &[
            (T::Key, "foo", 1, 0),
            (T::Variable, "bar", 1, 5),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestArrays
#[test]
fn test_arrays() {
    expect(
        "foo = [1, 2, 3, 'bar']",
        &[
            (T::Key, "foo", 1, 0),
            (T::ArrayStart, "", 1, 7),
            (T::Integer, "1", 1, 7),
            (T::Integer, "2", 1, 10),
            (T::Integer, "3", 1, 13),
            (T::String, "bar", 1, 17),
            (T::ArrayEnd, "", 1, 22),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo = [1,2,3,'bar']",
        &[
            (T::Key, "foo", 1, 0),
            (T::ArrayStart, "", 1, 7),
            (T::Integer, "1", 1, 7),
            (T::Integer, "2", 1, 9),
            (T::Integer, "3", 1, 11),
            (T::String, "bar", 1, 14),
            (T::ArrayEnd, "", 1, 19),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo = [1, 2,3,'bar']",
        &[
            (T::Key, "foo", 1, 0),
            (T::ArrayStart, "", 1, 7),
            (T::Integer, "1", 1, 7),
            (T::Integer, "2", 1, 10),
            (T::Integer, "3", 1, 12),
            (T::String, "bar", 1, 15),
            (T::ArrayEnd, "", 1, 20),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestMultilineArrays
#[test]
fn test_multiline_arrays() {
    expect("\n# top level comment\nfoo = [\n 1, # One\n 2, // Two\n 3 # Three\n 'bar'     ,\n \"bar\"\n]\n", &[(T::CommentStart, "", 2, 2), (T::Text, " top level comment", 2, 2), (T::Key, "foo", 3, 1), (T::ArrayStart, "", 3, 8), (T::Integer, "1", 4, 2), (T::CommentStart, "", 4, 6), (T::Text, " One", 4, 6), (T::Integer, "2", 5, 2), (T::CommentStart, "", 5, 7), (T::Text, " Two", 5, 7), (T::Integer, "3", 6, 2), (T::CommentStart, "", 6, 5), (T::Text, " Three", 6, 5), (T::String, "bar", 7, 3), (T::String, "bar", 8, 3), (T::ArrayEnd, "", 9, 2), (T::Eof, "", 9, 0)]);
}

/// Go: conf/lex_test.go TestMultilineArraysNoSep
#[test]
fn test_multiline_arrays_no_sep() {
    expect(
        "\n# top level comment\nfoo = [\n 1 // foo\n 2\n 3\n 'bar'\n \"bar\"\n]\n",
        &[
            (T::CommentStart, "", 2, 2),
            (T::Text, " top level comment", 2, 2),
            (T::Key, "foo", 3, 1),
            (T::ArrayStart, "", 3, 8),
            (T::Integer, "1", 4, 2),
            (T::CommentStart, "", 4, 6),
            (T::Text, " foo", 4, 6),
            (T::Integer, "2", 5, 2),
            (T::Integer, "3", 6, 2),
            (T::String, "bar", 7, 3),
            (T::String, "bar", 8, 3),
            (T::ArrayEnd, "", 9, 2),
            (T::Eof, "", 9, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestSimpleMap
#[test]
fn test_simple_map() {
    expect(
        "foo = {ip='127.0.0.1', port = 4242}",
        &[
            (T::Key, "foo", 1, 0),
            (T::MapStart, "", 1, 7),
            (T::Key, "ip", 1, 7),
            (T::String, "127.0.0.1", 1, 11),
            (T::Key, "port", 1, 23),
            (T::Integer, "4242", 1, 30),
            (T::MapEnd, "", 1, 35),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestMultilineMap
#[test]
fn test_multiline_map() {
    expect(
        "\nfoo = {\n  ip = '127.0.0.1' # the IP\n  port= 4242 // the port\n}\n",
        &[
            (T::Key, "foo", 2, 1),
            (T::MapStart, "", 2, 8),
            (T::Key, "ip", 3, 3),
            (T::String, "127.0.0.1", 3, 9),
            (T::CommentStart, "", 3, 21),
            (T::Text, " the IP", 3, 21),
            (T::Key, "port", 4, 3),
            (T::Integer, "4242", 4, 9),
            (T::CommentStart, "", 4, 16),
            (T::Text, " the port", 4, 16),
            (T::MapEnd, "", 5, 2),
            (T::Eof, "", 5, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestNestedMaps
#[test]
fn test_nested_maps() {
    expect(
        "\nfoo = {\n  host = {\n    ip = '127.0.0.1'\n    port= 4242\n  }\n}\n",
        &[
            (T::Key, "foo", 2, 1),
            (T::MapStart, "", 2, 8),
            (T::Key, "host", 3, 3),
            (T::MapStart, "", 3, 11),
            (T::Key, "ip", 4, 5),
            (T::String, "127.0.0.1", 4, 11),
            (T::Key, "port", 5, 5),
            (T::Integer, "4242", 5, 11),
            (T::MapEnd, "", 6, 4),
            (T::MapEnd, "", 7, 2),
            (T::Eof, "", 7, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestQuotedKeys
#[test]
fn test_quoted_keys() {
    expect(
        "foo : 123",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "123", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "'foo' : 123",
        &[
            (T::Key, "foo", 1, 1),
            (T::Integer, "123", 1, 8),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "\"foo\" : 123",
        &[
            (T::Key, "foo", 1, 1),
            (T::Integer, "123", 1, 8),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestQuotedKeysWithSpace
#[test]
fn test_quoted_keys_with_space() {
    expect(
        "' foo' : 123",
        &[
            (T::Key, " foo", 1, 1),
            (T::Integer, "123", 1, 9),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "\" foo\" : 123",
        &[
            (T::Key, " foo", 1, 1),
            (T::Integer, "123", 1, 9),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestColonKeySep
#[test]
fn test_colon_key_sep() {
    expect(
        "foo : 123",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "123", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo:123",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "123", 1, 4),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo: 123",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "123", 1, 5),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo:  123\r\n",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "123", 1, 6),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestWhitespaceKeySep
#[test]
fn test_whitespace_key_sep() {
    expect(
        "foo 123",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "123", 1, 4),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo 123",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "123", 1, 4),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo\t123",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "123", 1, 4),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo\t\t123\r\n",
        &[
            (T::Key, "foo", 1, 0),
            (T::Integer, "123", 1, 5),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestEscapedString
#[test]
fn test_escaped_string() {
    expect(
        "\nfoo  = \\t\nbar  = \\r\nbaz  = \\n\nq    = \\\"\nbs   = \\\\\n",
        &[
            (T::Key, "foo", 2, 1),
            (T::String, "\t", 2, 9),
            (T::Key, "bar", 3, 1),
            (T::String, "\r", 3, 9),
            (T::Key, "baz", 4, 1),
            (T::String, "\n", 4, 9),
            (T::Key, "q", 5, 1),
            (T::String, "\"", 5, 9),
            (T::Key, "bs", 6, 1),
            (T::String, "\\", 6, 9),
            (T::Eof, "", 6, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestCompoundStringES
#[test]
fn test_compound_string_es() {
    expect(
        "foo = \"\\\\end\"",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "\\end", 1, 8),
            (T::Eof, "", 2, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestCompoundStringSE
#[test]
fn test_compound_string_se() {
    expect(
        "foo = \"start\\\\\"",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "start\\", 1, 8),
            (T::Eof, "", 2, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestCompoundStringEE
#[test]
fn test_compound_string_ee() {
    expect(
        "foo = \\x45\\x71",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "Eq", 1, 12),
            (T::Eof, "", 2, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestCompoundStringSEE
#[test]
fn test_compound_string_see() {
    expect(
        "foo = start\\x45\\x71",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "startEq", 1, 12),
            (T::Eof, "", 2, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestCompoundStringSES
#[test]
fn test_compound_string_ses() {
    expect(
        "foo = start\\x7Cend",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "start|end", 1, 9),
            (T::Eof, "", 2, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestCompoundStringEES
#[test]
fn test_compound_string_ees() {
    expect(
        "foo = \\x3c\\x3eend",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "<>end", 1, 12),
            (T::Eof, "", 2, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestCompoundStringESE
#[test]
fn test_compound_string_ese() {
    expect(
        "foo = \\x3cmiddle\\x3E",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "<middle>", 1, 12),
            (T::Eof, "", 2, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestBadStringEscape
#[test]
fn test_bad_string_escape() {
    expect("foo = \\y", &[(T::Key, "foo", 1, 0), (T::Error, "Invalid escape character 'y'. Only the following escape characters are allowed: \\xXX, \\t, \\n, \\r, \\\", \\\\.", 1, 8), (T::Eof, "", 2, 0)]);
}

/// Go: conf/lex_test.go TestNonBool
#[test]
fn test_non_bool() {
    expect(
        "foo = \\\\true",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "\\true", 1, 7),
            (T::Eof, "", 2, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestNonVariable
#[test]
fn test_non_variable() {
    expect(
        "foo = \\\\$var",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "\\$var", 1, 7),
            (T::Eof, "", 2, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestEmptyStringDQ
#[test]
fn test_empty_string_dq() {
    expect(
        "foo = \"\"",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "", 1, 7),
            (T::Eof, "", 2, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestEmptyStringSQ
#[test]
fn test_empty_string_sq() {
    expect(
        "foo = ''",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "", 1, 7),
            (T::Eof, "", 2, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestNestedWhitespaceMaps
#[test]
fn test_nested_whitespace_maps() {
    expect(
        "\nfoo  {\n  host  {\n    ip = '127.0.0.1'\n    port= 4242\n  }\n}\n",
        &[
            (T::Key, "foo", 2, 1),
            (T::MapStart, "", 2, 7),
            (T::Key, "host", 3, 3),
            (T::MapStart, "", 3, 10),
            (T::Key, "ip", 4, 5),
            (T::String, "127.0.0.1", 4, 11),
            (T::Key, "port", 5, 5),
            (T::Integer, "4242", 5, 11),
            (T::MapEnd, "", 6, 4),
            (T::MapEnd, "", 7, 2),
            (T::Eof, "", 7, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestOptionalSemicolons
#[test]
fn test_optional_semicolons() {
    expect(
        "\nfoo = 123;\nbar = 'baz';\nbaz = 'boo'\nmap {\n id = 1;\n}\n",
        &[
            (T::Key, "foo", 2, 1),
            (T::Integer, "123", 2, 7),
            (T::Key, "bar", 3, 1),
            (T::String, "baz", 3, 8),
            (T::Key, "baz", 4, 1),
            (T::String, "boo", 4, 8),
            (T::Key, "map", 5, 1),
            (T::MapStart, "", 5, 6),
            (T::Key, "id", 6, 2),
            (T::Integer, "1", 6, 7),
            (T::MapEnd, "", 7, 2),
            (T::Eof, "", 8, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestSemicolonChaining
#[test]
fn test_semicolon_chaining() {
    expect(
        "foo='1'; bar=2.2; baz=true;",
        &[
            (T::Key, "foo", 1, 0),
            (T::String, "1", 1, 5),
            (T::Key, "bar", 1, 9),
            (T::Float, "2.2", 1, 13),
            (T::Key, "baz", 1, 18),
            (T::Bool, "true", 1, 22),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestNonQuotedStrings
#[test]
fn test_non_quoted_strings() {
    expect("\nfoo = 123\nbar = baz\nbaz=boo\nmap {\n id:one\n id2 : onetwo\n}\nt true\nf false\ntstr \"true\"\ntkey = two\nfkey = five # This should be a string\n", &[(T::Key, "foo", 2, 1), (T::Integer, "123", 2, 7), (T::Key, "bar", 3, 1), (T::String, "baz", 3, 7), (T::Key, "baz", 4, 1), (T::String, "boo", 4, 5), (T::Key, "map", 5, 1), (T::MapStart, "", 5, 6), (T::Key, "id", 6, 2), (T::String, "one", 6, 5), (T::Key, "id2", 7, 2), (T::String, "onetwo", 7, 8), (T::MapEnd, "", 8, 2), (T::Key, "t", 9, 1), (T::Bool, "true", 9, 3), (T::Key, "f", 10, 1), (T::Bool, "false", 10, 3), (T::Key, "tstr", 11, 1), (T::String, "true", 11, 7), (T::Key, "tkey", 12, 1), (T::String, "two", 12, 8), (T::Key, "fkey", 13, 1), (T::String, "five", 13, 8), (T::CommentStart, "", 13, 14), (T::Text, " This should be a string", 13, 14), (T::Eof, "", 14, 0)]);
}

/// Go: conf/lex_test.go TestDanglingQuotedString
#[test]
fn test_dangling_quoted_string() {
    expect(
        "\nlisten: \"localhost:4242\n\nhttp: localhost:8222\n",
        &[
            (T::Key, "listen", 2, 1),
            (T::Error, "Unexpected EOF.", 5, 1),
        ],
    );
}

/// Go: conf/lex_test.go TestKeyDanglingQuotedString
#[test]
fn test_key_dangling_quoted_string() {
    expect(
        "\nfoo = \"\nlisten: \"\n\nhttp: localhost:8222\n\n\"\n",
        &[
            (T::Key, "foo", 2, 1),
            (T::String, "\nlisten: ", 3, 8),
            (T::Key, "http", 5, 1),
            (T::String, "localhost:8222", 5, 7),
            (T::Error, "Unexpected EOF.", 8, 1),
        ],
    );
}

/// Go: conf/lex_test.go TestDanglingSingleQuotedString
#[test]
fn test_dangling_single_quoted_string() {
    expect(
        "\nlisten: 'localhost:4242\n\nhttp: localhost:8222\n",
        &[
            (T::Key, "listen", 2, 1),
            (T::Error, "Unexpected EOF.", 5, 1),
        ],
    );
}

/// Go: conf/lex_test.go TestKeyDanglingSingleQuotedString
#[test]
fn test_key_dangling_single_quoted_string() {
    expect(
        "\nfoo = '\nlisten: '\n\nhttp: localhost:8222\n\n'\n",
        &[
            (T::Key, "foo", 2, 1),
            (T::String, "\nlisten: ", 3, 8),
            (T::Key, "http", 5, 1),
            (T::String, "localhost:8222", 5, 7),
            (T::Error, "Unexpected EOF.", 8, 1),
        ],
    );
}

/// Go: conf/lex_test.go TestMapDanglingBracket
#[test]
fn test_map_dangling_bracket() {
    expect(
        "\nlisten = 4222\n\ncluster = {\n\n  foo = bar\n\n",
        &[
            (T::Key, "listen", 2, 1),
            (T::Integer, "4222", 2, 10),
            (T::Key, "cluster", 4, 1),
            (T::MapStart, "", 4, 12),
            (T::Key, "foo", 6, 3),
            (T::String, "bar", 6, 9),
            (T::Error, "Unexpected EOF processing map.", 8, 1),
        ],
    );
}

/// Go: conf/lex_test.go TestBlockDanglingParens
#[test]
fn test_block_dangling_parens() {
    expect(
        "\nlisten = 4222\n\nquote = (\n\n  foo = bar\n\n",
        &[
            (T::Key, "listen", 2, 1),
            (T::Integer, "4222", 2, 10),
            (T::Key, "quote", 4, 1),
            (T::Error, "Unexpected EOF processing block.", 8, 1),
        ],
    );
}

/// Go: conf/lex_test.go TestMapQuotedKeys
#[test]
fn test_map_quoted_keys() {
    expect(
        "foo = {'bar' = 4242}",
        &[
            (T::Key, "foo", 1, 0),
            (T::MapStart, "", 1, 7),
            (T::Key, "bar", 1, 8),
            (T::Integer, "4242", 1, 15),
            (T::MapEnd, "", 1, 20),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo = {\"bar\" = 4242}",
        &[
            (T::Key, "foo", 1, 0),
            (T::MapStart, "", 1, 7),
            (T::Key, "bar", 1, 8),
            (T::Integer, "4242", 1, 15),
            (T::MapEnd, "", 1, 20),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestSpecialCharsMapQuotedKeys
#[test]
fn test_special_chars_map_quoted_keys() {
    expect(
        "foo = {'bar-1.2.3' = { port:4242 }}",
        &[
            (T::Key, "foo", 1, 0),
            (T::MapStart, "", 1, 7),
            (T::Key, "bar-1.2.3", 1, 8),
            (T::MapStart, "", 1, 22),
            (T::Key, "port", 1, 23),
            (T::Integer, "4242", 1, 28),
            (T::MapEnd, "", 1, 34),
            (T::MapEnd, "", 1, 35),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo = {\"bar-1.2.3\" = { port:4242 }}",
        &[
            (T::Key, "foo", 1, 0),
            (T::MapStart, "", 1, 7),
            (T::Key, "bar-1.2.3", 1, 8),
            (T::MapStart, "", 1, 22),
            (T::Key, "port", 1, 23),
            (T::Integer, "4242", 1, 28),
            (T::MapEnd, "", 1, 34),
            (T::MapEnd, "", 1, 35),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestDoubleNestedMapsNewLines
#[test]
fn test_double_nested_maps_new_lines() {
    expect(
        "\nsystems {\n  allinone {\n    description: \"This is a description.\"\n  }\n}\n",
        &[
            (T::Key, "systems", 2, 1),
            (T::MapStart, "", 2, 10),
            (T::Key, "allinone", 3, 3),
            (T::MapStart, "", 3, 13),
            (T::Key, "description", 4, 5),
            (T::String, "This is a description.", 4, 19),
            (T::MapEnd, "", 5, 4),
            (T::MapEnd, "", 6, 2),
            (T::Eof, "", 7, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestBlockString
#[test]
fn test_block_string() {
    expect(
        "\nnumbers (\n1234567890\n)\n",
        &[
            (T::Key, "numbers", 2, 1),
            (T::String, "\n1234567890\n", 4, 10),
        ],
    );
}

/// Go: conf/lex_test.go TestBlockStringEOF
#[test]
fn test_block_string_eof() {
    expect(
        "\nnumbers (\n1234567890\n)\u{0}",
        &[
            (T::Key, "numbers", 2, 1),
            (T::String, "\n1234567890\n", 4, 10),
        ],
    );
}

/// Go: conf/lex_test.go TestBlockStringMultiLine
#[test]
fn test_block_string_multi_line() {
    expect(
        "\nnumbers (\n  12(34)56\n  (\n    7890\n  )\n)\n",
        &[
            (T::Key, "numbers", 2, 1),
            (T::String, "\n  12(34)56\n  (\n    7890\n  )\n", 7, 10),
        ],
    );
}

/// Go: conf/lex_test.go TestUnquotedIPAddr
#[test]
fn test_unquoted_ip_addr() {
    expect(
        "listen: 127.0.0.1:4222",
        &[
            (T::Key, "listen", 1, 0),
            (T::String, "127.0.0.1:4222", 1, 8),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "listen: 127.0.0.1",
        &[
            (T::Key, "listen", 1, 0),
            (T::String, "127.0.0.1", 1, 8),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "listen: apcera.me:80",
        &[
            (T::Key, "listen", 1, 0),
            (T::String, "apcera.me:80", 1, 8),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "listen: nats.io:-1",
        &[
            (T::Key, "listen", 1, 0),
            (T::String, "nats.io:-1", 1, 8),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "listen: -1",
        &[
            (T::Key, "listen", 1, 0),
            (T::Integer, "-1", 1, 8),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "listen: :-1",
        &[
            (T::Key, "listen", 1, 0),
            (T::String, ":-1", 1, 8),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "listen = :80",
        &[
            (T::Key, "listen", 1, 0),
            (T::String, ":80", 1, 9),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "listen = [localhost:4222, localhost:4333]",
        &[
            (T::Key, "listen", 1, 0),
            (T::ArrayStart, "", 1, 10),
            (T::String, "localhost:4222", 1, 10),
            (T::String, "localhost:4333", 1, 26),
            (T::ArrayEnd, "", 1, 41),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestArrayOfMaps
#[test]
fn test_array_of_maps() {
    expect("\nauthorization {\n    users = [\n      {user: alice, password: foo}\n      {user: bob,   password: bar}\n    ]\n    timeout: 0.5\n}\n", &[(T::Key, "authorization", 2, 1), (T::MapStart, "", 2, 16), (T::Key, "users", 3, 5), (T::ArrayStart, "", 3, 14), (T::MapStart, "", 4, 8), (T::Key, "user", 4, 8), (T::String, "alice", 4, 14), (T::Key, "password", 4, 21), (T::String, "foo", 4, 31), (T::MapEnd, "", 4, 35), (T::MapStart, "", 5, 8), (T::Key, "user", 5, 8), (T::String, "bob", 5, 14), (T::Key, "password", 5, 21), (T::String, "bar", 5, 31), (T::MapEnd, "", 5, 35), (T::ArrayEnd, "", 6, 6), (T::Key, "timeout", 7, 5), (T::Float, "0.5", 7, 14), (T::MapEnd, "", 8, 2), (T::Eof, "", 9, 0)]);
}

/// Go: conf/lex_test.go TestInclude
#[test]
fn test_include() {
    expect(
        "include \"users.conf\"",
        &[(T::Include, "users.conf", 1, 9), (T::Eof, "", 1, 0)],
    );
    expect(
        "include 'users.conf'",
        &[(T::Include, "users.conf", 1, 9), (T::Eof, "", 1, 0)],
    );
    expect(
        "include users.conf",
        &[(T::Include, "users.conf", 1, 8), (T::Eof, "", 1, 0)],
    );
}

/// Go: conf/lex_test.go TestMapInclude
#[test]
fn test_map_include() {
    expect(
        "foo { include users.conf }",
        &[
            (T::Key, "foo", 1, 0),
            (T::MapStart, "", 1, 5),
            (T::Include, "users.conf", 1, 14),
            (T::MapEnd, "", 1, 26),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo {include users.conf}",
        &[
            (T::Key, "foo", 1, 0),
            (T::MapStart, "", 1, 5),
            (T::Include, "users.conf", 1, 13),
            (T::MapEnd, "", 1, 24),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo { include 'users.conf' }",
        &[
            (T::Key, "foo", 1, 0),
            (T::MapStart, "", 1, 5),
            (T::Include, "users.conf", 1, 15),
            (T::MapEnd, "", 1, 28),
            (T::Eof, "", 1, 0),
        ],
    );
    expect(
        "foo { include \"users.conf\"}",
        &[
            (T::Key, "foo", 1, 0),
            (T::MapStart, "", 1, 5),
            (T::Include, "users.conf", 1, 15),
            (T::MapEnd, "", 1, 27),
            (T::Eof, "", 1, 0),
        ],
    );
}

/// Go: conf/lex_test.go TestJSONCompat
#[test]
fn test_json_compat() {
    // should omit initial and final brackets at top level with a single item
    expect("\n                        {\n                          \"http_port\": 8223\n                        }\n                        ", &[(T::Key, "http_port", 3, 28), (T::Integer, "8223", 3, 40), (T::Key, "}", 4, 25), (T::Eof, "", 0, 0)]);
    // should omit trailing commas at top level with two items
    expect("\n                        {\n                          \"http_port\": 8223,\n                          \"port\": 4223\n                        }\n                        ", &[(T::Key, "http_port", 3, 28), (T::Integer, "8223", 3, 40), (T::Key, "port", 4, 28), (T::Integer, "4223", 4, 35), (T::Key, "}", 5, 25), (T::Eof, "", 0, 0)]);
    // should omit trailing commas at top level with multiple items
    expect("\n                        {\n                          \"http_port\": 8223,\n                          \"port\": 4223,\n                          \"max_payload\": \"5MB\",\n                          \"debug\": true,\n                          \"max_control_line\": 1024\n                        }\n                        ", &[(T::Key, "http_port", 3, 28), (T::Integer, "8223", 3, 40), (T::Key, "port", 4, 28), (T::Integer, "4223", 4, 35), (T::Key, "max_payload", 5, 28), (T::String, "5MB", 5, 43), (T::Key, "debug", 6, 28), (T::Bool, "true", 6, 36), (T::Key, "max_control_line", 7, 28), (T::Integer, "1024", 7, 47), (T::Key, "}", 8, 25), (T::Eof, "", 0, 0)]);
    // should support JSON not prettified
    expect(
        "{\"http_port\": 8224,\"port\": 4224}\n                        ",
        &[
            (T::Key, "http_port", 1, 2),
            (T::Integer, "8224", 1, 14),
            (T::Key, "port", 1, 20),
            (T::Integer, "4224", 1, 27),
            (T::Eof, "", 0, 0),
        ],
    );
    // should support JSON not prettified with final bracket after newline
    expect(
        "{\"http_port\": 8225,\"port\": 4225\n                        }\n                        ",
        &[
            (T::Key, "http_port", 1, 2),
            (T::Integer, "8225", 1, 14),
            (T::Key, "port", 1, 20),
            (T::Integer, "4225", 1, 27),
            (T::Key, "}", 2, 25),
            (T::Eof, "", 0, 0),
        ],
    );
    // should support uglified JSON with inner blocks
    expect("{\"http_port\": 8227,\"port\": 4227,\"write_deadline\": \"1h\",\"cluster\": {\"port\": 6222,\"routes\": [\"nats://127.0.0.1:4222\",\"nats://127.0.0.1:4223\",\"nats://127.0.0.1:4224\"]}}\n                        ", &[(T::Key, "http_port", 1, 2), (T::Integer, "8227", 1, 14), (T::Key, "port", 1, 20), (T::Integer, "4227", 1, 27), (T::Key, "write_deadline", 1, 33), (T::String, "1h", 1, 51), (T::Key, "cluster", 1, 56), (T::MapStart, "", 1, 67), (T::Key, "port", 1, 68), (T::Integer, "6222", 1, 75), (T::Key, "routes", 1, 81), (T::ArrayStart, "", 1, 91), (T::String, "nats://127.0.0.1:4222", 1, 92), (T::String, "nats://127.0.0.1:4223", 1, 116), (T::String, "nats://127.0.0.1:4224", 1, 140), (T::ArrayEnd, "", 1, 163), (T::MapEnd, "", 1, 164), (T::Key, "}", 14, 25), (T::Eof, "", 0, 0)]);
    // should support prettified JSON with inner blocks
    expect("\n                        {\n                          \"http_port\": 8227,\n                          \"port\": 4227,\n                          \"write_deadline\": \"1h\",\n                          \"cluster\": {\n                            \"port\": 6222,\n                            \"routes\": [\n                              \"nats://127.0.0.1:4222\",\n                              \"nats://127.0.0.1:4223\",\n                              \"nats://127.0.0.1:4224\"\n                            ]\n                          }\n                        }\n                        ", &[(T::Key, "http_port", 3, 28), (T::Integer, "8227", 3, 40), (T::Key, "port", 4, 28), (T::Integer, "4227", 4, 35), (T::Key, "write_deadline", 5, 28), (T::String, "1h", 5, 46), (T::Key, "cluster", 6, 28), (T::MapStart, "", 6, 39), (T::Key, "port", 7, 30), (T::Integer, "6222", 7, 37), (T::Key, "routes", 8, 30), (T::ArrayStart, "", 8, 40), (T::String, "nats://127.0.0.1:4222", 9, 32), (T::String, "nats://127.0.0.1:4223", 10, 32), (T::String, "nats://127.0.0.1:4224", 11, 32), (T::ArrayEnd, "", 12, 30), (T::MapEnd, "", 13, 28), (T::Key, "}", 14, 25), (T::Eof, "", 0, 0)]);
    // should support JSON with blocks
    expect("{\n                          \"jetstream\": {\n                            \"store_dir\": \"/tmp/nats\"\n                            \"max_mem\": 1000000,\n                          },\n                          \"port\": 4222,\n                          \"server_name\": \"nats1\"\n                        }\n                        ", &[(T::Key, "jetstream", 2, 28), (T::MapStart, "", 2, 41), (T::Key, "store_dir", 3, 30), (T::String, "/tmp/nats", 3, 43), (T::Key, "max_mem", 4, 30), (T::Integer, "1000000", 4, 40), (T::MapEnd, "", 5, 28), (T::Key, "port", 6, 28), (T::Integer, "4222", 6, 35), (T::Key, "server_name", 7, 28), (T::String, "nats1", 7, 43), (T::Key, "}", 8, 25), (T::Eof, "", 0, 0)]);
}
