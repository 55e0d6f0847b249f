//! The cases: raw-protocol scripts, grouped by what they probe.

use crate::{Case, Config, Expect};

/// A quiet, header-capable client (most cases start with it).
pub const C: &str = "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,\"no_responders\":true,\"protocol\":1}\r\n";
/// Like [`C`] with pedantic on.
pub const CP: &str = "CONNECT {\"verbose\":false,\"pedantic\":true,\"headers\":true,\"protocol\":1}\r\n";
/// A client without header support.
pub const CNH: &str = "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":false,\"protocol\":1}\r\n";

fn cat(parts: &[&str]) -> String {
    parts.concat()
}

/// Every case, in a stable order. Names are unique.
pub fn all() -> Vec<Case> {
    let mut v = Vec::new();
    v.extend(verbs());
    v.extend(arity());
    v.extend(sizes_and_payloads());
    v.extend(connect());
    v.extend(subjects());
    v.extend(unsub_and_delivery());
    v.extend(limits());
    v.extend(auth());
    v.extend(perms());
    v
}

fn d(name: &'static str) -> Case {
    Case::new(name, Config::Default)
}

fn verbs() -> Vec<Case> {
    let flow = "SUB foo 1\r\nPUB foo 2\r\nhi\r\nHPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\nUNSUB 1\r\nPUB foo 2\r\nhi\r\nPING\r\nPONG\r\n";
    vec![
        d("verbs_upper").send(0, cat(&[C, flow])),
        d("verbs_lower").send(0, cat(&[&C.replace("CONNECT", "connect"), &flow.to_lowercase()])),
        d("verbs_mixed").send(
            0,
            cat(&[
                &C.replace("CONNECT", "CoNnEcT"),
                "sUb foo 1\r\npUb foo 2\r\nhi\r\nHpUb foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\nuNsUb 1\r\npInG\r\npOnG\r\n",
            ]),
        ),
        d("verbs_tab_separated").send(0, cat(&[C, "SUB\tfoo\t1\r\nPUB\tfoo\t2\r\nhi\r\n"])),
        d("verbs_many_spaces").send(0, cat(&[C, "SUB   foo   1\r\nPUB  foo    2\r\nhi\r\n"])),
        d("verb_lf_only").send(0, cat(&[C, "SUB foo 1\nPUB foo 2\nhi\r\nPING\n"])),
        d("ping_trailing_garbage").send(0, "PINGXYZ\r\n"),
        d("ping_space").send(0, "PING \r\n"),
        d("pin_truncated_verb").send(0, "PIN\r\n"),
        d("unknown_verb").send(0, "FOO bar\r\n"),
        d("pubx_verb").send(0, "PUBX foo 1\r\n"),
        d("pub_no_space").send(0, "PUB\r\n"),
        d("sub_no_space").send(0, "SUB\r\n"),
        d("connect_no_space_no_json").send(0, "CONNECT\r\n"),
        d("empty_line").send(0, "\r\n"),
        d("bare_lf").send(0, "\n"),
        d("leading_space").send(0, " PING\r\n"),
        d("info_from_client").send(0, cat(&[C, "INFO {\"server_id\":\"x\"}\r\n"])),
        d("info_from_client_before_connect").send(0, "INFO {}\r\n"),
        d("ok_from_client").send(0, cat(&[C, "+OK\r\n"])),
        d("err_from_client").send(0, cat(&[C, "-ERR 'boom'\r\n"])),
        d("msg_from_client").send(0, cat(&[C, "MSG foo 1 2\r\nhi\r\n"])),
        d("hmsg_from_client").send(0, cat(&[C, "HMSG foo 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"])),
        d("pong_unsolicited").send(0, cat(&[C, "PONG\r\n"])),
        d("ping_before_connect").send(0, "PING\r\n"),
        d("ops_before_connect_no_auth").send(0, "SUB foo 1\r\nPUB foo 2\r\nhi\r\n"),
    ]
}

fn arity() -> Vec<Case> {
    vec![
        d("pub_only_space").send(0, cat(&[C, "PUB \r\n"])),
        d("pub_one_arg").send(0, cat(&[C, "PUB foo\r\n"])),
        d("pub_four_args").send(0, cat(&[C, "PUB foo bar baz 2\r\nhi\r\n"])),
        d("pub_reply").send(0, cat(&[C, "SUB foo 1\r\nPUB foo bar 2\r\nhi\r\n"])),
        d("hpub_two_args").send(0, cat(&[C, "HPUB foo 2\r\n"])),
        d("hpub_five_args").send(0, cat(&[C, "HPUB foo r x 12 14\r\n"])),
        d("hpub_reply").send(0, cat(&[C, "SUB foo 1\r\nHPUB foo r 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"])),
        d("sub_one_arg").send(0, cat(&[C, "SUB foo\r\n"])),
        d("sub_four_args").send(0, cat(&[C, "SUB foo q 1 extra\r\n"])),
        d("sub_only_space").send(0, cat(&[C, "SUB \r\n"])),
        d("unsub_no_args").send(0, cat(&[C, "UNSUB \r\n"])),
        d("unsub_three_args").send(0, cat(&[C, "SUB foo 1\r\nUNSUB 1 2 3\r\n"])),
        d("unsub_unknown_sid").send(0, cat(&[C, "UNSUB 99\r\n"])),
        d("unsub_unknown_sid_verbose").send(0, "CONNECT {\"verbose\":true}\r\nUNSUB 99\r\n"),
    ]
}

fn sizes_and_payloads() -> Vec<Case> {
    vec![
        d("pub_size_negative").send(0, cat(&[C, "PUB foo -1\r\n"])),
        d("pub_size_huge").send(0, cat(&[C, "PUB foo 9999999999\r\n"])),
        d("pub_size_over_max_payload").send(0, cat(&[C, "PUB foo 2000000\r\n"])),
        d("pub_size_non_numeric").send(0, cat(&[C, "PUB foo abc\r\n"])),
        d("pub_size_trailing_letter").send(0, cat(&[C, "PUB foo 2x\r\n"])),
        d("pub_size_plus").send(0, cat(&[C, "PUB foo +2\r\n"])),
        d("pub_size_leading_zeros").send(0, cat(&[C, "SUB foo 1\r\nPUB foo 002\r\nhi\r\n"])),
        d("pub_zero_payload").send(0, cat(&[C, "SUB foo 1\r\nPUB foo 0\r\n\r\n"])),
        d("hpub_header_gt_total").send(0, cat(&[C, "HPUB foo 14 12\r\n"])),
        d("hpub_header_non_numeric").send(0, cat(&[C, "HPUB foo a 12\r\n"])),
        d("hpub_total_non_numeric").send(0, cat(&[C, "HPUB foo 12 b\r\n"])),
        d("hpub_header_negative").send(0, cat(&[C, "HPUB foo -1 12\r\n"])),
        d("hpub_zero_header").send(0, cat(&[C, "SUB foo 1\r\nHPUB foo 0 2\r\nhi\r\n"])),
        d("payload_split_two_writes").split(0, &[C.as_bytes(), b"SUB foo 1\r\nPUB foo 5\r\nhe", b"llo\r\n"]),
        d("payload_split_control_line").split(0, &[C.as_bytes(), b"SUB foo 1\r\nPU", b"B fo", b"o 2\r", b"\nhi\r\n"]),
        d("payload_split_before_lf").split(0, &[C.as_bytes(), b"SUB foo 1\r\nPUB foo 2\r\nhi\r", b"\n"]),
        d("payload_split_bytewise").split(
            0,
            &[C.as_bytes(), b"SUB foo 1\r\n", b"P", b"U", b"B", b" ", b"f", b"o", b"o", b" ", b"1", b"\r", b"\n", b"x", b"\r", b"\n"],
        ),
        d("payload_bad_terminator").send(0, cat(&[C, "PUB foo 2\r\nhiX\r\n"])),
        d("payload_lf_only_terminator").send(0, cat(&[C, "PUB foo 2\r\nhi\nPING\r\n"])),
        d("payload_longer_than_declared").send(0, cat(&[C, "PUB foo 2\r\nhello\r\n"])),
        d("payload_cr_then_garbage").send(0, cat(&[C, "PUB foo 2\r\nhi\rX"])),
        d("payload_incomplete_no_barrier").send_raw(0, cat(&[C, "PUB foo 5\r\nhi"])),
        d("hpub_leading_zero_sizes").send(0, cat(&[C, "SUB foo 1\r\nHPUB foo 012 014\r\nNATS/1.0\r\n\r\nhi\r\n"])),
        d("pedantic_invalid_subject_bad_terminator").send(0, cat(&[CP, "PUB foo.* 2\r\nhiX\r\n"])),
        d("hpub_bad_terminator").send(0, cat(&[C, "HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhiXX"])),
    ]
}

fn connect() -> Vec<Case> {
    vec![
        d("connect_verbose").send(0, "CONNECT {\"verbose\":true}\r\nSUB foo 1\r\nPUB foo 2\r\nhi\r\n"),
        d("connect_empty_object").send(0, "CONNECT {}\r\nSUB foo 1\r\n"),
        d("connect_pedantic_wildcard_pub").send(0, cat(&[CP, "SUB foo.* 1\r\nPUB foo.* 2\r\nhi\r\n"])),
        d("connect_pedantic_gt_pub").send(0, cat(&[CP, "SUB > 1\r\nPUB foo.> 2\r\nhi\r\n"])),
        d("connect_pedantic_empty_token_pub").send(0, cat(&[CP, "SUB > 1\r\nPUB foo..bar 2\r\nhi\r\n"])),
        d("connect_not_pedantic_wildcard_pub").send(0, cat(&[C, "SUB foo.* 1\r\nPUB foo.* 2\r\nhi\r\n"])),
        d("connect_not_pedantic_gt_pub").send(0, cat(&[C, "SUB > 1\r\nPUB foo.> 2\r\nhi\r\n"])),
        d("connect_echo_false").send(
            0,
            "CONNECT {\"verbose\":false,\"echo\":false}\r\nSUB foo 1\r\nPUB foo 2\r\nhi\r\n",
        ),
        d("connect_echo_true").send(0, "CONNECT {\"verbose\":false,\"echo\":true}\r\nSUB foo 1\r\nPUB foo 2\r\nhi\r\n"),
        d("connect_headers_false_hpub").send(0, cat(&[CNH, "HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"])),
        d("connect_no_headers_hpub").send(0, "CONNECT {\"verbose\":false}\r\nHPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"),
        d("hpub_before_connect").send(0, "HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"),
        d("connect_no_responders_without_headers").send(
            0,
            "CONNECT {\"verbose\":false,\"no_responders\":true}\r\n",
        ),
        d("connect_no_responders_with_headers").send(
            0,
            "CONNECT {\"verbose\":false,\"no_responders\":true,\"headers\":true}\r\nSUB in 1\r\nPUB svc in 2\r\nhi\r\n",
        )
        .expect(Expect::Go29Differs("newer Go adds `Nats-Subject: <subject>` to the 503 no-responders header")),
        d("connect_protocol_0").send(0, "CONNECT {\"verbose\":false,\"protocol\":0}\r\nPING\r\n"),
        d("connect_protocol_1").send(0, "CONNECT {\"verbose\":false,\"protocol\":1}\r\nPING\r\n"),
        d("connect_protocol_2").send(0, "CONNECT {\"verbose\":false,\"protocol\":2}\r\nPING\r\n"),
        d("connect_protocol_negative").send(0, "CONNECT {\"verbose\":false,\"protocol\":-1}\r\nPING\r\n"),
        d("connect_bad_json").send(0, "CONNECT {\r\n"),
        d("connect_json_array").send(0, "CONNECT [1]\r\n"),
        d("connect_wrong_type").send(0, "CONNECT {\"verbose\":\"yes\"}\r\n"),
        d("connect_unknown_key").send(0, "CONNECT {\"verbose\":false,\"whatever\":[1,2]}\r\nPING\r\n"),
        d("connect_trailing_garbage").send(0, "CONNECT {\"verbose\":false} x\r\n"),
        d("connect_no_space").send(0, "CONNECT{\"verbose\":true}\r\n"),
        d("second_connect_changes_verbose").send(
            0,
            "CONNECT {\"verbose\":false}\r\nSUB a 1\r\nCONNECT {\"verbose\":true}\r\nSUB b 2\r\n",
        ),
        d("second_connect_clears_subs")
            .send(0, "CONNECT {\"verbose\":false}\r\nSUB foo 1\r\nCONNECT {\"verbose\":false}\r\nPUB foo 2\r\nhi\r\n")
            .expect(Expect::Go29Differs("newer Go drops a client's subscriptions on a second CONNECT (it may switch accounts)")),
        d("connect_account_field").send(0, "CONNECT {\"verbose\":false,\"account\":\"x\"}\r\n"),
        d("connect_new_account_field").send(0, "CONNECT {\"verbose\":false,\"new_account\":true}\r\n"),
        d("second_connect_bad_json").send(0, "CONNECT {\"verbose\":false}\r\nCONNECT {\r\n"),
    ]
}

fn subjects() -> Vec<Case> {
    let bad_subs: [(&'static str, &str); 8] = [
        ("sub_empty_token", "foo..bar"),
        ("sub_gt_not_last", "foo.>.bar"),
        ("sub_gt_first", ">.foo"),
        ("sub_star_in_token", "*x"),
        ("sub_leading_dot", ".foo"),
        ("sub_trailing_dot", "foo."),
        ("sub_gt_in_token", "foo.x>"),
        ("sub_star_alone_ok", "*"),
    ];
    let mut v: Vec<Case> = bad_subs
        .into_iter()
        .map(|(name, s)| d(name).send(0, cat(&[C, "SUB ", s, " 1\r\nPING\r\n"])))
        .collect();
    v.extend([
        d("sub_verbose_invalid").send(0, "CONNECT {\"verbose\":true}\r\nSUB foo..bar 1\r\n"),
        // One group of one member: which member a group picks is random,
        // and Go's order across groups is a map's.
        d("queue_sub").send(0, cat(&[C, "SUB foo q 1\r\nPUB foo 2\r\nhi\r\n"])),
        d("queue_name_sys_group").send(0, cat(&[C, "SUB foo _sys_ 1\r\nPUB foo 2\r\nhi\r\n"])),
        d("queue_name_wildcard").send(0, cat(&[C, "SUB foo q.* 1\r\n"])),
        d("queue_name_gt").send(0, cat(&[C, "SUB foo q> 1\r\n"])),
        d("queue_name_dots").send(0, cat(&[C, "SUB foo q.r 1\r\nPUB foo 2\r\nhi\r\n"])),
        d("pub_gw_routed_prefix").send(0, cat(&[C, "SUB > 1\r\nPUB _GR_.abc 2\r\nhi\r\n"])),
        d("pub_nrg_prefix").send(0, cat(&[C, "SUB > 1\r\nPUB $NRG.abc 2\r\nhi\r\n"]))
            .expect(Expect::Go29Differs("newer Go refuses client publishes to `$NRG.` (reserved for Raft)")),
        d("pub_reply_service_prefix").send(0, cat(&[C, "SUB foo 1\r\nPUB foo _R_.abc 2\r\nhi\r\n"])),
        d("pub_reply_js_ack_prefix").send(0, cat(&[C, "SUB foo 1\r\nPUB foo $JS.ACK.a.b 2\r\nhi\r\n"])),
        d("pub_reply_gw_prefix").send(0, cat(&[C, "SUB foo 1\r\nPUB foo _GR_.abc 2\r\nhi\r\n"])),
        d("pub_subject_wildcard_delivery").send(0, cat(&[C, "SUB foo.* 1\r\nSUB foo.> 2\r\nPUB foo.bar 2\r\nhi\r\n"])),
    ]);
    v
}

fn unsub_and_delivery() -> Vec<Case> {
    let five = "PUB foo 1\r\na\r\nPUB foo 1\r\nb\r\nPUB foo 1\r\nc\r\nPUB foo 1\r\nd\r\nPUB foo 1\r\ne\r\n";
    vec![
        d("unsub_max_0").send(0, cat(&[C, "SUB foo 1\r\nUNSUB 1 0\r\n", five])),
        d("unsub_max_1").send(0, cat(&[C, "SUB foo 1\r\nUNSUB 1 1\r\n", five])),
        d("unsub_max_3").send(0, cat(&[C, "SUB foo 1\r\nUNSUB 1 3\r\n", five])),
        d("unsub_max_non_numeric").send(0, cat(&[C, "SUB foo 1\r\nUNSUB 1 x\r\n", five])),
        d("unsub_max_after_deliveries").send(0, cat(&[C, "SUB foo 1\r\nPUB foo 1\r\na\r\nPUB foo 1\r\nb\r\nUNSUB 1 2\r\n", five])),
        d("sid_reuse").send(0, cat(&[C, "SUB foo 1\r\nSUB bar 1\r\nPUB foo 1\r\na\r\nPUB bar 1\r\nb\r\n"])),
        d("sid_non_numeric").send(0, cat(&[C, "SUB foo abc\r\nPUB foo 1\r\na\r\n"])),
        d("no_responders_frame").send(0, cat(&[C, "SUB _INBOX.1 1\r\nPUB svc _INBOX.1 2\r\nhi\r\n"]))
            .expect(Expect::Go29Differs("newer Go adds `Nats-Subject: <subject>` to the 503 no-responders header")),
        d("no_responders_hpub").send(0, cat(&[C, "SUB _INBOX.1 1\r\nHPUB svc _INBOX.1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"]))
            .expect(Expect::Go29Differs("newer Go adds `Nats-Subject: <subject>` to the 503 no-responders header")),
        d("no_responders_not_subscribed").send(0, cat(&[C, "PUB svc _INBOX.1 2\r\nhi\r\n"])),
        d("headers_stripped_for_non_headers_sub")
            .send(1, cat(&[CNH, "SUB foo 1\r\n"]))
            .send(0, cat(&[C, "HPUB foo 22 24\r\nNATS/1.0\r\nA: bcdefg\r\n\r\nhi\r\n"])),
        d("headers_kept_for_headers_sub")
            .send(1, cat(&[C, "SUB foo 1\r\n"]))
            .send(0, cat(&[C, "HPUB foo 22 24\r\nNATS/1.0\r\nA: bcdefg\r\n\r\nhi\r\n"])),
        d("request_reply")
            .send(1, cat(&[C, "SUB svc 1\r\n"]))
            .send(0, cat(&[C, "SUB _INBOX.x 9\r\nPUB svc _INBOX.x 3\r\nreq\r\n"]))
            .send(1, "PUB _INBOX.x 3\r\nrep\r\n"),
        d("queue_one_of_two_conns")
            .send(1, cat(&[C, "SUB foo q 1\r\n"]))
            .send(2, cat(&[C, "SUB foo r 1\r\nSUB foo 2\r\n"]))
            .send(0, cat(&[C, "PUB foo 2\r\nhi\r\n"])),
    ]
}

fn limits() -> Vec<Case> {
    let long = "a".repeat(5000);
    let at_limit = "a".repeat(4096 - 2);
    let s = |name| Case::new(name, Config::Small);
    let p64 = "x".repeat(64);
    let p65 = "x".repeat(65);
    vec![
        d("max_control_line_exceeded").send(0, cat(&[C, "SUB ", &long, " 1\r\n"])),
        d("max_control_line_exact").send(0, cat(&[C, "SUB ", &at_limit, " 1\r\n"])),
        d("max_control_line_unterminated").send_raw(0, cat(&[C, "SUB ", &long])),
        d("max_control_line_pub").send(0, cat(&[C, "PUB ", &long, " 1\r\nx\r\n"])),
        s("small_info").send(0, "PING\r\n"),
        s("small_payload_at_max").send(0, cat(&[C, "SUB foo 1\r\nPUB foo 64\r\n", &p64, "\r\n"])),
        s("small_payload_over_max").send(0, cat(&[C, "PUB foo 65\r\n", &p65, "\r\n"])),
        s("small_hpub_over_max").send(0, cat(&[C, "HPUB foo 12 65\r\n"])),
        s("small_control_line_over").send(0, cat(&[C, "SUB ", &"b".repeat(130), " 1\r\n"])),
        s("small_control_line_connect").send(0, format!("CONNECT {{\"name\":\"{}\"}}\r\n", "n".repeat(200))),
    ]
}

fn auth() -> Vec<Case> {
    let u = |name| Case::new(name, Config::UserPass);
    let t = |name| Case::new(name, Config::Token);
    vec![
        u("auth_info").send(0, ""),
        u("auth_user_ok").send(0, "CONNECT {\"verbose\":false,\"user\":\"derek\",\"pass\":\"s3cr3t\"}\r\nSUB foo 1\r\nPUB foo 2\r\nhi\r\n"),
        u("auth_user_verbose_ok").send(0, "CONNECT {\"verbose\":true,\"user\":\"derek\",\"pass\":\"s3cr3t\"}\r\n"),
        u("auth_bad_password").send(0, "CONNECT {\"verbose\":false,\"user\":\"derek\",\"pass\":\"nope\"}\r\n"),
        u("auth_no_credentials").send(0, "CONNECT {\"verbose\":false}\r\n"),
        u("auth_ping_before_connect").send(0, "PING\r\n"),
        u("auth_sub_before_connect").send(0, "SUB foo 1\r\n"),
        u("auth_pub_before_connect").send(0, "PUB foo 2\r\nhi\r\n"),
        u("auth_pong_before_connect").send(0, "PONG\r\n"),
        u("auth_unknown_before_connect").send(0, "FOO\r\n"),
        u("auth_bad_json_connect").send(0, "CONNECT {\r\n"),
        u("auth_second_connect_other_user").send(
            0,
            "CONNECT {\"verbose\":false,\"user\":\"derek\",\"pass\":\"s3cr3t\"}\r\n\
             CONNECT {\"verbose\":false,\"user\":\"x\",\"pass\":\"y\"}\r\nPING\r\n",
        ),
        u("auth_bad_protocol_and_bad_creds").send(0, "CONNECT {\"verbose\":false,\"protocol\":5,\"user\":\"x\"}\r\n"),
        u("auth_lower_case_connect").send(0, "connect {\"verbose\":false,\"user\":\"derek\",\"pass\":\"s3cr3t\"}\r\nping\r\n"),
        u("auth_c_garbage_before_connect").send(0, "CX\r\n"),
        u("auth_split_connect").split(0, &[b"CON", b"NECT {\"verbose\":false,\"user\":\"derek\",\"pass\":\"s3cr3t\"}\r\n"]),
        t("token_ok").send(0, "CONNECT {\"verbose\":false,\"auth_token\":\"t0k3n\"}\r\nPING\r\n"),
        t("token_bad").send(0, "CONNECT {\"verbose\":false,\"auth_token\":\"nope\"}\r\n"),
        t("token_missing").send(0, "CONNECT {\"verbose\":false}\r\n"),
        t("token_as_user").send(0, "CONNECT {\"verbose\":false,\"user\":\"t0k3n\"}\r\n"),
    ]
}

fn perms() -> Vec<Case> {
    const A: &str = "CONNECT {\"verbose\":false,\"headers\":true,\"user\":\"a\",\"pass\":\"pa\"}\r\n";
    let p = |name| Case::new(name, Config::Perms);
    vec![
        p("perm_pub_allowed").send(0, cat(&[A, "PUB pub.x 2\r\nhi\r\n"])),
        p("perm_pub_denied").send(0, cat(&[A, "PUB pub.secret 2\r\nhi\r\n"])),
        p("perm_pub_not_allowed").send(0, cat(&[A, "PUB other 2\r\nhi\r\n"])),
        p("perm_hpub_not_allowed").send(0, cat(&[A, "HPUB other 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"])),
        p("perm_pub_denied_twice_cached").send(0, cat(&[A, "PUB other 2\r\nhi\r\nPUB other 2\r\nhi\r\n"])),
        p("perm_sub_allowed").send(0, cat(&[A, "SUB sub.x 1\r\n"])),
        p("perm_sub_denied").send(0, cat(&[A, "SUB sub.secret 1\r\n"])),
        p("perm_sub_not_allowed").send(0, cat(&[A, "SUB foo 1\r\n"])),
        p("perm_sub_wildcard_allowed").send(0, cat(&[A, "SUB sub.* 1\r\n"])),
        p("perm_sub_queue_not_allowed").send(0, cat(&[A, "SUB foo q 1\r\n"])),
        p("perm_sub_queue_allowed").send(0, cat(&[A, "SUB q.x grp 1\r\n"])),
        p("perm_sub_broader_wildcard").send(0, cat(&[A, "SUB sub.> 1\r\n"])).expect(Expect::Intentional(
            "rnatsd rejects a wildcard SUB broader than the allow entry (sub.> vs allow sub.*); Go's token match allows it",
        )),
        p("perm_deny_wildcard_delivery")
            .send(0, cat(&[A, "SUB sub.* 1\r\n"]))
            .send(1, "CONNECT {\"verbose\":false,\"user\":\"b\",\"pass\":\"pb\"}\r\nPUB sub.secret 1\r\nx\r\nPUB sub.ok 1\r\ny\r\n"),
        p("perm_user_without_permissions").send(
            0,
            "CONNECT {\"verbose\":false,\"user\":\"b\",\"pass\":\"pb\"}\r\nSUB anything 1\r\nPUB anything 1\r\nz\r\n",
        ),
        p("perm_pedantic_wildcard_pub_not_allowed").send(
            0,
            "CONNECT {\"verbose\":false,\"pedantic\":true,\"user\":\"a\",\"pass\":\"pa\"}\r\nPUB other.* 2\r\nhi\r\n",
        ),
        p("perm_second_connect_other_user").send(
            0,
            "CONNECT {\"verbose\":false,\"user\":\"a\",\"pass\":\"pa\"}\r\nCONNECT {\"verbose\":false,\"user\":\"b\",\"pass\":\"pb\"}\r\nSUB foo 1\r\n",
        ),
        p("perm_verbose_violation").send(
            0,
            "CONNECT {\"verbose\":true,\"user\":\"a\",\"pass\":\"pa\"}\r\nPUB other 2\r\nhi\r\nSUB foo 1\r\n",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique() {
        let cases = all();
        let names: HashSet<_> = cases.iter().map(|c| c.name).collect();
        assert_eq!(names.len(), cases.len());
        assert!(cases.len() >= 100, "corpus shrank: {}", cases.len());
    }

    #[test]
    fn every_config_is_used() {
        let cases = all();
        for cfg in Config::ALL {
            assert!(cases.iter().any(|c| c.config == cfg), "{cfg:?} unused");
        }
    }

    #[test]
    fn every_case_has_steps_and_writes() {
        for c in all() {
            assert!(!c.steps.is_empty(), "{}", c.name);
            assert!(c.steps.iter().all(|s| !s.writes.is_empty()), "{}", c.name);
        }
    }

    #[test]
    fn split_cases_really_split() {
        let cases = all();
        let c = cases.iter().find(|c| c.name == "payload_split_two_writes").unwrap();
        assert_eq!(c.steps[0].writes.len(), 3);
        let joined: Vec<u8> = c.steps[0].writes.concat();
        assert!(joined.ends_with(b"PUB foo 5\r\nhello\r\n"));
    }

    #[test]
    fn lower_case_flow_has_no_upper_verbs() {
        let cases = all();
        let c = cases.iter().find(|c| c.name == "verbs_lower").unwrap();
        let text = String::from_utf8(c.steps[0].writes[0].clone()).unwrap();
        for verb in ["CONNECT", "SUB", "PUB", "HPUB", "UNSUB", "PING", "PONG"] {
            assert!(!text.contains(verb), "{verb} in {text}");
        }
        assert!(text.contains("nats/1.0"), "lower-casing reaches the header line too");
    }

    #[test]
    fn config_files_carry_the_limits() {
        assert!(Config::Small.file_text().unwrap().contains("max_payload: 64"));
        assert!(Config::Default.file_text().is_none());
        assert!(Config::Perms.file_text().unwrap().contains("pub.secret"));
    }
}
