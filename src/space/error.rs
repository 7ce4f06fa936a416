//! Errors of the `space` module. Every message names the file (or origin), field, decision or
//! space at fault, because space files are hand-written and archs come from logs and users.

use std::path::PathBuf;

/// Everything that can go wrong loading a space, checking an arch against it or decoding it.
#[derive(Debug, thiserror::Error)]
pub enum SpaceError {
    /// The space file could not be read.
    #[error("cannot read space file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The text is not valid TOML.
    #[error("{origin}: invalid TOML: {message}")]
    Toml { origin: String, message: String },

    /// A field is missing, has the wrong type, is empty, duplicated or unknown.
    #[error("{origin}: field `{field}`: {message}")]
    Field {
        origin: String,
        field: String,
        message: String,
    },

    /// `Space::builtin` was asked for a name that is not compiled in.
    #[error("unknown built-in space `{name}` (available: {available})")]
    UnknownBuiltin { name: String, available: String },

    /// The arch has the wrong number of tokens for the space.
    #[error("arch has {got} tokens but space `{space}` has {expected} decisions")]
    ArchLength {
        space: String,
        expected: usize,
        got: usize,
    },

    /// A token is not a valid choice index of its decision.
    #[error(
        "token {token} for decision `{decision}` (position {position}) is out of range: \
         the decision has {choices} choices"
    )]
    TokenOutOfRange {
        decision: String,
        position: usize,
        token: u8,
        choices: usize,
    },

    /// The space cannot be decoded as requested (e.g. it is not shaped like the MnasNet space).
    #[error("space `{space}` cannot be decoded as {decoder}: {reason}")]
    Shape {
        space: String,
        decoder: String,
        reason: String,
    },
}
