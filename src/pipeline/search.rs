//! The search loop: propose a batch, evaluate it on the worker threads, learn from it,
//! record every step. A killed search resumes from its log; since every sample's randomness
//! derives from (seed, index), the resumed run ends exactly where an uninterrupted one would.
//! An architecture already evaluated in the experiment is never evaluated again: the fold
//! gives it the earlier reward, and the budget counts distinct evaluations.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, unbounded, Receiver, Sender};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::replay::{fold_store, ExperimentState, Experiments};
use crate::space::{Arch, Space};
use crate::store::{
    CriticEstimate, EndReason, Event, ExperimentEnded, ExperimentStarted, RewardObserved,
    RewardSource, Store,
};

use super::decider::{prior_candidates, propose_batch};
use super::journal::Journal;
use super::policy::Policy;
use super::prior::{validate_prior, warm_start};
use super::replay_buffer::old_count;
use super::seeds::training_seed;
use super::task::TaskData;
use super::uac::CriticState;
use super::workers::{run_worker, Done, Job};
use super::{PipelineError, SearchConfig};

/// How a search begins.
pub enum Start {
    New(SearchConfig),
    /// Continue experiment `id` from its log.
    Resume {
        experiment: u64,
    },
}

/// Presentation switches that do not change results.
#[derive(Clone, Debug, Default)]
pub struct SearchOptions {
    pub show_progress: bool,
    pub print_acks: bool,
    /// Say on stderr which experiment runs and how to resume it, before the first sample.
    pub announce: bool,
}

/// Where the wall time of a search went (not recorded in the log: not deterministic).
#[derive(Clone, Debug, Default)]
pub struct Timings {
    /// Proposing architectures (controller sampling or a baseline's proposals).
    pub propose: Duration,
    /// Waiting for evaluations (training or table look-ups on the workers).
    pub evaluate: Duration,
    /// Learning (PPO update, checkpoint blob) and its event.
    pub learn: Duration,
    /// Durable appends of sampled/reward events.
    pub record: Duration,
}

/// What a finished search reports.
#[derive(Clone, Debug)]
pub struct SearchOutcome {
    pub experiment: u64,
    /// The space the experiment searched (a resumed search takes it from the log).
    pub space: String,
    /// Distinct architectures evaluated.
    pub evaluations: u64,
    /// Architectures proposed (repeats included).
    pub proposals: u64,
    pub best: Option<(u64, Arch, f64, f64)>,
    pub summary_hash: String,
    pub seconds: f64,
    pub timings: Timings,
}

/// Runs (or resumes) a search to its budget. Everything that can fail on user input (task,
/// space, config) is checked before the first event is appended.
pub fn run_search(
    store: &Store,
    start: Start,
    opts: &SearchOptions,
) -> Result<SearchOutcome, PipelineError> {
    let began = Instant::now();
    let state = fold_store(store)?;
    let (config, resume_id) = match start {
        Start::New(config) => (config, None),
        Start::Resume { experiment } => (resumable_config(&state, experiment)?, Some(experiment)),
    };
    validate(&config)?;
    let space = Space::builtin(&config.space)?;
    let task = TaskData::load(&config, &space)?;
    check_task(&state, &config.task_name, task.fingerprint())?;
    if resume_id.is_none() {
        validate_prior(store, &config, &space)?;
    }
    if let Some(id) = resume_id {
        if space.hash() != state.get(id)?.started.space_hash {
            return Err(PipelineError::Invalid(format!(
                "experiment {id} was recorded with another version of space '{}'",
                config.space
            )));
        }
    }

    let mut journal = Journal::open(store, state, opts.print_acks)?;
    if config.lkp.is_some() {
        journal.enable_pool(store)?;
    }
    let experiment = match resume_id {
        Some(id) => id,
        None => begin_experiment(&mut journal, &config, &space, &task)?,
    };
    if opts.announce {
        eprintln!(
            "experiment {experiment} {} ({} on {}, budget {}); if stopped, continue with: fnas search --store {} --resume {experiment}",
            if resume_id.is_some() { "resumed" } else { "started" },
            config.strategy_name(),
            config.task_name,
            config.budget,
            store.dir().display()
        );
    }
    let mut policy = Policy::restore(&mut journal, experiment, &config, &space)?;
    let mut critic = match config.uac {
        Some(_) => Some(CriticState::restore(
            &journal,
            journal.state.get(experiment)?,
            &space,
        )?),
        None => None,
    };
    if let (Some(c), Some(uac)) = (critic.as_mut(), config.uac.as_ref()) {
        warm_start(store, &mut journal, experiment, &config, uac, &space, c)?;
    }
    let prior = prior_candidates(store, experiment, &config, &space)?;

    if matches!(task, TaskData::Images(_)) {
        configure_threads();
    }
    let factory = task.evaluators(&space, &config);
    let progress = progress_bar(opts.show_progress, config.budget);
    let mut timings = Timings::default();
    let result = std::thread::scope(|scope| -> Result<(), PipelineError> {
        let (job_tx, job_rx) = unbounded::<Job>();
        let (done_tx, done_rx) = bounded::<Done>(config.batch_size.max(1));
        let mut handles = Vec::new();
        for _ in 0..config.workers {
            let (jobs, done, factory) = (job_rx.clone(), done_tx.clone(), factory.as_ref());
            handles.push(scope.spawn(move || run_worker(factory, jobs, done)));
        }
        drop((job_rx, done_tx));
        let outcome = (|| loop {
            let exp = journal.state.get(experiment)?;
            progress.set_position(exp.distinct_evaluations());
            update_message(&progress, exp);
            let mut batch: Vec<u64> = exp
                .samples
                .range(policy.learned_upto()..)
                .map(|(i, _)| *i)
                .collect();
            if batch.is_empty() {
                let remaining = config.budget.saturating_sub(exp.distinct_evaluations());
                let next = exp.next_index();
                if remaining == 0 || next >= config.max_proposals {
                    return Ok(());
                }
                // With AEB, old samples from the buffer fill part of the PPO batch.
                let old = match &config.aeb {
                    Some(aeb) => old_count(exp, aeb, next, config.batch_size)? as u64,
                    None => 0,
                };
                let new = (config.batch_size as u64).saturating_sub(old).max(1);
                let size = remaining.min(new).min(config.max_proposals - next);
                let t = Instant::now();
                let events = propose_batch(
                    &journal.state,
                    experiment,
                    &config,
                    &space,
                    &mut policy,
                    critic.as_ref(),
                    &prior,
                    size,
                )?;
                timings.propose += t.elapsed();
                let t = Instant::now();
                journal.append_all(events)?;
                batch = journal
                    .state
                    .get(experiment)?
                    .samples
                    .range(next..)
                    .map(|(i, _)| *i)
                    .collect();
                timings.record += t.elapsed();
            }
            evaluate_batch(
                &mut journal,
                experiment,
                &batch,
                &config,
                &space,
                critic.as_ref(),
                &job_tx,
                &done_rx,
                &progress,
                &mut timings,
            )?;
            let t = Instant::now();
            // The policy update and the critic refit of a batch are one group commit: a
            // search killed in between would otherwise resume with the older critic.
            let mut learned: Vec<Event> = policy
                .learn(
                    &journal,
                    experiment,
                    &batch,
                    &config,
                    &space,
                    critic.as_ref(),
                )?
                .into_iter()
                .collect();
            if let (Some(c), Some(uac)) = (critic.as_mut(), config.uac.as_ref()) {
                learned.extend(c.refit(&journal, experiment, uac, config.seed, &space)?);
            }
            journal.append_all(learned)?;
            timings.learn += t.elapsed();
        })();
        drop(job_tx);
        for h in handles {
            match h.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(PipelineError::Worker(e)),
                Err(_) => return Err(PipelineError::Worker("a worker thread panicked".into())),
            }
        }
        outcome
    });
    progress.finish_and_clear();
    result?;

    let exp = journal.state.get(experiment)?;
    let summary_hash = exp.summary_hash();
    let policy_blob = exp.latest_policy().map(|p| p.weights.clone());
    // A strategy that keeps re-proposing what it has seen stops at the proposal cap.
    let reason = if exp.distinct_evaluations() < config.budget {
        if opts.announce {
            eprintln!(
                "warning: experiment {experiment} stopped at the proposal cap ({} proposals) after {} of {} distinct evaluations: the strategy keeps re-proposing known architectures",
                config.max_proposals,
                exp.distinct_evaluations(),
                config.budget
            );
        }
        EndReason::Stopped
    } else {
        EndReason::Finished
    };
    journal.append(Event::ExperimentEnded(ExperimentEnded {
        experiment,
        reason,
        samples: exp.rewarded_count(),
        summary_hash: summary_hash.clone(),
        policy: policy_blob,
    }))?;
    let exp = journal.state.get(experiment)?;
    Ok(SearchOutcome {
        experiment,
        space: config.space.clone(),
        evaluations: exp.distinct_evaluations(),
        proposals: exp.next_index(),
        best: exp
            .best()
            .map(|(s, r)| (s.index, Arch::new(s.tokens.clone()), r.reward, r.accuracy)),
        summary_hash,
        seconds: began.elapsed().as_secs_f64(),
        timings,
    })
}

fn resumable_config(state: &Experiments, experiment: u64) -> Result<SearchConfig, PipelineError> {
    let exp = state.get(experiment)?;
    if exp.ended.is_some() {
        return Err(PipelineError::Invalid(format!(
            "experiment {experiment} already finished; start a new search instead of --resume"
        )));
    }
    SearchConfig::from_json(&exp.started.config_json).map_err(|e| {
        PipelineError::Invalid(format!(
            "experiment {experiment}: recorded config unreadable: {e}"
        ))
    })
}

/// More trainer threads than this only exhausts the OS: a search recorded with them could
/// never be started or resumed.
const MAX_WORKERS: usize = 256;

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
    if config.workers > MAX_WORKERS {
        return bad(
            "workers",
            &format!("at most {MAX_WORKERS} trainer threads (one per core is the useful number)"),
        );
    }
    if config.max_proposals < config.budget {
        return bad("max-proposals", "must be at least the budget");
    }
    if let Ok(space) = Space::builtin(&config.space) {
        let size: f64 = space.decision_sizes().iter().map(|&n| n as f64).product();
        if config.budget as f64 > size {
            return bad(
                "budget",
                &format!(
                    "{} exceeds the {size} distinct architectures of space '{}'",
                    config.budget, config.space
                ),
            );
        }
    }
    if !(0.0..1.0).contains(&config.baseline_decay) {
        return bad("baseline-decay", "must be in [0, 1)");
    }
    Ok(())
}

/// A task name stands for one dataset: the same name with other data is refused.
fn check_task(state: &Experiments, name: &str, fingerprint: &str) -> Result<(), PipelineError> {
    match state.tasks.get(name) {
        Some(t) if t.fingerprint != fingerprint => Err(PipelineError::Invalid(format!(
            "task '{name}' is registered in this store with other data (fingerprint {} vs {}); use --task-name to register it under another name",
            short(&t.fingerprint),
            short(fingerprint)
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
    task: &TaskData,
) -> Result<u64, PipelineError> {
    if !journal.state.tasks.contains_key(&config.task_name) {
        journal.append(Event::TaskRegistered(task.registration(&config.task_name)))?;
    }
    journal.append(Event::ExperimentStarted(ExperimentStarted {
        task: config.task_name.clone(),
        space: space.name().to_string(),
        space_hash: space.hash(),
        seed: config.seed,
        config_json: config.to_json(),
        resumes: None,
    }))
}

/// Evaluates the batch's samples that have no reward yet, each distinct architecture once
/// (a repeat inside the batch gets the first one's reward through the fold).
#[allow(clippy::too_many_arguments)]
fn evaluate_batch(
    journal: &mut Journal<'_>,
    experiment: u64,
    indices: &[u64],
    config: &SearchConfig,
    space: &Space,
    critic: Option<&CriticState>,
    jobs: &Sender<Job>,
    done: &Receiver<Done>,
    progress: &ProgressBar,
    timings: &mut Timings,
) -> Result<(), PipelineError> {
    let exp = journal.state.get(experiment)?;
    let mut seen = HashSet::new();
    let mut pending: Vec<Job> = indices
        .iter()
        .filter_map(|i| exp.samples.get(i))
        .filter(|rec| rec.reward.is_none() && seen.insert(rec.sampled.tokens.clone()))
        .map(|rec| Job {
            index: rec.sampled.index,
            arch: Arch::new(rec.sampled.tokens.clone()),
            seed: training_seed(config.seed, rec.sampled.index),
            lkp: None,
        })
        .collect();
    let first = indices.iter().min().copied();
    super::lkp::plan_batch(
        journal,
        config.lkp.as_ref(),
        &config.task_name,
        space,
        experiment,
        first,
        &mut pending,
    )?;
    // The critic's opinion at decision time, recorded with the measured reward: the honest
    // out-of-sample error the sigma policy and `critic eval` use.
    let mut estimates = std::collections::HashMap::new();
    if let Some(c) = critic {
        for job in &pending {
            if let Some(e) = c.estimate(space, &job.arch.tokens)? {
                estimates.insert(job.index, e);
            }
        }
    }
    let outstanding = pending.len();
    // The job channel is unbounded: a batch is small, and queueing it whole means the
    // sender never waits on workers that are themselves waiting to report.
    for job in pending {
        jobs.send(job)
            .map_err(|_| PipelineError::Worker("all worker threads stopped".into()))?;
    }
    for _ in 0..outstanding {
        let t = Instant::now();
        let mut finished = done
            .recv()
            .map_err(|_| PipelineError::Worker("all worker threads stopped".into()))?;
        timings.evaluate += t.elapsed();
        let t = Instant::now();
        let estimate = estimates.remove(&finished.index);
        let parts = finished.take_parts();
        let reward = reward_event(experiment, finished, estimate);
        let checkpoints =
            super::lkp::checkpoint_events(journal, &config.task_name, &reward, parts)?;
        journal.append_all(
            [Event::RewardObserved(reward)]
                .into_iter()
                .chain(checkpoints)
                .collect(),
        )?;
        timings.record += t.elapsed();
        let exp = journal.state.get(experiment)?;
        progress.set_position(exp.distinct_evaluations());
        update_message(progress, exp);
    }
    Ok(())
}

fn reward_event(experiment: u64, finished: Done, critic: Option<CriticEstimate>) -> RewardObserved {
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
            critic,
        },
        Err(message) => RewardObserved {
            experiment,
            index: finished.index,
            source: RewardSource::Trained,
            accuracy: 0.0,
            macs: 0,
            params: 0,
            reward: 0.0,
            train_seconds: 0.0,
            failure: Some(message),
            critic,
        },
    }
}

/// One libtorch intra-op thread per process, whatever `--workers` is: with two intra-op
/// threads, a search killed mid-batch and resumed trained the rest of that batch to
/// slightly different weights than the uninterrupted search (measured: `--workers 1` on
/// 2 cores, `fnas search --task digits --budget 15 --batch 5`, killed after 8 rewards),
/// so resume and replay were no longer bit for bit. Speed comes from one trainer per core
/// (`--workers`, default: one per core), which stack.md measured faster anyway.
fn configure_threads() {
    tch::set_num_threads(1);
}

fn progress_bar(show: bool, budget: u64) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(budget), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} ETA {eta} {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

fn update_message(progress: &ProgressBar, exp: &ExperimentState) {
    if let Some((s, r)) = exp.best() {
        progress.set_message(format!(
            "best reward {:.4} (acc {:.2}%, #{})",
            r.reward,
            r.accuracy * 100.0,
            s.index
        ));
    }
}
