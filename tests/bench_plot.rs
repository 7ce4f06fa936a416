//! The best-so-far plot: PNG and SVG are written, non-trivial, and name the series.

mod bench_support;

use bench_support::*;
use fnas::bench::{
    plot_best_so_far, run_on_table, BenchError, Distinct, Proposer, RandomSearch,
    RegularizedEvolution,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Noisy synthetic rewards: `seeds` traces of `len` values around `level`.
fn synthetic(seeds: u64, len: usize, level: f64) -> Vec<Vec<f64>> {
    (0..seeds)
        .map(|s| {
            let mut rng = ChaCha8Rng::seed_from_u64(s);
            (0..len).map(|_| level + rng.gen_range(-5.0..1.0)).collect()
        })
        .collect()
}

#[test]
fn png_and_svg_are_written_with_series_names() {
    let dir = tempfile::tempdir().unwrap();
    let series = vec![
        ("random search".to_string(), synthetic(10, 120, 90.0)),
        ("evolution p20 s5".to_string(), synthetic(10, 100, 91.0)),
        // One seed: no band, still a line.
        ("single seed".to_string(), synthetic(1, 80, 89.0)),
    ];
    let png = dir.path().join("curve.png");
    plot_best_so_far(&png, "Synthetic best-so-far", &series, "accuracy (%)").unwrap();
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert!(bytes.len() > 10_000, "png only {} bytes", bytes.len());

    let svg = dir.path().join("curve.SVG");
    plot_best_so_far(&svg, "Synthetic best-so-far", &series, "accuracy (%)").unwrap();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg"), "{}", &text[..text.len().min(80)]);
    for needle in [
        "random search",
        "evolution p20 s5",
        "single seed",
        "Synthetic best-so-far",
        "accuracy (%)",
        "<polygon",
    ] {
        assert!(text.contains(needle), "svg lacks `{needle}`");
    }
}

#[test]
fn bad_requests_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let series = vec![("rs", synthetic(3, 10, 90.0))];
    let pdf = dir.path().join("curve.pdf");
    let err = plot_best_so_far(&pdf, "t", &series, "y").unwrap_err();
    assert!(matches!(err, BenchError::Plot { .. }));
    assert!(err.to_string().contains("curve.pdf") && err.to_string().contains(".svg"));
    assert!(!pdf.exists());

    let empty: Vec<(&str, Vec<Vec<f64>>)> = vec![("rs", vec![vec![]])];
    let err = plot_best_so_far(&dir.path().join("e.svg"), "t", &empty, "y").unwrap_err();
    assert!(err.to_string().contains("no series"), "{err}");

    let missing_dir = dir.path().join("no/such/dir/curve.png");
    assert!(plot_best_so_far(&missing_dir, "t", &series, "y").is_err());
}

/// The real figure on NAS-Bench-Macro (kept in target/ for a look when the table exists).
#[test]
fn macro_figure() {
    let space = macro_space();
    let Some(table) = load(MACRO, &space) else {
        return;
    };
    let traces = |make: &dyn Fn() -> Box<dyn Proposer>| -> Vec<Vec<f64>> {
        (0..10u64)
            .map(|seed| {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                let mut p = make();
                run_on_table(p.as_mut(), &table, &mut rng, 300, 1500, Distinct::Encoding)
                    .unwrap()
                    .best_so_far()
            })
            .collect()
    };
    let series = vec![
        ("random", traces(&|| Box::new(RandomSearch::new(&space)))),
        (
            "re_p20_s5",
            traces(&|| Box::new(RegularizedEvolution::with_defaults(&space))),
        ),
    ];
    let out = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-plot-test");
    std::fs::create_dir_all(&out).unwrap();
    for ext in ["png", "svg"] {
        let path = out.join(format!("macro_best_so_far.{ext}"));
        plot_best_so_far(
            &path,
            "NAS-Bench-Macro CIFAR-10: best-so-far, 10 seeds, 95% band",
            &series,
            "test_acc_mean (%)",
        )
        .unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() > 10_000);
        println!("wrote {}", path.display());
    }
}
