//! Warm starts on benchmark-shaped tables: `--init-from TASK` starts the critic from the
//! prior task's latest critic (imported here), `--warm-from ID` pre-trains it on a recorded
//! history; both change the critic the search uses, and `replay --verify` still passes.

mod common;
use common::*;

use std::path::Path;

use fnas::pipeline::{Prior, PriorConfig};
use fnas::replay::fold_store;
use fnas::space::Space;
use fnas::store::{CriticUpdated, Store};

const RUN: [&str; 8] = [
    "--algo",
    "mnas",
    "--modules",
    "uac",
    "--budget",
    "30",
    "--batch",
    "10",
];

fn search(store: &Path, table: &Path, name: &str, seed: &str, extra: &[&str]) -> u64 {
    let mut args = RUN.to_vec();
    args.extend(["--task-name", name, "--seed", seed]);
    args.extend(extra);
    macro_table_search(store, table, &args)
}

/// A second table with other accuracies (reversed preference on the last decision).
fn shifted_table(dir: &Path, base: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(base).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            out.push_str(line);
        } else {
            let mut f = line.split(',');
            let (code, acc, flops) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
            let last = f64::from(code.as_bytes()[7] - b'0');
            let acc: f64 = acc.parse::<f64>().unwrap() - 2.0 * last;
            out.push_str(&format!("{code},{acc:.4},{flops}"));
        }
        out.push('\n');
    }
    let p = dir.join("shifted.csv");
    std::fs::write(&p, out).unwrap();
    p
}

fn critics(store: &Path, id: u64) -> Vec<CriticUpdated> {
    let st = Store::open(store).unwrap();
    let state = fold_store(&st).unwrap();
    state
        .get(id)
        .unwrap()
        .critics
        .iter()
        .map(|(_, c)| c.clone())
        .collect()
}

fn first_batch_has_estimates(store: &Path, id: u64) -> bool {
    let st = Store::open(store).unwrap();
    let state = fold_store(&st).unwrap();
    let exp = state.get(id).unwrap();
    exp.samples
        .range(..10)
        .all(|(_, r)| r.reward.as_ref().is_some_and(|r| r.critic.is_some()))
}

#[test]
fn init_from_and_warm_from_change_the_critic_and_replay_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let table = synthetic_macro_table(dir.path(), None, None);
    let shifted = shifted_table(dir.path(), &table);
    let source = dir.path().join("source");
    let prior_id = search(&source, &table, "macro", "1", &[]);
    let package = dir.path().join("macro.fnas");
    export(&source, "macro", "critic,history", &package);
    let source_last = critics(&source, prior_id).last().unwrap().clone();

    let target = dir.path().join("target");
    let cold = search(&target, &shifted, "shifted", "5", &[]);
    ok(&["import", "--store", s(&target), s(&package)]);
    let imported_id = {
        let st = Store::open(&target).unwrap();
        let state = fold_store(&st).unwrap();
        let id = state
            .experiments
            .values()
            .find(|e| e.started.task == "macro")
            .unwrap()
            .id;
        let prior = Prior::load(
            &st,
            st.last_seq().unwrap() + 1,
            &PriorConfig {
                init_from: Some("macro".into()),
                warm_from: None,
            },
            &Space::builtin("nb-macro").unwrap(),
        )
        .unwrap();
        assert_eq!(prior.critic.as_ref().unwrap().weights, source_last.weights);
        assert_eq!(
            prior.history.len() as u64,
            state.get(id).unwrap().distinct_evaluations()
        );
        id
    };

    let warm = search(&target, &shifted, "shifted", "5", &["--init-from", "macro"]);
    let warm_critics = critics(&target, warm);
    let cold_critics = critics(&target, cold);
    // The inherited critic is recorded as the experiment's first critic, unchanged...
    assert_eq!(warm_critics[0].weights, source_last.weights);
    assert_eq!(warm_critics[0].samples, 0);
    // ...judged the first batch (a cold critic does not exist yet)...
    assert!(first_batch_has_estimates(&target, warm));
    assert!(!first_batch_has_estimates(&target, cold));
    // ...and was fine-tuned on this task's samples: another critic than the cold one.
    assert_ne!(warm_critics[1].weights, cold_critics[0].weights);
    assert_eq!(warm_critics[1].samples, cold_critics[0].samples);

    let pre = search(
        &target,
        &shifted,
        "shifted",
        "5",
        &["--warm-from", &imported_id.to_string()],
    );
    let pre_critics = critics(&target, pre);
    assert_eq!(
        pre_critics[0].samples, 30,
        "pre-trained on the history's 30 real samples"
    );
    assert!(first_batch_has_estimates(&target, pre));
    assert_ne!(pre_critics[0].weights, warm_critics[0].weights);

    ok(&["replay", "--store", s(&target), "--verify"]);
    let config = events(&target)
        .into_iter()
        .filter_map(|e| e["event"].get("ExperimentStarted").cloned())
        .last()
        .unwrap();
    let config: serde_json::Value =
        serde_json::from_str(config["config_json"].as_str().unwrap()).unwrap();
    assert_eq!(
        config["prior"]["warm_from"].as_u64(),
        Some(imported_id),
        "recorded in the config"
    );
}

#[test]
fn warm_start_flags_are_checked_before_anything_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let table = synthetic_macro_table(dir.path(), None, None);
    let store = dir.path().join("s");
    search(&store, &table, "macro", "1", &[]);
    let before = events(&store).len();
    let task = format!("table:{}", table.display());
    let base = [
        "search",
        "--store",
        s(&store),
        "--task",
        &task,
        "--space",
        "nb-macro",
        "-q",
        "--budget",
        "10",
    ];
    let run = |extra: &[&str]| {
        let mut a = base.to_vec();
        a.extend(extra);
        fails(&a)
    };
    let err = run(&["--algo", "mnas", "--modules", "uac", "--init-from", "nope"]);
    assert!(err.contains("--init-from nope"), "{err}");
    let err = run(&["--algo", "mnas", "--init-from", "macro"]);
    assert!(err.contains("--modules uac"), "{err}");
    let err = run(&["--algo", "mnas", "--modules", "uac", "--warm-from", "9999"]);
    assert!(err.contains("--warm-from 9999"), "{err}");
    assert_eq!(
        events(&store).len(),
        before,
        "refused searches record nothing"
    );
    // Other strategies take the prior too (its history), and check it the same way.
    let err = run(&["--algo", "rs", "--task-name", "x", "--init-from", "nope"]);
    assert!(err.contains("--init-from nope"), "{err}");
}
