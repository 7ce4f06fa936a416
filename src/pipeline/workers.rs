//! Trainer threads: each owns its evaluator (and so its own tensors and network) and takes
//! jobs from one bounded channel, so a slow network never blocks the others.

use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};

use crate::space::Arch;

use super::evaluator::{Evaluation, EvaluatorFactory};
use super::lkp::{LkpJob, TrainedPart};

/// An architecture to evaluate, with the seed that makes its training reproducible.
pub struct Job {
    pub index: u64,
    pub arch: Arch,
    pub seed: u64,
    /// With `--modules lkp`: the parts recalled from the pool and the keys to checkpoint
    /// under (shared, read-only).
    pub lkp: Option<Arc<LkpJob>>,
}

/// A finished job. An evaluation error is reported as text: it becomes a zero-reward
/// sample with its reason recorded, never a crash of the search.
pub struct Done {
    pub index: u64,
    pub result: Result<Evaluation, String>,
}

impl Done {
    /// Takes the trained parts out of a successful evaluation (empty without `lkp`).
    pub fn take_parts(&mut self) -> Vec<TrainedPart> {
        match &mut self.result {
            Ok(e) => std::mem::take(&mut e.parts),
            Err(_) => Vec::new(),
        }
    }
}

/// Body of one worker thread. Returns an error only when the evaluator itself cannot be
/// created (for example the dataset cannot be turned into tensors).
pub fn run_worker(
    factory: &dyn EvaluatorFactory,
    jobs: Receiver<Job>,
    done: Sender<Done>,
) -> Result<(), String> {
    let mut evaluator = factory.make().map_err(|e| e.to_string())?;
    for job in jobs {
        let result = evaluator
            .evaluate_with(&job.arch, job.seed, job.lkp.as_deref())
            .map_err(|e| e.to_string());
        if done
            .send(Done {
                index: job.index,
                result,
            })
            .is_err()
        {
            break;
        }
    }
    Ok(())
}
