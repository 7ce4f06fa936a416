//! The one module that owns the on-disk event format (documented in schema/events.md).
//!
//! A stored value is a postcard-encoded envelope `{ schema: u16, kind: u16, payload: bytes }`
//! whose payload is the postcard encoding of the kind's struct. The explicit `kind` id (not
//! the Rust enum index) is the wire tag, so enum variants can be added freely, and the
//! explicit `schema` lets a reader refuse data it does not understand instead of misreading.
//!
//! Evolution rules (postcard is not self-describing and ignores `#[serde(default)]`):
//! * Never change a persisted struct in place. To change one: copy today's struct into a
//!   `v1` module (codec/v1.rs), change the struct in event.rs, bump [`SCHEMA_VERSION`], and in
//!   [`decode_payload`] decode `(kind, schema <= 1)` as the `v1` type and upcast it with
//!   `impl From<v1::X> for X`. The writer always writes the current version.
//! * Appending a variant to an enum inside a payload (`RewardSource`, `EndReason`) keeps
//!   old bytes readable but still bumps [`SCHEMA_VERSION`], so older builds refuse the
//!   store with "upgrade fnas" instead of failing on an unknown variant.
//! * A new event kind gets the next unused id in [`KINDS`] (ids are never reused or
//!   renumbered), its `since` is the bumped [`SCHEMA_VERSION`]. A reader never skips an
//!   event it cannot decode: state is a fold of the log, and a skipped event would rebuild
//!   the wrong state silently.
//!
//! Versions: 1 = the six original kinds; 2 = `critic_updated` (kind 7),
//! `RewardObserved::critic`, `PolicyUpdated::replayed` (schema-1 structs in [`v1`]);
//! 3 = `block_checkpointed` (kind 8, the knowledge pool) and `imported` (kind 9).

use serde::{Deserialize, Serialize};

use super::error::StoreError;
use super::event::Event;

pub mod v1;

/// The schema version this build writes, and the newest it can read.
pub const SCHEMA_VERSION: u16 = 3;

/// A stable kind id, its name, and the first schema version that may contain it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KindInfo {
    pub id: u16,
    pub name: &'static str,
    pub since: u16,
}

/// Stable kind ids. Append only: an id, once written to any store, is never reused.
pub mod kind {
    pub const TASK_REGISTERED: u16 = 1;
    pub const EXPERIMENT_STARTED: u16 = 2;
    pub const ARCH_SAMPLED: u16 = 3;
    pub const REWARD_OBSERVED: u16 = 4;
    pub const POLICY_UPDATED: u16 = 5;
    pub const EXPERIMENT_ENDED: u16 = 6;
    pub const CRITIC_UPDATED: u16 = 7;
    pub const BLOCK_CHECKPOINTED: u16 = 8;
    pub const IMPORTED: u16 = 9;
}

/// Every known kind, in id order (documentation, `fnas log`, and the `since` check).
pub const KINDS: &[KindInfo] = &[
    KindInfo {
        id: kind::TASK_REGISTERED,
        name: "task_registered",
        since: 1,
    },
    KindInfo {
        id: kind::EXPERIMENT_STARTED,
        name: "experiment_started",
        since: 1,
    },
    KindInfo {
        id: kind::ARCH_SAMPLED,
        name: "arch_sampled",
        since: 1,
    },
    KindInfo {
        id: kind::REWARD_OBSERVED,
        name: "reward_observed",
        since: 1,
    },
    KindInfo {
        id: kind::POLICY_UPDATED,
        name: "policy_updated",
        since: 1,
    },
    KindInfo {
        id: kind::EXPERIMENT_ENDED,
        name: "experiment_ended",
        since: 1,
    },
    KindInfo {
        id: kind::CRITIC_UPDATED,
        name: "critic_updated",
        since: 2,
    },
    KindInfo {
        id: kind::BLOCK_CHECKPOINTED,
        name: "block_checkpointed",
        since: 3,
    },
    KindInfo {
        id: kind::IMPORTED,
        name: "imported",
        since: 3,
    },
];

/// The envelope fields, readable without decoding the payload (used at open to detect a
/// newer schema, and by tools that filter by kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub schema: u16,
    pub kind: u16,
}

#[derive(Serialize)]
struct EnvelopeOut<'a> {
    schema: u16,
    kind: u16,
    payload: &'a [u8],
}

#[derive(Deserialize)]
struct EnvelopeIn<'a> {
    schema: u16,
    kind: u16,
    #[serde(borrow)]
    payload: &'a [u8],
}

const BYTES: &str = "event bytes";

/// The stable kind id of an event.
pub fn kind_id(event: &Event) -> u16 {
    match event {
        Event::TaskRegistered(_) => kind::TASK_REGISTERED,
        Event::ExperimentStarted(_) => kind::EXPERIMENT_STARTED,
        Event::ArchSampled(_) => kind::ARCH_SAMPLED,
        Event::RewardObserved(_) => kind::REWARD_OBSERVED,
        Event::PolicyUpdated(_) => kind::POLICY_UPDATED,
        Event::ExperimentEnded(_) => kind::EXPERIMENT_ENDED,
        Event::CriticUpdated(_) => kind::CRITIC_UPDATED,
        Event::BlockCheckpointed(_) => kind::BLOCK_CHECKPOINTED,
        Event::Imported(_) => kind::IMPORTED,
    }
}

/// The kind table entry of an event (id, snake_case name, first schema version).
pub fn kind_info(event: &Event) -> &'static KindInfo {
    let id = kind_id(event);
    // Internal invariant: every id returned by `kind_id` has a KINDS entry (unit-tested).
    KINDS
        .iter()
        .find(|k| k.id == id)
        .expect("every Event variant has an entry in codec::KINDS")
}

/// Encodes an event in the current schema version (the only version ever written).
pub fn encode(event: &Event) -> Vec<u8> {
    let payload = match event {
        Event::TaskRegistered(e) => to_bytes(e),
        Event::ExperimentStarted(e) => to_bytes(e),
        Event::ArchSampled(e) => to_bytes(e),
        Event::RewardObserved(e) => to_bytes(e),
        Event::PolicyUpdated(e) => to_bytes(e),
        Event::ExperimentEnded(e) => to_bytes(e),
        Event::CriticUpdated(e) => to_bytes(e),
        Event::BlockCheckpointed(e) => to_bytes(e),
        Event::Imported(e) => to_bytes(e),
    };
    envelope(SCHEMA_VERSION, kind_id(event), &payload)
}

/// Builds raw envelope bytes. Public so tests and import tools can produce envelopes of
/// other versions; normal code uses [`encode`].
pub fn envelope(schema: u16, kind: u16, payload: &[u8]) -> Vec<u8> {
    to_bytes(&EnvelopeOut {
        schema,
        kind,
        payload,
    })
}

/// Reads only the envelope header, checking that the envelope itself is well formed.
pub fn peek(bytes: &[u8]) -> Result<Header, StoreError> {
    let env = read_envelope(bytes)?;
    Ok(Header {
        schema: env.schema,
        kind: env.kind,
    })
}

/// Decodes stored bytes into the current in-memory event, upcasting older versions.
/// Errors carry the context "event bytes"; callers that know more use `with_context`.
pub fn decode(bytes: &[u8]) -> Result<Event, StoreError> {
    let env = read_envelope(bytes)?;
    check_schema(env.schema)?;
    decode_payload(env.schema, env.kind, env.payload)
}

/// Refuses versions this build cannot read: newer ones (upgrade fnas) and 0 (never written).
pub fn check_schema(schema: u16) -> Result<(), StoreError> {
    if schema > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found: schema,
            supported: SCHEMA_VERSION,
            context: BYTES.to_string(),
        });
    }
    if schema == 0 {
        return Err(corrupt("schema version 0 was never written".to_string()));
    }
    Ok(())
}

/// Decodes one payload given its (already checked) schema version and kind id. Kinds whose
/// struct changed are matched on their old versions first and upcast (see [`v1`]).
fn decode_payload(schema: u16, kind: u16, p: &[u8]) -> Result<Event, StoreError> {
    let info = KINDS.iter().find(|k| k.id == kind);
    match info {
        Some(info) if schema >= info.since => {}
        _ => {
            return Err(StoreError::UnknownKind {
                kind,
                schema,
                context: BYTES.to_string(),
            })
        }
    }
    Ok(match (kind, schema) {
        (kind::REWARD_OBSERVED, 1) => {
            Event::RewardObserved(payload::<v1::RewardObserved>(p, kind)?.into())
        }
        (kind::POLICY_UPDATED, 1) => {
            Event::PolicyUpdated(payload::<v1::PolicyUpdated>(p, kind)?.into())
        }
        (kind::TASK_REGISTERED, _) => Event::TaskRegistered(payload(p, kind)?),
        (kind::EXPERIMENT_STARTED, _) => Event::ExperimentStarted(payload(p, kind)?),
        (kind::ARCH_SAMPLED, _) => Event::ArchSampled(payload(p, kind)?),
        (kind::REWARD_OBSERVED, _) => Event::RewardObserved(payload(p, kind)?),
        (kind::POLICY_UPDATED, _) => Event::PolicyUpdated(payload(p, kind)?),
        (kind::EXPERIMENT_ENDED, _) => Event::ExperimentEnded(payload(p, kind)?),
        (kind::CRITIC_UPDATED, _) => Event::CriticUpdated(payload(p, kind)?),
        (kind::BLOCK_CHECKPOINTED, _) => Event::BlockCheckpointed(payload(p, kind)?),
        (kind::IMPORTED, _) => Event::Imported(payload(p, kind)?),
        // KINDS and this match list the same ids; an id in KINDS without an arm here is
        // reported like an unknown kind rather than panicking.
        _ => {
            return Err(StoreError::UnknownKind {
                kind,
                schema,
                context: BYTES.to_string(),
            })
        }
    })
}

fn read_envelope(bytes: &[u8]) -> Result<EnvelopeIn<'_>, StoreError> {
    let (env, rest) = postcard::take_from_bytes::<EnvelopeIn<'_>>(bytes)
        .map_err(|e| corrupt(format!("envelope does not decode: {e}")))?;
    if !rest.is_empty() {
        return Err(corrupt(format!(
            "{} trailing bytes after the envelope",
            rest.len()
        )));
    }
    Ok(env)
}

/// Strict payload decode: trailing bytes mean the payload is not the struct its kind and
/// version claim, so they are an error rather than silently ignored (postcard's default).
fn payload<'a, T: Deserialize<'a>>(p: &'a [u8], kind: u16) -> Result<T, StoreError> {
    let (value, rest) = postcard::take_from_bytes::<T>(p)
        .map_err(|e| corrupt(format!("payload of kind {kind} does not decode: {e}")))?;
    if !rest.is_empty() {
        return Err(corrupt(format!(
            "{} trailing bytes after the payload of kind {kind}",
            rest.len()
        )));
    }
    Ok(value)
}

fn corrupt(reason: String) -> StoreError {
    StoreError::Corrupt {
        context: BYTES.to_string(),
        reason,
    }
}

fn to_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    // Internal invariant: postcard only fails to serialize sequences of unknown length,
    // `collect_str` on no-std, or a full fixed buffer; the event types use none of these.
    postcard::to_allocvec(value).expect("postcard serializes every event type")
}
