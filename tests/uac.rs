//! UAC through the real pipeline on a benchmark-shaped table: the 50% rule, the threshold
//! decision, critic replay equality, resume, and the critic report.

mod common;
use common::*;

use std::collections::BTreeMap;

use fnas::replay::fold_store;
use fnas::store::{RewardSource, Store};

fn uac_search(store: &std::path::Path, table: &std::path::Path, seed: &str) -> u64 {
    macro_table_search(
        store,
        table,
        &[
            "--algo",
            "mnas",
            "--modules",
            "uac",
            "--seed",
            seed,
            "--budget",
            "120",
            "--batch",
            "10",
        ],
    )
}

#[test]
fn fakes_obey_the_half_batch_rule_and_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let table = synthetic_macro_table(dir.path(), None, None);
    let store_dir = dir.path().join("uac");
    let id = uac_search(&store_dir, &table, "4");
    let store = Store::open(&store_dir).unwrap();
    let state = fold_store(&store).unwrap();
    let exp = state.get(id).unwrap();

    let fakes = exp.fake_count();
    assert!(
        fakes > 0,
        "the critic should become confident on this smooth table"
    );
    // Fakes do not count towards the budget: it counts table look-ups only. (On this smooth
    // table the policy may converge and stop at the proposal cap before 120.)
    let lookups = exp
        .measured()
        .filter(|(s, _)| exp.samples[&s.index].cached_from.is_none())
        .count() as u64;
    assert_eq!(exp.distinct_evaluations(), lookups);
    assert!(lookups <= 120 && lookups > 60, "{lookups}");
    // Every PPO batch: at most half of its samples are critic estimates.
    for p in exp.policies.iter().filter(|p| !p.samples.is_empty()) {
        let fake_in_batch = p
            .samples
            .iter()
            .filter(|i| exp.samples[i].reward.as_ref().unwrap().source == RewardSource::Critic)
            .count();
        assert!(
            fake_in_batch * 2 <= p.samples.len(),
            "policy v{}: {fake_in_batch} fakes of {}",
            p.version,
            p.samples.len()
        );
    }
    // Only architectures the critic is sure cannot beat the best measured one are faked.
    for p in exp.policies.iter().filter(|p| !p.samples.is_empty()) {
        let start = *p.samples.iter().min().unwrap();
        let best_before = exp
            .measured()
            .filter(|(s, _)| s.index < start)
            .map(|(_, r)| r.reward)
            .fold(f64::NEG_INFINITY, f64::max);
        for i in &p.samples {
            let r = exp.samples[i].reward.as_ref().unwrap();
            if r.source == RewardSource::Critic {
                let e = r.critic.as_ref().unwrap();
                assert!(
                    e.value + e.uncertainty < best_before,
                    "sample {i}: V+U {} vs best {best_before}",
                    e.value + e.uncertainty
                );
            }
        }
    }
    // A fake's recorded uncertainty was below the sigma of the critic version that judged it.
    let sigma: BTreeMap<u64, f64> = exp
        .critics
        .iter()
        .map(|(_, c)| (c.version, c.sigma))
        .collect();
    for rec in exp.samples.values() {
        let r = rec.reward.as_ref().unwrap();
        if r.source == RewardSource::Critic {
            let e = r.critic.as_ref().expect("a fake carries its estimate");
            assert!(
                e.uncertainty < sigma[&e.critic_version],
                "sample {}: U {} vs sigma {}",
                r.index,
                e.uncertainty,
                sigma[&e.critic_version]
            );
            assert_eq!(r.reward, e.value, "a fake's reward is V");
        }
    }
    // The critic was refitted after every batch once there were measured samples.
    assert_eq!(exp.critics.len(), exp.policies.len() - 1);
    drop(store);

    let verify = ok(&["replay", "--store", s(&store_dir), "--verify"]);
    assert!(verify.contains("OK"), "{verify}");
    let eval = ok(&[
        "critic",
        "eval",
        "--store",
        s(&store_dir),
        "--experiment",
        &id.to_string(),
    ]);
    assert!(
        eval.contains("out of sample") && eval.contains("spearman"),
        "{eval}"
    );
    let top = ok(&[
        "top",
        "--store",
        s(&store_dir),
        "--experiment",
        &id.to_string(),
        "-n",
        "3",
    ]);
    assert!(
        top.contains(&format!("fake={fakes}")) && top.contains("critic=v"),
        "{top}"
    );
    let log = ok(&["log", "--store", s(&store_dir), "--kind", "critic"]);
    assert!(
        log.lines().count() >= 5 && log.contains("spearman="),
        "{log}"
    );
}

#[test]
fn uac_search_is_reproducible_and_the_critic_replays_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let table = synthetic_macro_table(dir.path(), None, None);
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    let ia = uac_search(&a, &table, "9");
    let ib = uac_search(&b, &table, "9");
    assert_eq!(summary_hash(&a, ia), summary_hash(&b, ib));
    // Rebuilt critic = recorded critic: each refit's blob reloads to identical bytes.
    let store = Store::open(&a).unwrap();
    let state = fold_store(&store).unwrap();
    for (_, c) in &state.get(ia).unwrap().critics {
        let bytes = store.blobs().get(&c.weights).unwrap();
        let critic = fnas::critic::Critic::from_bytes(&bytes).unwrap();
        assert_eq!(critic.to_bytes(), bytes, "critic v{} round trip", c.version);
    }
}

#[test]
fn a_killed_uac_search_resumes_to_the_same_result() {
    let dir = tempfile::tempdir().unwrap();
    let table = synthetic_macro_table(dir.path(), None, None);
    let reference = dir.path().join("ref");
    let rid = uac_search(&reference, &table, "5");
    // Same search, stopped after a few batches by a proposal cap, then resumed.
    let store = dir.path().join("stopped");
    let task = format!("table:{}", table.display());
    let mut child = fnas()
        .args([
            "search",
            "--store",
            s(&store),
            "--task",
            &task,
            "--space",
            "nb-macro",
            "--algo",
            "mnas",
            "--modules",
            "uac",
        ])
        .args([
            "--seed",
            "5",
            "--budget",
            "120",
            "--batch",
            "10",
            "-q",
            "--print-acks",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Kill once the third critic refit is acknowledged.
    use std::io::BufRead;
    let out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut refits = 0;
    let mut id = None;
    for line in out.lines().map_while(Result::ok) {
        if line.ends_with("experiment_started") {
            id = line
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok());
        }
        if line.ends_with("critic_updated") {
            refits += 1;
            if refits == 3 {
                child.kill().unwrap();
                break;
            }
        }
    }
    child.wait().unwrap();
    let id = id.expect("experiment id acknowledged");
    assert!(summary_hash(&store, id).is_none(), "killed before the end");
    ok(&[
        "search",
        "--store",
        s(&store),
        "--resume",
        &id.to_string(),
        "-q",
    ]);
    assert_eq!(summary_hash(&store, id), summary_hash(&reference, rid));
}

#[test]
fn critic_guided_selection_evaluates_only_new_architectures_and_replays() {
    let dir = tempfile::tempdir().unwrap();
    let table = synthetic_macro_table(dir.path(), None, None);
    let store_dir = dir.path().join("sel");
    let id = macro_table_search(
        &store_dir,
        &table,
        &[
            "--algo",
            "mnas",
            "--modules",
            "uac.sel16",
            "--seed",
            "2",
            "--budget",
            "60",
            "--batch",
            "10",
        ],
    );
    let store = Store::open(&store_dir).unwrap();
    let state = fold_store(&store).unwrap();
    let exp = state.get(id).unwrap();
    assert_eq!(exp.fake_count(), 0, "selection does not fake rewards");
    assert_eq!(exp.distinct_evaluations(), 60);
    // After the first batch the critic picks unevaluated architectures only: no repeats.
    assert_eq!(
        exp.next_index(),
        60,
        "every proposal was a new architecture"
    );
    drop(store);
    assert!(ok(&["replay", "--store", s(&store_dir), "--verify"]).contains("OK"));
}

/// The measured (distinct, real) architectures of experiment `id`, in evaluation order.
fn evaluated_in_order(store_dir: &std::path::Path, id: u64) -> Vec<(Vec<u8>, f64)> {
    let store = Store::open(store_dir).unwrap();
    let state = fold_store(&store).unwrap();
    let exp = state.get(id).unwrap();
    exp.samples
        .values()
        .filter(|r| r.cached_from.is_none())
        .filter_map(|r| {
            r.reward
                .as_ref()
                .filter(|w| w.source != RewardSource::Critic)
                .map(|w| (r.sampled.tokens.clone(), w.reward))
        })
        .collect()
}

#[test]
fn default_strategy_never_pays_twice_for_one_network_and_replays() {
    let dir = tempfile::tempdir().unwrap();
    let table = synthetic_macro_table(dir.path(), None, None);
    let store_dir = dir.path().join("fnas");
    let id = macro_table_search(
        &store_dir,
        &table,
        &["--algo", "fnas", "--seed", "3", "--budget", "80"],
    );
    let evaluated = evaluated_in_order(&store_dir, id);
    assert_eq!(evaluated.len(), 80, "the budget is spent, no stall");
    let space = fnas::space::Space::builtin("nb-macro").unwrap();
    let mut networks = std::collections::HashSet::new();
    for (tokens, _) in &evaluated {
        let canonical =
            fnas::bench::stage_identity_canonical(&space, &fnas::space::Arch::new(tokens.clone()));
        assert!(
            networks.insert(canonical),
            "{tokens:?}: a duplicate encoding was evaluated"
        );
    }
    assert!(ok(&["replay", "--store", s(&store_dir), "--verify"]).contains("OK"));
}

#[test]
fn a_warm_bench_arm_starts_from_the_prior_tasks_best_architectures() {
    let dir = tempfile::tempdir().unwrap();
    let table = synthetic_macro_table(dir.path(), None, None);
    // The same relation under another task name: the prior task's best is this one's best.
    let other = dir.path().join("macro2.csv");
    std::fs::copy(&table, &other).unwrap();
    let store_dir = dir.path().join("warm");
    let bench = |table: &std::path::Path, seeds: &str, budget: &str, extra: &[&str]| {
        let mut args = vec![
            "bench",
            "--store",
            s(&store_dir),
            "--table",
            s(table),
            "--space",
            "nb-macro",
            "--algos",
            "fnas",
            "--seeds",
            seeds,
            "--budget",
            budget,
            "--batch",
            "10",
            "-q",
        ];
        args.extend(extra);
        ok(&args)
    };
    bench(&table, "1", "100", &[]);
    let out = bench(&other, "2", "20", &["--init-from", "macro"]);
    assert!(out.contains("(warm: macro)"), "{out}");
    let store = Store::open(&store_dir).unwrap();
    let state = fold_store(&store).unwrap();
    let prior = state
        .experiments
        .values()
        .find(|e| e.started.task == "macro")
        .unwrap();
    let prior_best = prior.best().unwrap().1.reward;
    let warm: Vec<u64> = state
        .experiments
        .values()
        .filter(|e| e.started.task == "macro2")
        .map(|e| e.id)
        .collect();
    drop(store);
    assert_eq!(warm.len(), 2);
    for id in warm {
        let evaluated = evaluated_in_order(&store_dir, id);
        // The first batch already holds the prior's best architecture.
        let first_batch = evaluated
            .iter()
            .take(10)
            .map(|e| e.1)
            .fold(f64::MIN, f64::max);
        assert!(
            first_batch >= prior_best,
            "experiment {id}: {first_batch} < {prior_best}"
        );
    }
    assert!(ok(&["replay", "--store", s(&store_dir), "--verify"]).contains("OK"));
}
