//! Bad input: one clear line naming the file or flag, a non-zero exit, and nothing already
//! in the store changed.

mod common;
use common::*;

use std::io::Write;
use std::path::Path;

/// A store holding one finished tiny search, and its event count.
fn seeded_store(dir: &Path) -> (std::path::PathBuf, usize) {
    let store = dir.join("runs");
    let mut args = vec![
        "search",
        "--store",
        s(&store),
        "--budget",
        "2",
        "--batch",
        "2",
        "-q",
    ];
    args.extend(FAST);
    ok(&args);
    let n = events(&store).len();
    (store, n)
}

fn gz(path: &Path, bytes: &[u8]) {
    let f = std::fs::File::create(path).unwrap();
    let mut enc = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap();
}

fn idx_images(n: u32, rows: u32, cols: u32, payload: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for x in [2051u32, n, rows, cols] {
        v.extend(x.to_be_bytes());
    }
    v.extend(std::iter::repeat_n(7u8, payload));
    v
}

fn idx_labels(n: u32, count: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for x in [2049u32, n] {
        v.extend(x.to_be_bytes());
    }
    v.extend((0..count).map(|i| (i % 10) as u8));
    v
}

#[test]
fn bad_inputs_are_named_and_leave_the_store_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (store, before) = seeded_store(dir.path());
    let st = s(&store);

    let err = fails(&["search", "--store", st, "--task", "imagenet"]);
    assert!(err.contains("imagenet"), "{err}");

    let missing = dir.path().join("no-such-dir");
    let spec = format!("idx:{}", missing.display());
    let err = fails(&["search", "--store", st, "--task", &spec]);
    assert!(err.contains("no-such-dir"), "{err}");

    // Wrong magic.
    let bad = dir.path().join("badmagic");
    std::fs::create_dir(&bad).unwrap();
    let mut img = idx_images(10, 4, 4, 160);
    img[3] = 0x99;
    gz(&bad.join("train-images-idx3-ubyte.gz"), &img);
    gz(&bad.join("train-labels-idx1-ubyte.gz"), &idx_labels(10, 10));
    let err = fails(&[
        "search",
        "--store",
        st,
        "--task",
        &format!("idx:{}", bad.display()),
    ]);
    assert!(err.contains("train-images-idx3-ubyte.gz"), "{err}");

    // Truncated images (header says 10 images, payload holds 5).
    let trunc = dir.path().join("truncated");
    std::fs::create_dir(&trunc).unwrap();
    gz(
        &trunc.join("train-images-idx3-ubyte.gz"),
        &idx_images(10, 4, 4, 80),
    );
    gz(
        &trunc.join("train-labels-idx1-ubyte.gz"),
        &idx_labels(10, 10),
    );
    let err = fails(&[
        "search",
        "--store",
        st,
        "--task",
        &format!("idx:{}", trunc.display()),
    ]);
    assert!(err.contains("train-images-idx3-ubyte.gz"), "{err}");

    // Image/label count mismatch.
    let mism = dir.path().join("mismatch");
    std::fs::create_dir(&mism).unwrap();
    std::fs::write(
        mism.join("train-images-idx3-ubyte"),
        idx_images(10, 4, 4, 160),
    )
    .unwrap();
    std::fs::write(mism.join("train-labels-idx1-ubyte"), idx_labels(9, 9)).unwrap();
    let err = fails(&[
        "search",
        "--store",
        st,
        "--task",
        &format!("idx:{}", mism.display()),
    ]);
    assert!(
        err.contains("train-labels-idx1-ubyte") || err.contains("train-images-idx3-ubyte"),
        "{err}"
    );

    // Flags.
    let out = run(&["search", "--store", st, "--no-such-flag"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--no-such-flag"));
    let err = fails(&["search", "--store", st, "--budget", "0"]);
    assert!(err.contains("--budget"), "{err}");
    let err = fails(&["search", "--store", st, "--steps", "0"]);
    assert!(err.contains("--steps"), "{err}");
    // So many threads that they could not be spawned: refused before anything is recorded
    // (an experiment recorded with them could never run or be resumed).
    let err = fails(&["search", "--store", st, "--workers", "100000"]);
    assert!(err.contains("--workers") && err.contains("256"), "{err}");
    let err = fails(&["search", "--store", st, "--max-train", "0"]);
    assert!(err.contains("--max-train"), "{err}");
    let err = fails(&["log", "--store", st, "--kind", "bogus"]);
    assert!(err.contains("--kind"), "{err}");
    let err = fails(&["search", "--store", st, "--resume", "999999"]);
    assert!(err.contains("999999"), "{err}");
    let err = fails(&["search", "--store", st, "--resume", "2", "--steps", "5"]);
    assert!(err.contains("--steps"), "{err}");
    let err = fails(&["search", "--store", st, "--resume", "2"]);
    assert!(err.contains("already finished"), "{err}");

    assert_eq!(
        events(&store).len(),
        before,
        "failed commands must not append anything"
    );
    assert!(ok(&["replay", "--store", st, "--verify"]).contains("OK"));
}

#[test]
fn same_task_name_with_other_data_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (store, before) = seeded_store(dir.path());
    // Register other data under the name `digits`.
    let other = dir.path().join("digits");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(
        other.join("train-images-idx3-ubyte"),
        idx_images(20, 8, 8, 20 * 64),
    )
    .unwrap();
    std::fs::write(other.join("train-labels-idx1-ubyte"), idx_labels(20, 20)).unwrap();
    let err = fails(&[
        "search",
        "--store",
        s(&store),
        "--task",
        &format!("idx:{}", other.display()),
    ]);
    assert!(
        err.contains("digits") && err.contains("--task-name"),
        "{err}"
    );
    assert_eq!(events(&store).len(), before);
}

#[test]
fn a_store_open_elsewhere_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = seeded_store(dir.path());
    let held = fnas::store::Store::open(&store).unwrap();
    let err = fails(&["log", "--store", s(&store)]);
    assert!(err.contains(s(&store)), "{err}");
    drop(held);
    ok(&["log", "--store", s(&store)]);
}

#[test]
fn read_commands_need_an_existing_store_and_refused_searches_leave_none() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("typo");
    for cmd in [
        vec!["log"],
        vec!["top"],
        vec!["replay", "--verify"],
        vec!["report"],
    ] {
        let mut args = cmd.clone();
        args.extend(["--store", s(&typo)]);
        let err = fails(&args);
        assert!(
            err.contains("typo") && err.contains("no fnas store"),
            "{cmd:?}: {err}"
        );
        assert!(!typo.exists(), "{cmd:?} created the mistyped store");
    }
    let err = fails(&["search", "--store", s(&typo), "--task", "imagenet"]);
    assert!(err.contains("imagenet"), "{err}");
    assert!(!typo.exists(), "a refused search left an empty store");
    let err = fails(&[
        "search",
        "--store",
        s(&typo),
        "--space",
        "nb201",
        "--task",
        "digits",
    ]);
    assert!(err.contains("--space"), "{err}");
    let err = fails(&[
        "search",
        "--store",
        s(&typo),
        "--budget",
        "2",
        "--resume",
        "2",
    ]);
    assert!(
        err.contains("--budget") && err.contains("--resume"),
        "{err}"
    );
}
