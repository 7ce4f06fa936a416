//! `BenchTable` on the shared tables (documented rows, duplicates, peers.md's targets) and on
//! crafted bad CSVs (every error names the file, line and column).

mod bench_support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use bench_support::*;
use fnas::bench::{BenchError, BenchTable, TableFormat};
use fnas::space::{Arch, Space};

fn arch(t: &BenchTable, text: &str) -> Arch {
    t.parse_arch(text).unwrap_or_else(|e| panic!("{e}"))
}

/// Asserts peers.md's Targets row: global best (rows at it), top 0.1% and top 1% thresholds.
fn assert_targets(
    t: &BenchTable,
    best: f64,
    rows_at: usize,
    top01: (usize, f64),
    top1: (usize, f64),
) {
    assert_eq!(t.global_best(), best);
    assert_eq!(t.rows_at_best(), rows_at);
    let a = t.threshold_top(0.001).unwrap();
    let b = t.threshold_top(0.01).unwrap();
    assert_eq!((a.k, a.value), top01, "top 0.1% of {}", t.path().display());
    assert_eq!((b.k, b.value), top1, "top 1% of {}", t.path().display());
    println!(
        "| {} ({}) | {} | {:.4} ({}) | {:.4} (k={}) | {:.4} (k={}) |",
        t.path().file_name().unwrap().to_string_lossy(),
        t.accuracy_column(),
        t.len(),
        best,
        rows_at,
        a.value,
        a.k,
        b.value,
        b.k
    );
}

#[test]
fn macro_table_rows_duplicates_and_targets() {
    let space = macro_space();
    let Some(t) = load(MACRO, &space) else {
        return;
    };
    assert_eq!(t.format(), TableFormat::NasBenchMacro);
    assert_eq!(t.len(), 6561);
    assert_eq!(
        (t.accuracy_column(), t.cost_column()),
        ("test_acc_mean", Some("flops"))
    );

    let best = t.lookup(&arch(&t, "22212220")).unwrap();
    assert_eq!(best.accuracy, 93.1267);
    assert_eq!(best.cost, Some(85_164_544.0));
    assert_eq!(best.canonical, arch(&t, "22212220"));
    // The non-canonical duplicate has the same values and the same class.
    assert_eq!(t.lookup(&arch(&t, "22212202")).unwrap(), best);
    // Leading zeros survive: `00000001` is 8 tokens, not the number 1.
    assert_eq!(t.canonical(&arch(&t, "00000001")), arch(&t, "00000010"));
    let worst = t.lookup(&arch(&t, "00000000")).unwrap();
    assert_eq!(worst.accuracy, 45.3633);

    let classes: HashSet<Arch> = t.iter().map(|(_, r)| r.canonical.clone()).collect();
    assert_eq!(classes.len(), 3969);
    // Every encoding's values equal its canonical row's (README: duplicates copy values).
    for (a, row) in t.iter() {
        let c = t.lookup(&row.canonical).unwrap();
        assert_eq!((row.accuracy, row.cost), (c.accuracy, c.cost), "{a}");
        assert_eq!(t.canonical(a), row.canonical);
    }
    assert_targets(&t, 93.1267, 2, (7, 93.0567), (66, 92.81));
}

#[test]
fn nb201_tables_rows_iso_classes_and_targets() {
    let space = nb201_space();
    let Some(c10) = load(NB201_C10, &space) else {
        return;
    };
    assert_eq!(c10.format(), TableFormat::NasBench201);
    assert_eq!(c10.len(), 15625);
    assert_eq!(
        (c10.accuracy_column(), c10.cost_column()),
        ("test_acc", Some("flops_M"))
    );
    let best = c10.lookup(&arch(&c10, "333132")).unwrap();
    assert_eq!((best.accuracy, best.cost), (94.3733, Some(153.27297)));
    assert_eq!(c10.lookup(&arch(&c10, "333123")).unwrap().accuracy, 94.3733);
    // Index 1 from the README's example.
    assert_eq!(c10.lookup(&arch(&c10, "334131")).unwrap().accuracy, 93.66);

    // Isomorphism classes from `iso_rep`: index 29 (`340440`) is represented by index 19
    // (`332440`): node 2 does not reach the output, so its edges do not matter. The rows
    // were trained separately, so each keeps its own accuracy.
    let member = c10.lookup(&arch(&c10, "340440")).unwrap();
    assert_eq!(member.canonical, arch(&c10, "332440"));
    assert_eq!(member.accuracy, 88.8467);
    assert_eq!(c10.lookup(&arch(&c10, "332440")).unwrap().accuracy, 88.72);
    assert_eq!(c10.canonical(&arch(&c10, "010310")), arch(&c10, "302300"));
    let classes: HashSet<Arch> = c10.iter().map(|(_, r)| r.canonical.clone()).collect();
    assert_eq!(classes.len(), 6466);
    assert_targets(&c10, 94.3733, 2, (16, 94.18), (157, 93.775));

    if let Some(valid) = load_column(NB201_C10, &space, "valid_acc") {
        assert_eq!(valid.accuracy_column(), "valid_acc");
        assert_targets(&valid, 91.6067, 1, (16, 91.366), (157, 90.972));
    }
    if let Some(c100) = load(NB201_C100, &space) {
        let top = c100.lookup(&arch(&c100, "333133")).unwrap();
        assert_eq!(top.accuracy, 73.5133);
        assert_targets(&c100, 73.5133, 1, (16, 72.72), (157, 71.1333));
    }
}

#[test]
fn threshold_fraction_is_checked() {
    let space = macro_space();
    let Some(t) = load(MACRO, &space) else {
        return;
    };
    for f in [0.0, -0.1, 1.5, f64::NAN] {
        assert!(
            matches!(t.threshold_top(f), Err(BenchError::InvalidFraction { .. })),
            "{f}"
        );
    }
    let all = t.threshold_top(1.0).unwrap();
    assert_eq!((all.k, all.value), (6561, 45.3633));
    assert_eq!(t.kth_best(1), Some(93.1267));
    assert_eq!(t.kth_best(0), None);
    assert_eq!(t.kth_best(6562), None);
}

// ---- crafted bad inputs -------------------------------------------------------------------

const MACRO_HEADER: &str = "arch,canonical_arch,is_canonical,test_acc_mean,flops";

/// Writes `name` with `lines` into a fresh temp dir; returns (dir guard, path).
fn csv(name: &str, lines: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    (dir, path)
}

fn load_err(path: &Path, space: &Space, acc: Option<&str>, cost: Option<&str>) -> BenchError {
    match BenchTable::load(path, space, acc, cost) {
        Ok(_) => panic!("{} loaded but should fail", path.display()),
        Err(e) => e,
    }
}

/// The message must name the file, and `needles` (line, column, value...).
fn assert_names(err: &BenchError, path: &Path, needles: &[&str]) {
    let msg = err.to_string();
    assert!(
        msg.contains(&path.display().to_string()),
        "no path in: {msg}"
    );
    for n in needles {
        assert!(msg.contains(n), "`{n}` missing in: {msg}");
    }
    println!("ok: {msg}");
}

#[test]
fn good_small_table_loads_and_missing_arch_is_an_error() {
    let space = macro_space();
    let (_d, path) = csv(
        "small.csv",
        &[
            MACRO_HEADER,
            "00000001,00000010,0,64.2233,14115328",
            "00000010,00000010,1,64.2233,14115328",
            "22212220,22212220,1,93.1267,85164544",
        ],
    );
    let t = BenchTable::load(&path, &space, None, None).unwrap();
    assert_eq!(t.len(), 3);
    assert_eq!(t.threshold_top(0.5).unwrap().value, 64.2233); // k = ceil(1.5) = 2
    let missing = t.parse_arch("22222222").unwrap();
    let err = t.lookup(&missing).unwrap_err();
    assert!(matches!(err, BenchError::ArchNotInTable { .. }));
    assert_names(&err, &path, &["22222222", "arch"]);
    // An arch that does not fit the space.
    let err = t.lookup(&Arch::new(vec![0; 7])).unwrap_err();
    assert!(matches!(err, BenchError::InvalidArch { .. }));
    assert_names(&err, &path, &["0000000", "8 decisions"]);
    assert!(matches!(
        t.parse_arch("2221222-"),
        Err(BenchError::InvalidEncoding { .. })
    ));
    assert!(matches!(
        t.parse_arch("22212223"),
        Err(BenchError::InvalidArch { .. })
    ));
    // The cost column is optional: a user table without `flops` still loads.
    let (_d2, p2) = csv("nocost.csv", &["arch,test_acc_mean", "22212220,93.1"]);
    let t2 = BenchTable::load(&p2, &space, None, None).unwrap();
    assert_eq!(t2.cost_column(), None);
    assert_eq!(
        t2.lookup(&t2.parse_arch("22212220").unwrap()).unwrap().cost,
        None
    );
    // Non-canonical rows are canonicalised by rule when `canonical_arch` is absent.
    assert_eq!(
        t2.canonical(&t2.parse_arch("00000001").unwrap()),
        t2.parse_arch("00000010").unwrap()
    );
}

#[test]
fn missing_columns_are_named() {
    let space = macro_space();
    let (_d, path) = csv("noacc.csv", &["arch,flops", "00000000,1"]);
    let err = load_err(&path, &space, None, None);
    assert!(matches!(err, BenchError::MissingColumn { .. }));
    assert_names(&err, &path, &["line 1", "test_acc_mean", "arch, flops"]);

    let (_d, path) = csv("noenc.csv", &["code,test_acc_mean", "00000000,1"]);
    let err = load_err(&path, &space, None, None);
    assert_names(&err, &path, &["arch", "ops", "code, test_acc_mean"]);

    let (_d, path) = csv("ok.csv", &[MACRO_HEADER, "00000000,00000000,1,45.3,7"]);
    let err = load_err(&path, &space, Some("valid_acc"), None);
    assert_names(&err, &path, &["valid_acc"]);
    let err = load_err(&path, &space, None, Some("latency_ms"));
    assert_names(&err, &path, &["latency_ms", "cost"]);

    let nb = nb201_space();
    let (_d, path) = csv("iso.csv", &["ops,iso_rep,test_acc", "333132,0,94.3"]);
    let err = load_err(&path, &nb, None, None);
    assert_names(&err, &path, &["arch_index", "iso_rep"]);
}

#[test]
fn malformed_rows_name_line_and_column() {
    let space = macro_space();
    let ok = "00000000,00000000,1,45.3633,7713280";
    let cases: Vec<(&str, &str, Vec<&str>)> = vec![
        (
            "nan.csv",
            "22212220,22212220,1,abc,85164544",
            vec!["line 3", "test_acc_mean", "abc"],
        ),
        (
            "inf.csv",
            "22212220,22212220,1,inf,85164544",
            vec!["line 3", "test_acc_mean", "finite"],
        ),
        (
            "cost.csv",
            "22212220,22212220,1,93.1,",
            vec!["line 3", "flops"],
        ),
        (
            "fields.csv",
            "22212220,22212220,1,93.1",
            vec!["line 3", "4 fields", "5"],
        ),
        (
            "long.csv",
            "222122200,222122200,1,93.1,85",
            vec!["line 3", "`arch`", "222122200", "9 tokens", "8 decisions"],
        ),
        (
            "short.csv",
            "2221222,2221222,1,93.1,85",
            vec!["line 3", "`arch`", "2221222"],
        ),
        (
            "range.csv",
            "22212223,22212223,1,93.1,85",
            vec!["line 3", "`arch`", "22212223", "stage3.l8", "3 choices"],
        ),
        (
            "char.csv",
            "2221222-,22212220,1,93.1,85",
            vec!["line 3", "`arch`", "character 8 `-`"],
        ),
        (
            "canon.csv",
            "22212202,22212202,0,93.1,85",
            vec!["line 3", "canonical_arch", "22212220"],
        ),
        (
            "dup.csv",
            "00000000,00000000,1,45.3633,7713280",
            vec!["line 3", "`arch`", "line 2"],
        ),
    ];
    for (name, bad, needles) in cases {
        let (_d, path) = csv(name, &[MACRO_HEADER, ok, bad]);
        let err = load_err(&path, &space, None, None);
        assert_names(&err, &path, &needles);
    }

    let (_d, path) = csv("empty.csv", &[MACRO_HEADER]);
    assert!(matches!(
        load_err(&path, &space, None, None),
        BenchError::EmptyTable { .. }
    ));
    let absent = std::env::temp_dir().join("fnas-no-such-table.csv");
    let err = load_err(&absent, &space, None, None);
    assert!(matches!(err, BenchError::Io { .. }));
    assert_names(&err, &absent, &[]);
}

#[test]
fn nb201_iso_rep_errors() {
    let space = nb201_space();
    let header = "arch_index,ops,iso_rep,test_acc";
    let cases: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        (
            "absent.csv",
            vec!["0,333132,0,94.3", "1,333123,7,94.3"],
            vec!["line 3", "iso_rep", "`7`", "not in the table"],
        ),
        (
            "larger.csv",
            vec!["0,333132,1,94.3", "1,333123,1,94.3"],
            vec!["line 2", "iso_rep", "smallest"],
        ),
        (
            "index.csv",
            vec!["0,333132,0,94.3", "0,333123,0,94.3"],
            vec!["line 3", "arch_index", "line 2"],
        ),
        (
            "neg.csv",
            vec!["0,333132,-1,94.3"],
            vec!["line 2", "iso_rep", "-1"],
        ),
        (
            "op.csv",
            vec!["0,333135,0,94.3"],
            vec!["line 2", "`ops`", "333135", "5 choices"],
        ),
    ];
    for (name, rows, needles) in cases {
        let mut lines = vec![header];
        lines.extend(rows);
        let (_d, path) = csv(name, &lines);
        let err = load_err(&path, &space, None, None);
        assert_names(&err, &path, &needles);
    }
    // A consistent class resolves to the representative's encoding.
    let (_d, path) = csv("good.csv", &[header, "3,410001,3,86.6", "25,101001,3,86.5"]);
    let t = BenchTable::load(&path, &space, None, None).unwrap();
    let member = t.lookup(&t.parse_arch("101001").unwrap()).unwrap();
    assert_eq!(member.canonical, t.parse_arch("410001").unwrap());
    assert_eq!(member.accuracy, 86.5);
}

#[test]
fn bench_spaces_have_the_benchmark_shapes() {
    let m = macro_space();
    assert_eq!(m.name(), "nb-macro");
    assert_eq!(m.decision_sizes(), vec![3; 8]);
    // One block per stage (2, 3, 3 layers): the canonical rule works per block.
    let stages: Vec<_> = (0..m.num_blocks())
        .map(|b| m.block_decision_range(b))
        .collect();
    assert_eq!(stages, vec![0..2, 2..5, 5..8]);
    assert_eq!(m.decision_names()[7], "stage3.l8");
    assert_eq!(
        m.blocks()[0].decisions[0].choices,
        ["identity", "mb3_k3", "mb6_k5"]
    );

    let n = nb201_space();
    assert_eq!(n.name(), "nb201");
    assert_eq!(n.decision_sizes(), vec![5; 6]);
    let edges: Vec<&str> = n.blocks().iter().map(|b| b.name.as_str()).collect();
    assert_eq!(edges, ["e01", "e02", "e12", "e03", "e13", "e23"]);
    // The README's digit order of the `ops` column.
    assert_eq!(
        n.blocks()[0].decisions[0].choices,
        [
            "none",
            "skip_connect",
            "nor_conv_1x1",
            "nor_conv_3x3",
            "avg_pool_3x3"
        ]
    );
}

/// An accuracy column holds percentages: another column picked by mistake (parameter counts,
/// the encoding) is refused at load, naming it, before a search could record anything.
#[test]
fn accuracies_outside_0_to_100_are_refused() {
    let space = macro_space();
    let (_d, path) = csv(
        "params.csv",
        &["arch,test_acc_mean,params", "00000000,93.1,387882"],
    );
    let err = load_err(&path, &space, Some("params"), None);
    assert_names(&err, &path, &["line 2", "params", "387882", "0 to 100"]);
    let (_d, path) = csv("neg.csv", &["arch,test_acc_mean", "00000000,-0.5"]);
    let err = load_err(&path, &space, None, None);
    assert_names(&err, &path, &["test_acc_mean", "0 to 100"]);
}
