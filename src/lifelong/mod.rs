//! Lifelong knowledge: one store holds many tasks, and what was learned on one task (the
//! critic, the pool of trained blocks, whole search histories) travels to other stores as a
//! self-contained knowledge package, with its provenance recorded on arrival.
//!
//! Files, one job each: [`package`] (the file format: header, envelopes, blobs, checksum),
//! [`select`] (which events make up a package), [`export`], [`import`] (verify, remap,
//! append atomically), [`remap`] (experiment ids move on import), [`tasks`] (the listing),
//! [`error`]. The warm start that uses imported knowledge lives in `pipeline::prior`.

pub mod error;
pub mod export;
pub mod import;
pub mod package;
pub mod remap;
pub mod select;
pub mod tasks;

pub use error::LifelongError;
pub use export::{export_file, export_to, ExportReport};
pub use import::{import_file, import_from, ImportReport};
pub use package::{read_package, PackageHeader, Verified, FORMAT_VERSION, MAGIC};
pub use select::{select, Selected, Selection, What};
pub use tasks::{list_tasks, TaskSummary};
