//! Helpers shared by the end-to-end tests: run the real `fnas` binary on a real store.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Small proxy settings so a test search takes seconds on 2 cores.
pub const FAST: [&str; 6] = ["--steps", "25", "--max-train", "600", "--max-val", "300"];

pub fn fnas() -> Command {
    Command::new(env!("CARGO_BIN_EXE_fnas"))
}

pub fn run(args: &[&str]) -> Output {
    let out = fnas().args(args).output().expect("spawn fnas");
    out
}

/// Runs and requires success, returning stdout.
pub fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "fnas {:?} failed: {}\n{}",
        args,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs and requires failure, returning stderr.
pub fn fails(args: &[&str]) -> String {
    let out = run(args);
    assert!(!out.status.success(), "fnas {:?} unexpectedly succeeded", args);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// All events as JSON values (via `fnas log --json`).
pub fn events(store: &Path) -> Vec<serde_json::Value> {
    ok(&["log", "--store", s(store), "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).expect("log --json line"))
        .collect()
}

/// The summary hash recorded when experiment `id` ended.
pub fn summary_hash(store: &Path, id: u64) -> Option<String> {
    events(store).into_iter().find_map(|e| {
        let ended = e["event"].get("ExperimentEnded")?;
        (ended["experiment"].as_u64()? == id).then(|| ended["summary_hash"].as_str().map(String::from))?
    })
}

/// The shared data directory, when this checkout sits beside it.
pub fn shared_data(sub: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared").join(sub);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIP: {} is absent (tests that need ../shared skip on a fresh clone)", p.display());
        None
    }
}

/// Parses the `experiment N` line a search prints last.
pub fn experiment_id(stdout: &str) -> u64 {
    stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("experiment ")?.trim().parse().ok())
        .expect("search prints its experiment id")
}
