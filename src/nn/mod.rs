//! Small libtorch (tch) utilities shared by the learned parts of the search: the controller in
//! `agent` and the critic in `critic`.
//!
//! Why a module of its own: both train raw tch variables whose optimiser state must survive a
//! checkpoint bit-for-bit (a resumed search has to continue exactly like an uninterrupted one),
//! both initialise from an explicit seed instead of tch's global RNG, and both validate the
//! same optimiser settings. Written once here, the two cannot drift apart.
//!
//! Files, one job each: [`adam`] (hand-written Adam / AdamW with readable state),
//! [`checkpoint`] (the deterministic byte container for variables plus Adam state),
//! [`init`] (seeded uniform values), [`tensor`] (copying values into variables),
//! [`validate`] (range checks naming the config field at fault), [`error`].
//! Knows nothing of controllers, critics or search spaces.

pub mod adam;
pub mod checkpoint;
pub mod error;
pub mod init;
pub mod tensor;
pub mod validate;

pub use adam::{Adam, AdamHyper, Slot};
pub use checkpoint::{Decoded, Format, TensorMeta};
pub use error::NnError;
pub use init::SeededUniform;
