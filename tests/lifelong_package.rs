//! Knowledge packages end to end on a benchmark-shaped table (evaluations are look-ups, so
//! a search takes well under a second): export/import round trip with experiment ids
//! remapped and blobs bit-identical, provenance, idempotence, rejection of tampered and
//! truncated packages and of a task registered with other data (target unchanged),
//! `replay --into`, and the `tasks` listing.

mod common;
use common::*;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fnas::lifelong::remap::remap_experiments;
use fnas::lifelong::{export_file, import_file, list_tasks, LifelongError, Selection, What};
use fnas::store::{Event, Imported, Store};

fn uac_search(store: &Path, table: &Path, name: &str, seed: &str) -> u64 {
    macro_table_search(
        store,
        table,
        &[
            "--algo",
            "mnas",
            "--modules",
            "uac,aeb",
            "--task-name",
            name,
            "--seed",
            seed,
            "--budget",
            "30",
            "--batch",
            "10",
        ],
    )
}

fn all_events(dir: &Path) -> Vec<(u64, Event)> {
    let store = Store::open(dir).unwrap();
    let events = store.scan(1).map(|e| e.unwrap()).collect();
    events
}

/// Every file under the store's blob directory, with its size: a blob written by a failed
/// import would show up here.
fn blob_files(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.join("blobs")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let len = p.metadata().unwrap().len();
                out.push((p, len));
            }
        }
    }
    out.sort();
    out
}

struct Setup {
    _dir: tempfile::TempDir,
    source: PathBuf,
    target: PathBuf,
    package: PathBuf,
    table: PathBuf,
}

/// A source store with two experiments on task "macro", a package of its critic and
/// history, and a target store that already has an experiment of its own (so imported ids
/// must move).
fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let table = synthetic_macro_table(dir.path(), None, None);
    let source = dir.path().join("source");
    let target = dir.path().join("target");
    uac_search(&source, &table, "macro", "1");
    uac_search(&source, &table, "macro", "2");
    uac_search(&target, &table, "other", "3");
    let package = dir.path().join("macro.fnas");
    export(&source, "macro", "critic,history", &package);
    Setup {
        _dir: dir,
        source,
        target,
        package,
        table,
    }
}

#[test]
fn round_trip_keeps_events_blobs_and_provenance() {
    let st = setup();
    let before = all_events(&st.target).len() as u64;
    let out = ok(&["import", "--store", s(&st.target), s(&st.package)]);
    assert!(
        out.contains("imported critic,history of task 'macro'"),
        "{out}"
    );

    let source_events = all_events(&st.source);
    let target_events = all_events(&st.target);
    let (imported_seq, imported) = target_events
        .iter()
        .rev()
        .find_map(|(seq, e)| match e {
            Event::Imported(i) => Some((*seq, i.clone())),
            _ => None,
        })
        .expect("an imported event");
    assert_eq!(
        imported_seq,
        target_events.len() as u64,
        "provenance is the last event"
    );
    let source_store = Store::open(&st.source).unwrap();
    let target_store = Store::open(&st.target).unwrap();
    let Imported {
        source_store: sid,
        task,
        what,
        source_first_seq,
        source_last_seq,
        target_first_seq,
        target_last_seq,
        experiments,
        ..
    } = imported.clone();
    assert_eq!(sid, source_store.id().unwrap());
    assert_ne!(sid, target_store.id().unwrap(), "stores have their own ids");
    assert_eq!(
        (task.as_str(), what),
        ("macro", vec!["critic".to_string(), "history".to_string()])
    );
    assert_eq!(target_first_seq, before + 1);
    assert_eq!(target_last_seq, imported_seq - 1);
    assert_eq!(experiments.len(), 2);
    let map: BTreeMap<u64, u64> = experiments.iter().map(|m| (m.source, m.target)).collect();
    assert!(map.iter().all(|(s, t)| s != t), "ids moved: {map:?}");

    // The source's events of task "macro" (all of them here), remapped, are exactly the
    // appended events, in order, and every blob they name has the same bytes.
    let exported: Vec<Event> = source_events
        .iter()
        .filter(|(seq, _)| (source_first_seq..=source_last_seq).contains(seq))
        .map(|(_, e)| remap_experiments(e.clone(), &map).unwrap())
        .collect();
    let appended: Vec<Event> = target_events
        .iter()
        .filter(|(seq, _)| (target_first_seq..=target_last_seq).contains(seq))
        .map(|(_, e)| e.clone())
        .collect();
    assert_eq!(exported.len(), source_events.len());
    assert_eq!(appended, exported);
    let mut blobs = 0;
    for e in &appended {
        for b in e.blobs() {
            assert_eq!(
                target_store.blobs().get(b).unwrap(),
                source_store.blobs().get(b).unwrap()
            );
            blobs += 1;
        }
    }
    assert!(blobs > 4, "policies and critics travelled ({blobs} blobs)");
    drop((source_store, target_store));

    ok(&["replay", "--store", s(&st.target), "--verify"]);
    // Summary hashes are id-independent: each imported experiment's recorded hash holds.
    for (src, dst) in &map {
        assert_eq!(
            summary_hash(&st.source, *src),
            summary_hash(&st.target, *dst)
        );
    }
    let tasks = ok(&["tasks", "--store", s(&st.target), "--json"]);
    let macro_line: serde_json::Value = tasks
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["task"] == "macro")
        .unwrap();
    assert_eq!(macro_line["experiments"], 2);
    assert_eq!(macro_line["imports"], 1);
    assert!(macro_line["critics"].as_u64().unwrap() >= 4);
}

#[test]
fn importing_twice_is_a_no_op_and_own_packages_are_refused() {
    let st = setup();
    ok(&["import", "--store", s(&st.target), s(&st.package)]);
    let after_first = all_events(&st.target);
    let blobs = blob_files(&st.target);
    let out = ok(&["import", "--store", s(&st.target), s(&st.package)]);
    assert!(out.contains("already imported"), "{out}");
    assert_eq!(all_events(&st.target), after_first);
    assert_eq!(blob_files(&st.target), blobs);

    let err = fails(&["import", "--store", s(&st.source), s(&st.package)]);
    assert!(
        err.contains("exported from store") && err.contains("itself"),
        "{err}"
    );
}

/// Re-exporting unchanged knowledge gives the same bytes, hence the same package id.
#[test]
fn export_is_deterministic() {
    let st = setup();
    let again = st.package.with_file_name("again.fnas");
    export(&st.source, "macro", "history,critic", &again);
    assert_eq!(
        std::fs::read(&st.package).unwrap(),
        std::fs::read(&again).unwrap()
    );
}

fn assert_rejected_unchanged(target: &Path, package: &Path, expect: &str) {
    let events = all_events(target);
    let blobs = blob_files(target);
    let err = fails(&["import", "--store", s(target), s(package)]);
    assert!(
        err.contains(&package.display().to_string()),
        "error names the file: {err}"
    );
    assert!(err.contains(expect), "expected '{expect}' in: {err}");
    assert_eq!(all_events(target), events, "log unchanged");
    assert_eq!(blob_files(target), blobs, "blobs unchanged");
}

#[test]
fn tampered_and_truncated_packages_are_rejected_leaving_the_target_unchanged() {
    let st = setup();
    let bytes = std::fs::read(&st.package).unwrap();
    // One flipped bit deep inside the blob section (the payload a checksum must protect).
    let tampered = st.package.with_file_name("tampered.fnas");
    let mut t = bytes.clone();
    let at = t.len() * 3 / 4;
    t[at] ^= 0x01;
    std::fs::write(&tampered, &t).unwrap();
    assert_rejected_unchanged(&st.target, &tampered, "checksum mismatch");
    // A flipped bit in an event header is caught too (decode or checksum).
    let mut t = bytes.clone();
    t[40] ^= 0x80;
    std::fs::write(&tampered, &t).unwrap();
    let err = fails(&["import", "--store", s(&st.target), s(&tampered)]);
    assert!(err.contains("tampered.fnas"), "{err}");

    let truncated = st.package.with_file_name("truncated.fnas");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert_rejected_unchanged(&st.target, &truncated, "truncated");
    std::fs::write(&truncated, &bytes[..bytes.len() - 1]).unwrap();
    let err = fails(&["import", "--store", s(&st.target), s(&truncated)]);
    assert!(err.contains("truncated.fnas"), "{err}");
    // A refused import into a store that did not exist leaves no empty store behind.
    let fresh = st.target.with_file_name("never-created");
    fails(&["import", "--store", s(&fresh), s(&truncated)]);
    assert!(!fresh.exists(), "{} was left behind", fresh.display());
    // The intact package still imports afterwards.
    ok(&["import", "--store", s(&st.target), s(&st.package)]);
}

#[test]
fn a_task_registered_with_other_data_is_refused() {
    let st = setup();
    // "macro" in the target is another table (one accuracy differs: other fingerprint).
    let other_dir = st.target.with_file_name("other-table");
    std::fs::create_dir_all(&other_dir).unwrap();
    let text = std::fs::read_to_string(&st.table).unwrap();
    let (head, rest) = text.split_once("\n00000000,").unwrap();
    let (_, after_accuracy) = rest.split_once(',').unwrap();
    let other_table = other_dir.join("macro.csv");
    std::fs::write(&other_table, format!("{head}\n00000000,12.5,{after_accuracy}")).unwrap();
    assert_ne!(
        std::fs::read(&other_table).unwrap(),
        std::fs::read(&st.table).unwrap()
    );
    uac_search(&st.target, &other_table, "macro", "4");
    assert_rejected_unchanged(&st.target, &st.package, "registered in store");
    let store = Store::open(&st.target).unwrap();
    let err = import_file(&store, &st.package).unwrap_err();
    assert!(
        matches!(err, LifelongError::FingerprintMismatch { ref task, .. } if task == "macro"),
        "{err}"
    );
}

#[test]
fn replay_into_rebuilds_one_experiment_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let table = synthetic_macro_table(dir.path(), None, None);
    let source = dir.path().join("source");
    uac_search(&source, &table, "macro", "1");
    let second = uac_search(&source, &table, "macro", "2");
    let into = dir.path().join("new");
    let out = ok(&[
        "replay",
        "--store",
        s(&source),
        "--experiment",
        &second.to_string(),
        "--into",
        s(&into),
    ]);
    let line = out
        .lines()
        .find(|l| l.starts_with(&format!("experiment {second} is experiment ")))
        .unwrap();
    let target_id: u64 = line.split_whitespace().nth(4).unwrap().parse().unwrap();
    ok(&["replay", "--store", s(&into), "--verify"]);
    assert_eq!(
        summary_hash(&into, target_id),
        summary_hash(&source, second)
    );
    let store = Store::open(&into).unwrap();
    let tasks = list_tasks(&store).unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(
        (tasks[0].experiments, tasks[0].imports),
        (1, 1),
        "only that experiment"
    );
    drop(store);
    let err = fails(&[
        "replay",
        "--store",
        s(&source),
        "--experiment",
        "999",
        "--into",
        s(&into),
    ]);
    assert!(err.contains("--experiment 999"), "{err}");
}

#[test]
fn export_errors_name_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let table = synthetic_macro_table(dir.path(), None, None);
    let store_dir = dir.path().join("s");
    uac_search(&store_dir, &table, "macro", "1");
    let out = dir.path().join("x.fnas");
    let err = fails(&[
        "export",
        "--store",
        s(&store_dir),
        "--task",
        "nope",
        "--out",
        s(&out),
    ]);
    assert!(err.contains("--task nope"), "{err}");
    let err = fails(&[
        "export",
        "--store",
        s(&store_dir),
        "--task",
        "macro",
        "--what",
        "weights",
        "--out",
        s(&out),
    ]);
    assert!(err.contains("--what"), "{err}");
    let err = fails(&[
        "export",
        "--store",
        s(&store_dir),
        "--task",
        "macro",
        "--what",
        "pool",
        "--out",
        s(&out),
    ]);
    assert!(err.contains("block_checkpointed"), "{err}");
    assert!(!out.exists(), "no partial package");
    let store = Store::open(&store_dir).unwrap();
    let what = What::parse(&["critic"]).unwrap();
    let report = export_file(
        &store,
        &Selection::Task {
            task: "macro".into(),
            what,
        },
        &out,
    )
    .unwrap();
    assert!(report.header.events > 2 && report.header.blobs >= 1);
    assert_eq!(report.bytes, std::fs::metadata(&out).unwrap().len());
    let err = fails(&[
        "import",
        "--store",
        s(&dir.path().join("t")),
        s(&dir.path().join("missing.fnas")),
    ]);
    assert!(err.contains("missing.fnas"), "{err}");
    assert!(
        !dir.path().join("t").exists(),
        "a failed import creates no store"
    );
}

/// The pool (LKP blocks, real training on the built-in digits task) travels whole: every
/// block with its weights, listed by `fnas tasks` in the target.
#[test]
fn pool_round_trip_on_digits() {
    let dir = tempfile::tempdir().unwrap();
    let (source, target, package) = (
        dir.path().join("s"),
        dir.path().join("t"),
        dir.path().join("p.fnas"),
    );
    let mut args = vec![
        "search",
        "--store",
        s(&source),
        "--task",
        "digits",
        "--algo",
        "mnas",
        "--modules",
        "lkp",
        "--budget",
        "3",
        "--batch",
        "3",
        "--workers",
        "1",
        "-q",
    ];
    args.extend(FAST);
    ok(&args);
    export(&source, "digits", "pool", &package);
    ok(&["import", "--store", s(&target), s(&package)]);
    let blocks = |dir: &Path| -> Vec<fnas::store::BlockCheckpointed> {
        all_events(dir)
            .into_iter()
            .filter_map(|(_, e)| match e {
                Event::BlockCheckpointed(b) => Some(b),
                _ => None,
            })
            .collect()
    };
    let (src, dst) = (blocks(&source), blocks(&target));
    assert!(!src.is_empty());
    assert_eq!(src.len(), dst.len());
    let (ss, ts) = (Store::open(&source).unwrap(), Store::open(&target).unwrap());
    for (a, b) in src.iter().zip(&dst) {
        assert_eq!(
            (&a.key, &a.weights, a.part, &a.task),
            (&b.key, &b.weights, b.part, &b.task)
        );
        assert_eq!(
            ss.blobs().get(&a.weights).unwrap(),
            ts.blobs().get(&b.weights).unwrap()
        );
    }
    let tasks = list_tasks(&ts).unwrap();
    assert_eq!(tasks[0].pool_blocks, src.len() as u64);
    assert_eq!(tasks[0].imports, 1);
}
