//! Frozen payload structs of schema version 1, for the kinds whose struct changed in
//! schema 2 (`reward_observed`, `policy_updated`). Kinds not listed here have the same
//! struct in every version. NEVER edit these: they describe bytes already on disk
//! (tests/golden/v1). Each is upcast to the current struct with the new fields neutral.
//!
//! Public so tests and import tools can produce schema-1 payloads byte for byte.

use serde::{Deserialize, Serialize};

use crate::store::event::{self, BlobRef, PolicyStats, RewardSource};

/// `reward_observed` (kind 4) as written by schema 1: no critic estimate.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RewardObserved {
    pub experiment: u64,
    pub index: u64,
    pub source: RewardSource,
    pub accuracy: f64,
    pub macs: u64,
    pub params: u64,
    pub reward: f64,
    pub train_seconds: f64,
    pub failure: Option<String>,
}

/// `policy_updated` (kind 5) as written by schema 1: no replayed samples.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PolicyUpdated {
    pub experiment: u64,
    pub version: u64,
    pub weights: BlobRef,
    pub baseline: Option<f64>,
    pub samples: Vec<u64>,
    pub stats: PolicyStats,
}

/// Schema 1 had no critic, so no reward carried an estimate.
impl From<RewardObserved> for event::RewardObserved {
    fn from(v: RewardObserved) -> Self {
        event::RewardObserved {
            experiment: v.experiment,
            index: v.index,
            source: v.source,
            accuracy: v.accuracy,
            macs: v.macs,
            params: v.params,
            reward: v.reward,
            train_seconds: v.train_seconds,
            failure: v.failure,
            critic: None,
        }
    }
}

/// Schema 1 had no experience buffer, so no update replayed old samples.
impl From<PolicyUpdated> for event::PolicyUpdated {
    fn from(v: PolicyUpdated) -> Self {
        event::PolicyUpdated {
            experiment: v.experiment,
            version: v.version,
            weights: v.weights,
            baseline: v.baseline,
            samples: v.samples,
            stats: v.stats,
            replayed: Vec::new(),
        }
    }
}
