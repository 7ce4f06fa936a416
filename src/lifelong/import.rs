//! `fnas import`: verifies a package completely, then adds it to a store atomically.
//!
//! Order of work, so that any failure leaves the target's log unchanged:
//! 1. read the whole package (checksum, envelopes, blob hashes) — nothing trusted before;
//! 2. check it against the target: not from this very store, not imported before (then it
//!    is a no-op), task fingerprints agree, every experiment and blob reference resolves,
//!    and the remapped events fold onto the target's state without inconsistency;
//! 3. write the blobs (content-addressed, fsynced; an interrupted import leaves at most
//!    unreferenced blobs, which the store tolerates by design);
//! 4. append the events and the `imported` provenance event in ONE recorder request, which
//!    the recorder commits as one sled batch: the store holds the whole import or none.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use crate::replay::{fold_store, Projection};
use crate::store::{Event, ExperimentMapping, Imported, Store};

use super::package::{read_package, Verified};
use super::remap::remap_experiments;
use super::LifelongError;

/// What an import did.
#[derive(Clone, Debug)]
pub struct ImportReport {
    /// Package id (hex sha256 of its content).
    pub package: String,
    pub task: String,
    pub what: Vec<String>,
    /// True when the store already held this package: nothing was written.
    pub already: bool,
    /// Events appended (without the `imported` event) and their range.
    pub events: u64,
    pub target_first_seq: u64,
    pub target_last_seq: u64,
    /// Sequence number of the `imported` event (of the earlier import when `already`).
    pub imported_seq: u64,
    /// Blobs the package holds, and how many of them were new here.
    pub blobs: u64,
    pub new_blobs: u64,
    pub experiments: Vec<ExperimentMapping>,
}

/// Imports the package file at `path` into `store`.
pub fn import_file(store: &Store, path: &Path) -> Result<ImportReport, LifelongError> {
    let file = File::open(path).map_err(|e| LifelongError::io("open package", path, e))?;
    import_from(
        store,
        &mut BufReader::new(file),
        &path.display().to_string(),
    )
}

/// Imports a package from any seekable reader (`label` names it in errors).
pub fn import_from<R: Read + Seek>(
    store: &Store,
    input: &mut R,
    label: &str,
) -> Result<ImportReport, LifelongError> {
    let pkg = read_package(input, label)?;
    check_self_contained(&pkg, label)?;
    if pkg.header.source_store == store.id()? {
        return Err(LifelongError::Invalid(format!(
            "package {label} was exported from store {} itself; importing it would duplicate its experiments",
            store.dir().display()
        )));
    }
    let mut state = fold_store(store)?;
    if let Some(report) = earlier_import(store, &pkg)? {
        return Ok(report);
    }

    // Tasks the target already knows with the same data are not registered again.
    let mut skip: BTreeSet<usize> = BTreeSet::new();
    for (i, (_, e)) in pkg.events.iter().enumerate() {
        if let Event::TaskRegistered(t) = e {
            if let Some(ours) = state.tasks.get(&t.task) {
                if ours.fingerprint != t.fingerprint {
                    return Err(LifelongError::FingerprintMismatch {
                        package: label.to_string(),
                        store: store.dir().to_path_buf(),
                        task: t.task.clone(),
                        ours: ours.fingerprint.clone(),
                        theirs: t.fingerprint.clone(),
                    });
                }
                skip.insert(i);
            }
        }
    }

    // Target sequence numbers: this process holds the store exclusively (sled's lock) and
    // starts its only recorder below, so the next append lands at last_seq + 1.
    let base = store.last_seq()? + 1;
    let mut map = BTreeMap::new();
    let mut next = base;
    for (i, (seq, e)) in pkg.events.iter().enumerate() {
        if skip.contains(&i) {
            continue;
        }
        if matches!(e, Event::ExperimentStarted(_)) {
            map.insert(*seq, next);
        }
        next += 1;
    }
    let mut events = Vec::new();
    for (i, (seq, e)) in pkg.events.iter().enumerate() {
        if skip.contains(&i) {
            continue;
        }
        let remapped = remap_experiments(e.clone(), &map).map_err(|missing| {
            LifelongError::bad(
                label,
                format!("event with source seq {seq} names experiment {missing}, whose start is not in the package"),
            )
        })?;
        events.push(remapped);
    }
    if events.is_empty() {
        return Err(LifelongError::bad(
            label,
            "holds nothing this store does not already have",
        ));
    }
    let (first, last) = (base, base + events.len() as u64 - 1);
    let experiments: Vec<ExperimentMapping> = map
        .iter()
        .map(|(&source, &target)| ExperimentMapping { source, target })
        .collect();
    events.push(Event::Imported(Imported {
        package: pkg.id.clone(),
        source_store: pkg.header.source_store.clone(),
        task: pkg.header.task.clone(),
        what: pkg.header.what.clone(),
        source_first_seq: pkg.header.source_first_seq,
        source_last_seq: pkg.header.source_last_seq,
        target_first_seq: first,
        target_last_seq: last,
        experiments: experiments.clone(),
    }));
    // The fold of the target must accept the events exactly as they will be appended.
    for (k, e) in events.iter().enumerate() {
        state
            .apply(base + k as u64, e, store.blobs())
            .map_err(|err| {
                LifelongError::bad(
                    label,
                    format!("does not fit store {}: {err}", store.dir().display()),
                )
            })?;
    }

    let mut new_blobs = 0;
    for i in 0..pkg.blobs.len() {
        let expected = &pkg.blobs[i].0;
        if store.blobs().contains(expected)? {
            continue;
        }
        let bytes = pkg.read_blob(input, i, label)?;
        store.blobs().put(&bytes)?;
        new_blobs += 1;
    }

    let recorder = store.recorder()?;
    let seqs = recorder.append_all(&events)?;
    recorder.shutdown()?;
    let imported_seq = seqs.last().copied().unwrap_or(0);
    if seqs.first() != Some(&first) {
        return Err(LifelongError::Invalid(format!(
            "store {}: import landed at seq {:?}, expected {first}; another writer appended concurrently",
            store.dir().display(),
            seqs.first()
        )));
    }
    Ok(ImportReport {
        package: pkg.id,
        task: pkg.header.task,
        what: pkg.header.what,
        already: false,
        events: last - first + 1,
        target_first_seq: first,
        target_last_seq: last,
        imported_seq,
        blobs: pkg.blobs.len() as u64,
        new_blobs,
        experiments,
    })
}

/// Every experiment named in the package has its start there, every blob named is there,
/// the task is registered there, and the header's counts and ranges match the events.
fn check_self_contained(pkg: &Verified, label: &str) -> Result<(), LifelongError> {
    let bad = |reason: String| Err(LifelongError::bad(label, reason));
    let h = &pkg.header;
    let seqs: Vec<u64> = pkg.events.iter().map(|(s, _)| *s).collect();
    if seqs.windows(2).any(|w| w[0] >= w[1]) {
        return bad("events are not in increasing source sequence order".into());
    }
    if seqs.first().copied().unwrap_or(0) != h.source_first_seq
        || seqs.last().copied().unwrap_or(0) != h.source_last_seq
    {
        return bad("header's source sequence range does not match its events".into());
    }
    let registered = pkg
        .events
        .iter()
        .any(|(_, e)| matches!(e, Event::TaskRegistered(t) if t.task == h.task));
    if !registered {
        return bad(format!(
            "task '{}' is not registered in the package",
            h.task
        ));
    }
    let mut started = BTreeSet::new();
    for (seq, e) in &pkg.events {
        match e {
            Event::ExperimentStarted(_) => {
                started.insert(*seq);
            }
            Event::Imported(_) => {
                return bad(format!(
                    "event {seq} is an `imported` event; packages never hold those"
                ))
            }
            _ => {}
        }
        if let Some(x) = e.experiment() {
            if !started.contains(&x) {
                return bad(format!(
                    "event {seq} names experiment {x}, which does not start earlier in the package"
                ));
            }
        }
    }
    let held: BTreeSet<_> = pkg.blobs.iter().map(|(b, _)| b).collect();
    for (seq, e) in &pkg.events {
        for b in e.blobs() {
            if !held.contains(b) {
                return bad(format!(
                    "event {seq} names blob {} ({} bytes), which the package does not hold",
                    b.hash, b.size
                ));
            }
        }
    }
    Ok(())
}

/// The report of an earlier import of the same package, if the store has one.
fn earlier_import(store: &Store, pkg: &Verified) -> Result<Option<ImportReport>, LifelongError> {
    for item in store.scan(1) {
        let (seq, e) = item?;
        if let Event::Imported(i) = e {
            if i.package == pkg.id {
                return Ok(Some(ImportReport {
                    package: i.package,
                    task: i.task,
                    what: i.what,
                    already: true,
                    events: 0,
                    target_first_seq: i.target_first_seq,
                    target_last_seq: i.target_last_seq,
                    imported_seq: seq,
                    blobs: pkg.blobs.len() as u64,
                    new_blobs: 0,
                    experiments: i.experiments,
                }));
            }
        }
    }
    Ok(None)
}
