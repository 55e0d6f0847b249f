//! JetStream API errors (Go's `ApiError`), with the codes and texts of Go's
//! `server/errors.json`.
//!
//! The table below is generated from that file (all of its entries, in its
//! order): each constant keeps Go's identifier, converted to SCREAMING_SNAKE
//! (`JSStreamNotFoundErr` -> `JS_STREAM_NOT_FOUND_ERR`). Descriptions with
//! `{placeholders}` are templates: build them with [`ApiError::with`].

use serde::{Deserialize, Serialize};
use std::fmt;

/// One entry of Go's error table.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ErrorDef {
    /// Go's identifier, e.g. `JSStreamNotFoundErr`.
    pub constant: &'static str,
    /// HTTP-like status code.
    pub code: u16,
    /// The JetStream error code (`err_code`).
    pub err_code: u16,
    /// The description, possibly with `{placeholders}`.
    pub description: &'static str,
}

/// An error as sent in an API response: `{"code":..,"err_code":..,"description":..}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: u16,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub err_code: u16,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

fn is_zero(v: &u16) -> bool {
    *v == 0
}

impl ApiError {
    /// The error as defined, placeholders left as they are.
    pub fn new(def: &ErrorDef) -> ApiError {
        ApiError {
            code: def.code,
            err_code: def.err_code,
            description: def.description.to_string(),
        }
    }

    /// Replaces `{key}` in the description with `value` (Go's
    /// `NewJS...Error(args)` template substitution).
    pub fn with(mut self, key: &str, value: impl fmt::Display) -> ApiError {
        let pat = format!("{{{key}}}");
        self.description = self.description.replace(&pat, &value.to_string());
        self
    }

    /// Whether this error is the one `def` defines (Go's `IsNatsErr`).
    pub fn is(&self, def: &ErrorDef) -> bool {
        self.err_code == def.err_code
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (code {}, err_code {})",
            self.description, self.code, self.err_code
        )
    }
}

impl std::error::Error for ApiError {}

impl From<&ErrorDef> for ApiError {
    fn from(def: &ErrorDef) -> ApiError {
        ApiError::new(def)
    }
}

const fn def(
    constant: &'static str,
    code: u16,
    err_code: u16,
    description: &'static str,
) -> ErrorDef {
    ErrorDef {
        constant,
        code,
        err_code,
        description,
    }
}

pub const JS_CLUSTER_PEER_NOT_MEMBER_ERR: ErrorDef =
    def("JSClusterPeerNotMemberErr", 400, 10040, "peer not a member");
pub const JS_CONSUMER_EPHEMERAL_WITH_DURABLE_IN_SUBJECT_ERR: ErrorDef = def(
    "JSConsumerEphemeralWithDurableInSubjectErr",
    400,
    10019,
    "consumer expected to be ephemeral but detected a durable name set in subject",
);
pub const JS_STREAM_EXTERNAL_DEL_PREFIX_OVERLAPS_ERR_F: ErrorDef = def(
    "JSStreamExternalDelPrefixOverlapsErrF",
    400,
    10022,
    "stream external delivery prefix {prefix} overlaps with stream subject {subject}",
);
pub const JS_ACCOUNT_RESOURCES_EXCEEDED_ERR: ErrorDef = def(
    "JSAccountResourcesExceededErr",
    400,
    10002,
    "resource limits exceeded for account",
);
pub const JS_CLUSTER_NOT_AVAIL_ERR: ErrorDef = def(
    "JSClusterNotAvailErr",
    503,
    10008,
    "JetStream system temporarily unavailable",
);
pub const JS_STREAM_SUBJECT_OVERLAP_ERR: ErrorDef = def(
    "JSStreamSubjectOverlapErr",
    400,
    10065,
    "subjects overlap with an existing stream",
);
pub const JS_STREAM_WRONG_LAST_SEQUENCE_ERR_F: ErrorDef = def(
    "JSStreamWrongLastSequenceErrF",
    400,
    10071,
    "wrong last sequence: {seq}",
);
pub const JS_TEMPLATE_NAME_NOT_MATCH_SUBJECT_ERR: ErrorDef = def(
    "JSTemplateNameNotMatchSubjectErr",
    400,
    10073,
    "template name in subject does not match request",
);
pub const JS_CLUSTER_NO_PEERS_ERR_F: ErrorDef = def("JSClusterNoPeersErrF", 400, 10005, "{err}");
pub const JS_CONSUMER_EPHEMERAL_WITH_DURABLE_NAME_ERR: ErrorDef = def(
    "JSConsumerEphemeralWithDurableNameErr",
    400,
    10020,
    "consumer expected to be ephemeral but a durable name was set in request",
);
pub const JS_INSUFFICIENT_RESOURCES_ERR: ErrorDef = def(
    "JSInsufficientResourcesErr",
    503,
    10023,
    "insufficient resources",
);
pub const JS_MIRROR_MAX_MESSAGE_SIZE_TOO_BIG_ERR: ErrorDef = def(
    "JSMirrorMaxMessageSizeTooBigErr",
    400,
    10030,
    "stream mirror must have max message size >= source",
);
pub const JS_STREAM_TEMPLATE_DELETE_ERR_F: ErrorDef =
    def("JSStreamTemplateDeleteErrF", 500, 10067, "{err}");
pub const JS_BAD_REQUEST_ERR: ErrorDef = def("JSBadRequestErr", 400, 10003, "bad request");
pub const JS_CLUSTER_UN_SUPPORT_FEATURE_ERR: ErrorDef = def(
    "JSClusterUnSupportFeatureErr",
    503,
    10036,
    "not currently supported in clustered mode",
);
pub const JS_CONSUMER_NOT_FOUND_ERR: ErrorDef =
    def("JSConsumerNotFoundErr", 404, 10014, "consumer not found");
pub const JS_SOURCE_MAX_MESSAGE_SIZE_TOO_BIG_ERR: ErrorDef = def(
    "JSSourceMaxMessageSizeTooBigErr",
    400,
    10046,
    "stream source must have max message size >= target",
);
pub const JS_STREAM_ASSIGNMENT_ERR_F: ErrorDef = def("JSStreamAssignmentErrF", 500, 10048, "{err}");
pub const JS_STREAM_MESSAGE_EXCEEDS_MAXIMUM_ERR: ErrorDef = def(
    "JSStreamMessageExceedsMaximumErr",
    400,
    10054,
    "message size exceeds maximum allowed",
);
pub const JS_STREAM_TEMPLATE_CREATE_ERR_F: ErrorDef =
    def("JSStreamTemplateCreateErrF", 500, 10066, "{err}");
pub const JS_INVALID_JSON_ERR: ErrorDef =
    def("JSInvalidJSONErr", 400, 10025, "invalid JSON: {err}");
pub const JS_STREAM_INVALID_EXTERNAL_DELIVERY_SUBJ_ERR_F: ErrorDef = def(
    "JSStreamInvalidExternalDeliverySubjErrF",
    400,
    10024,
    "stream external delivery prefix {prefix} must not contain wildcards",
);
pub const JS_STREAM_RESTORE_ERR_F: ErrorDef =
    def("JSStreamRestoreErrF", 500, 10062, "restore failed: {err}");
pub const JS_CLUSTER_INCOMPLETE_ERR: ErrorDef =
    def("JSClusterIncompleteErr", 503, 10004, "incomplete results");
pub const JS_NO_ACCOUNT_ERR: ErrorDef = def("JSNoAccountErr", 503, 10035, "account not found");
pub const JS_RAFT_GENERAL_ERR_F: ErrorDef = def("JSRaftGeneralErrF", 500, 10041, "{err}");
pub const JS_RESTORE_SUBSCRIBE_FAILED_ERR_F: ErrorDef = def(
    "JSRestoreSubscribeFailedErrF",
    500,
    10042,
    "JetStream unable to subscribe to restore snapshot {subject}: {err}",
);
pub const JS_STREAM_DELETE_ERR_F: ErrorDef = def("JSStreamDeleteErrF", 500, 10050, "{err}");
pub const JS_STREAM_EXTERNAL_API_OVERLAP_ERR_F: ErrorDef = def(
    "JSStreamExternalApiOverlapErrF",
    400,
    10021,
    "stream external api prefix {prefix} must not overlap with {subject}",
);
pub const JS_MIRROR_WITH_SUBJECTS_ERR: ErrorDef = def(
    "JSMirrorWithSubjectsErr",
    400,
    10034,
    "stream mirrors can not contain subjects",
);
pub const JS_MIRROR_WITH_FIRST_SEQ_ERR: ErrorDef = def(
    "JSMirrorWithFirstSeqErr",
    400,
    10143,
    "stream mirrors can not have first sequence configured",
);
pub const JS_NOT_ENABLED_ERR: ErrorDef =
    def("JSNotEnabledErr", 503, 10076, "JetStream not enabled");
pub const JS_NOT_ENABLED_FOR_ACCOUNT_ERR: ErrorDef = def(
    "JSNotEnabledForAccountErr",
    503,
    10039,
    "JetStream not enabled for account",
);
pub const JS_SEQUENCE_NOT_FOUND_ERR_F: ErrorDef = def(
    "JSSequenceNotFoundErrF",
    400,
    10043,
    "sequence {seq} not found",
);
pub const JS_STREAM_MIRROR_NOT_UPDATABLE_ERR: ErrorDef = def(
    "JSStreamMirrorNotUpdatableErr",
    400,
    10055,
    "stream mirror configuration can not be updated",
);
pub const JS_STREAM_SEQUENCE_NOT_MATCH_ERR: ErrorDef = def(
    "JSStreamSequenceNotMatchErr",
    503,
    10063,
    "expected stream sequence does not match",
);
pub const JS_STREAM_WRONG_LAST_MSG_ID_ERR_F: ErrorDef = def(
    "JSStreamWrongLastMsgIDErrF",
    400,
    10070,
    "wrong last msg ID: {id}",
);
pub const JS_TEMP_STORAGE_FAILED_ERR: ErrorDef = def(
    "JSTempStorageFailedErr",
    500,
    10072,
    "JetStream unable to open temp storage for restore",
);
pub const JS_STORAGE_RESOURCES_EXCEEDED_ERR: ErrorDef = def(
    "JSStorageResourcesExceededErr",
    500,
    10047,
    "insufficient storage resources available",
);
pub const JS_STREAM_MISMATCH_ERR: ErrorDef = def(
    "JSStreamMismatchErr",
    400,
    10056,
    "stream name in subject does not match request",
);
pub const JS_STREAM_NOT_MATCH_ERR: ErrorDef = def(
    "JSStreamNotMatchErr",
    400,
    10060,
    "expected stream does not match",
);
pub const JS_MIRROR_CONSUMER_SETUP_FAILED_ERR_F: ErrorDef =
    def("JSMirrorConsumerSetupFailedErrF", 500, 10029, "{err}");
pub const JS_NOT_EMPTY_REQUEST_ERR: ErrorDef = def(
    "JSNotEmptyRequestErr",
    400,
    10038,
    "expected an empty request payload",
);
pub const JS_STREAM_NAME_EXIST_ERR: ErrorDef = def(
    "JSStreamNameExistErr",
    400,
    10058,
    "stream name already in use with a different configuration",
);
pub const JS_CLUSTER_TAGS_ERR: ErrorDef = def(
    "JSClusterTagsErr",
    400,
    10011,
    "tags placement not supported for operation",
);
pub const JS_MAXIMUM_CONSUMERS_LIMIT_ERR: ErrorDef = def(
    "JSMaximumConsumersLimitErr",
    400,
    10026,
    "maximum consumers limit reached",
);
pub const JS_SOURCE_CONSUMER_SETUP_FAILED_ERR_F: ErrorDef =
    def("JSSourceConsumerSetupFailedErrF", 500, 10045, "{err}");
pub const JS_CONSUMER_CREATE_ERR_F: ErrorDef = def("JSConsumerCreateErrF", 500, 10012, "{err}");
pub const JS_CONSUMER_DURABLE_NAME_NOT_IN_SUBJECT_ERR: ErrorDef = def(
    "JSConsumerDurableNameNotInSubjectErr",
    400,
    10016,
    "consumer expected to be durable but no durable name set in subject",
);
pub const JS_STREAM_LIMITS_ERR_F: ErrorDef = def("JSStreamLimitsErrF", 500, 10053, "{err}");
pub const JS_STREAM_REPLICAS_NOT_UPDATABLE_ERR: ErrorDef = def(
    "JSStreamReplicasNotUpdatableErr",
    400,
    10061,
    "Replicas configuration can not be updated",
);
pub const JS_STREAM_TEMPLATE_NOT_FOUND_ERR: ErrorDef = def(
    "JSStreamTemplateNotFoundErr",
    404,
    10068,
    "template not found",
);
pub const JS_CLUSTER_NOT_ASSIGNED_ERR: ErrorDef = def(
    "JSClusterNotAssignedErr",
    500,
    10007,
    "JetStream cluster not assigned to this server",
);
pub const JS_CLUSTER_NOT_LEADER_ERR: ErrorDef = def(
    "JSClusterNotLeaderErr",
    500,
    10009,
    "JetStream cluster can not handle request",
);
pub const JS_CONSUMER_NAME_EXIST_ERR: ErrorDef = def(
    "JSConsumerNameExistErr",
    400,
    10013,
    "consumer name already in use",
);
pub const JS_MIRROR_WITH_SOURCES_ERR: ErrorDef = def(
    "JSMirrorWithSourcesErr",
    400,
    10031,
    "stream mirrors can not also contain other sources",
);
pub const JS_STREAM_NOT_FOUND_ERR: ErrorDef =
    def("JSStreamNotFoundErr", 404, 10059, "stream not found");
pub const JS_CLUSTER_REQUIRED_ERR: ErrorDef = def(
    "JSClusterRequiredErr",
    503,
    10010,
    "JetStream clustering support required",
);
pub const JS_CONSUMER_DURABLE_NAME_NOT_SET_ERR: ErrorDef = def(
    "JSConsumerDurableNameNotSetErr",
    400,
    10018,
    "consumer expected to be durable but a durable name was not set",
);
pub const JS_MAXIMUM_STREAMS_LIMIT_ERR: ErrorDef = def(
    "JSMaximumStreamsLimitErr",
    400,
    10027,
    "maximum number of streams reached",
);
pub const JS_MIRROR_WITH_START_SEQ_AND_TIME_ERR: ErrorDef = def(
    "JSMirrorWithStartSeqAndTimeErr",
    400,
    10032,
    "stream mirrors can not have both start seq and start time configured",
);
pub const JS_STREAM_SNAPSHOT_ERR_F: ErrorDef =
    def("JSStreamSnapshotErrF", 500, 10064, "snapshot failed: {err}");
pub const JS_STREAM_UPDATE_ERR_F: ErrorDef = def("JSStreamUpdateErrF", 500, 10069, "{err}");
pub const JS_CLUSTER_NOT_ACTIVE_ERR: ErrorDef = def(
    "JSClusterNotActiveErr",
    500,
    10006,
    "JetStream not in clustered mode",
);
pub const JS_CONSUMER_DURABLE_NAME_NOT_MATCH_SUBJECT_ERR: ErrorDef = def(
    "JSConsumerDurableNameNotMatchSubjectErr",
    400,
    10017,
    "consumer name in subject does not match durable name in request",
);
pub const JS_MEMORY_RESOURCES_EXCEEDED_ERR: ErrorDef = def(
    "JSMemoryResourcesExceededErr",
    500,
    10028,
    "insufficient memory resources available",
);
pub const JS_MIRROR_WITH_SUBJECT_FILTERS_ERR: ErrorDef = def(
    "JSMirrorWithSubjectFiltersErr",
    400,
    10033,
    "stream mirrors can not contain filtered subjects",
);
pub const JS_STREAM_CREATE_ERR_F: ErrorDef = def("JSStreamCreateErrF", 500, 10049, "{err}");
pub const JS_CLUSTER_SERVER_NOT_MEMBER_ERR: ErrorDef = def(
    "JSClusterServerNotMemberErr",
    400,
    10044,
    "server is not a member of the cluster",
);
pub const JS_NO_MESSAGE_FOUND_ERR: ErrorDef =
    def("JSNoMessageFoundErr", 404, 10037, "no message found");
pub const JS_SNAPSHOT_DELIVER_SUBJECT_INVALID_ERR: ErrorDef = def(
    "JSSnapshotDeliverSubjectInvalidErr",
    400,
    10015,
    "deliver subject not valid",
);
pub const JS_STREAM_GENERAL_ERROR_F: ErrorDef = def("JSStreamGeneralErrorF", 500, 10051, "{err}");
pub const JS_STREAM_INVALID_CONFIG_F: ErrorDef = def("JSStreamInvalidConfigF", 500, 10052, "{err}");
pub const JS_STREAM_REPLICAS_NOT_SUPPORTED_ERR: ErrorDef = def(
    "JSStreamReplicasNotSupportedErr",
    500,
    10074,
    "replicas > 1 not supported in non-clustered mode",
);
pub const JS_STREAM_MSG_DELETE_FAILED_F: ErrorDef =
    def("JSStreamMsgDeleteFailedF", 500, 10057, "{err}");
pub const JS_PEER_REMAP_ERR: ErrorDef = def("JSPeerRemapErr", 503, 10075, "peer remap failed");
pub const JS_STREAM_STORE_FAILED_F: ErrorDef = def("JSStreamStoreFailedF", 503, 10077, "{err}");
pub const JS_CONSUMER_CONFIG_REQUIRED_ERR: ErrorDef = def(
    "JSConsumerConfigRequiredErr",
    400,
    10078,
    "consumer config required",
);
pub const JS_CONSUMER_DELIVER_TO_WILDCARDS_ERR: ErrorDef = def(
    "JSConsumerDeliverToWildcardsErr",
    400,
    10079,
    "consumer deliver subject has wildcards",
);
pub const JS_CONSUMER_PUSH_MAX_WAITING_ERR: ErrorDef = def(
    "JSConsumerPushMaxWaitingErr",
    400,
    10080,
    "consumer in push mode can not set max waiting",
);
pub const JS_CONSUMER_DELIVER_CYCLE_ERR: ErrorDef = def(
    "JSConsumerDeliverCycleErr",
    400,
    10081,
    "consumer deliver subject forms a cycle",
);
pub const JS_CONSUMER_MAX_PENDING_ACK_POLICY_REQUIRED_ERR: ErrorDef = def(
    "JSConsumerMaxPendingAckPolicyRequiredErr",
    400,
    10082,
    "consumer requires ack policy for max ack pending",
);
pub const JS_CONSUMER_SMALL_HEARTBEAT_ERR: ErrorDef = def(
    "JSConsumerSmallHeartbeatErr",
    400,
    10083,
    "consumer idle heartbeat needs to be >= 100ms",
);
pub const JS_CONSUMER_PULL_REQUIRES_ACK_ERR: ErrorDef = def(
    "JSConsumerPullRequiresAckErr",
    400,
    10084,
    "consumer in pull mode requires explicit ack policy on workqueue stream",
);
pub const JS_CONSUMER_PULL_NOT_DURABLE_ERR: ErrorDef = def(
    "JSConsumerPullNotDurableErr",
    400,
    10085,
    "consumer in pull mode requires a durable name",
);
pub const JS_CONSUMER_PULL_WITH_RATE_LIMIT_ERR: ErrorDef = def(
    "JSConsumerPullWithRateLimitErr",
    400,
    10086,
    "consumer in pull mode can not have rate limit set",
);
pub const JS_CONSUMER_MAX_WAITING_NEGATIVE_ERR: ErrorDef = def(
    "JSConsumerMaxWaitingNegativeErr",
    400,
    10087,
    "consumer max waiting needs to be positive",
);
pub const JS_CONSUMER_HB_REQUIRES_PUSH_ERR: ErrorDef = def(
    "JSConsumerHBRequiresPushErr",
    400,
    10088,
    "consumer idle heartbeat requires a push based consumer",
);
pub const JS_CONSUMER_FC_REQUIRES_PUSH_ERR: ErrorDef = def(
    "JSConsumerFCRequiresPushErr",
    400,
    10089,
    "consumer flow control requires a push based consumer",
);
pub const JS_CONSUMER_DIRECT_REQUIRES_PUSH_ERR: ErrorDef = def(
    "JSConsumerDirectRequiresPushErr",
    400,
    10090,
    "consumer direct requires a push based consumer",
);
pub const JS_CONSUMER_DIRECT_REQUIRES_EPHEMERAL_ERR: ErrorDef = def(
    "JSConsumerDirectRequiresEphemeralErr",
    400,
    10091,
    "consumer direct requires an ephemeral consumer",
);
pub const JS_CONSUMER_ON_MAPPED_ERR: ErrorDef = def(
    "JSConsumerOnMappedErr",
    400,
    10092,
    "consumer direct on a mapped consumer",
);
pub const JS_CONSUMER_FILTER_NOT_SUBSET_ERR: ErrorDef = def(
    "JSConsumerFilterNotSubsetErr",
    400,
    10093,
    "consumer filter subject is not a valid subset of the interest subjects",
);
pub const JS_CONSUMER_INVALID_POLICY_ERR_F: ErrorDef =
    def("JSConsumerInvalidPolicyErrF", 400, 10094, "{err}");
pub const JS_CONSUMER_INVALID_SAMPLING_ERR_F: ErrorDef = def(
    "JSConsumerInvalidSamplingErrF",
    400,
    10095,
    "failed to parse consumer sampling configuration: {err}",
);
pub const JS_STREAM_INVALID_ERR: ErrorDef =
    def("JSStreamInvalidErr", 500, 10096, "stream not valid");
pub const JS_CONSUMER_WQ_REQUIRES_EXPLICIT_ACK_ERR: ErrorDef = def(
    "JSConsumerWQRequiresExplicitAckErr",
    400,
    10098,
    "workqueue stream requires explicit ack",
);
pub const JS_CONSUMER_WQ_MULTIPLE_UNFILTERED_ERR: ErrorDef = def(
    "JSConsumerWQMultipleUnfilteredErr",
    400,
    10099,
    "multiple non-filtered consumers not allowed on workqueue stream",
);
pub const JS_CONSUMER_WQ_CONSUMER_NOT_UNIQUE_ERR: ErrorDef = def(
    "JSConsumerWQConsumerNotUniqueErr",
    400,
    10100,
    "filtered consumer not unique on workqueue stream",
);
pub const JS_CONSUMER_WQ_CONSUMER_NOT_DELIVER_ALL_ERR: ErrorDef = def(
    "JSConsumerWQConsumerNotDeliverAllErr",
    400,
    10101,
    "consumer must be deliver all on workqueue stream",
);
pub const JS_CONSUMER_NAME_TOO_LONG_ERR_F: ErrorDef = def(
    "JSConsumerNameTooLongErrF",
    400,
    10102,
    "consumer name is too long, maximum allowed is {max}",
);
pub const JS_CONSUMER_BAD_DURABLE_NAME_ERR: ErrorDef = def(
    "JSConsumerBadDurableNameErr",
    400,
    10103,
    "durable name can not contain '.', '*', '>'",
);
pub const JS_CONSUMER_STORE_FAILED_ERR_F: ErrorDef = def(
    "JSConsumerStoreFailedErrF",
    500,
    10104,
    "error creating store for consumer: {err}",
);
pub const JS_CONSUMER_EXISTING_ACTIVE_ERR: ErrorDef = def(
    "JSConsumerExistingActiveErr",
    400,
    10105,
    "consumer already exists and is still active",
);
pub const JS_CONSUMER_REPLACEMENT_WITH_DIFFERENT_NAME_ERR: ErrorDef = def(
    "JSConsumerReplacementWithDifferentNameErr",
    400,
    10106,
    "consumer replacement durable config not the same",
);
pub const JS_CONSUMER_DESCRIPTION_TOO_LONG_ERR_F: ErrorDef = def(
    "JSConsumerDescriptionTooLongErrF",
    400,
    10107,
    "consumer description is too long, maximum allowed is {max}",
);
pub const JS_STREAM_HEADER_EXCEEDS_MAXIMUM_ERR: ErrorDef = def(
    "JSStreamHeaderExceedsMaximumErr",
    400,
    10097,
    "header size exceeds maximum allowed of 64k",
);
pub const JS_CONSUMER_WITH_FLOW_CONTROL_NEEDS_HEARTBEATS: ErrorDef = def(
    "JSConsumerWithFlowControlNeedsHeartbeats",
    400,
    10108,
    "consumer with flow control also needs heartbeats",
);
pub const JS_STREAM_SEALED_ERR: ErrorDef = def(
    "JSStreamSealedErr",
    400,
    10109,
    "invalid operation on sealed stream",
);
pub const JS_STREAM_PURGE_FAILED_F: ErrorDef = def("JSStreamPurgeFailedF", 500, 10110, "{err}");
pub const JS_STREAM_ROLLUP_FAILED_F: ErrorDef = def("JSStreamRollupFailedF", 500, 10111, "{err}");
pub const JS_CONSUMER_INVALID_DELIVER_SUBJECT: ErrorDef = def(
    "JSConsumerInvalidDeliverSubject",
    400,
    10112,
    "invalid push consumer deliver subject",
);
pub const JS_STREAM_MAX_BYTES_REQUIRED: ErrorDef = def(
    "JSStreamMaxBytesRequired",
    400,
    10113,
    "account requires a stream config to have max bytes set",
);
pub const JS_CONSUMER_MAX_REQUEST_BATCH_NEGATIVE_ERR: ErrorDef = def(
    "JSConsumerMaxRequestBatchNegativeErr",
    400,
    10114,
    "consumer max request batch needs to be > 0",
);
pub const JS_CONSUMER_MAX_REQUEST_EXPIRES_TOO_SMALL: ErrorDef = def(
    "JSConsumerMaxRequestExpiresTooSmall",
    400,
    10115,
    "consumer max request expires needs to be >= 1ms",
);
pub const JS_CONSUMER_MAX_DELIVER_BACKOFF_ERR: ErrorDef = def(
    "JSConsumerMaxDeliverBackoffErr",
    400,
    10116,
    "max deliver is required to be > length of backoff values",
);
pub const JS_STREAM_INFO_MAX_SUBJECTS_ERR: ErrorDef = def(
    "JSStreamInfoMaxSubjectsErr",
    500,
    10117,
    "subject details would exceed maximum allowed",
);
pub const JS_STREAM_OFFLINE_ERR: ErrorDef =
    def("JSStreamOfflineErr", 500, 10118, "stream is offline");
pub const JS_CONSUMER_OFFLINE_ERR: ErrorDef =
    def("JSConsumerOfflineErr", 500, 10119, "consumer is offline");
pub const JS_NO_LIMITS_ERR: ErrorDef = def(
    "JSNoLimitsErr",
    400,
    10120,
    "no JetStream default or applicable tiered limit present",
);
pub const JS_CONSUMER_MAX_PENDING_ACK_EXCESS_ERR_F: ErrorDef = def(
    "JSConsumerMaxPendingAckExcessErrF",
    400,
    10121,
    "consumer max ack pending exceeds system limit of {limit}",
);
pub const JS_STREAM_MAX_STREAM_BYTES_EXCEEDED: ErrorDef = def(
    "JSStreamMaxStreamBytesExceeded",
    400,
    10122,
    "stream max bytes exceeds account limit max stream bytes",
);
pub const JS_STREAM_MOVE_AND_SCALE_ERR: ErrorDef = def(
    "JSStreamMoveAndScaleErr",
    400,
    10123,
    "can not move and scale a stream in a single update",
);
pub const JS_STREAM_MOVE_IN_PROGRESS_ERR: ErrorDef = def(
    "JSStreamMoveInProgressErr",
    400,
    10124,
    "stream move already in progress",
);
pub const JS_CONSUMER_MAX_REQUEST_BATCH_EXCEEDED_F: ErrorDef = def(
    "JSConsumerMaxRequestBatchExceededF",
    400,
    10125,
    "consumer max request batch exceeds server limit of {limit}",
);
pub const JS_CONSUMER_REPLICAS_EXCEEDS_STREAM: ErrorDef = def(
    "JSConsumerReplicasExceedsStream",
    400,
    10126,
    "consumer config replica count exceeds parent stream",
);
pub const JS_CONSUMER_NAME_CONTAINS_PATH_SEPARATORS_ERR: ErrorDef = def(
    "JSConsumerNameContainsPathSeparatorsErr",
    400,
    10127,
    "Consumer name can not contain path separators",
);
pub const JS_STREAM_NAME_CONTAINS_PATH_SEPARATORS_ERR: ErrorDef = def(
    "JSStreamNameContainsPathSeparatorsErr",
    400,
    10128,
    "Stream name can not contain path separators",
);
pub const JS_STREAM_RECONFIGURE_NOT_IN_PROGRESS_ERR: ErrorDef = def(
    "JSStreamReconfigureNotInProgressErr",
    400,
    10129,
    "stream reconfiguration not in progress",
);
pub const JS_STREAM_NAME_EXIST_RESTORE_FAILED_ERR: ErrorDef = def(
    "JSStreamNameExistRestoreFailedErr",
    400,
    10130,
    "stream name already in use, cannot restore",
);
pub const JS_CONSUMER_CREATE_FILTER_SUBJECT_MISMATCH_ERR: ErrorDef = def(
    "JSConsumerCreateFilterSubjectMismatchErr",
    400,
    10131,
    "Consumer create request did not match filtered subject from create subject",
);
pub const JS_CONSUMER_CREATE_DURABLE_AND_NAME_MISMATCH: ErrorDef = def(
    "JSConsumerCreateDurableAndNameMismatch",
    400,
    10132,
    "Consumer Durable and Name have to be equal if both are provided",
);
pub const JS_REPLICAS_COUNT_CANNOT_BE_NEGATIVE: ErrorDef = def(
    "JSReplicasCountCannotBeNegative",
    400,
    10133,
    "replicas count cannot be negative",
);
pub const JS_CONSUMER_REPLICAS_SHOULD_MATCH_STREAM: ErrorDef = def(
    "JSConsumerReplicasShouldMatchStream",
    400,
    10134,
    "consumer config replicas must match interest retention stream's replicas",
);
pub const JS_CONSUMER_METADATA_LENGTH_ERR_F: ErrorDef = def(
    "JSConsumerMetadataLengthErrF",
    400,
    10135,
    "consumer metadata exceeds maximum size of {limit}",
);
pub const JS_CONSUMER_DUPLICATE_FILTER_SUBJECTS: ErrorDef = def(
    "JSConsumerDuplicateFilterSubjects",
    400,
    10136,
    "consumer cannot have both FilterSubject and FilterSubjects specified",
);
pub const JS_CONSUMER_MULTIPLE_FILTERS_NOT_ALLOWED: ErrorDef = def(
    "JSConsumerMultipleFiltersNotAllowed",
    400,
    10137,
    "consumer with multiple subject filters cannot use subject based API",
);
pub const JS_CONSUMER_OVERLAPPING_SUBJECT_FILTERS: ErrorDef = def(
    "JSConsumerOverlappingSubjectFilters",
    400,
    10138,
    "consumer subject filters cannot overlap",
);
pub const JS_CONSUMER_EMPTY_FILTER: ErrorDef = def(
    "JSConsumerEmptyFilter",
    400,
    10139,
    "consumer filter in FilterSubjects cannot be empty",
);
pub const JS_SOURCE_DUPLICATE_DETECTED: ErrorDef = def(
    "JSSourceDuplicateDetected",
    400,
    10140,
    "duplicate source configuration detected",
);
pub const JS_SOURCE_INVALID_STREAM_NAME: ErrorDef = def(
    "JSSourceInvalidStreamName",
    400,
    10141,
    "sourced stream name is invalid",
);
pub const JS_MIRROR_INVALID_STREAM_NAME: ErrorDef = def(
    "JSMirrorInvalidStreamName",
    400,
    10142,
    "mirrored stream name is invalid",
);
pub const JS_SOURCE_MULTIPLE_FILTERS_NOT_ALLOWED: ErrorDef = def(
    "JSSourceMultipleFiltersNotAllowed",
    400,
    10144,
    "source with multiple subject transforms cannot also have a single subject filter",
);
pub const JS_SOURCE_INVALID_SUBJECT_FILTER: ErrorDef = def(
    "JSSourceInvalidSubjectFilter",
    400,
    10145,
    "source transform source: {err}",
);
pub const JS_SOURCE_INVALID_TRANSFORM_DESTINATION: ErrorDef = def(
    "JSSourceInvalidTransformDestination",
    400,
    10146,
    "source transform: {err}",
);
pub const JS_SOURCE_OVERLAPPING_SUBJECT_FILTERS: ErrorDef = def(
    "JSSourceOverlappingSubjectFilters",
    400,
    10147,
    "source filters can not overlap",
);
pub const JS_CONSUMER_ALREADY_EXISTS: ErrorDef = def(
    "JSConsumerAlreadyExists",
    400,
    10148,
    "consumer already exists",
);
pub const JS_CONSUMER_DOES_NOT_EXIST: ErrorDef = def(
    "JSConsumerDoesNotExist",
    400,
    10149,
    "consumer does not exist",
);
pub const JS_MIRROR_MULTIPLE_FILTERS_NOT_ALLOWED: ErrorDef = def(
    "JSMirrorMultipleFiltersNotAllowed",
    400,
    10150,
    "mirror with multiple subject transforms cannot also have a single subject filter",
);
pub const JS_MIRROR_INVALID_SUBJECT_FILTER: ErrorDef = def(
    "JSMirrorInvalidSubjectFilter",
    400,
    10151,
    "mirror transform source: {err}",
);
pub const JS_MIRROR_OVERLAPPING_SUBJECT_FILTERS: ErrorDef = def(
    "JSMirrorOverlappingSubjectFilters",
    400,
    10152,
    "mirror subject filters can not overlap",
);
pub const JS_CONSUMER_INACTIVE_THRESHOLD_EXCESS: ErrorDef = def(
    "JSConsumerInactiveThresholdExcess",
    400,
    10153,
    "consumer inactive threshold exceeds system limit of {limit}",
);
pub const JS_MIRROR_INVALID_TRANSFORM_DESTINATION: ErrorDef = def(
    "JSMirrorInvalidTransformDestination",
    400,
    10154,
    "mirror transform: {err}",
);
pub const JS_STREAM_TRANSFORM_INVALID_SOURCE: ErrorDef = def(
    "JSStreamTransformInvalidSource",
    400,
    10155,
    "stream transform source: {err}",
);
pub const JS_STREAM_TRANSFORM_INVALID_DESTINATION: ErrorDef = def(
    "JSStreamTransformInvalidDestination",
    400,
    10156,
    "stream transform: {err}",
);
pub const JS_PEDANTIC_ERR_F: ErrorDef = def("JSPedanticErrF", 400, 10157, "pedantic mode: {err}");
pub const JS_STREAM_DUPLICATE_MESSAGE_CONFLICT: ErrorDef = def(
    "JSStreamDuplicateMessageConflict",
    409,
    10158,
    "duplicate message id is in process",
);
pub const JS_CONSUMER_PRIORITY_POLICY_WITHOUT_GROUP: ErrorDef = def(
    "JSConsumerPriorityPolicyWithoutGroup",
    400,
    10159,
    "Setting PriorityPolicy requires at least one PriorityGroup to be set",
);
pub const JS_CONSUMER_INVALID_PRIORITY_GROUP_ERR: ErrorDef = def(
    "JSConsumerInvalidPriorityGroupErr",
    400,
    10160,
    "Provided priority group does not exist for this consumer",
);
pub const JS_CONSUMER_EMPTY_GROUP_NAME: ErrorDef = def(
    "JSConsumerEmptyGroupName",
    400,
    10161,
    "Group name cannot be an empty string",
);
pub const JS_CONSUMER_INVALID_GROUP_NAME_ERR: ErrorDef = def(
    "JSConsumerInvalidGroupNameErr",
    400,
    10162,
    "Valid priority group name must match A-Z, a-z, 0-9, -_/=)+ and may not exceed 16 characters",
);
pub const JS_STREAM_EXPECTED_LAST_SEQ_PER_SUBJECT_NOT_READY: ErrorDef = def(
    "JSStreamExpectedLastSeqPerSubjectNotReady",
    503,
    10163,
    "expected last sequence per subject temporarily unavailable",
);
pub const JS_STREAM_WRONG_LAST_SEQUENCE_CONSTANT_ERR: ErrorDef = def(
    "JSStreamWrongLastSequenceConstantErr",
    400,
    10164,
    "wrong last sequence",
);
pub const JS_MESSAGE_TTL_INVALID_ERR: ErrorDef = def(
    "JSMessageTTLInvalidErr",
    400,
    10165,
    "invalid per-message TTL",
);
pub const JS_MESSAGE_TTL_DISABLED_ERR: ErrorDef = def(
    "JSMessageTTLDisabledErr",
    400,
    10166,
    "per-message TTL is disabled",
);
pub const JS_STREAM_TOO_MANY_REQUESTS: ErrorDef =
    def("JSStreamTooManyRequests", 429, 10167, "too many requests");
pub const JS_MESSAGE_INCR_DISABLED_ERR: ErrorDef = def(
    "JSMessageIncrDisabledErr",
    400,
    10168,
    "message counters is disabled",
);
pub const JS_MESSAGE_INCR_MISSING_ERR: ErrorDef = def(
    "JSMessageIncrMissingErr",
    400,
    10169,
    "message counter increment is missing",
);
pub const JS_MESSAGE_INCR_PAYLOAD_ERR: ErrorDef = def(
    "JSMessageIncrPayloadErr",
    400,
    10170,
    "message counter has payload",
);
pub const JS_MESSAGE_INCR_INVALID_ERR: ErrorDef = def(
    "JSMessageIncrInvalidErr",
    400,
    10171,
    "message counter increment is invalid",
);
pub const JS_MESSAGE_COUNTER_BROKEN_ERR: ErrorDef = def(
    "JSMessageCounterBrokenErr",
    400,
    10172,
    "message counter is broken",
);
pub const JS_MIRROR_WITH_COUNTERS_ERR: ErrorDef = def(
    "JSMirrorWithCountersErr",
    400,
    10173,
    "stream mirrors can not also calculate counters",
);
pub const JS_ATOMIC_PUBLISH_DISABLED_ERR: ErrorDef = def(
    "JSAtomicPublishDisabledErr",
    400,
    10174,
    "atomic publish is disabled",
);
pub const JS_ATOMIC_PUBLISH_MISSING_SEQ_ERR: ErrorDef = def(
    "JSAtomicPublishMissingSeqErr",
    400,
    10175,
    "atomic publish sequence is missing",
);
pub const JS_ATOMIC_PUBLISH_INCOMPLETE_BATCH_ERR: ErrorDef = def(
    "JSAtomicPublishIncompleteBatchErr",
    400,
    10176,
    "atomic publish batch is incomplete",
);
pub const JS_ATOMIC_PUBLISH_UNSUPPORTED_HEADER_BATCH_ERR: ErrorDef = def(
    "JSAtomicPublishUnsupportedHeaderBatchErr",
    400,
    10177,
    "atomic publish unsupported header used: {header}",
);
pub const JS_CONSUMER_PUSH_WITH_PRIORITY_GROUP_ERR: ErrorDef = def(
    "JSConsumerPushWithPriorityGroupErr",
    400,
    10178,
    "priority groups can not be used with push consumers",
);
pub const JS_ATOMIC_PUBLISH_INVALID_BATCH_ID_ERR: ErrorDef = def(
    "JSAtomicPublishInvalidBatchIDErr",
    400,
    10179,
    "atomic publish batch ID is invalid",
);
pub const JS_STREAM_MIN_LAST_SEQ_ERR: ErrorDef =
    def("JSStreamMinLastSeqErr", 412, 10180, "min last sequence");
pub const JS_CONSUMER_ACK_POLICY_INVALID_ERR: ErrorDef = def(
    "JSConsumerAckPolicyInvalidErr",
    400,
    10181,
    "consumer ack policy invalid",
);
pub const JS_CONSUMER_REPLAY_POLICY_INVALID_ERR: ErrorDef = def(
    "JSConsumerReplayPolicyInvalidErr",
    400,
    10182,
    "consumer replay policy invalid",
);
pub const JS_CONSUMER_ACK_WAIT_NEGATIVE_ERR: ErrorDef = def(
    "JSConsumerAckWaitNegativeErr",
    400,
    10183,
    "consumer ack wait needs to be positive",
);
pub const JS_CONSUMER_BACK_OFF_NEGATIVE_ERR: ErrorDef = def(
    "JSConsumerBackOffNegativeErr",
    400,
    10184,
    "consumer backoff needs to be positive",
);
pub const JS_REQUIRED_API_LEVEL_ERR: ErrorDef = def(
    "JSRequiredApiLevelErr",
    412,
    10185,
    "JetStream minimum api level required",
);
pub const JS_MIRROR_WITH_MSG_SCHEDULES_ERR: ErrorDef = def(
    "JSMirrorWithMsgSchedulesErr",
    400,
    10186,
    "stream mirrors can not also schedule messages",
);
pub const JS_SOURCE_WITH_MSG_SCHEDULES_ERR: ErrorDef = def(
    "JSSourceWithMsgSchedulesErr",
    400,
    10187,
    "stream source can not also schedule messages",
);
pub const JS_MESSAGE_SCHEDULES_DISABLED_ERR: ErrorDef = def(
    "JSMessageSchedulesDisabledErr",
    400,
    10188,
    "message schedules is disabled",
);
pub const JS_MESSAGE_SCHEDULES_PATTERN_INVALID_ERR: ErrorDef = def(
    "JSMessageSchedulesPatternInvalidErr",
    400,
    10189,
    "message schedules pattern is invalid",
);
pub const JS_MESSAGE_SCHEDULES_TARGET_INVALID_ERR: ErrorDef = def(
    "JSMessageSchedulesTargetInvalidErr",
    400,
    10190,
    "message schedules target is invalid",
);
pub const JS_MESSAGE_SCHEDULES_TTL_INVALID_ERR: ErrorDef = def(
    "JSMessageSchedulesTTLInvalidErr",
    400,
    10191,
    "message schedules invalid per-message TTL",
);
pub const JS_MESSAGE_SCHEDULES_ROLLUP_INVALID_ERR: ErrorDef = def(
    "JSMessageSchedulesRollupInvalidErr",
    400,
    10192,
    "message schedules invalid rollup",
);
pub const JS_STREAM_EXPECTED_LAST_SEQ_PER_SUBJECT_INVALID: ErrorDef = def(
    "JSStreamExpectedLastSeqPerSubjectInvalid",
    400,
    10193,
    "missing sequence for expected last sequence per subject",
);
pub const JS_STREAM_OFFLINE_REASON_ERR_F: ErrorDef = def(
    "JSStreamOfflineReasonErrF",
    500,
    10194,
    "stream is offline: {err}",
);
pub const JS_CONSUMER_OFFLINE_REASON_ERR_F: ErrorDef = def(
    "JSConsumerOfflineReasonErrF",
    500,
    10195,
    "consumer is offline: {err}",
);
pub const JS_CONSUMER_PRIORITY_GROUP_WITH_POLICY_NONE: ErrorDef = def(
    "JSConsumerPriorityGroupWithPolicyNone",
    400,
    10196,
    "consumer can not have priority groups when policy is none",
);
pub const JS_CONSUMER_PINNED_TTL_WITHOUT_PRIORITY_POLICY_NONE: ErrorDef = def(
    "JSConsumerPinnedTTLWithoutPriorityPolicyNone",
    400,
    10197,
    "PinnedTTL cannot be set when PriorityPolicy is none",
);
pub const JS_MIRROR_WITH_ATOMIC_PUBLISH_ERR: ErrorDef = def(
    "JSMirrorWithAtomicPublishErr",
    400,
    10198,
    "stream mirrors can not also use atomic publishing",
);
pub const JS_ATOMIC_PUBLISH_TOO_LARGE_BATCH_ERR_F: ErrorDef = def(
    "JSAtomicPublishTooLargeBatchErrF",
    400,
    10199,
    "atomic publish batch is too large: {size}",
);
pub const JS_ATOMIC_PUBLISH_INVALID_BATCH_COMMIT_ERR: ErrorDef = def(
    "JSAtomicPublishInvalidBatchCommitErr",
    400,
    10200,
    "atomic publish batch commit is invalid",
);
pub const JS_ATOMIC_PUBLISH_CONTAINS_DUPLICATE_MESSAGE_ERR: ErrorDef = def(
    "JSAtomicPublishContainsDuplicateMessageErr",
    400,
    10201,
    "atomic publish batch contains duplicate message id",
);
pub const JS_CLUSTER_SERVER_MEMBER_CHANGE_INFLIGHT_ERR: ErrorDef = def(
    "JSClusterServerMemberChangeInflightErr",
    400,
    10202,
    "cluster member change is in progress",
);
pub const JS_MESSAGE_SCHEDULES_SOURCE_INVALID_ERR: ErrorDef = def(
    "JSMessageSchedulesSourceInvalidErr",
    400,
    10203,
    "message schedules source is invalid",
);
pub const JS_CONSUMER_INVALID_RESET_ERR: ErrorDef = def(
    "JSConsumerInvalidResetErr",
    400,
    10204,
    "invalid reset: {err}",
);
pub const JS_BATCH_PUBLISH_DISABLED_ERR: ErrorDef = def(
    "JSBatchPublishDisabledErr",
    400,
    10205,
    "batch publish is disabled",
);
pub const JS_BATCH_PUBLISH_INVALID_PATTERN_ERR: ErrorDef = def(
    "JSBatchPublishInvalidPatternErr",
    400,
    10206,
    "batch publish pattern is invalid",
);
pub const JS_BATCH_PUBLISH_INVALID_BATCH_ID_ERR: ErrorDef = def(
    "JSBatchPublishInvalidBatchIDErr",
    400,
    10207,
    "batch publish ID is invalid",
);
pub const JS_BATCH_PUBLISH_UNKNOWN_BATCH_ID_ERR: ErrorDef = def(
    "JSBatchPublishUnknownBatchIDErr",
    400,
    10208,
    "batch publish ID unknown",
);
pub const JS_MIRROR_WITH_BATCH_PUBLISH_ERR: ErrorDef = def(
    "JSMirrorWithBatchPublishErr",
    400,
    10209,
    "stream mirrors can not also use batch publishing",
);
pub const JS_ATOMIC_PUBLISH_TOO_MANY_INFLIGHT: ErrorDef = def(
    "JSAtomicPublishTooManyInflight",
    429,
    10210,
    "atomic publish too many inflight",
);
pub const JS_BATCH_PUBLISH_TOO_MANY_INFLIGHT: ErrorDef = def(
    "JSBatchPublishTooManyInflight",
    429,
    10211,
    "batch publish too many inflight",
);
pub const JS_MESSAGE_SCHEDULES_SCHEDULER_INVALID_ERR: ErrorDef = def(
    "JSMessageSchedulesSchedulerInvalidErr",
    400,
    10212,
    "message schedules invalid scheduler",
);
pub const JS_MIRROR_DURABLE_CONSUMER_CFG_INVALID: ErrorDef = def(
    "JSMirrorDurableConsumerCfgInvalid",
    400,
    10213,
    "stream mirror consumer config is invalid",
);
pub const JS_MIRROR_CONSUMER_REQUIRES_ACK_FC_ERR: ErrorDef = def(
    "JSMirrorConsumerRequiresAckFCErr",
    400,
    10214,
    "stream mirror consumer requires flow control ack policy",
);
pub const JS_SOURCE_DURABLE_CONSUMER_CFG_INVALID: ErrorDef = def(
    "JSSourceDurableConsumerCfgInvalid",
    400,
    10215,
    "stream source consumer config is invalid",
);
pub const JS_SOURCE_DURABLE_CONSUMER_DUPLICATE_DETECTED: ErrorDef = def(
    "JSSourceDurableConsumerDuplicateDetected",
    400,
    10216,
    "duplicate stream source consumer detected",
);
pub const JS_SOURCE_CONSUMER_REQUIRES_ACK_FC_ERR: ErrorDef = def(
    "JSSourceConsumerRequiresAckFCErr",
    400,
    10217,
    "stream source consumer requires flow control ack policy",
);
pub const JS_CONSUMER_ACK_FC_REQUIRES_PUSH_ERR: ErrorDef = def(
    "JSConsumerAckFCRequiresPushErr",
    400,
    10218,
    "flow control ack policy requires a push based consumer",
);
pub const JS_CONSUMER_ACK_FC_REQUIRES_FC_ERR: ErrorDef = def(
    "JSConsumerAckFCRequiresFCErr",
    400,
    10219,
    "flow control ack policy requires flow control",
);
pub const JS_CONSUMER_ACK_FC_REQUIRES_MAX_ACK_PENDING_ERR: ErrorDef = def(
    "JSConsumerAckFCRequiresMaxAckPendingErr",
    400,
    10220,
    "flow control ack policy requires max ack pending",
);
pub const JS_CONSUMER_ACK_FC_REQUIRES_NO_ACK_WAIT_ERR: ErrorDef = def(
    "JSConsumerAckFCRequiresNoAckWaitErr",
    400,
    10221,
    "flow control ack policy requires unset ack wait",
);
pub const JS_CONSUMER_ACK_FC_REQUIRES_NO_MAX_DELIVER_ERR: ErrorDef = def(
    "JSConsumerAckFCRequiresNoMaxDeliverErr",
    400,
    10222,
    "flow control ack policy requires unset max deliver",
);
pub const JS_MESSAGE_SCHEDULES_TIME_ZONE_INVALID_ERR: ErrorDef = def(
    "JSMessageSchedulesTimeZoneInvalidErr",
    400,
    10223,
    "message schedules time zone is invalid",
);
pub const JS_CLUSTER_RESCUE_ERR: ErrorDef = def(
    "JSClusterRescueErr",
    400,
    10224,
    "JetStream system rescue not applied: {err}",
);
pub const JS_CONSUMER_STREAM_IDENTITY_MISMATCH_F: ErrorDef = def(
    "JSConsumerStreamIdentityMismatchF",
    400,
    10225,
    "consumer's stream identity does not match: {msg}",
);
pub const JS_STREAM_RECONFIGURE_IN_PROGRESS_ERR: ErrorDef = def(
    "JSStreamReconfigureInProgressErr",
    400,
    10226,
    "stream reconfiguration already in progress",
);
pub const JS_MESSAGE_SOURCE_HDR_NOT_ALLOWED_ERR: ErrorDef = def(
    "JSMessageSourceHdrNotAllowedErr",
    400,
    10227,
    "message stream source header is not allowed",
);

/// Every entry of the table, in the order of Go's errors.json.
pub const ALL: &[ErrorDef] = &[
    JS_CLUSTER_PEER_NOT_MEMBER_ERR,
    JS_CONSUMER_EPHEMERAL_WITH_DURABLE_IN_SUBJECT_ERR,
    JS_STREAM_EXTERNAL_DEL_PREFIX_OVERLAPS_ERR_F,
    JS_ACCOUNT_RESOURCES_EXCEEDED_ERR,
    JS_CLUSTER_NOT_AVAIL_ERR,
    JS_STREAM_SUBJECT_OVERLAP_ERR,
    JS_STREAM_WRONG_LAST_SEQUENCE_ERR_F,
    JS_TEMPLATE_NAME_NOT_MATCH_SUBJECT_ERR,
    JS_CLUSTER_NO_PEERS_ERR_F,
    JS_CONSUMER_EPHEMERAL_WITH_DURABLE_NAME_ERR,
    JS_INSUFFICIENT_RESOURCES_ERR,
    JS_MIRROR_MAX_MESSAGE_SIZE_TOO_BIG_ERR,
    JS_STREAM_TEMPLATE_DELETE_ERR_F,
    JS_BAD_REQUEST_ERR,
    JS_CLUSTER_UN_SUPPORT_FEATURE_ERR,
    JS_CONSUMER_NOT_FOUND_ERR,
    JS_SOURCE_MAX_MESSAGE_SIZE_TOO_BIG_ERR,
    JS_STREAM_ASSIGNMENT_ERR_F,
    JS_STREAM_MESSAGE_EXCEEDS_MAXIMUM_ERR,
    JS_STREAM_TEMPLATE_CREATE_ERR_F,
    JS_INVALID_JSON_ERR,
    JS_STREAM_INVALID_EXTERNAL_DELIVERY_SUBJ_ERR_F,
    JS_STREAM_RESTORE_ERR_F,
    JS_CLUSTER_INCOMPLETE_ERR,
    JS_NO_ACCOUNT_ERR,
    JS_RAFT_GENERAL_ERR_F,
    JS_RESTORE_SUBSCRIBE_FAILED_ERR_F,
    JS_STREAM_DELETE_ERR_F,
    JS_STREAM_EXTERNAL_API_OVERLAP_ERR_F,
    JS_MIRROR_WITH_SUBJECTS_ERR,
    JS_MIRROR_WITH_FIRST_SEQ_ERR,
    JS_NOT_ENABLED_ERR,
    JS_NOT_ENABLED_FOR_ACCOUNT_ERR,
    JS_SEQUENCE_NOT_FOUND_ERR_F,
    JS_STREAM_MIRROR_NOT_UPDATABLE_ERR,
    JS_STREAM_SEQUENCE_NOT_MATCH_ERR,
    JS_STREAM_WRONG_LAST_MSG_ID_ERR_F,
    JS_TEMP_STORAGE_FAILED_ERR,
    JS_STORAGE_RESOURCES_EXCEEDED_ERR,
    JS_STREAM_MISMATCH_ERR,
    JS_STREAM_NOT_MATCH_ERR,
    JS_MIRROR_CONSUMER_SETUP_FAILED_ERR_F,
    JS_NOT_EMPTY_REQUEST_ERR,
    JS_STREAM_NAME_EXIST_ERR,
    JS_CLUSTER_TAGS_ERR,
    JS_MAXIMUM_CONSUMERS_LIMIT_ERR,
    JS_SOURCE_CONSUMER_SETUP_FAILED_ERR_F,
    JS_CONSUMER_CREATE_ERR_F,
    JS_CONSUMER_DURABLE_NAME_NOT_IN_SUBJECT_ERR,
    JS_STREAM_LIMITS_ERR_F,
    JS_STREAM_REPLICAS_NOT_UPDATABLE_ERR,
    JS_STREAM_TEMPLATE_NOT_FOUND_ERR,
    JS_CLUSTER_NOT_ASSIGNED_ERR,
    JS_CLUSTER_NOT_LEADER_ERR,
    JS_CONSUMER_NAME_EXIST_ERR,
    JS_MIRROR_WITH_SOURCES_ERR,
    JS_STREAM_NOT_FOUND_ERR,
    JS_CLUSTER_REQUIRED_ERR,
    JS_CONSUMER_DURABLE_NAME_NOT_SET_ERR,
    JS_MAXIMUM_STREAMS_LIMIT_ERR,
    JS_MIRROR_WITH_START_SEQ_AND_TIME_ERR,
    JS_STREAM_SNAPSHOT_ERR_F,
    JS_STREAM_UPDATE_ERR_F,
    JS_CLUSTER_NOT_ACTIVE_ERR,
    JS_CONSUMER_DURABLE_NAME_NOT_MATCH_SUBJECT_ERR,
    JS_MEMORY_RESOURCES_EXCEEDED_ERR,
    JS_MIRROR_WITH_SUBJECT_FILTERS_ERR,
    JS_STREAM_CREATE_ERR_F,
    JS_CLUSTER_SERVER_NOT_MEMBER_ERR,
    JS_NO_MESSAGE_FOUND_ERR,
    JS_SNAPSHOT_DELIVER_SUBJECT_INVALID_ERR,
    JS_STREAM_GENERAL_ERROR_F,
    JS_STREAM_INVALID_CONFIG_F,
    JS_STREAM_REPLICAS_NOT_SUPPORTED_ERR,
    JS_STREAM_MSG_DELETE_FAILED_F,
    JS_PEER_REMAP_ERR,
    JS_STREAM_STORE_FAILED_F,
    JS_CONSUMER_CONFIG_REQUIRED_ERR,
    JS_CONSUMER_DELIVER_TO_WILDCARDS_ERR,
    JS_CONSUMER_PUSH_MAX_WAITING_ERR,
    JS_CONSUMER_DELIVER_CYCLE_ERR,
    JS_CONSUMER_MAX_PENDING_ACK_POLICY_REQUIRED_ERR,
    JS_CONSUMER_SMALL_HEARTBEAT_ERR,
    JS_CONSUMER_PULL_REQUIRES_ACK_ERR,
    JS_CONSUMER_PULL_NOT_DURABLE_ERR,
    JS_CONSUMER_PULL_WITH_RATE_LIMIT_ERR,
    JS_CONSUMER_MAX_WAITING_NEGATIVE_ERR,
    JS_CONSUMER_HB_REQUIRES_PUSH_ERR,
    JS_CONSUMER_FC_REQUIRES_PUSH_ERR,
    JS_CONSUMER_DIRECT_REQUIRES_PUSH_ERR,
    JS_CONSUMER_DIRECT_REQUIRES_EPHEMERAL_ERR,
    JS_CONSUMER_ON_MAPPED_ERR,
    JS_CONSUMER_FILTER_NOT_SUBSET_ERR,
    JS_CONSUMER_INVALID_POLICY_ERR_F,
    JS_CONSUMER_INVALID_SAMPLING_ERR_F,
    JS_STREAM_INVALID_ERR,
    JS_CONSUMER_WQ_REQUIRES_EXPLICIT_ACK_ERR,
    JS_CONSUMER_WQ_MULTIPLE_UNFILTERED_ERR,
    JS_CONSUMER_WQ_CONSUMER_NOT_UNIQUE_ERR,
    JS_CONSUMER_WQ_CONSUMER_NOT_DELIVER_ALL_ERR,
    JS_CONSUMER_NAME_TOO_LONG_ERR_F,
    JS_CONSUMER_BAD_DURABLE_NAME_ERR,
    JS_CONSUMER_STORE_FAILED_ERR_F,
    JS_CONSUMER_EXISTING_ACTIVE_ERR,
    JS_CONSUMER_REPLACEMENT_WITH_DIFFERENT_NAME_ERR,
    JS_CONSUMER_DESCRIPTION_TOO_LONG_ERR_F,
    JS_STREAM_HEADER_EXCEEDS_MAXIMUM_ERR,
    JS_CONSUMER_WITH_FLOW_CONTROL_NEEDS_HEARTBEATS,
    JS_STREAM_SEALED_ERR,
    JS_STREAM_PURGE_FAILED_F,
    JS_STREAM_ROLLUP_FAILED_F,
    JS_CONSUMER_INVALID_DELIVER_SUBJECT,
    JS_STREAM_MAX_BYTES_REQUIRED,
    JS_CONSUMER_MAX_REQUEST_BATCH_NEGATIVE_ERR,
    JS_CONSUMER_MAX_REQUEST_EXPIRES_TOO_SMALL,
    JS_CONSUMER_MAX_DELIVER_BACKOFF_ERR,
    JS_STREAM_INFO_MAX_SUBJECTS_ERR,
    JS_STREAM_OFFLINE_ERR,
    JS_CONSUMER_OFFLINE_ERR,
    JS_NO_LIMITS_ERR,
    JS_CONSUMER_MAX_PENDING_ACK_EXCESS_ERR_F,
    JS_STREAM_MAX_STREAM_BYTES_EXCEEDED,
    JS_STREAM_MOVE_AND_SCALE_ERR,
    JS_STREAM_MOVE_IN_PROGRESS_ERR,
    JS_CONSUMER_MAX_REQUEST_BATCH_EXCEEDED_F,
    JS_CONSUMER_REPLICAS_EXCEEDS_STREAM,
    JS_CONSUMER_NAME_CONTAINS_PATH_SEPARATORS_ERR,
    JS_STREAM_NAME_CONTAINS_PATH_SEPARATORS_ERR,
    JS_STREAM_RECONFIGURE_NOT_IN_PROGRESS_ERR,
    JS_STREAM_NAME_EXIST_RESTORE_FAILED_ERR,
    JS_CONSUMER_CREATE_FILTER_SUBJECT_MISMATCH_ERR,
    JS_CONSUMER_CREATE_DURABLE_AND_NAME_MISMATCH,
    JS_REPLICAS_COUNT_CANNOT_BE_NEGATIVE,
    JS_CONSUMER_REPLICAS_SHOULD_MATCH_STREAM,
    JS_CONSUMER_METADATA_LENGTH_ERR_F,
    JS_CONSUMER_DUPLICATE_FILTER_SUBJECTS,
    JS_CONSUMER_MULTIPLE_FILTERS_NOT_ALLOWED,
    JS_CONSUMER_OVERLAPPING_SUBJECT_FILTERS,
    JS_CONSUMER_EMPTY_FILTER,
    JS_SOURCE_DUPLICATE_DETECTED,
    JS_SOURCE_INVALID_STREAM_NAME,
    JS_MIRROR_INVALID_STREAM_NAME,
    JS_SOURCE_MULTIPLE_FILTERS_NOT_ALLOWED,
    JS_SOURCE_INVALID_SUBJECT_FILTER,
    JS_SOURCE_INVALID_TRANSFORM_DESTINATION,
    JS_SOURCE_OVERLAPPING_SUBJECT_FILTERS,
    JS_CONSUMER_ALREADY_EXISTS,
    JS_CONSUMER_DOES_NOT_EXIST,
    JS_MIRROR_MULTIPLE_FILTERS_NOT_ALLOWED,
    JS_MIRROR_INVALID_SUBJECT_FILTER,
    JS_MIRROR_OVERLAPPING_SUBJECT_FILTERS,
    JS_CONSUMER_INACTIVE_THRESHOLD_EXCESS,
    JS_MIRROR_INVALID_TRANSFORM_DESTINATION,
    JS_STREAM_TRANSFORM_INVALID_SOURCE,
    JS_STREAM_TRANSFORM_INVALID_DESTINATION,
    JS_PEDANTIC_ERR_F,
    JS_STREAM_DUPLICATE_MESSAGE_CONFLICT,
    JS_CONSUMER_PRIORITY_POLICY_WITHOUT_GROUP,
    JS_CONSUMER_INVALID_PRIORITY_GROUP_ERR,
    JS_CONSUMER_EMPTY_GROUP_NAME,
    JS_CONSUMER_INVALID_GROUP_NAME_ERR,
    JS_STREAM_EXPECTED_LAST_SEQ_PER_SUBJECT_NOT_READY,
    JS_STREAM_WRONG_LAST_SEQUENCE_CONSTANT_ERR,
    JS_MESSAGE_TTL_INVALID_ERR,
    JS_MESSAGE_TTL_DISABLED_ERR,
    JS_STREAM_TOO_MANY_REQUESTS,
    JS_MESSAGE_INCR_DISABLED_ERR,
    JS_MESSAGE_INCR_MISSING_ERR,
    JS_MESSAGE_INCR_PAYLOAD_ERR,
    JS_MESSAGE_INCR_INVALID_ERR,
    JS_MESSAGE_COUNTER_BROKEN_ERR,
    JS_MIRROR_WITH_COUNTERS_ERR,
    JS_ATOMIC_PUBLISH_DISABLED_ERR,
    JS_ATOMIC_PUBLISH_MISSING_SEQ_ERR,
    JS_ATOMIC_PUBLISH_INCOMPLETE_BATCH_ERR,
    JS_ATOMIC_PUBLISH_UNSUPPORTED_HEADER_BATCH_ERR,
    JS_CONSUMER_PUSH_WITH_PRIORITY_GROUP_ERR,
    JS_ATOMIC_PUBLISH_INVALID_BATCH_ID_ERR,
    JS_STREAM_MIN_LAST_SEQ_ERR,
    JS_CONSUMER_ACK_POLICY_INVALID_ERR,
    JS_CONSUMER_REPLAY_POLICY_INVALID_ERR,
    JS_CONSUMER_ACK_WAIT_NEGATIVE_ERR,
    JS_CONSUMER_BACK_OFF_NEGATIVE_ERR,
    JS_REQUIRED_API_LEVEL_ERR,
    JS_MIRROR_WITH_MSG_SCHEDULES_ERR,
    JS_SOURCE_WITH_MSG_SCHEDULES_ERR,
    JS_MESSAGE_SCHEDULES_DISABLED_ERR,
    JS_MESSAGE_SCHEDULES_PATTERN_INVALID_ERR,
    JS_MESSAGE_SCHEDULES_TARGET_INVALID_ERR,
    JS_MESSAGE_SCHEDULES_TTL_INVALID_ERR,
    JS_MESSAGE_SCHEDULES_ROLLUP_INVALID_ERR,
    JS_STREAM_EXPECTED_LAST_SEQ_PER_SUBJECT_INVALID,
    JS_STREAM_OFFLINE_REASON_ERR_F,
    JS_CONSUMER_OFFLINE_REASON_ERR_F,
    JS_CONSUMER_PRIORITY_GROUP_WITH_POLICY_NONE,
    JS_CONSUMER_PINNED_TTL_WITHOUT_PRIORITY_POLICY_NONE,
    JS_MIRROR_WITH_ATOMIC_PUBLISH_ERR,
    JS_ATOMIC_PUBLISH_TOO_LARGE_BATCH_ERR_F,
    JS_ATOMIC_PUBLISH_INVALID_BATCH_COMMIT_ERR,
    JS_ATOMIC_PUBLISH_CONTAINS_DUPLICATE_MESSAGE_ERR,
    JS_CLUSTER_SERVER_MEMBER_CHANGE_INFLIGHT_ERR,
    JS_MESSAGE_SCHEDULES_SOURCE_INVALID_ERR,
    JS_CONSUMER_INVALID_RESET_ERR,
    JS_BATCH_PUBLISH_DISABLED_ERR,
    JS_BATCH_PUBLISH_INVALID_PATTERN_ERR,
    JS_BATCH_PUBLISH_INVALID_BATCH_ID_ERR,
    JS_BATCH_PUBLISH_UNKNOWN_BATCH_ID_ERR,
    JS_MIRROR_WITH_BATCH_PUBLISH_ERR,
    JS_ATOMIC_PUBLISH_TOO_MANY_INFLIGHT,
    JS_BATCH_PUBLISH_TOO_MANY_INFLIGHT,
    JS_MESSAGE_SCHEDULES_SCHEDULER_INVALID_ERR,
    JS_MIRROR_DURABLE_CONSUMER_CFG_INVALID,
    JS_MIRROR_CONSUMER_REQUIRES_ACK_FC_ERR,
    JS_SOURCE_DURABLE_CONSUMER_CFG_INVALID,
    JS_SOURCE_DURABLE_CONSUMER_DUPLICATE_DETECTED,
    JS_SOURCE_CONSUMER_REQUIRES_ACK_FC_ERR,
    JS_CONSUMER_ACK_FC_REQUIRES_PUSH_ERR,
    JS_CONSUMER_ACK_FC_REQUIRES_FC_ERR,
    JS_CONSUMER_ACK_FC_REQUIRES_MAX_ACK_PENDING_ERR,
    JS_CONSUMER_ACK_FC_REQUIRES_NO_ACK_WAIT_ERR,
    JS_CONSUMER_ACK_FC_REQUIRES_NO_MAX_DELIVER_ERR,
    JS_MESSAGE_SCHEDULES_TIME_ZONE_INVALID_ERR,
    JS_CLUSTER_RESCUE_ERR,
    JS_CONSUMER_STREAM_IDENTITY_MISMATCH_F,
    JS_STREAM_RECONFIGURE_IN_PROGRESS_ERR,
    JS_MESSAGE_SOURCE_HDR_NOT_ALLOWED_ERR,
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn error_codes_are_unique() {
        let codes: BTreeSet<u16> = ALL.iter().map(|d| d.err_code).collect();
        assert_eq!(codes.len(), ALL.len());
        assert!(ALL.len() >= 200);
    }

    #[test]
    fn api_error_json_matches_go() {
        let e = ApiError::new(&JS_STREAM_NOT_FOUND_ERR);
        let j = serde_json::to_string(&e).unwrap();
        assert_eq!(
            j,
            r#"{"code":404,"err_code":10059,"description":"stream not found"}"#
        );
        let e = ApiError::new(&JS_STREAM_WRONG_LAST_SEQUENCE_ERR_F).with("seq", 7);
        assert_eq!(e.description, "wrong last sequence: 7");
        assert!(e.is(&JS_STREAM_WRONG_LAST_SEQUENCE_ERR_F));
    }
}
