//! Errors of the `buffer` module. Configs come from users and entries from the event log, so
//! every message names the field or the (experiment, index) of the entry at fault.

/// Everything that can go wrong configuring the buffer or pushing an entry into it.
#[derive(Debug, thiserror::Error)]
pub enum BufferError {
    /// A `BufferConfig` field is out of range.
    #[error("invalid buffer config field `{field}`: {reason}")]
    Config { field: &'static str, reason: String },

    /// An entry cannot be stored (non-finite reward, log-probs not one per token).
    #[error("buffer entry (experiment {experiment}, index {index}): {reason}")]
    Entry {
        experiment: u64,
        index: u64,
        reason: String,
    },
}
