//! Errors of the `nn` module. Its callers (`agent`, `critic`) convert them into their own error
//! enums (config field, corrupt checkpoint, checkpoint version, libtorch), so a user sees
//! the caller's wording and the caller's variant.

/// What can go wrong validating optimiser settings or (de)serialising a checkpoint.
#[derive(Debug, thiserror::Error)]
pub enum NnError {
    /// A setting is out of range; `field` is the name of the caller's config field.
    #[error("invalid field `{field}`: {reason}")]
    Field { field: &'static str, reason: String },

    /// Checkpoint bytes are truncated, fail their checksum, or do not describe the model.
    /// `kind` names the checkpoint kind ("controller", "critic").
    #[error("corrupt {kind} checkpoint: {reason}")]
    CheckpointCorrupt { kind: &'static str, reason: String },

    /// Checkpoint written by a format version this build cannot read.
    #[error(
        "{kind} checkpoint format version {found} is not supported (this build reads {supported})"
    )]
    CheckpointVersion {
        kind: &'static str,
        found: u32,
        supported: u32,
    },

    /// libtorch reported an error.
    #[error("libtorch error: {0}")]
    Torch(#[from] tch::TchError),
}
