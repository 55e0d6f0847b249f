//! Permission templates of scoped signing keys (Go's
//! `processUserPermissionsTemplate` in auth.go): `{{name()}}`,
//! `{{subject()}}`, `{{account-name()}}`, `{{account-subject()}}`,
//! `{{tag(x)}}` and `{{account-tag(x)}}` inside the scope's subjects are
//! replaced from the user and account claims.

use super::claims::{AccountClaims, UserClaims};
use super::types::UserPermissionLimits;
use crate::subject::is_valid_subject;

/// Go's `maxPermTemplateSubjectExpansions`.
pub const PERM_TEMPLATE_SUBJECT_EXPANSIONS_MAX: usize = 4096;

/// The `{{...}}` spans of `s` (Go's `mustacheRE`: two braces, one or more
/// non-`}` characters, two braces).
fn mustaches(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    let mut base = 0;
    while let Some(i) = rest.find("{{") {
        let start = i;
        // Leftmost match: extra leading braces belong to the body only if
        // they are not `}`; `{` is allowed in the body.
        let body = &rest[start + 2..];
        let end = body.find('}');
        match end {
            Some(e) if e > 0 && body[e..].starts_with("}}") => {
                let total = start + 2 + e + 2;
                out.push(&s[base + start..base + total]);
                base += total;
                rest = &s[base..];
            }
            _ => {
                base += start + 1;
                rest = &s[base..];
            }
        }
    }
    out
}

fn tag_op(op: &str) -> Option<(bool, &str)> {
    let lower = op.to_ascii_lowercase();
    if lower.starts_with("tag(") && op.ends_with(')') {
        return Some((false, &op[4..op.len() - 1]));
    }
    if lower.starts_with("account-tag(") && op.ends_with(')') {
        return Some((true, &op[12..op.len() - 1]));
    }
    None
}

/// The values one template operation expands to.
fn values_for(
    op: &str,
    item: &str,
    uc: &UserClaims,
    acc: &AccountClaims,
    fail_on_bad_subject: bool,
) -> Result<(Vec<String>, bool), String> {
    let simple = |v: &str| Ok((vec![v.to_string()], false));
    if op.eq_ignore_ascii_case("name()") {
        return simple(&uc.claims.name);
    }
    if op.eq_ignore_ascii_case("subject()") {
        return simple(&uc.claims.subject);
    }
    if op.eq_ignore_ascii_case("account-name()") {
        return simple(&acc.claims.name);
    }
    if op.eq_ignore_ascii_case("account-subject()") {
        return simple(&uc.nats.issuer_account);
    }
    let Some((account_tag, name)) = tag_op(op) else {
        return Err(format!("template operation in {item:?}: {op:?} is not defined"));
    };
    let tags = if account_tag { &acc.nats.generic.tags } else { &uc.nats.generic.tags };
    let prefix = format!("{}:", name.to_lowercase());
    let vals: Vec<String> =
        tags.iter().filter_map(|t| t.strip_prefix(&prefix)).map(str::to_string).collect();
    if !vals.is_empty() {
        Ok((vals, true))
    } else if fail_on_bad_subject {
        Err(format!("generated invalid subject {item:?}: {name:?} is not defined"))
    } else {
        Ok((vec![" ".to_string()], true))
    }
}

fn apply_template(
    list: &[String],
    fail_on_bad_subject: bool,
    uc: &UserClaims,
    acc: &AccountClaims,
) -> Result<Vec<String>, String> {
    if !list.iter().any(|s| !mustaches(s).is_empty()) {
        return Ok(list.to_vec());
    }
    let mut emitted: Vec<String> = Vec::with_capacity(list.len());
    for item in list {
        let srcs = mustaches(item);
        let mut values: Vec<Vec<String>> = Vec::with_capacity(srcs.len());
        for tk in &srcs {
            let op = tk.trim_start_matches("{{").trim_end_matches("}}").trim();
            values.push(values_for(op, item, uc, acc, fail_on_bad_subject)?.0);
        }
        // The cartesian product of the values, bounded like Go's.
        let mut count: usize = 1;
        for v in &values {
            if v.is_empty() {
                count = 0;
                break;
            }
            if count > PERM_TEMPLATE_SUBJECT_EXPANSIONS_MAX / v.len() {
                return Err(expansion_err());
            }
            count *= v.len();
        }
        if emitted.len() + count > PERM_TEMPLATE_SUBJECT_EXPANSIONS_MAX {
            return Err(expansion_err());
        }
        let mut idx = vec![0usize; values.len()];
        for _ in 0..count {
            let mut subj = item.clone();
            for (j, src) in srcs.iter().enumerate() {
                subj = subj.replace(src, &values[j][idx[j]]);
            }
            if is_valid_subject(subj.as_bytes()) {
                emitted.push(subj);
            } else if fail_on_bad_subject {
                return Err("generated invalid subject".into());
            }
            for j in (0..idx.len()).rev() {
                idx[j] += 1;
                if idx[j] < values[j].len() {
                    break;
                }
                idx[j] = 0;
            }
        }
    }
    Ok(emitted)
}

fn expansion_err() -> String {
    format!("permission template expansion limit exceeded: {PERM_TEMPLATE_SUBJECT_EXPANSIONS_MAX}")
}

/// Go's `processUserPermissionsTemplate`: expands the scope template for
/// this user. An allow list that expands to nothing becomes deny `>`.
pub fn process_user_permissions_template(
    template: &UserPermissionLimits,
    uc: &UserClaims,
    acc: &AccountClaims,
) -> Result<UserPermissionLimits, String> {
    let mut lim = template.clone();
    let perms = &mut lim.permissions;
    let sub_allow_was_set = !perms.subscribe.allow.is_empty();
    let pub_allow_was_set = !perms.publish.allow.is_empty();
    perms.subscribe.allow = apply_template(&perms.subscribe.allow, false, uc, acc)?;
    perms.subscribe.deny = apply_template(&perms.subscribe.deny, true, uc, acc)?;
    perms.publish.allow = apply_template(&perms.publish.allow, false, uc, acc)?;
    perms.publish.deny = apply_template(&perms.publish.deny, true, uc, acc)?;
    for (was_set, p) in [(sub_allow_was_set, &mut perms.subscribe), (pub_allow_was_set, &mut perms.publish)] {
        if was_set && p.allow.is_empty() && !p.deny.iter().any(|d| d == ">") {
            p.deny.push(">".to_string());
        }
    }
    Ok(lim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mustache_spans() {
        assert_eq!(mustaches("a.{{name()}}.{{ tag(x) }}"), vec!["{{name()}}", "{{ tag(x) }}"]);
        assert!(mustaches("a.{{}}.b").is_empty());
        assert!(mustaches("a.{{b").is_empty());
        assert_eq!(mustaches("{{{x}}"), vec!["{{{x}}"]);
    }

    /// Go: TestJWTTemplates (a subset: name, subject, tags, account tags,
    /// and the deny-all fallback of an allow list that expands to nothing).
    #[test]
    fn test_jwt_templates() {
        let mut uc = UserClaims::new("UABC");
        uc.claims.name = "myname".into();
        uc.nats.issuer_account = "AACC".into();
        uc.nats.generic.tags = vec!["login:alice".into(), "login:bob".into()];
        let mut acc = AccountClaims::new("AACC");
        acc.claims.name = "accname".into();
        acc.nats.generic.tags = vec!["dept:eng".into()];
        let mut t = UserPermissionLimits::default();
        t.permissions.publish.allow = vec![
            "{{name()}}.>".into(),
            "{{subject()}}".into(),
            "{{account-name()}}.{{account-subject()}}".into(),
            "u.{{tag(login)}}".into(),
            "d.{{account-tag(dept)}}".into(),
        ];
        t.permissions.subscribe.allow = vec!["x.{{tag(missing)}}".into()];
        let out = process_user_permissions_template(&t, &uc, &acc).unwrap();
        assert_eq!(
            out.permissions.publish.allow,
            vec!["myname.>", "UABC", "accname.AACC", "u.alice", "u.bob", "d.eng"]
        );
        assert!(out.permissions.subscribe.allow.is_empty());
        assert_eq!(out.permissions.subscribe.deny, vec![">"]);
        // A missing tag in a deny list fails the whole user.
        t.permissions.publish.deny = vec!["y.{{tag(missing)}}".into()];
        assert!(process_user_permissions_template(&t, &uc, &acc).is_err());
        t.permissions.publish.deny = vec!["{{bogus()}}".into()];
        assert!(process_user_permissions_template(&t, &uc, &acc).unwrap_err().contains("not defined"));
    }

    #[test]
    fn template_expansion_is_bounded() {
        let mut uc = UserClaims::new("UABC");
        uc.nats.generic.tags = (0..50).map(|i| format!("t:{i}")).collect();
        let acc = AccountClaims::new("AACC");
        let mut t = UserPermissionLimits::default();
        t.permissions.publish.allow = vec!["{{tag(t)}}.{{tag(t)}}".into()];
        // 50 x 50 = 2500 expansions fit; a third token (125000) does not.
        let out = process_user_permissions_template(&t, &uc, &acc).unwrap();
        assert_eq!(out.permissions.publish.allow.len(), 2500);
        t.permissions.publish.allow = vec!["{{tag(t)}}.{{tag(t)}}.{{tag(t)}}".into()];
        assert!(process_user_permissions_template(&t, &uc, &acc).is_err());
    }
}
