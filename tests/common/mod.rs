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
    assert!(
        !out.status.success(),
        "fnas {:?} unexpectedly succeeded",
        args
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `fnas export --store STORE --task TASK --what WHAT --out OUT`, which must succeed.
pub fn export(store: &Path, task: &str, what: &str, out: &Path) -> String {
    ok(&[
        "export",
        "--store",
        s(store),
        "--task",
        task,
        "--what",
        what,
        "--out",
        s(out),
    ])
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
        (ended["experiment"].as_u64()? == id)
            .then(|| ended["summary_hash"].as_str().map(String::from))?
    })
}

/// The shared data directory, when this checkout sits beside it.
pub fn shared_data(sub: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(sub);
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "SKIP: {} is absent (tests that need ../shared skip on a fresh clone)",
            p.display()
        );
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

/// A complete 3^8 table; accuracy is a made-up function of the encoding.
pub fn synthetic_macro_table(dir: &Path, skip: Option<&str>, extra: Option<&str>) -> PathBuf {
    let mut text = String::from("arch,test_acc_mean,flops\n");
    for n in 0..6561u32 {
        let mut code = String::new();
        let mut x = n;
        for _ in 0..8 {
            code.insert(0, char::from(b'0' + (x % 3) as u8));
            x /= 3;
        }
        if skip == Some(code.as_str()) {
            continue;
        }
        let acc = 80.0
            + code
                .bytes()
                .enumerate()
                .map(|(i, b)| f64::from(b - b'0') * (1.0 + i as f64 * 0.1))
                .sum::<f64>()
                / 2.0;
        text.push_str(&format!("{code},{acc:.4},{}\n", 1000 + n));
    }
    if let Some(line) = extra {
        text.push_str(line);
    }
    let path = dir.join("macro.csv");
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs a quiet search on a NAS-Bench-Macro-shaped table with `extra` flags; returns its id.
pub fn macro_table_search(store: &Path, table: &Path, extra: &[&str]) -> u64 {
    let task = format!("table:{}", table.display());
    let mut args = vec![
        "search",
        "--store",
        s(store),
        "--task",
        &task,
        "--space",
        "nb-macro",
        "-q",
    ];
    args.extend(extra);
    experiment_id(&ok(&args))
}
