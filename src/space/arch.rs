//! The architecture token vector: the one representation of a sampled network that every
//! subsystem shares (the controller emits it, the log stores it, evaluators consume it).

use serde::{Deserialize, Serialize};

/// One choice index per decision, decisions in space order (block-major). Kept as plain
/// bytes because every space has fewer than 256 choices per decision and the log stores
/// millions of them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Arch {
    pub tokens: Vec<u8>,
}

impl Arch {
    pub fn new(tokens: Vec<u8>) -> Self {
        Arch { tokens }
    }
}

impl std::fmt::Display for Arch {
    /// Compact form used in tables and logs: one base-36 digit per decision.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for t in &self.tokens {
            let c = std::char::from_digit(u32::from(*t), 36).unwrap_or('?');
            write!(f, "{c}")?;
        }
        Ok(())
    }
}
