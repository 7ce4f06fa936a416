//! Errors of the `bench` module. Benchmark tables are user-supplied CSV files, so every
//! message names the file and, where there is one, the line and column at fault.

use std::path::PathBuf;

use crate::space::SpaceError;

/// Everything that can go wrong loading a benchmark table, looking an arch up in it,
/// computing statistics over runs or drawing a plot.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The file could not be opened or read.
    #[error("cannot read benchmark table {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The CSV layer rejected the file (e.g. a row with a different number of fields).
    #[error("{path}: line {line}: invalid CSV: {message}")]
    Csv {
        path: PathBuf,
        /// 1-based line of the record at fault (0 when the reader could not tell).
        line: u64,
        message: String,
    },

    /// A column the table needs is not in the header.
    #[error("{path}: line 1: missing column `{column}` ({why}); the header has: {available}")]
    MissingColumn {
        path: PathBuf,
        column: String,
        why: String,
        available: String,
    },

    /// A cell cannot be used: not a finite number, an encoding that does not fit the space,
    /// a reference to a row that does not exist, a canonical form that disagrees with the rule.
    #[error("{path}: line {line}, column `{column}`: value `{value}`: {message}")]
    Field {
        path: PathBuf,
        line: u64,
        column: String,
        value: String,
        message: String,
    },

    /// Two rows carry the same encoding, so a lookup would be ambiguous.
    #[error(
        "{path}: line {line}, column `{column}`: encoding `{value}` already appears on line \
         {first_line}"
    )]
    DuplicateEncoding {
        path: PathBuf,
        line: u64,
        column: String,
        value: String,
        first_line: u64,
    },

    /// The header is fine but there is no data row.
    #[error("{path}: the table has no data rows")]
    EmptyTable { path: PathBuf },

    /// A sampled architecture fits the space but has no row in the table.
    #[error("{path}: no row for architecture `{arch}` (column `{column}`)")]
    ArchNotInTable {
        path: PathBuf,
        arch: String,
        column: String,
    },

    /// An architecture handed to the table does not fit the table's space.
    #[error("{path}: architecture `{arch}` does not fit the table's space: {source}")]
    InvalidArch {
        path: PathBuf,
        arch: String,
        /// Boxed: the space's error is large and this path is rare.
        #[source]
        source: Box<SpaceError>,
    },

    /// An encoding string given outside a table (e.g. on the command line) is not one
    /// choice digit per decision.
    #[error("encoding `{text}`: {message}")]
    InvalidEncoding { text: String, message: String },

    /// `threshold_top` was asked for a fraction outside (0, 1].
    #[error("top fraction {fraction} is outside (0, 1]")]
    InvalidFraction { fraction: f64 },

    /// A plot could not be produced (unknown extension, no data, drawing backend failure).
    #[error("cannot draw plot {path}: {message}")]
    Plot { path: PathBuf, message: String },
}
