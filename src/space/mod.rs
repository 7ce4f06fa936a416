//! Search spaces as data (schema/spaces/*.toml): blocks of categorical decisions, the `Arch`
//! token vector, its one-hot and per-block encodings, decoding of MnasNet archs into concrete
//! networks and the MACs/params cost model. Knows nothing of tch or sled so every other
//! subsystem can depend on it cheaply.

pub mod arch;
pub mod cost;
mod definition;
mod encode;
pub mod error;
pub mod mnas;
pub mod net;
pub mod reference;
mod schema;

pub use arch::Arch;
pub use cost::{cost, Cost};
pub use definition::Space;
pub use error::SpaceError;
pub use mnas::{mnas_net, round_filters};
pub use net::{same_out, ConvOp, LayerSpec, NetSpec, SkipOp};
pub use reference::{mnasnet_a1, mobilenet_v2};
pub use schema::{Block, Decision};
