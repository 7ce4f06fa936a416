//! The search loop: sample a batch from the policy, evaluate it on the worker threads, learn
//! from it, record every step. A killed search resumes from its last policy update; since
//! every sample's randomness derives from (seed, index), the resumed run ends exactly where
//! an uninterrupted one would.

use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::{bounded, unbounded};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::agent::{Controller, EmaBaseline};
use crate::replay::{fold_store, ExperimentState};
use crate::space::{Arch, Space};
use crate::store::{
    ArchSampled, EndReason, Event, ExperimentEnded, ExperimentStarted, PolicyStats, PolicyUpdated,
    RewardObserved, Store, TaskRegistered,
};
use crate::train::{load_task, Dataset};

use super::evaluator::{EvaluatorFactory, TrainedEvaluatorFactory};
use super::journal::Journal;
use super::learner::{policy_step, single_threaded, BatchItem};
use super::seeds::{sampling_rng, training_seed};
use super::workers::{run_worker, Done, Job};
use super::{PipelineError, SearchConfig};

/// How a search begins.
pub enum Start {
    New(SearchConfig),
    /// Continue experiment `id` from its last policy update.
    Resume { experiment: u64 },
}

/// Presentation switches that do not change results.
#[derive(Clone, Debug, Default)]
pub struct SearchOptions {
    pub show_progress: bool,
    pub print_acks: bool,
}

/// What a finished search reports.
#[derive(Clone, Debug)]
pub struct SearchOutcome {
    pub experiment: u64,
    pub samples: u64,
    pub best: Option<(u64, Arch, f64, f64)>,
    pub summary_hash: String,
    pub seconds: f64,
}

/// Runs (or resumes) a search to its budget. Everything that can fail on user input (task,
/// space, config) is checked before the first event is appended.
pub fn run_search(store: &Store, start: Start, opts: &SearchOptions) -> Result<SearchOutcome, PipelineError> {
    let began = Instant::now();
    let state = fold_store(store)?;
    let (config, resume_id) = match start {
        Start::New(config) => (config, None),
        Start::Resume { experiment } => {
            let exp = state.get(experiment)?;
            if exp.ended.is_some() {
                return Err(PipelineError::Invalid(format!(
                    "experiment {experiment} already finished; start a new search instead of --resume"
                )));
            }
            let config = SearchConfig::from_json(&exp.started.config_json).map_err(|e| {
                PipelineError::Invalid(format!("experiment {experiment}: recorded config unreadable: {e}"))
            })?;
            (config, Some(experiment))
        }
    };
    validate(&config)?;
    let space = Space::builtin(&config.space)?;
    let data = Arc::new(load_task(&config.task, &config.data)?);
    check_task(&state.tasks, &config.task_name, &data)?;

    let mut journal = Journal::open(store, state, opts.print_acks)?;
    let sizes = space.decision_sizes();
    let (experiment, mut controller, mut baseline, mut version) = match resume_id {
        None => begin_experiment(&mut journal, &config, &space, &data, &sizes)?,
        Some(id) => {
            if space.hash() != journal.state.get(id)?.started.space_hash {
                return Err(PipelineError::Invalid(format!(
                    "experiment {id} was recorded with another version of space '{}'",
                    config.space
                )));
            }
            let (controller, baseline, version) = current_policy(&mut journal, id, &config, &sizes)?;
            (id, controller, baseline, version)
        }
    };

    configure_threads(config.workers);
    let factory = TrainedEvaluatorFactory {
        space: space.clone(),
        data,
        proxy: config.proxy.clone(),
        objective: config.objective.clone(),
    };
    let progress = progress_bar(opts.show_progress, config.budget);
    let result = std::thread::scope(|scope| -> Result<(), PipelineError> {
        let (job_tx, job_rx) = unbounded::<Job>();
        let (done_tx, done_rx) = bounded::<Done>(config.batch_size.max(1));
        let mut handles = Vec::new();
        for _ in 0..config.workers {
            let (jobs, done, factory) = (job_rx.clone(), done_tx.clone(), &factory as &dyn EvaluatorFactory);
            handles.push(scope.spawn(move || run_worker(factory, jobs, done)));
        }
        drop((job_rx, done_tx));
        let outcome = (|| {
            let batch = config.batch_size as u64;
            loop {
                let first = version * batch;
                if first >= config.budget {
                    return Ok(());
                }
                let indices: Vec<u64> = (first..(first + batch).min(config.budget)).collect();
                sample_batch(&mut journal, experiment, &config, &controller, version, &indices)?;
                evaluate_batch(&mut journal, experiment, &indices, &config, &job_tx, &done_rx, &progress)?;
                version += 1;
                learn(&mut journal, experiment, &mut controller, &mut baseline, version, &indices)?;
            }
        })();
        drop(job_tx);
        for h in handles {
            match h.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(PipelineError::Worker(e)),
                Err(_) => return Err(PipelineError::Worker("a trainer thread panicked".into())),
            }
        }
        outcome
    });
    progress.finish_and_clear();
    result?;

    let exp = journal.state.get(experiment)?;
    let summary_hash = exp.summary_hash();
    let samples = exp.rewarded_count();
    let policy = exp.latest_policy().map(|p| p.weights.clone());
    journal.append(Event::ExperimentEnded(ExperimentEnded {
        experiment,
        reason: EndReason::Finished,
        samples,
        summary_hash: summary_hash.clone(),
        policy,
    }))?;
    let exp = journal.state.get(experiment)?;
    Ok(SearchOutcome {
        experiment,
        samples,
        best: exp.best().map(|(s, r)| (s.index, Arch::new(s.tokens.clone()), r.reward, r.accuracy)),
        summary_hash,
        seconds: began.elapsed().as_secs_f64(),
    })
}

fn validate(config: &SearchConfig) -> Result<(), PipelineError> {
    let bad = |flag: &str, why: &str| Err(PipelineError::Invalid(format!("--{flag}: {why}")));
    if config.budget == 0 {
        return bad("budget", "must be at least 1");
    }
    if config.batch_size == 0 {
        return bad("batch", "must be at least 1");
    }
    if config.workers == 0 {
        return bad("workers", "must be at least 1");
    }
    if !(0.0..1.0).contains(&config.baseline_decay) {
        return bad("baseline-decay", "must be in [0, 1)");
    }
    Ok(())
}

/// A task name stands for one dataset: the same name with other data is refused.
fn check_task(
    tasks: &std::collections::BTreeMap<String, TaskRegistered>,
    name: &str,
    data: &Dataset,
) -> Result<(), PipelineError> {
    match tasks.get(name) {
        Some(t) if t.fingerprint != data.fingerprint => Err(PipelineError::Invalid(format!(
            "task '{name}' is registered in this store with other data (fingerprint {} vs {}); use --task-name to register it under another name",
            short(&t.fingerprint),
            short(&data.fingerprint)
        ))),
        _ => Ok(()),
    }
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

fn begin_experiment(
    journal: &mut Journal<'_>,
    config: &SearchConfig,
    space: &Space,
    data: &Dataset,
    sizes: &[usize],
) -> Result<(u64, Controller, EmaBaseline, u64), PipelineError> {
    if !journal.state.tasks.contains_key(&config.task_name) {
        journal.append(Event::TaskRegistered(TaskRegistered {
            task: config.task_name.clone(),
            fingerprint: data.fingerprint.clone(),
            input_shape: [data.channels, data.height, data.width].iter().map(|&d| d as u32).collect(),
            classes: data.classes as u32,
            train_samples: data.train.labels.len() as u64,
            val_samples: data.val.labels.len() as u64,
        }))?;
    }
    let experiment = journal.append(Event::ExperimentStarted(ExperimentStarted {
        task: config.task_name.clone(),
        space: space.name().to_string(),
        space_hash: space.hash(),
        seed: config.seed,
        config_json: config.to_json(),
        resumes: None,
    }))?;
    let (controller, baseline, version) = current_policy(journal, experiment, config, sizes)?;
    Ok((experiment, controller, baseline, version))
}

/// The experiment's latest policy, or its initial one (made from the seed and recorded as
/// version 0) when none was recorded yet, e.g. after a crash right after the start event.
fn current_policy(
    journal: &mut Journal<'_>,
    experiment: u64,
    config: &SearchConfig,
    sizes: &[usize],
) -> Result<(Controller, EmaBaseline, u64), PipelineError> {
    if let Some(latest) = journal.state.get(experiment)?.latest_policy().cloned() {
        let bytes = journal.blobs().get(&latest.weights)?;
        let controller = Controller::from_bytes_checked(&bytes, sizes)?;
        let baseline = EmaBaseline { decay: config.baseline_decay, value: latest.baseline };
        return Ok((controller, baseline, latest.version));
    }
    let controller = Controller::new(sizes, config.controller.clone(), config.seed)?;
    let weights = journal.put_blob(&controller.to_bytes())?;
    journal.append(Event::PolicyUpdated(PolicyUpdated {
        experiment,
        version: 0,
        weights,
        baseline: None,
        samples: Vec::new(),
        stats: PolicyStats::default(),
    }))?;
    Ok((controller, EmaBaseline { decay: config.baseline_decay, value: None }, 0))
}

/// Samples the batch's architectures not yet recorded (a resumed batch keeps its samples:
/// they were drawn from the same policy with the same per-index generators).
fn sample_batch(
    journal: &mut Journal<'_>,
    experiment: u64,
    config: &SearchConfig,
    controller: &Controller,
    version: u64,
    indices: &[u64],
) -> Result<(), PipelineError> {
    let exp = journal.state.get(experiment)?;
    let mut events = Vec::new();
    for &index in indices {
        if exp.samples.contains_key(&index) {
            continue;
        }
        let sampled = single_threaded(|| controller.sample(&mut sampling_rng(config.seed, index)));
        events.push(Event::ArchSampled(ArchSampled {
            experiment,
            index,
            tokens: sampled.tokens,
            log_probs: sampled.log_probs,
            policy_version: version,
        }));
    }
    journal.append_all(events)?;
    Ok(())
}

fn evaluate_batch(
    journal: &mut Journal<'_>,
    experiment: u64,
    indices: &[u64],
    config: &SearchConfig,
    jobs: &crossbeam_channel::Sender<Job>,
    done: &crossbeam_channel::Receiver<Done>,
    progress: &ProgressBar,
) -> Result<(), PipelineError> {
    let exp = journal.state.get(experiment)?;
    let pending: Vec<Job> = indices
        .iter()
        .filter_map(|i| exp.samples.get(i))
        .filter(|rec| rec.reward.is_none())
        .map(|rec| Job {
            index: rec.sampled.index,
            arch: Arch::new(rec.sampled.tokens.clone()),
            seed: training_seed(config.seed, rec.sampled.index),
        })
        .collect();
    progress.set_position(exp.rewarded_count());
    update_message(progress, journal.state.get(experiment)?);
    let outstanding = pending.len();
    // The job channel is unbounded: a batch is small, and queueing it whole means the
    // sender never waits on workers that are themselves waiting to report.
    for job in pending {
        jobs.send(job).map_err(|_| PipelineError::Worker("all trainer threads stopped".into()))?;
    }
    for _ in 0..outstanding {
        let finished = done
            .recv()
            .map_err(|_| PipelineError::Worker("all trainer threads stopped".into()))?;
        journal.append(Event::RewardObserved(reward_event(experiment, finished)))?;
        progress.inc(1);
        update_message(progress, journal.state.get(experiment)?);
    }
    Ok(())
}

fn reward_event(experiment: u64, finished: Done) -> RewardObserved {
    match finished.result {
        Ok(e) => RewardObserved {
            experiment,
            index: finished.index,
            source: e.source,
            accuracy: e.accuracy,
            macs: e.macs,
            params: e.params,
            reward: e.reward,
            train_seconds: e.train_seconds,
            failure: e.failure,
        },
        Err(message) => RewardObserved {
            experiment,
            index: finished.index,
            source: crate::store::RewardSource::Trained,
            accuracy: 0.0,
            macs: 0,
            params: 0,
            reward: 0.0,
            train_seconds: 0.0,
            failure: Some(message),
        },
    }
}

/// PPO on the finished batch, then the new weights (blob first, then the event).
fn learn(
    journal: &mut Journal<'_>,
    experiment: u64,
    controller: &mut Controller,
    baseline: &mut EmaBaseline,
    version: u64,
    indices: &[u64],
) -> Result<(), PipelineError> {
    let exp = journal.state.get(experiment)?;
    let batch = batch_items(exp, indices)?;
    let stats = policy_step(controller, baseline, &batch)?;
    let mean_reward = batch.iter().map(|b| b.reward).sum::<f64>() / batch.len().max(1) as f64;
    let weights = journal.put_blob(&controller.to_bytes())?;
    journal.append(Event::PolicyUpdated(PolicyUpdated {
        experiment,
        version,
        weights,
        baseline: baseline.value,
        samples: indices.to_vec(),
        stats: PolicyStats {
            loss: stats.loss,
            entropy: stats.entropy,
            clip_fraction: stats.clip_fraction,
            approx_kl: stats.approx_kl,
            mean_reward,
            mean_advantage: stats.mean_advantage,
        },
    }))?;
    Ok(())
}

/// The learner's view of recorded samples, in index order. Shared with `replay --verify`.
pub fn batch_items<'a>(exp: &'a ExperimentState, indices: &[u64]) -> Result<Vec<BatchItem<'a>>, PipelineError> {
    indices
        .iter()
        .map(|i| {
            let rec = exp.samples.get(i).ok_or_else(|| {
                PipelineError::Invalid(format!("experiment {}: sample {i} missing from the log", exp.id))
            })?;
            let reward = rec.reward.as_ref().ok_or_else(|| {
                PipelineError::Invalid(format!("experiment {}: sample {i} has no reward", exp.id))
            })?;
            Ok(BatchItem { tokens: &rec.sampled.tokens, log_probs: &rec.sampled.log_probs, reward: reward.reward })
        })
        .collect()
}

/// One trainer per core; libtorch's intra-op threads then split what is left, never more
/// threads than cores (stack.md: 2 single-threaded trainers beat one 2-threaded trainer).
fn configure_threads(workers: usize) {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    tch::set_num_threads((cores / workers.max(1)).max(1) as i32);
}

fn progress_bar(show: bool, budget: u64) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(budget), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} ETA {eta} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

fn update_message(progress: &ProgressBar, exp: &ExperimentState) {
    if let Some((s, r)) = exp.best() {
        progress.set_message(format!("best reward {:.4} (acc {:.2}%, #{})", r.reward, r.accuracy * 100.0, s.index));
    }
}
