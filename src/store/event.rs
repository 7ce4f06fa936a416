//! The event types: every change of search state is one of these, appended to the log.
//!
//! These structs ARE the persisted payloads (see `codec.rs` and schema/events.md), so
//! their shape must never change in place: to change a kind, add a new version of the
//! struct, bump `SCHEMA_VERSION` and upcast the old one in the codec. Only `Vec`/`Option`
//! containers are used so postcard's bytes are deterministic.

use serde::{Deserialize, Serialize};

/// A reference to a content-addressed blob (tensor weights, checkpoints). Events carry
/// only this, so the log stays small and a blob's bytes can be verified on read.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobRef {
    /// sha256 of the content, 64 lowercase hex digits.
    pub hash: String,
    /// Length of the content in bytes.
    pub size: u64,
}

/// Where a reward came from: actually trained, predicted by the critic, re-used from the
/// experience buffer, or looked up in a benchmark table.
/// Persisted by variant index: only append variants (with a schema bump), never reorder.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RewardSource {
    Trained,
    Critic,
    Buffer,
    Table,
}

/// Why an experiment ended. Persisted by variant index: only append variants.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum EndReason {
    Finished,
    Stopped,
    Failed(String),
}

/// A proxy task (dataset + shape) became known to the store.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct TaskRegistered {
    pub task: String,
    pub fingerprint: String,
    pub input_shape: Vec<u32>,
    pub classes: u32,
    pub train_samples: u64,
    pub val_samples: u64,
}

/// A search started (or resumed).
/// The experiment id is the sequence number of this event.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ExperimentStarted {
    pub task: String,
    pub space: String,
    pub space_hash: String,
    pub seed: u64,
    pub config_json: String,
    /// The experiment id this one continues, if it is a resume.
    pub resumes: Option<u64>,
}

/// The controller sampled an architecture; `log_probs` are the per-token log-probabilities
/// under policy `policy_version`, kept for the PPO ratio.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ArchSampled {
    pub experiment: u64,
    pub index: u64,
    pub tokens: Vec<u8>,
    pub log_probs: Vec<f32>,
    pub policy_version: u64,
}

/// The reward of sample `index` of `experiment` became known.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RewardObserved {
    pub experiment: u64,
    pub index: u64,
    pub source: RewardSource,
    pub accuracy: f64,
    pub macs: u64,
    pub params: u64,
    pub reward: f64,
    pub train_seconds: f64,
    pub failure: Option<String>,
    /// The critic's estimate for this architecture at decision time (since schema 2);
    /// `None` when no critic was consulted. Kept even when the sample was then trained, so
    /// a replay can audit the critic's calibration against the real reward.
    pub critic: Option<CriticEstimate>,
}

/// What the critic predicted for one architecture when the pipeline decided whether to
/// train it or trust the prediction (uncertainty-aware critic, schema 2).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CriticEstimate {
    /// Predicted reward V.
    pub value: f64,
    /// Predicted absolute error U of V.
    pub uncertainty: f64,
    /// The `CriticUpdated::version` that made the prediction.
    pub critic_version: u64,
}

/// Diagnostics of one PPO update (recorded, never recomputed on replay).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct PolicyStats {
    pub loss: f64,
    pub entropy: f64,
    pub clip_fraction: f64,
    pub approx_kl: f64,
    pub mean_reward: f64,
    pub mean_advantage: f64,
}

/// The controller was updated; its new weights are the blob `weights`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PolicyUpdated {
    pub experiment: u64,
    pub version: u64,
    pub weights: BlobRef,
    pub baseline: Option<f64>,
    /// Sample indices (within the experiment) the update used.
    pub samples: Vec<u64>,
    pub stats: PolicyStats,
    /// Old samples drawn from the experience buffer for this update, with their importance
    /// weights (since schema 2); empty when the buffer was not used.
    pub replayed: Vec<ReplayedSample>,
}

/// One sample re-used from the experience buffer in a policy update. It may come from an
/// earlier experiment (a resumed search), hence the explicit experiment id.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ReplayedSample {
    pub experiment: u64,
    pub index: u64,
    /// Importance weight applied to this sample's loss term.
    pub weight: f64,
}

/// Fit diagnostics of one critic update, measured on its real samples (recorded, never
/// recomputed on replay).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct CriticFit {
    /// Mean |V - R|.
    pub value_loss: f64,
    /// Mean |U - |V - R||.
    pub uncertainty_loss: f64,
    /// Spearman rank correlation of V and R.
    pub spearman: f64,
    /// Fraction of samples with |V - R| <= U.
    pub coverage: f64,
}

/// The critic was refitted (since schema 2); its new weights are the blob `weights`, and
/// `sigma` is the uncertainty threshold below which its predictions replace training.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CriticUpdated {
    pub experiment: u64,
    pub version: u64,
    pub weights: BlobRef,
    /// Real (trained) samples it was fitted on.
    pub samples: u64,
    /// The uncertainty threshold in force after this update.
    pub sigma: f64,
    pub fit: CriticFit,
}

/// An experiment ended; `summary_hash` lets a replay check it rebuilt the same state.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ExperimentEnded {
    pub experiment: u64,
    pub reason: EndReason,
    pub samples: u64,
    pub summary_hash: String,
    pub policy: Option<BlobRef>,
}

/// One part of a trained sample's network stored in the lifelong knowledge pool (LKP,
/// since schema 3): its weights (all tensors of the part, BN statistics included) are the
/// blob `weights`, so identical weights are stored once. A projection over every
/// experiment and task of the store (and imported ones) recalls them by cosine similarity
/// of `key` to initialize later samples.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct BlockCheckpointed {
    pub experiment: u64,
    /// The sample (within the experiment) whose training produced these weights.
    pub index: u64,
    /// The task the weights were trained on (kept here so imported pools keep provenance).
    pub task: String,
    /// Which part of the network: 0 = stem, 1..=B = block b-1, B+1 = head (B = blocks in
    /// the space). Parts are only recalled for the same part number.
    pub part: u32,
    /// The part's expanded one-hot embedding: its decisions plus its position, one byte
    /// (0 or 1) per position, so the key is exact and cheap to store.
    pub key: Vec<u8>,
    pub weights: BlobRef,
    /// Training iterations (optimizer steps) these weights have seen in total, including
    /// the ones of the checkpoint they were initialized from (fairness accounting).
    pub iterations: u64,
    /// The reward of the sample these weights come from.
    pub reward: f64,
    /// Cosine similarity of the pool entry this part was initialized from (None: trained
    /// from scratch), so hit ratios can be recomputed from the log.
    pub init_similarity: Option<f32>,
}

/// Which experiment of a source store became which experiment here on import.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ExperimentMapping {
    pub source: u64,
    pub target: u64,
}

/// A knowledge package from another store was imported (since schema 3). It is appended
/// after the imported events, in the same atomic batch, so a store either holds a whole
/// import or none of it; `package` (sha256 of the package content) makes importing the
/// same package twice a no-op.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Imported {
    pub package: String,
    /// The id of the store the package was exported from.
    pub source_store: String,
    pub task: String,
    /// What the package holds, e.g. ["pool", "critic", "history"].
    pub what: Vec<String>,
    /// Sequence range [first, last] of the exported events in the source store.
    pub source_first_seq: u64,
    pub source_last_seq: u64,
    /// Sequence range [first, last] of the re-appended events in this store.
    pub target_first_seq: u64,
    pub target_last_seq: u64,
    pub experiments: Vec<ExperimentMapping>,
}

/// One entry of the log. The in-memory enum's variant order is NOT the wire tag: the codec
/// maps each variant to a stable kind id (see `codec::kind_id`), so variants may be added
/// anywhere and old ids are never reused.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub enum Event {
    TaskRegistered(TaskRegistered),
    ExperimentStarted(ExperimentStarted),
    ArchSampled(ArchSampled),
    RewardObserved(RewardObserved),
    PolicyUpdated(PolicyUpdated),
    ExperimentEnded(ExperimentEnded),
    CriticUpdated(CriticUpdated),
    BlockCheckpointed(BlockCheckpointed),
    Imported(Imported),
}

impl Event {
    /// The snake_case kind name used by `fnas log --kind` and in JSON output. The names
    /// live in the codec's kind table (`codec::KINDS`), next to the stable ids.
    pub fn kind_name(&self) -> &'static str {
        super::codec::kind_info(self).name
    }

    /// The experiment this event belongs to. `None` for `TaskRegistered` (shared by all
    /// experiments) and for `ExperimentStarted`, whose experiment id is its own sequence
    /// number, which the event itself does not contain.
    pub fn experiment(&self) -> Option<u64> {
        match self {
            Event::TaskRegistered(_) | Event::ExperimentStarted(_) | Event::Imported(_) => None,
            Event::ArchSampled(e) => Some(e.experiment),
            Event::RewardObserved(e) => Some(e.experiment),
            Event::PolicyUpdated(e) => Some(e.experiment),
            Event::ExperimentEnded(e) => Some(e.experiment),
            Event::CriticUpdated(e) => Some(e.experiment),
            Event::BlockCheckpointed(e) => Some(e.experiment),
        }
    }

    /// The blobs this event names; they must exist before it is appended, and a store
    /// check or export uses this to find every referenced blob.
    pub fn blobs(&self) -> Vec<&BlobRef> {
        match self {
            Event::PolicyUpdated(e) => vec![&e.weights],
            Event::CriticUpdated(e) => vec![&e.weights],
            Event::BlockCheckpointed(e) => vec![&e.weights],
            Event::ExperimentEnded(e) => e.policy.iter().collect(),
            Event::TaskRegistered(_)
            | Event::ExperimentStarted(_)
            | Event::ArchSampled(_)
            | Event::RewardObserved(_)
            | Event::Imported(_) => Vec::new(),
        }
    }
}
