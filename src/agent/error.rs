//! Errors of the `agent` module. Token vectors, PPO samples and checkpoints come from the event
//! log, from other modules and from files, so every message names the sample, position, field or
//! checkpoint part at fault instead of panicking.

use crate::nn::NnError;

/// Everything that can go wrong building, querying, updating or (de)serialising a controller.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The list of choices per position is unusable (empty, a zero, or more than 256 choices,
    /// which a `u8` token cannot address).
    #[error("invalid decision sizes: {reason}")]
    DecisionSizes { reason: String },

    /// A `ControllerConfig` field is out of range.
    #[error("invalid controller config field `{field}`: {reason}")]
    Config { field: &'static str, reason: String },

    /// A token vector has the wrong number of positions.
    #[error("token vector #{index} has {found} tokens, the controller has {expected} positions")]
    TokenLength {
        index: usize,
        expected: usize,
        found: usize,
    },

    /// A token is not a valid choice at its position.
    #[error(
        "token vector #{index}, position {position}: token {token} out of range (position has {choices} choices)"
    )]
    TokenRange {
        index: usize,
        position: usize,
        token: u8,
        choices: usize,
    },

    /// A PPO sample field is malformed (wrong length, NaN, negative weight...).
    #[error("PPO sample #{index}: field `{field}`: {reason}")]
    Sample {
        index: usize,
        field: &'static str,
        reason: String,
    },

    /// `update` was called with nothing to learn from.
    #[error("PPO batch is empty or all its weights are zero")]
    EmptyBatch,

    /// The loss or the gradient norm became NaN or infinite; the step was refused so the
    /// weights stay finite.
    #[error("PPO {what} is not finite ({value}) in epoch {epoch}; no step was taken")]
    NonFinite {
        epoch: usize,
        what: &'static str,
        value: f64,
    },

    /// Checkpoint bytes are truncated, fail their checksum, or do not describe this model.
    #[error("corrupt controller checkpoint: {reason}")]
    CheckpointCorrupt { reason: String },

    /// Checkpoint written by a format version this build cannot read.
    #[error("controller checkpoint format version {found} is not supported (this build reads {supported})")]
    CheckpointVersion { found: u32, supported: u32 },

    /// The checkpoint is valid but belongs to a different search space.
    #[error("controller checkpoint has decision sizes {found:?}, expected {expected:?}")]
    DecisionSizesMismatch {
        expected: Vec<usize>,
        found: Vec<usize>,
    },

    /// libtorch reported an error.
    #[error("libtorch error in the controller: {0}")]
    Torch(#[from] tch::TchError),
}

/// The shared `nn` utilities report in their own terms; here they become this module's
/// variants, so callers match on `AgentError` only and messages keep the controller's wording.
impl From<NnError> for AgentError {
    fn from(e: NnError) -> Self {
        match e {
            NnError::Field { field, reason } => AgentError::Config { field, reason },
            NnError::CheckpointCorrupt { reason, .. } => AgentError::CheckpointCorrupt { reason },
            NnError::CheckpointVersion {
                found, supported, ..
            } => AgentError::CheckpointVersion { found, supported },
            NnError::Torch(e) => AgentError::Torch(e),
        }
    }
}
