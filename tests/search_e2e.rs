//! A tiny real search on the built-in digits task, then every read path over its store.

mod common;
use common::*;

#[test]
fn search_then_log_top_and_replay_verify() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("runs");
    let mut args = vec![
        "search",
        "--store",
        s(&store),
        "--task",
        "digits",
        "--budget",
        "6",
        "--batch",
        "3",
        "--seed",
        "5",
        "--algo",
        "mnas",
        "-q",
    ];
    args.extend(FAST);
    let out = ok(&args);
    let id = experiment_id(&out);

    let evs = events(&store);
    let kinds: Vec<&str> = evs.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "arch_sampled").count(), 6);
    assert_eq!(kinds.iter().filter(|k| **k == "reward_observed").count(), 6);
    // v0 plus one update per batch of 3.
    assert_eq!(kinds.iter().filter(|k| **k == "policy_updated").count(), 3);
    assert_eq!(kinds.first(), Some(&"task_registered"));
    assert_eq!(kinds.last(), Some(&"experiment_ended"));
    let seqs: Vec<u64> = evs.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as u64).collect::<Vec<_>>(),
        "sequence numbers have no gaps"
    );
    for e in &evs {
        if let Some(r) = e["event"].get("RewardObserved") {
            let acc = r["accuracy"].as_f64().unwrap();
            assert!(acc > 0.0 && acc <= 1.0, "accuracy {acc}");
            assert!(
                r["macs"].as_u64().unwrap() > 10_000_000,
                "full-size MACs recorded"
            );
        }
    }

    let rewards = ok(&["log", "--store", s(&store), "--kind", "reward"]);
    assert_eq!(rewards.lines().count(), 6);
    let top = ok(&[
        "top",
        "--store",
        s(&store),
        "--experiment",
        &id.to_string(),
        "-n",
        "3",
    ]);
    assert!(top.contains(&format!("experiment {id}")), "{top}");
    assert_eq!(
        top.lines()
            .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
            .count(),
        3,
        "{top}"
    );

    let verify = ok(&["replay", "--store", s(&store), "--verify"]);
    assert!(verify.contains("OK"), "{verify}");
    assert!(verify.contains("2 policy updates recomputed"), "{verify}");
}

#[test]
fn same_seed_same_search_other_seed_differs() {
    let dir = tempfile::tempdir().unwrap();
    let mut hashes = Vec::new();
    for (name, seed) in [("a", "11"), ("b", "11"), ("c", "12")] {
        let store = dir.path().join(name);
        let mut args = vec![
            "search",
            "--store",
            s(&store),
            "--budget",
            "4",
            "--batch",
            "2",
            "--seed",
            seed,
            "-q",
        ];
        args.extend(FAST);
        let id = experiment_id(&ok(&args));
        hashes.push(summary_hash(&store, id).expect("ended event"));
    }
    assert_eq!(hashes[0], hashes[1], "same seed, same summary");
    assert_ne!(hashes[0], hashes[2], "another seed, another search");
}

#[test]
fn tampered_policy_blob_fails_verify() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("runs");
    let mut args = vec![
        "search",
        "--store",
        s(&store),
        "--budget",
        "2",
        "--batch",
        "2",
        "--seed",
        "1",
        "-q",
    ];
    args.extend(FAST);
    ok(&args);
    assert!(ok(&["replay", "--store", s(&store), "--verify"]).contains("OK"));
    // Corrupt one blob file: verify must report it and exit non-zero.
    let blob = walk(&store.join("blobs"))
        .into_iter()
        .next()
        .expect("a blob file");
    let mut bytes = std::fs::read(&blob).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&blob, bytes).unwrap();
    let out = run(&["replay", "--store", s(&store), "--verify"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("MISMATCH"));
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else {
            files.push(p);
        }
    }
    files.sort();
    files
}
