//! How good a critic is, from the log: its honest (out-of-sample) estimates recorded at
//! decision time against the rewards measured afterwards, over the course of a search, and
//! a recorded critic applied to another experiment's measured samples.

use serde::Serialize;

use crate::critic::{spearman, Critic};
use crate::pipeline::{CriticState, PipelineError};
use crate::replay::ExperimentState;
use crate::space::{Arch, Space};
use crate::store::{BlobStore, RewardSource};

/// Quality of V and U on a set of samples.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CriticQuality {
    pub samples: usize,
    pub spearman: f64,
    pub mean_abs_error: f64,
    /// Fraction of samples with |V - R| <= U: whether U is an honest error bar.
    pub coverage: f64,
}

impl CriticQuality {
    /// From (V, U, R) triples.
    pub fn of(triples: &[(f64, f64, f64)]) -> CriticQuality {
        if triples.is_empty() {
            return CriticQuality::default();
        }
        let n = triples.len() as f64;
        let v: Vec<f64> = triples.iter().map(|t| t.0).collect();
        let r: Vec<f64> = triples.iter().map(|t| t.2).collect();
        CriticQuality {
            samples: triples.len(),
            spearman: spearman(&v, &r),
            mean_abs_error: triples.iter().map(|(v, _, r)| (v - r).abs()).sum::<f64>() / n,
            coverage: triples
                .iter()
                .filter(|(v, u, r)| (v - r).abs() <= *u)
                .count() as f64
                / n,
        }
    }
}

/// (V, U, R) of every measured sample whose critic estimate was recorded before it was
/// evaluated, in index order.
pub fn out_of_sample(exp: &ExperimentState) -> Vec<(f64, f64, f64)> {
    exp.samples
        .values()
        .filter(|s| s.cached_from.is_none())
        .filter_map(|s| s.reward.as_ref())
        .filter(|r| r.source != RewardSource::Critic && r.failure.is_none())
        .filter_map(|r| {
            r.critic
                .as_ref()
                .map(|c| (c.value, c.uncertainty, r.reward))
        })
        .collect()
}

/// Out-of-sample quality in consecutive windows of `window` samples: the critic's Spearman
/// over the course of a search.
pub fn quality_over_time(exp: &ExperimentState, window: usize) -> Vec<CriticQuality> {
    out_of_sample(exp)
        .chunks(window.max(2))
        .map(CriticQuality::of)
        .collect()
}

/// The latest critic of `source` applied to the measured samples of `target`.
pub fn transfer_quality(
    blobs: &BlobStore,
    source: &ExperimentState,
    target: &ExperimentState,
    space: &Space,
) -> Result<CriticQuality, PipelineError> {
    let Some(c) = source.latest_critic() else {
        return Err(PipelineError::Invalid(format!(
            "experiment {} has no critic (search it with --modules uac)",
            source.id
        )));
    };
    let state = CriticState {
        critic: Some(Critic::from_bytes(&blobs.get(&c.weights)?)?),
        version: c.version,
        sigma: c.sigma,
    };
    let mut triples = Vec::new();
    for (s, r) in target.measured().filter(|(_, r)| r.failure.is_none()) {
        if let Some(e) = state.estimate(space, &Arch::new(s.tokens.clone()).tokens)? {
            triples.push((e.value, e.uncertainty, r.reward));
        }
    }
    Ok(CriticQuality::of(&triples))
}
