//! Content validation of claims (nats-io/jwt v2 `validation.go` and the
//! `Validate` methods): blocking errors, time checks (expired, not yet
//! valid) and warnings. `now` is passed in as unix seconds.

use core::net::IpAddr;

use super::claims::{AccountClaims, ClaimsData, OperatorClaims, UserClaims};
use super::nkey::{is_valid_public_account_key, is_valid_public_operator_key, is_valid_public_user_key};
use super::types::{Export, ExportType, Import, Permission, Permissions, UserPermissionLimits, NO_LIMIT};

/// Go's `ValidationIssue`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationIssue {
    pub description: String,
    pub blocking: bool,
    pub time_check: bool,
}

/// Go's `ValidationResults`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidationResults {
    pub issues: Vec<ValidationIssue>,
}

impl ValidationResults {
    pub fn add_error(&mut self, description: impl Into<String>) {
        self.issues.push(ValidationIssue { description: description.into(), blocking: true, time_check: false });
    }
    pub fn add_time_check(&mut self, description: impl Into<String>) {
        self.issues.push(ValidationIssue { description: description.into(), blocking: false, time_check: true });
    }
    pub fn add_warning(&mut self, description: impl Into<String>) {
        self.issues.push(ValidationIssue { description: description.into(), blocking: false, time_check: false });
    }
    /// Go's `IsBlocking`.
    pub fn is_blocking(&self, include_time_checks: bool) -> bool {
        self.issues.iter().any(|i| i.blocking || (include_time_checks && i.time_check))
    }
    pub fn is_empty(&self) -> bool {
        self.issues.is_empty()
    }
    /// Go's `Errors`: the descriptions of blocking issues.
    pub fn errors(&self) -> Vec<String> {
        self.issues.iter().filter(|i| i.blocking).map(|i| i.description.clone()).collect()
    }
    /// Every issue's description (for "no longer valid" log lines).
    pub fn descriptions(&self) -> Vec<String> {
        self.issues.iter().map(|i| i.description.clone()).collect()
    }
}

/// Go's `ClaimsData.Validate`.
pub fn validate_claims_data(c: &ClaimsData, now_secs: i64, vr: &mut ValidationResults) {
    if c.is_expired_at(now_secs) {
        vr.add_time_check("claim is expired");
    }
    if c.is_not_yet_valid_at(now_secs) {
        vr.add_time_check("claim is not yet valid");
    }
}

/// Go's `Subject.Validate`.
pub fn validate_subject(v: &str, vr: &mut ValidationResults) {
    if v.is_empty() {
        vr.add_error("subject cannot be empty");
        return;
    }
    if v.contains(' ') {
        vr.add_error(format!("subject {v:?} cannot have spaces"));
    }
    if v.starts_with('.') || v.ends_with('.') {
        vr.add_error(format!("subject {v:?} cannot start or end with a `.`"));
    }
    if v.contains("..") {
        vr.add_error(format!("subject {v:?} cannot contain consecutive `.`"));
    }
}

/// Go's `Subject.HasWildCards`.
pub fn has_wildcards(v: &str) -> bool {
    v.ends_with(".>")
        || v.contains(".*.")
        || v.ends_with(".*")
        || v.starts_with("*.")
        || v == "*"
        || v == ">"
}

fn check_permission(subj: &str, permit_queue: bool, vr: &mut ValidationResults) {
    let tk: Vec<&str> = subj.split(' ').collect();
    match tk.len() {
        1 => validate_subject(tk[0], vr),
        2 => {
            validate_subject(tk[0], vr);
            validate_subject(tk[1], vr);
            if !permit_queue {
                vr.add_error(format!("Permission Subject \"{subj}\" is not allowed to contain queue"));
            }
        }
        _ => vr.add_error(format!("Permission Subject \"{subj}\" contains too many spaces")),
    }
}

fn validate_permission(p: &Permission, permit_queue: bool, vr: &mut ValidationResults) {
    for s in p.allow.iter().chain(p.deny.iter()) {
        check_permission(s, permit_queue, vr);
    }
}

/// Go's `Permissions.Validate` (queues allowed only in sub permissions).
pub fn validate_permissions(p: &Permissions, vr: &mut ValidationResults) {
    validate_permission(&p.subscribe, true, vr);
    validate_permission(&p.publish, false, vr);
}

/// Parses `a.b.c.d/n` or an IPv6 CIDR: the network and prefix length.
pub fn parse_cidr(cidr: &str) -> Option<(IpAddr, u8)> {
    let (ip, bits) = cidr.split_once('/')?;
    let ip: IpAddr = ip.parse().ok()?;
    if bits.is_empty() || bits.len() > 3 || !bits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let bits: u8 = bits.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((ip, bits))
}

/// `HH:MM:SS` (Go's "15:04:05" layout) as seconds after midnight.
pub fn parse_clock(s: &str) -> Option<u32> {
    let b = s.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let num = |i: usize| -> Option<u32> {
        let (x, y) = (b[i], b[i + 1]);
        (x.is_ascii_digit() && y.is_ascii_digit()).then(|| u32::from(x - b'0') * 10 + u32::from(y - b'0'))
    };
    let (h, m, s) = (num(0)?, num(3)?, num(6)?);
    (h < 24 && m < 60 && s < 60).then_some(h * 3600 + m * 60 + s)
}

/// The `times_location` names this sans-IO core can evaluate without a
/// time-zone database: UTC only (Go loads any IANA zone).
pub fn is_supported_locale(l: &str) -> bool {
    matches!(l, "" | "UTC" | "Etc/UTC" | "Local")
}

/// Go's `Limits.Validate` (src CIDRs, time ranges, locale).
pub fn validate_user_limits(l: &UserPermissionLimits, vr: &mut ValidationResults) {
    for cidr in &l.src {
        if parse_cidr(cidr).is_none() {
            vr.add_error(format!("invalid cidr {cidr:?} in user src limits"));
        }
    }
    for t in &l.times {
        if t.start.is_empty() {
            vr.add_error("time ranges start must contain a start");
        } else if parse_clock(&t.start).is_none() {
            vr.add_error(format!("start in time range is invalid {:?}", t.start));
        }
        if t.end.is_empty() {
            vr.add_error("time ranges end must contain an end");
        } else if parse_clock(&t.end).is_none() {
            vr.add_error(format!("end in time range is invalid {:?}", t.end));
        }
    }
    if !is_supported_locale(&l.locale) {
        vr.add_error(format!("could not parse iana time zone by name: unknown time zone {}", l.locale));
    }
}

/// Go's `OperatorClaims.Validate` (service-URL and version checks are
/// reduced to the key checks the server relies on).
pub fn validate_operator(oc: &OperatorClaims, now_secs: i64, vr: &mut ValidationResults) {
    validate_claims_data(&oc.claims, now_secs, vr);
    for k in &oc.nats.signing_keys {
        if !is_valid_public_operator_key(k) {
            vr.add_error(format!("{k} is not an operator public key"));
        }
    }
    let sys = &oc.nats.system_account;
    if !sys.is_empty() && !is_valid_public_account_key(sys) {
        vr.add_error(format!("{sys} is not an account public key"));
    }
}

fn validate_import(i: &Import, vr: &mut ValidationResults) {
    if i.import_type == ExportType::Unknown {
        vr.add_error(format!("invalid import type: {:?}", "unknown"));
    }
    if i.import_type == ExportType::Service && i.allow_trace {
        vr.add_error("AllowTrace only valid for stream import");
    }
    if i.account.is_empty() {
        vr.add_error("account to import from is not specified");
    }
    if !i.to.is_empty() {
        vr.add_warning("the field to has been deprecated (use LocalSubject instead)");
    }
    validate_subject(&i.subject, vr);
    if !i.local_subject.is_empty() && !i.to.is_empty() {
        vr.add_error("Local Subject replaces To");
    }
    if i.share && i.import_type != ExportType::Service {
        vr.add_error(format!(
            "sharing information (for latency tracking) is only valid for services: {:?}",
            i.subject
        ));
    }
}

fn validate_export(e: &Export, vr: &mut ValidationResults) {
    let is_service = e.export_type == ExportType::Service;
    match e.export_type {
        ExportType::Unknown => vr.add_error(format!("invalid export type: {:?}", "unknown")),
        ExportType::Service => {
            if !matches!(e.response_type.as_str(), "" | "Singleton" | "Stream" | "Chunked") {
                vr.add_error(format!("invalid response type for service: {:?}", e.response_type));
            }
        }
        ExportType::Stream => {
            if !e.response_type.is_empty() {
                vr.add_error(format!("invalid response type for stream: {:?}", e.response_type));
            }
            if e.allow_trace {
                vr.add_error("AllowTrace only valid for service export");
            }
        }
    }
    if let Some(l) = &e.latency {
        if !is_service {
            vr.add_error("latency tracking only permitted for services");
        }
        if l.sampling.0 != 0 && !(1..=100).contains(&l.sampling.0) {
            vr.add_error("sampling percentage needs to be between 1-100");
        }
        validate_subject(&l.results, vr);
        if has_wildcards(&l.results) {
            vr.add_error("results subject can not contain wildcards");
        }
    }
    if e.response_threshold_nanos < 0 {
        vr.add_error("negative response threshold is invalid");
    }
    if e.response_threshold_nanos > 0 && !is_service {
        vr.add_error("response threshold only valid for services");
    }
    validate_subject(&e.subject, vr);
    if e.account_token_position > 0 {
        let tokens: Vec<&str> = e.subject.split('.').collect();
        let pos = e.account_token_position;
        if !has_wildcards(&e.subject) {
            vr.add_error(format!(
                "Account Token Position can only be used with wildcard subjects: {}",
                e.subject
            ));
        } else if pos > tokens.len() as u64 {
            vr.add_error(format!("Account Token Position {pos} exceeds length of subject '{}'", e.subject));
        } else if tokens[(pos - 1) as usize] != "*" {
            let tk = tokens[(pos - 1) as usize];
            vr.add_error(format!(
                "Account Token Position {pos} matches '{tk}' but must match a * in: {}",
                e.subject
            ));
        }
    }
}

/// Go's `Subject.IsContainedIn`: `s` is matched by the (wildcard) `other`.
pub fn is_contained_in(s: &str, other: &str) -> bool {
    let o: Vec<&str> = other.split('.').collect();
    let m: Vec<&str> = s.split('.').collect();
    if m.len() > o.len() && o.last() != Some(&">") {
        return false;
    }
    if m.len() < o.len() {
        return false;
    }
    for (i, tok) in o.iter().enumerate() {
        if i == o.len() - 1 && *tok == ">" {
            return true;
        }
        if *tok != m[i] && *tok != "*" {
            return false;
        }
    }
    true
}

/// Go's `isContainedIn` over one kind of exports: an export subject that
/// another export of the same kind already covers is an error.
fn exports_contained_in(kind: ExportType, subjects: &[&str], vr: &mut ValidationResults) {
    let name = if kind == ExportType::Service { "service" } else { "stream" };
    let mut seen: std::collections::BTreeMap<&str, &str> = Default::default();
    for (i, ns) in subjects.iter().enumerate() {
        for (j, s) in subjects.iter().enumerate() {
            if i != j && is_contained_in(ns, s) {
                seen.entry(s).or_insert(ns);
            }
        }
    }
    for (k, v) in seen {
        vr.add_error(format!("{name} export subject {k:?} already exports {v:?}"));
    }
}

/// Go's `Mapping.Validate`: weights per destination set stay within 100%.
fn validate_mappings(
    mappings: &std::collections::BTreeMap<String, Vec<super::types::WeightedMapping>>,
    vr: &mut ValidationResults,
) {
    for (from, to) in mappings {
        validate_subject(from, vr);
        let mut total: u32 = 0;
        let mut per_cluster: std::collections::BTreeMap<&str, u32> = Default::default();
        for m in to {
            validate_subject(&m.subject, vr);
            let w = u32::from(m.get_weight());
            if w > 100 {
                vr.add_error(format!("Mapping {from:?} has a weight {w} that exceeds 100"));
            }
            if m.cluster.is_empty() {
                total += w;
            } else {
                let t = per_cluster.entry(m.cluster.as_str()).or_default();
                *t += w;
                if *t > 100 {
                    vr.add_error(format!(
                        "Mapping {from:?} in cluster {:?} exceeds 100% among all of it's weighted to mappings",
                        m.cluster
                    ));
                }
            }
        }
        if total > 100 {
            vr.add_error(format!("Mapping {from:?} exceeds 100% among all of it's weighted to mappings"));
        }
    }
}

/// Go's `AccountClaims.Validate`.
pub fn validate_account(ac: &AccountClaims, now_secs: i64, vr: &mut ValidationResults) {
    validate_claims_data(&ac.claims, now_secs, vr);
    let a = &ac.nats;
    for i in &a.imports {
        validate_import(i, vr);
    }
    for e in &a.exports {
        validate_export(e, vr);
    }
    for kind in [ExportType::Service, ExportType::Stream] {
        let subjects: Vec<&str> = a
            .exports
            .iter()
            .filter(|e| (e.export_type == ExportType::Service) == (kind == ExportType::Service))
            .map(|e| e.subject.as_str())
            .collect();
        exports_contained_in(kind, &subjects, vr);
    }
    validate_permissions(&a.default_permissions, vr);
    let lim = &a.limits;
    if lim.imports != NO_LIMIT && !lim.is_empty() && (a.imports.len() as i64) > lim.imports {
        vr.add_error("the account contains more imports than allowed by the operator");
    }
    if lim.exports != NO_LIMIT && !lim.is_empty() {
        if (a.exports.len() as i64) > lim.exports {
            vr.add_error("the account contains more exports than allowed by the operator");
        }
        if !lim.wildcard_exports && a.exports.iter().any(|e| has_wildcards(&e.subject)) {
            vr.add_error("the account contains wildcard exports that are not allowed by the operator");
        }
    }
    for (k, scope) in &a.signing_keys.0 {
        let key = scope.as_ref().map_or(k.as_str(), |s| s.key.as_str());
        if !is_valid_public_account_key(key) {
            vr.add_error(format!("{key:?} is not a valid account signing key"));
        }
    }
    if !matches!(a.cluster_traffic.as_str(), "" | "system" | "owner") {
        vr.add_error(format!("unknown cluster traffic option: {:?}", a.cluster_traffic));
    }
    if !lim.jetstream_tiered.is_empty() {
        if lim.jetstream != Default::default() {
            vr.add_error("JetStream Limits and tiered JetStream Limits are mutually exclusive");
        }
        if lim.jetstream_tiered.contains_key("") {
            vr.add_error("Tiered JetStream Limits can not contain a blank \"\" tier name");
        }
    }
    validate_mappings(&a.mappings, vr);
    if is_valid_public_account_key(&ac.claims.issuer) && !lim.is_empty() {
        vr.add_warning("self-signed account JWTs shouldn't contain operator limits");
    }
}

/// Go's `UserClaims.Validate`.
pub fn validate_user(uc: &UserClaims, now_secs: i64, vr: &mut ValidationResults) {
    validate_claims_data(&uc.claims, now_secs, vr);
    validate_permissions(&uc.nats.limits.permissions, vr);
    validate_user_limits(&uc.nats.limits, vr);
    if !uc.nats.issuer_account.is_empty() && !is_valid_public_account_key(&uc.nats.issuer_account) {
        vr.add_error("account_id is not an account public key");
    }
    if !uc.claims.subject.is_empty() && !is_valid_public_user_key(&uc.claims.subject) {
        vr.add_error("subject is not a user public key");
    }
}
