//! Architecture experience buffer (AEB, Section 5 of the FNAS paper): past samples are reused
//! in PPO batches, drawn by reward priority P_i = softmax(r_i / T) and weighted by
//! S_i = (N P_i)^-beta, with beta annealed over the search and at most a fixed fraction of
//! each batch old. The PPO ratio of an old sample uses its recorded log-probs.
//!
//! This is the self-contained, deterministic core: no tensors, no store. The buffer is a
//! projection of reward events (push them in log order to rebuild it) and every random choice
//! comes from an explicit ChaCha8 stream.
//!
//! Files, one job each: [`config`] (settings, beta schedule, old-sample cap), [`entry`] (one
//! sample), [`experience`] (the buffer), `priority` (log-space softmax and IS weights), `draw`
//! (Gumbel-top-k sampling without replacement), [`error`].

pub mod config;
mod draw;
pub mod entry;
pub mod error;
pub mod experience;
mod priority;

pub use config::{BufferConfig, Retention};
pub use entry::BufferEntry;
pub use error::BufferError;
pub use experience::ExperienceBuffer;
