//! Human-readable views of the log: one line per event for `fnas log`, ranked samples for
//! `fnas top`, and the benchmark comparison for `fnas bench` / `fnas report`.

mod comparison;
mod critic;
mod lines;
mod top;

pub use comparison::{compare, Comparison, StrategyRow, REPORT_AT};
pub use critic::{out_of_sample, quality_over_time, transfer_quality, CriticQuality};
pub use lines::event_line;
pub use top::{experiment_header, top_rows, TopRow};
