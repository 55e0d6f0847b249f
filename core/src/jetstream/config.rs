//! Stream config validation and defaults (Go's `checkStreamCfg` and
//! `configUpdateCheck` in server/stream.go), for a standalone server with
//! one account: mirrors and sources are not implemented and are refused
//! with an explicit error.

use super::errors::*;
use super::types::*;
use crate::subject::{is_valid_subject, subject_is_subset_match, subjects_collide};
use crate::subject_transform::{validate_mapping, SubjectTransform};
use std::collections::BTreeSet;

const MS_100: i64 = 100_000_000;

/// Go's `isValidAssetName`.
pub fn is_valid_asset_name(name: &str) -> bool {
    !name.is_empty() && !name.contains([' ', '\t', '\r', '\n', '\u{c}', '.', '*', '>', '\\', '/'])
}

fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::new(&JS_STREAM_INVALID_CONFIG_F).with("err", msg.into())
}

fn pedantic_err(msg: &str) -> ApiError {
    ApiError::new(&JS_PEDANTIC_ERR_F).with("err", msg)
}

/// Go's `setStaticStreamMetadata`: records the API level the config needs
/// under `_nats.req.level` and drops the dynamic keys.
pub fn set_static_stream_metadata(cfg: &mut StreamConfig) {
    let md = cfg.metadata.get_or_insert_with(Default::default);
    md.remove(JS_SERVER_VERSION_METADATA_KEY);
    md.remove(JS_SERVER_LEVEL_METADATA_KEY);
    let mut level = 0;
    if cfg.allow_msg_ttl || cfg.subject_delete_marker_ttl > 0 {
        level = level.max(1);
    }
    if cfg.allow_msg_counter
        || cfg.allow_atomic_publish
        || cfg.allow_msg_schedules
        || cfg.persist_mode == PersistMode::Async
    {
        level = level.max(2);
    }
    if cfg.allow_batch_publish {
        level = level.max(4);
    }
    md.insert(
        JS_REQUIRED_LEVEL_METADATA_KEY.to_string(),
        level.to_string(),
    );
}

/// Go's `setDynamicStreamMetadata`: a copy with the server version and API
/// level added (responses only, never stored).
pub fn with_dynamic_stream_metadata(cfg: &StreamConfig) -> StreamConfig {
    let mut out = cfg.clone();
    let md = out.metadata.get_or_insert_with(Default::default);
    md.insert(
        JS_SERVER_VERSION_METADATA_KEY.to_string(),
        crate::server::NATS_COMPAT_VERSION.to_string(),
    );
    md.insert(
        JS_SERVER_LEVEL_METADATA_KEY.to_string(),
        JS_API_LEVEL.to_string(),
    );
    out
}

/// Go's `JSRequiredLevelMetadataKey` and friends.
pub const JS_REQUIRED_LEVEL_METADATA_KEY: &str = "_nats.req.level";
pub const JS_SERVER_VERSION_METADATA_KEY: &str = "_nats.ver";
pub const JS_SERVER_LEVEL_METADATA_KEY: &str = "_nats.level";
/// Go's `JSApiLevel`.
pub const JS_API_LEVEL: i64 = 5;

/// Go's `checkStreamCfg`: validates `config` and fills Go's defaults.
pub fn check_stream_cfg(config: &StreamConfig, pedantic: bool) -> Result<StreamConfig, ApiError> {
    if !is_valid_asset_name(&config.name) {
        return Err(invalid(
            "stream name is required and can not contain '.', '*', '>', '\\', '/'",
        ));
    }
    if config.name.len() > JS_MAX_NAME_LEN {
        return Err(invalid(format!(
            "stream name is too long, maximum allowed is {JS_MAX_NAME_LEN}"
        )));
    }
    if config.description.len() > JS_MAX_DESCRIPTION_LEN {
        return Err(invalid(format!(
            "stream description is too long, maximum allowed is {JS_MAX_DESCRIPTION_LEN}"
        )));
    }
    let md_len: usize = config
        .metadata
        .iter()
        .flatten()
        .map(|(k, v)| k.len() + v.len())
        .sum();
    if md_len > JS_MAX_METADATA_LEN {
        return Err(invalid(format!(
            "stream metadata exceeds maximum size of {JS_MAX_METADATA_LEN} bytes"
        )));
    }
    let mut cfg = config.clone();
    if cfg.num_replicas == 0 {
        cfg.num_replicas = 1;
    }
    if cfg.num_replicas > STREAM_MAX_REPLICAS {
        return Err(invalid(format!(
            "maximum replicas is {STREAM_MAX_REPLICAS}"
        )));
    }
    if cfg.num_replicas < 0 {
        return Err(ApiError::new(&JS_REPLICAS_COUNT_CANNOT_BE_NEGATIVE));
    }
    default_limit(&mut cfg.max_msgs, pedantic, "max_msgs")?;
    default_limit(
        &mut cfg.max_msgs_per_subject,
        pedantic,
        "max_msgs_per_subject",
    )?;
    default_limit(&mut cfg.max_bytes, pedantic, "max_bytes")?;
    let mut mms = i64::from(cfg.max_msg_size);
    default_limit(&mut mms, pedantic, "max_msg_size")?;
    cfg.max_msg_size = mms as i32;
    default_limit(&mut cfg.max_consumers, pedantic, "max_consumers")?;
    check_durations(&mut cfg, pedantic)?;
    check_flags(&mut cfg, pedantic)?;
    if cfg.mirror.is_some() || cfg.sources.as_ref().is_some_and(|s| !s.is_empty()) {
        return Err(invalid("stream mirrors and sources are not supported"));
    }
    check_subjects(&mut cfg)?;
    check_subject_transform(&cfg)?;
    check_republish(&mut cfg, pedantic)?;
    if cfg
        .placement
        .as_ref()
        .is_some_and(|p| p.get("preferred").is_some_and(|v| v != ""))
    {
        return Err(invalid("preferred server not permitted in placement"));
    }
    if cfg
        .placement
        .as_ref()
        .is_some_and(|p| p.as_object().is_some_and(|o| o.is_empty()))
    {
        cfg.placement = None;
    }
    Ok(cfg)
}

/// Go's subject transform check in `checkStreamCfg`: a valid source (or
/// none, meaning `>`) and a destination `ValidateMapping` accepts.
fn check_subject_transform(cfg: &StreamConfig) -> Result<(), ApiError> {
    let Some(st) = &cfg.subject_transform else {
        return Ok(());
    };
    if !st.source.is_empty() && !is_valid_subject(st.source.as_bytes()) {
        return Err(ApiError::new(&JS_STREAM_TRANSFORM_INVALID_SOURCE)
            .with("err", format!("invalid subject {}", st.source)));
    }
    validate_mapping(&st.source, &st.destination)
        .map_err(|e| ApiError::new(&JS_STREAM_TRANSFORM_INVALID_DESTINATION).with("err", e))
}

/// Go's republish check in `checkStreamCfg`: an empty source means `>`; a
/// `>` to `>` republish over a transformed single subject follows the
/// transform; the destination must not feed the stream; the transform must
/// build.
fn check_republish(cfg: &mut StreamConfig, pedantic: bool) -> Result<(), ApiError> {
    let Some(mut rp) = cfg.republish.take() else {
        return Ok(());
    };
    if rp.source.is_empty() {
        if pedantic {
            return Err(pedantic_err("republish source can not be empty"));
        }
        rp.source = ">".to_string();
    }
    if let Some(st) = &cfg.subject_transform {
        let implicit = rp.destination == ">"
            && rp.source == ">"
            && cfg.subjects.len() == 1
            && st.source == cfg.subjects[0];
        if implicit {
            if pedantic {
                return Err(pedantic_err(
                    "implicit republish based on subject transform",
                ));
            }
            rp.source = st.destination.clone();
            rp.destination = st.destination.clone();
        }
    }
    let cycle = cfg
        .subjects
        .iter()
        .any(|s| subjects_collide(rp.destination.as_bytes(), s.as_bytes()));
    if cycle {
        return Err(invalid(
            "stream configuration for republish destination forms a cycle",
        ));
    }
    if SubjectTransform::new(&rp.source, &rp.destination).is_err() {
        return Err(invalid(format!(
            "stream configuration for republish with transform from '{}' to '{}' not valid",
            rp.source, rp.destination
        )));
    }
    cfg.republish = Some(rp);
    Ok(())
}

/// Go: 0 or below -1 becomes -1 (an error in pedantic mode for < -1).
fn default_limit(v: &mut i64, pedantic: bool, name: &str) -> Result<(), ApiError> {
    if *v == 0 || *v < -1 {
        if pedantic && *v < -1 {
            return Err(pedantic_err(&format!("{name} must be set to -1")));
        }
        *v = -1;
    }
    Ok(())
}

fn check_durations(cfg: &mut StreamConfig, pedantic: bool) -> Result<(), ApiError> {
    if cfg.max_age < 0 {
        return Err(invalid("max age can not be negative"));
    }
    if cfg.max_age != 0 && cfg.max_age < MS_100 {
        return Err(invalid("max age needs to be >= 100ms"));
    }
    if cfg.duplicate_window == 0 && cfg.mirror.is_none() && cfg.sources.is_none() {
        let max_window = STREAM_DEFAULT_DUPLICATES_WINDOW;
        if cfg.max_age != 0 && cfg.max_age < max_window {
            if pedantic {
                return Err(pedantic_err(
                    "duplicate window cannot be bigger than max age",
                ));
            }
            cfg.duplicate_window = cfg.max_age;
        } else {
            cfg.duplicate_window = max_window;
        }
    }
    if cfg.duplicate_window < 0 {
        return Err(invalid("duplicates window can not be negative"));
    }
    if cfg.max_age != 0 && cfg.duplicate_window > cfg.max_age {
        return Err(invalid("duplicates window can not be larger then max age"));
    }
    if cfg.duplicate_window > 0 && cfg.duplicate_window < MS_100 {
        return Err(invalid("duplicates window needs to be >= 100ms"));
    }
    Ok(())
}

fn check_flags(cfg: &mut StreamConfig, pedantic: bool) -> Result<(), ApiError> {
    if cfg.deny_purge && cfg.allow_rollup {
        return Err(invalid("roll-ups require the purge permission"));
    }
    if cfg.allow_msg_counter {
        if cfg.discard == DiscardPolicy::New {
            return Err(invalid("counter stream cannot use discard new"));
        }
        if cfg.allow_msg_ttl {
            return Err(invalid("counter stream cannot use message TTLs"));
        }
        if cfg.allow_msg_schedules {
            return Err(invalid("counter stream cannot use message schedules"));
        }
        if cfg.retention != RetentionPolicy::Limits {
            return Err(invalid("counter stream can only use limits retention"));
        }
    }
    if cfg.discard_new_per {
        if cfg.discard != DiscardPolicy::New {
            return Err(invalid(
                "discard new per subject requires discard new policy to be set",
            ));
        }
        if cfg.max_msgs_per_subject <= 0 {
            return Err(invalid(
                "discard new per subject requires max msgs per subject > 0",
            ));
        }
    }
    if cfg.subject_delete_marker_ttl > 0 {
        if cfg.subject_delete_marker_ttl < 1_000_000_000 {
            return Err(invalid(
                "subject delete marker TTL must be at least 1 second",
            ));
        }
        if !cfg.allow_msg_ttl {
            if pedantic {
                return Err(invalid(
                    "subject delete marker cannot be set if message TTLs are disabled",
                ));
            }
            cfg.allow_msg_ttl = true;
        }
        if !cfg.allow_rollup {
            if pedantic {
                return Err(invalid(
                    "subject delete marker cannot be set if roll-ups are disabled",
                ));
            }
            cfg.allow_rollup = true;
            cfg.deny_purge = false;
        }
    } else if cfg.subject_delete_marker_ttl < 0 {
        return Err(invalid("subject delete marker TTL must not be negative"));
    }
    if cfg.allow_msg_counter || cfg.allow_msg_schedules || cfg.allow_atomic_publish {
        return Err(invalid(
            "message counters, schedules and atomic publish are not supported",
        ));
    }
    if cfg.allow_batch_publish {
        return Err(invalid("batch publish is not supported"));
    }
    if cfg.persist_mode == PersistMode::Async && cfg.storage != StorageType::File {
        return Err(invalid(
            "async persist mode is only supported on file storage",
        ));
    }
    Ok(())
}

fn check_subjects(cfg: &mut StreamConfig) -> Result<(), ApiError> {
    if cfg.subjects.is_empty() {
        cfg.subjects.push(cfg.name.clone());
        return Ok(());
    }
    let mut seen = BTreeSet::new();
    for (i, subj) in cfg.subjects.iter().enumerate() {
        if !is_valid_subject(subj.as_bytes()) {
            return Err(invalid("invalid subject"));
        }
        if !seen.insert(subj.as_str()) {
            return Err(invalid("duplicate subjects detected"));
        }
        if subj == ">" {
            if !cfg.no_ack {
                return Err(invalid("capturing all subjects requires no-ack to be true"));
            }
            if cfg.num_replicas != 1 {
                return Err(invalid("capturing all subjects requires replicas of 1"));
            }
        }
        if !cfg.no_ack {
            for ns in ["$JS.>", "$JSC.>", "$NRG.>"] {
                if subjects_collide(subj.as_bytes(), ns.as_bytes())
                    && !subject_is_subset_match(subj.as_bytes(), b"$JS.EVENT.>")
                {
                    return Err(invalid(
                        "subjects that overlap with jetstream api require no-ack to be true",
                    ));
                }
            }
            if subjects_collide(subj.as_bytes(), b"$SYS.>")
                && !subject_is_subset_match(subj.as_bytes(), b"$SYS.ACCOUNT.>")
            {
                return Err(invalid(
                    "subjects that overlap with system api require no-ack to be true",
                ));
            }
        }
        for t in &cfg.subjects[i + 1..] {
            if subjects_collide(t.as_bytes(), subj.as_bytes()) {
                return Err(invalid(format!("subject {subj:?} overlaps with {t:?}")));
            }
        }
    }
    Ok(())
}

/// Go's `configUpdateCheck` (the standalone part): `new` is validated and
/// defaulted, then compared with `old`.
pub fn config_update_check(
    old: &StreamConfig,
    new: &StreamConfig,
    pedantic: bool,
) -> Result<StreamConfig, ApiError> {
    let mut cfg = check_stream_cfg(new, pedantic)?;
    if cfg.name != old.name {
        return Err(invalid("stream configuration name must match original"));
    }
    if cfg.num_replicas > 1 {
        return Err(ApiError::new(&JS_STREAM_REPLICAS_NOT_SUPPORTED_ERR));
    }
    if cfg.storage != old.storage {
        return Err(invalid(
            "stream configuration update can not change storage type",
        ));
    }
    if cfg.retention != old.retention
        && (old.retention == RetentionPolicy::WorkQueue
            || cfg.retention == RetentionPolicy::WorkQueue)
    {
        return Err(invalid(
            "stream configuration update can not change retention policy to/from workqueue",
        ));
    }
    if !cfg.sealed && old.sealed {
        return Err(invalid(
            "stream configuration update can not unseal a sealed stream",
        ));
    }
    if !cfg.deny_delete && old.deny_delete {
        return Err(invalid(
            "stream configuration update can not cancel deny message deletes",
        ));
    }
    if !cfg.deny_purge && old.deny_purge {
        return Err(invalid(
            "stream configuration update can not cancel deny purge",
        ));
    }
    if old.allow_msg_ttl && !cfg.allow_msg_ttl {
        return Err(invalid("message TTL status can not be disabled"));
    }
    if old.persist_mode != cfg.persist_mode {
        return Err(invalid(
            "stream configuration update can not change persist mode",
        ));
    }
    if cfg.sealed {
        cfg.max_age = 0;
        cfg.discard = DiscardPolicy::New;
        cfg.deny_delete = true;
        cfg.deny_purge = true;
        cfg.allow_rollup = false;
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(n: &str) -> StreamConfig {
        StreamConfig {
            name: n.into(),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_are_filled_like_go() {
        let cfg = check_stream_cfg(&named("ORDERS"), false).unwrap();
        assert_eq!(cfg.subjects, vec!["ORDERS".to_string()]);
        assert_eq!(cfg.max_msgs, -1);
        assert_eq!(cfg.max_bytes, -1);
        assert_eq!(cfg.max_msgs_per_subject, -1);
        assert_eq!(cfg.max_msg_size, -1);
        assert_eq!(cfg.max_consumers, -1);
        assert_eq!(cfg.num_replicas, 1);
        assert_eq!(cfg.duplicate_window, STREAM_DEFAULT_DUPLICATES_WINDOW);
        let mut c = named("S");
        c.max_age = 1_000_000_000;
        assert_eq!(
            check_stream_cfg(&c, false).unwrap().duplicate_window,
            1_000_000_000
        );
    }

    #[test]
    fn bad_configs_get_go_errors() {
        let e = check_stream_cfg(&named("a.b"), false).unwrap_err();
        assert_eq!(e.err_code, 10052);
        assert_eq!(
            e.description,
            "stream name is required and can not contain '.', '*', '>', '\\', '/'"
        );
        let mut c = named("S");
        c.subjects = vec!["a.*".into(), "a.b".into()];
        let e = check_stream_cfg(&c, false).unwrap_err();
        assert_eq!(e.description, "subject \"a.*\" overlaps with \"a.b\"");
        let mut c = named("S");
        c.num_replicas = -1;
        assert_eq!(check_stream_cfg(&c, false).unwrap_err().err_code, 10133);
        let mut c = named("S");
        c.max_msgs = -5;
        assert_eq!(check_stream_cfg(&c, true).unwrap_err().err_code, 10157);
        let mut c = named("S");
        c.subjects = vec!["$JS.API.>".into()];
        assert!(check_stream_cfg(&c, false).is_err());
    }

    fn with_transform(src: &str, dest: &str) -> StreamConfig {
        let mut c = named("S");
        c.subjects = vec!["foo.>".into()];
        c.subject_transform = Some(SubjectTransformConfig {
            source: src.into(),
            destination: dest.into(),
        });
        c
    }

    #[test]
    fn republish_is_checked_like_go() {
        let mut c = named("S");
        c.subjects = vec!["foo.>".into()];
        c.republish = Some(RePublish {
            source: String::new(),
            destination: "bar.>".into(),
            headers_only: false,
        });
        let out = check_stream_cfg(&c, false).unwrap();
        assert_eq!(out.republish.unwrap().source, ">");
        assert_eq!(check_stream_cfg(&c, true).unwrap_err().err_code, 10157);
        c.republish.as_mut().unwrap().destination = "foo.x".into();
        let e = check_stream_cfg(&c, false).unwrap_err();
        assert_eq!(
            e.description,
            "stream configuration for republish destination forms a cycle"
        );
        let mut c = with_transform("foo.>", "bar.>");
        c.republish = Some(RePublish {
            source: ">".into(),
            destination: ">".into(),
            headers_only: false,
        });
        let rp = check_stream_cfg(&c, false).unwrap().republish.unwrap();
        assert_eq!(
            (rp.source.as_str(), rp.destination.as_str()),
            ("bar.>", "bar.>")
        );
    }

    #[test]
    fn subject_transform_is_checked_like_go() {
        assert!(check_stream_cfg(&with_transform("foo.*", "bar.$1"), false).is_ok());
        assert!(check_stream_cfg(&with_transform("", "bar.>"), false).is_ok());
        let e = check_stream_cfg(&with_transform("foo..x", "bar"), false).unwrap_err();
        assert_eq!(e.err_code, 10155);
        assert_eq!(
            e.description,
            "stream transform source: invalid subject foo..x"
        );
        let e = check_stream_cfg(&with_transform("foo.*", "bar.{{nope(1)}}"), false).unwrap_err();
        assert_eq!(e.err_code, 10156);
        assert_eq!(
            e.description,
            "stream transform: invalid mapping destination: unknown function in {{nope(1)}}"
        );
        let e = check_stream_cfg(&with_transform("foo.*", "bar.$2"), false).unwrap_err();
        assert_eq!(e.err_code, 10156);
    }
}
