//! Errors of the `critic` module. Inputs, rewards and checkpoints come from the event log, from
//! other modules and from blob files, so every message names the sample, field or checkpoint
//! part at fault instead of panicking.

use crate::nn::NnError;

/// Everything that can go wrong building, fitting, querying or (de)serialising a critic.
#[derive(Debug, thiserror::Error)]
pub enum CriticError {
    /// A `CriticConfig` field is out of range.
    #[error("invalid critic config field `{field}`: {reason}")]
    Config { field: &'static str, reason: String },

    /// A `SigmaPolicy` parameter is out of range.
    #[error("invalid sigma policy field `{field}`: {reason}")]
    SigmaPolicy { field: &'static str, reason: String },

    /// The critic was asked to read embeddings of length 0 (or absurdly long ones).
    #[error("invalid critic input dimension {found} (allowed 1..={max})")]
    InputDim { found: usize, max: usize },

    /// An input embedding has the wrong length for this critic.
    #[error("critic input #{index} has length {found}, the critic reads {expected}")]
    InputLength {
        index: usize,
        expected: usize,
        found: usize,
    },

    /// An input embedding holds NaN or an infinity.
    #[error("critic input #{index}, position {position}: value {value} is not finite")]
    InputValue {
        index: usize,
        position: usize,
        value: f32,
    },

    /// A reward is NaN or infinite.
    #[error("reward #{index} is not finite ({value})")]
    Reward { index: usize, value: f64 },

    /// `fit` was given a different number of inputs and rewards.
    #[error("critic fit got {inputs} inputs but {rewards} rewards")]
    LengthMismatch { inputs: usize, rewards: usize },

    /// `fit` (or `evaluate`) was called with no samples.
    #[error("critic fit needs at least one real sample, got none")]
    NoSamples,

    /// The training loss became NaN or infinite; that step was refused so the weights stay
    /// finite (the steps of earlier epochs are kept).
    #[error("critic loss is not finite ({value}) in epoch {epoch}; no step was taken")]
    NonFinite { epoch: usize, value: f64 },

    /// Checkpoint bytes are truncated, fail their checksum, or do not describe a critic.
    #[error("corrupt critic checkpoint: {reason}")]
    CheckpointCorrupt { reason: String },

    /// Checkpoint written by a format version this build cannot read.
    #[error(
        "critic checkpoint format version {found} is not supported (this build reads {supported})"
    )]
    CheckpointVersion { found: u32, supported: u32 },

    /// The checkpoint is valid but reads embeddings of another length (another search space).
    #[error("critic checkpoint reads inputs of length {found}, expected {expected}")]
    InputDimMismatch { expected: usize, found: usize },

    /// libtorch reported an error.
    #[error("libtorch error in the critic: {0}")]
    Torch(#[from] tch::TchError),
}

/// The shared `nn` utilities report in their own terms; here they become this module's
/// variants, so callers match on `CriticError` only and messages keep the critic's wording.
impl From<NnError> for CriticError {
    fn from(e: NnError) -> Self {
        match e {
            NnError::Field { field, reason } => CriticError::Config { field, reason },
            NnError::CheckpointCorrupt { reason, .. } => CriticError::CheckpointCorrupt { reason },
            NnError::CheckpointVersion {
                found, supported, ..
            } => CriticError::CheckpointVersion { found, supported },
            NnError::Torch(e) => CriticError::Torch(e),
        }
    }
}
