//! Which events of a store make up a package: a task's critic, pool and/or history, or one
//! experiment's whole history (`fnas replay --into`). Whatever is selected stays foldable on
//! its own: every experiment an event names has its `experiment_started` in the package and
//! every task it names its `task_registered`.

use std::collections::{BTreeMap, BTreeSet};

use crate::store::{BlobRef, Event, Store};

use super::LifelongError;

/// The parts of a task's knowledge a package can hold (`--what pool,critic,history`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct What {
    /// The task's `block_checkpointed` events and their weights (the LKP pool).
    pub pool: bool,
    /// The task's `critic_updated` events and their weights (the UAC critic).
    pub critic: bool,
    /// Every event of the task's experiments: what a replay of them needs.
    pub history: bool,
}

impl What {
    /// Parses the `--what` list; unknown or empty lists are errors naming the flag.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<What, LifelongError> {
        let mut what = What::default();
        for item in items {
            match item.as_ref().trim() {
                "pool" => what.pool = true,
                "critic" => what.critic = true,
                "history" => what.history = true,
                "" => {}
                other => {
                    return Err(LifelongError::Invalid(format!(
                        "--what: unknown part '{other}' (expected pool, critic, history)"
                    )))
                }
            }
        }
        if what == What::default() {
            return Err(LifelongError::Invalid(
                "--what: name at least one of pool, critic, history".into(),
            ));
        }
        Ok(what)
    }

    /// The names, in a fixed order (recorded in the header and in `imported`).
    pub fn names(&self) -> Vec<String> {
        [
            ("pool", self.pool),
            ("critic", self.critic),
            ("history", self.history),
        ]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(n, _)| n.to_string())
        .collect()
    }
}

/// What to export.
#[derive(Clone, Debug)]
pub enum Selection {
    /// Parts of one task's knowledge.
    Task { task: String, what: What },
    /// One experiment's complete history (and the experiments its buffer replayed from).
    Experiment(u64),
}

/// The selected events (source seq order) and the blobs they name (each once, by hash).
#[derive(Debug)]
pub struct Selected {
    pub task: String,
    pub what: Vec<String>,
    pub experiments: Vec<u64>,
    pub events: Vec<(u64, Event)>,
    pub blobs: Vec<BlobRef>,
}

/// Scans `store` and selects the events of `selection`.
pub fn select(store: &Store, selection: &Selection) -> Result<Selected, LifelongError> {
    let mut all = Vec::new();
    for item in store.scan(1) {
        all.push(item?);
    }
    let started: BTreeMap<u64, (String, Option<u64>)> = all
        .iter()
        .filter_map(|(seq, e)| match e {
            Event::ExperimentStarted(s) => Some((*seq, (s.task.clone(), s.resumes))),
            _ => None,
        })
        .collect();
    let (task, what, mut keep_all): (String, Vec<String>, BTreeSet<u64>) = match selection {
        Selection::Task { task, what } => {
            if !all
                .iter()
                .any(|(_, e)| matches!(e, Event::TaskRegistered(t) if &t.task == task))
            {
                return Err(LifelongError::Invalid(format!(
                    "--task {task}: no such task in store {} (see `fnas tasks --store {}`)",
                    store.dir().display(),
                    store.dir().display()
                )));
            }
            let own: BTreeSet<u64> = match what.history {
                true => started
                    .iter()
                    .filter(|(_, (t, _))| t == task)
                    .map(|(id, _)| *id)
                    .collect(),
                false => BTreeSet::new(),
            };
            (task.clone(), what.names(), own)
        }
        Selection::Experiment(id) => {
            let (task, _) = started.get(id).ok_or_else(|| {
                LifelongError::Invalid(format!(
                    "--experiment {id}: no experiment {id} in store {}",
                    store.dir().display()
                ))
            })?;
            (
                task.clone(),
                vec!["history".to_string()],
                BTreeSet::from([*id]),
            )
        }
    };
    close_over_references(&all, &started, &mut keep_all);

    // Single events kept for the critic and pool parts, outside whole experiments.
    let mut picked: BTreeSet<u64> = BTreeSet::new();
    if let Selection::Task { task, what } = selection {
        for (seq, e) in &all {
            let pick = match e {
                Event::CriticUpdated(c) => {
                    what.critic && started.get(&c.experiment).is_some_and(|(t, _)| t == task)
                }
                Event::BlockCheckpointed(b) => what.pool && &b.task == task,
                _ => false,
            };
            if pick {
                picked.insert(*seq);
            }
        }
        for (part, kind) in [
            (what.critic, "critic_updated"),
            (what.pool, "block_checkpointed"),
        ] {
            let found = all
                .iter()
                .any(|(s, e)| picked.contains(s) && e.kind_name() == kind);
            if part && !found {
                return Err(LifelongError::Invalid(format!(
                    "--what: task '{task}' has no {kind} events in store {} to export{}",
                    store.dir().display(),
                    if kind == "critic_updated" {
                        " (search it with --modules uac)"
                    } else {
                        " (search it with --modules lkp)"
                    }
                )));
            }
        }
        if what.history && keep_all.is_empty() {
            return Err(LifelongError::Invalid(format!(
                "--what history: task '{task}' has no experiments in store {}",
                store.dir().display()
            )));
        }
    }

    // Experiments named by anything kept, and the tasks of those experiments.
    let mut experiments: BTreeSet<u64> = keep_all.clone();
    for (seq, e) in &all {
        if picked.contains(seq) {
            experiments.extend(e.experiment());
        }
    }
    let mut tasks: BTreeSet<String> = BTreeSet::from([task.clone()]);
    for id in &experiments {
        let (t, _) = started.get(id).ok_or_else(|| {
            LifelongError::Invalid(format!(
                "store {}: events name experiment {id}, which was never started",
                store.dir().display()
            ))
        })?;
        tasks.insert(t.clone());
    }

    let mut events = Vec::new();
    for (seq, e) in all {
        let keep = match &e {
            Event::TaskRegistered(t) => tasks.contains(&t.task),
            Event::ExperimentStarted(_) => experiments.contains(&seq),
            Event::Imported(_) => false,
            other => {
                picked.contains(&seq) || other.experiment().is_some_and(|x| keep_all.contains(&x))
            }
        };
        if keep {
            events.push((seq, e));
        }
    }
    let blobs: BTreeSet<BlobRef> = events
        .iter()
        .flat_map(|(_, e)| e.blobs().into_iter().cloned())
        .collect();
    Ok(Selected {
        task,
        what,
        experiments: experiments.into_iter().collect(),
        events,
        blobs: blobs.into_iter().collect(),
    })
}

/// Adds to `keep` every experiment a kept experiment depends on: the one it resumes and
/// the ones its experience buffer replayed samples from (a replay of it needs them).
fn close_over_references(
    all: &[(u64, Event)],
    started: &BTreeMap<u64, (String, Option<u64>)>,
    keep: &mut BTreeSet<u64>,
) {
    loop {
        let mut more = BTreeSet::new();
        for id in keep.iter() {
            if let Some((_, Some(r))) = started.get(id) {
                more.insert(*r);
            }
        }
        for (_, e) in all {
            if let Event::PolicyUpdated(p) = e {
                if keep.contains(&p.experiment) {
                    more.extend(p.replayed.iter().map(|r| r.experiment));
                }
            }
        }
        let before = keep.len();
        keep.extend(more);
        if keep.len() == before {
            return;
        }
    }
}
