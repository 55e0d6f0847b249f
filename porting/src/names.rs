//! Go name → Rust name conversion, and the small glob matcher.

/// Converts a Go identifier to the snake_case name its Rust port carries.
///
/// The rule (the same as the `heck` crate's `ToSnakeCase`):
/// 1. `_` (and any other non-alphanumeric character) separates words and is
///    dropped: `TestFoo_Bar` → `test_foo_bar`.
/// 2. A lowercase letter followed by an uppercase one ends a word:
///    `FileStore` → `file_store`, `JetStream` → `jet_stream`.
/// 3. In a run of capitals, the last capital starts a new word when a
///    lowercase letter follows it, so acronyms stay whole:
///    `TestJSONFoo` → `test_json_foo`, `TestMQTTConnect` → `test_mqtt_connect`.
/// 4. Digits belong to the word they follow and never start a word by
///    themselves: `TestNode48` → `test_node48`, `TestR3Foo` → `test_r3_foo`,
///    `Test2Foo` → `test2_foo`, `TestMQTTQoS2` → `test_mqtt_qo_s2`.
/// 5. Everything is lowercased.
pub fn snake_case(go_name: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    for chunk in go_name.split(|c: char| !c.is_alphanumeric()) {
        split_camel(chunk, &mut words);
    }
    words.join("_")
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Boundary,
    Lower,
    Upper,
}

fn split_camel(chunk: &str, words: &mut Vec<String>) {
    let chars: Vec<char> = chunk.chars().collect();
    let mut start = 0;
    let mut mode = Mode::Boundary;
    for i in 0..chars.len() {
        let c = chars[i];
        let Some(&next) = chars.get(i + 1) else { break };
        let next_mode = if c.is_lowercase() {
            Mode::Lower
        } else if c.is_uppercase() {
            Mode::Upper
        } else {
            mode
        };
        if next_mode == Mode::Lower && next.is_uppercase() {
            // fooBar: the word ends after c.
            push_word(&chars[start..=i], words);
            start = i + 1;
            mode = Mode::Boundary;
        } else if mode == Mode::Upper && c.is_uppercase() && next.is_lowercase() {
            // JSONFoo: the word ends before c ('F').
            push_word(&chars[start..i], words);
            start = i;
            mode = Mode::Upper;
        } else {
            mode = next_mode;
        }
    }
    push_word(&chars[start..], words);
}

fn push_word(chars: &[char], words: &mut Vec<String>) {
    if chars.is_empty() {
        return;
    }
    words.push(chars.iter().flat_map(|c| c.to_lowercase()).collect());
}

/// True if `pattern` contains glob metacharacters (`*` or `?`).
pub fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

/// Shell-style glob: `*` matches any run of characters (including `/`),
/// `?` matches exactly one character; everything else matches itself.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative matcher with single-star backtracking: linear in practice.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && p[pi] == t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_plain_camel() {
        assert_eq!(snake_case("TestFileStoreBasics"), "test_file_store_basics");
        assert_eq!(snake_case("TestParsePubArg"), "test_parse_pub_arg");
        assert_eq!(snake_case("TestSublistSimple"), "test_sublist_simple");
        assert_eq!(snake_case("processPub"), "process_pub");
        assert_eq!(snake_case("rebuildState"), "rebuild_state");
    }

    #[test]
    fn snake_case_acronyms_stay_whole() {
        assert_eq!(snake_case("TestJSONFoo"), "test_json_foo");
        assert_eq!(snake_case("TestMQTTConnect"), "test_mqtt_connect");
        assert_eq!(
            snake_case("TestJetStreamAPIList"),
            "test_jet_stream_api_list"
        );
        assert_eq!(
            snake_case("TestNoRaceJetStreamWQ"),
            "test_no_race_jet_stream_wq"
        );
        assert_eq!(snake_case("parseURL"), "parse_url");
        assert_eq!(snake_case("HTTPHandler"), "http_handler");
    }

    #[test]
    fn snake_case_digits_and_underscores() {
        assert_eq!(snake_case("TestNode48"), "test_node48");
        assert_eq!(
            snake_case("TestJetStreamClusterR3Foo"),
            "test_jet_stream_cluster_r3_foo"
        );
        assert_eq!(snake_case("Test2Foo"), "test2_foo");
        assert_eq!(snake_case("TestMQTTQoS2"), "test_mqtt_qo_s2");
        assert_eq!(snake_case("TestFoo_Bar"), "test_foo_bar");
        assert_eq!(snake_case("Test__Foo"), "test_foo");
        assert_eq!(snake_case("OP_START"), "op_start");
        assert_eq!(snake_case("Test"), "test");
        assert_eq!(snake_case(""), "");
    }

    #[test]
    fn snake_case_is_idempotent_on_its_output() {
        for name in [
            "TestFileStoreBasics",
            "TestJSONFoo",
            "TestMQTTQoS2",
            "TestNode48",
        ] {
            let once = snake_case(name);
            assert_eq!(snake_case(&once), once);
        }
    }

    #[test]
    fn glob_matching() {
        assert!(glob_match("TestMQTT*", "TestMQTTConnect"));
        assert!(glob_match("TestMQTT*", "TestMQTT"));
        assert!(!glob_match("TestMQTT*", "TestMQT"));
        assert!(glob_match("server/mqtt*.go", "server/mqtt_test.go"));
        assert!(glob_match(
            "*_windows*.go",
            "server/pse/pse_windows_test.go"
        ));
        assert!(!glob_match("*_windows*.go", "server/pse/pse_linux.go"));
        assert!(glob_match("Test?ub", "TestSub"));
        assert!(!glob_match("Test?ub", "TestSSub"));
        assert!(glob_match("*a*b*c", "xxaxxbxxbxc"));
        assert!(!glob_match("*a*b*c", "xxaxxbxxbx"));
        assert!(glob_match("*", ""));
        assert!(!is_glob("TestFoo"));
        assert!(is_glob("Test*"));
    }
}
