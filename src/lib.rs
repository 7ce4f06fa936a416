//! fnas: fast sampling-based neural architecture search (FNAS) on an event-sourced store.
//!
//! The log in [`store`] is the single source of truth; every other subsystem is either a
//! producer of events (sampling, training, learning) or a projection folded from them.

pub mod agent;
pub mod bench;
pub mod buffer;
pub mod critic;
pub mod lifelong;
pub mod nn;
pub mod pipeline;
pub mod pool;
pub mod replay;
pub mod report;
pub mod space;
pub mod store;
pub mod train;
