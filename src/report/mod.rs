//! Human-readable views of the log: one line per event for `fnas log`, ranked samples for
//! `fnas top`, the summary printed at the end of a search.

mod lines;
mod top;

pub use lines::event_line;
pub use top::{experiment_header, top_rows, TopRow};
