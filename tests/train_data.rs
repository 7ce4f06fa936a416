//! Dataset loading: the built-in digits, the staged IDX/CIFAR sets (skipped when
//! ../shared/data is absent) and crafted bad files, each of which must fail naming the file.

mod train_common;

use std::io::Write;
use std::path::{Path, PathBuf};

use fnas::train::data::dataset_from_raw;
use fnas::train::{load_task, DataOptions, Dataset, RawImages, TrainError};
use train_common::shared_data;

fn spec(kind: &str, dir: &Path) -> String {
    format!("{kind}:{}", dir.display())
}

fn assert_standardised(d: &Dataset) {
    let plane = d.height * d.width;
    for c in 0..d.channels {
        let (mut sum, mut sq, mut n) = (0f64, 0f64, 0f64);
        for img in d.train.images.chunks(d.image_size()) {
            for &v in &img[c * plane..(c + 1) * plane] {
                sum += f64::from(v);
                sq += f64::from(v) * f64::from(v);
                n += 1.0;
            }
        }
        let mean = sum / n;
        let var = sq / n - mean * mean;
        assert!(mean.abs() < 1e-3, "channel {c} mean {mean}");
        assert!((var - 1.0).abs() < 1e-2, "channel {c} var {var}");
    }
}

#[test]
fn builtin_digits_loads_with_fixed_split() {
    let d = load_task("digits", &DataOptions::default()).unwrap();
    assert_eq!(d.name, "digits");
    assert_eq!((d.channels, d.height, d.width, d.classes), (1, 8, 8, 10));
    assert_eq!(d.train.len() + d.val.len(), 1797);
    assert_eq!(d.val.len(), 359); // round(1797 * 0.2)
    assert_eq!(d.train.images.len(), d.train.len() * 64);
    assert!(d
        .train
        .labels
        .iter()
        .chain(&d.val.labels)
        .all(|&l| (0..10).contains(&l)));
    assert_eq!(d.fingerprint.len(), 64);
    assert_standardised(&d);

    // Stable: a second load is identical, and split options do not change the fingerprint.
    let again = load_task("digits", &DataOptions::default()).unwrap();
    assert_eq!(again, d);
    let other = load_task(
        "digits",
        &DataOptions {
            val_fraction: 0.5,
            ..DataOptions::default()
        },
    )
    .unwrap();
    assert_eq!(other.fingerprint, d.fingerprint);
    assert_eq!(other.val.len(), 899);
}

#[test]
fn caps_take_prefixes_of_the_same_split() {
    let full = load_task("digits", &DataOptions::default()).unwrap();
    let capped = load_task(
        "digits",
        &DataOptions {
            max_train: Some(100),
            max_val: Some(50),
            ..DataOptions::default()
        },
    )
    .unwrap();
    assert_eq!((capped.train.len(), capped.val.len()), (100, 50));
    assert_eq!(capped.val.labels[..], full.val.labels[..50]);
    assert_eq!(capped.train.labels[..], full.train.labels[..100]);
    assert_eq!(capped.fingerprint, full.fingerprint);
}

#[test]
fn fingerprint_detects_other_data_under_the_same_name() {
    let raw = RawImages {
        channels: 1,
        height: 2,
        width: 2,
        pixels: (0..40).map(|i| (i * 7 % 256) as u8).collect(),
        labels: (0..10).map(|i| i % 3).collect(),
        pixel_max: 255.0,
    };
    let a = dataset_from_raw("t".into(), raw.clone(), 3, &DataOptions::default()).unwrap();
    let mut changed = raw.clone();
    changed.pixels[5] ^= 1;
    let b = dataset_from_raw("t".into(), changed, 3, &DataOptions::default()).unwrap();
    let mut relabelled = raw;
    relabelled.labels[0] = 2;
    let c = dataset_from_raw("t".into(), relabelled, 3, &DataOptions::default()).unwrap();
    assert_ne!(a.fingerprint, b.fingerprint);
    assert_ne!(a.fingerprint, c.fingerprint);
    assert_ne!(b.fingerprint, c.fingerprint);
}

#[test]
fn unknown_task_and_bad_options_are_rejected() {
    let err = load_task("mnist", &DataOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown task 'mnist': expected digits, idx:DIR, cifar:DIR (or table:FILE.csv for a benchmark table)"
    );
    for (opts, field) in [
        (
            DataOptions {
                val_fraction: 0.0,
                ..DataOptions::default()
            },
            "val_fraction",
        ),
        (
            DataOptions {
                val_fraction: 1.0,
                ..DataOptions::default()
            },
            "val_fraction",
        ),
        (
            DataOptions {
                max_train: Some(0),
                ..DataOptions::default()
            },
            "max_train",
        ),
        (
            DataOptions {
                classes: Some(1),
                ..DataOptions::default()
            },
            "classes",
        ),
    ] {
        let err = load_task("digits", &opts).unwrap_err();
        assert!(matches!(err, TrainError::InvalidConfig { .. }), "{err}");
        assert!(err.to_string().contains(field), "{err}");
    }
}

// ---- staged data (skipped when absent) ----

#[test]
fn staged_mnist_pools_train_and_t10k() {
    let Some(dir) = shared_data("mnist") else {
        return;
    };
    let d = load_task(&spec("idx", &dir), &DataOptions::default()).unwrap();
    assert_eq!(d.name, "idx:mnist");
    assert_eq!((d.channels, d.height, d.width, d.classes), (1, 28, 28, 10));
    assert_eq!(d.train.len() + d.val.len(), 20_000);
    assert_eq!(d.val.len(), 4_000);
    assert_standardised(&d);
    let capped = load_task(
        &spec("idx", &dir),
        &DataOptions {
            max_train: Some(4000),
            max_val: Some(1000),
            ..DataOptions::default()
        },
    )
    .unwrap();
    assert_eq!((capped.train.len(), capped.val.len()), (4000, 1000));
    assert_eq!(capped.fingerprint, d.fingerprint);
}

#[test]
fn staged_uci_digits_idx_matches_builtin_digits() {
    let Some(dir) = shared_data("uci-digits-8x8") else {
        return;
    };
    let idx = load_task(&spec("idx", &dir), &DataOptions::default()).unwrap();
    let builtin = load_task("digits", &DataOptions::default()).unwrap();
    assert_eq!((idx.channels, idx.height, idx.width), (1, 8, 8));
    // Same samples in the same order (bytes are counts x 15 instead of counts), so the
    // fixed split and the standardised pixels agree; only the raw-byte fingerprint differs.
    assert_eq!(idx.train.labels, builtin.train.labels);
    assert_eq!(idx.val.labels, builtin.val.labels);
    let max_diff = idx
        .train
        .images
        .iter()
        .zip(&builtin.train.images)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(max_diff < 1e-3, "max diff {max_diff}");
    assert_ne!(idx.fingerprint, builtin.fingerprint);
}

#[test]
fn staged_notmnist_and_cifar_load() {
    if let Some(dir) = shared_data("notmnist") {
        let d = load_task(&spec("idx", &dir), &DataOptions::default()).unwrap();
        assert_eq!((d.train.len() + d.val.len(), d.height), (10_000, 28));
    }
    if let Some(dir) = shared_data("cifar10") {
        let d = load_task(
            &spec("cifar", &dir),
            &DataOptions {
                max_train: Some(500),
                max_val: Some(100),
                ..DataOptions::default()
            },
        )
        .unwrap();
        assert_eq!(d.name, "cifar:cifar10");
        assert_eq!((d.channels, d.height, d.width, d.classes), (3, 32, 32, 10));
        assert_eq!((d.train.len(), d.val.len()), (500, 100));
        assert_eq!(d.channel_mean.len(), 3);
        assert_standardised(&d);
    }
}

// ---- crafted files ----

fn idx_images(magic: u32, n: u32, rows: u32, cols: u32, payload: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for w in [magic, n, rows, cols] {
        v.extend_from_slice(&w.to_be_bytes());
    }
    v.extend((0..payload).map(|i| (i % 251) as u8));
    v
}

fn idx_labels(magic: u32, labels: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&magic.to_be_bytes());
    v.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    v.extend_from_slice(labels);
    v
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Loads `idx:dir` expecting an error that mentions `file`.
fn idx_err(dir: &Path, file: &Path) -> TrainError {
    let err = load_task(&spec("idx", dir), &DataOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains(&file.display().to_string()),
        "{err} does not name {}",
        file.display()
    );
    err
}

const LABELS: [u8; 5] = [0, 1, 2, 3, 4];

#[test]
fn idx_valid_pairs_gz_and_plain_pool_once() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "a-images-idx3-ubyte.gz",
        &gz(&idx_images(2051, 5, 3, 4, 60)),
    );
    write(
        tmp.path(),
        "a-labels-idx1-ubyte",
        &idx_labels(2049, &LABELS),
    );
    // A plain duplicate of the gzipped images must not be pooled twice.
    write(
        tmp.path(),
        "a-images-idx3-ubyte",
        &idx_images(2051, 5, 3, 4, 60),
    );
    write(
        tmp.path(),
        "b-images-idx3-ubyte",
        &idx_images(2051, 5, 3, 4, 60),
    );
    write(
        tmp.path(),
        "b-labels-idx1-ubyte.gz",
        &gz(&idx_labels(2049, &LABELS)),
    );
    write(tmp.path(), "README.txt", b"not data");
    let d = load_task(&spec("idx", tmp.path()), &DataOptions::default()).unwrap();
    assert_eq!((d.height, d.width, d.train.len() + d.val.len()), (3, 4, 10));
}

#[test]
fn idx_wrong_magic_names_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = write(
        tmp.path(),
        "images-idx3-ubyte",
        &idx_images(2049, 5, 3, 4, 60),
    );
    write(tmp.path(), "labels-idx1-ubyte", &idx_labels(2049, &LABELS));
    let err = idx_err(tmp.path(), &bad);
    assert!(
        matches!(err, TrainError::BadMagic { found: 2049, .. }),
        "{err}"
    );

    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "images-idx3-ubyte",
        &idx_images(2051, 5, 3, 4, 60),
    );
    let bad = write(
        tmp.path(),
        "labels-idx1-ubyte.gz",
        &gz(&idx_labels(2051, &LABELS)),
    );
    assert!(matches!(
        idx_err(tmp.path(), &bad),
        TrainError::BadMagic { .. }
    ));
}

#[test]
fn idx_truncated_names_the_file() {
    // Payload shorter than the header says.
    let tmp = tempfile::tempdir().unwrap();
    let bad = write(
        tmp.path(),
        "t-images-idx3-ubyte.gz",
        &gz(&idx_images(2051, 5, 3, 4, 59)),
    );
    write(
        tmp.path(),
        "t-labels-idx1-ubyte",
        &idx_labels(2049, &LABELS),
    );
    let err = idx_err(tmp.path(), &bad);
    assert!(
        matches!(
            err,
            TrainError::Truncated {
                expected: 76,
                actual: 75,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("truncated"));

    // Header itself cut short, and an absurd header that must not allocate.
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "images-idx3-ubyte",
        &idx_images(2051, 5, 3, 4, 60),
    );
    let bad = write(tmp.path(), "labels-idx1-ubyte", &[0, 0, 8, 1, 0]);
    assert!(matches!(
        idx_err(tmp.path(), &bad),
        TrainError::Truncated { .. }
    ));
    let tmp = tempfile::tempdir().unwrap();
    let bad = write(
        tmp.path(),
        "images-idx3-ubyte",
        &idx_images(2051, u32::MAX, u32::MAX, u32::MAX, 10),
    );
    write(tmp.path(), "labels-idx1-ubyte", &idx_labels(2049, &LABELS));
    assert!(matches!(
        idx_err(tmp.path(), &bad),
        TrainError::Truncated { .. }
    ));

    // Trailing bytes are refused too (a corrupt or mislabelled file).
    let tmp = tempfile::tempdir().unwrap();
    let bad = write(
        tmp.path(),
        "images-idx3-ubyte",
        &idx_images(2051, 5, 3, 4, 61),
    );
    write(tmp.path(), "labels-idx1-ubyte", &idx_labels(2049, &LABELS));
    assert!(matches!(
        idx_err(tmp.path(), &bad),
        TrainError::TrailingData { .. }
    ));
}

#[test]
fn idx_count_mismatch_names_both_files() {
    let tmp = tempfile::tempdir().unwrap();
    let images = write(
        tmp.path(),
        "images-idx3-ubyte",
        &idx_images(2051, 5, 3, 4, 60),
    );
    let labels = write(
        tmp.path(),
        "labels-idx1-ubyte",
        &idx_labels(2049, &LABELS[..4]),
    );
    let err = idx_err(tmp.path(), &images);
    assert!(err.to_string().contains(&labels.display().to_string()));
    assert!(
        matches!(
            err,
            TrainError::CountMismatch {
                n_images: 5,
                n_labels: 4,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn idx_label_out_of_range_names_the_labels_file() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "images-idx3-ubyte",
        &idx_images(2051, 5, 3, 4, 60),
    );
    let labels = write(
        tmp.path(),
        "labels-idx1-ubyte",
        &idx_labels(2049, &[0, 1, 10, 3, 4]),
    );
    let err = idx_err(tmp.path(), &labels);
    assert!(
        matches!(
            err,
            TrainError::LabelOutOfRange {
                index: 2,
                label: 10,
                classes: 10,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn idx_missing_pairs_and_dirs_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let err = idx_err(tmp.path(), tmp.path());
    assert!(matches!(err, TrainError::NoData { .. }), "{err}");

    let images = write(
        tmp.path(),
        "x-images-idx3-ubyte",
        &idx_images(2051, 5, 3, 4, 60),
    );
    let err = idx_err(tmp.path(), &images);
    assert!(err.to_string().contains("x-labels-idx1-ubyte"), "{err}");

    let missing = tmp.path().join("nope");
    assert!(matches!(idx_err(&missing, &missing), TrainError::Io { .. }));

    let tmp = tempfile::tempdir().unwrap();
    let mut broken = gz(&idx_images(2051, 5, 3, 4, 60));
    broken.truncate(broken.len() / 2);
    let bad = write(tmp.path(), "images-idx3-ubyte.gz", &broken);
    write(tmp.path(), "labels-idx1-ubyte", &idx_labels(2049, &LABELS));
    assert!(matches!(idx_err(tmp.path(), &bad), TrainError::Io { .. }));
}

#[test]
fn idx_pairs_of_different_shapes_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "a-images-idx3-ubyte",
        &idx_images(2051, 5, 3, 4, 60),
    );
    write(
        tmp.path(),
        "a-labels-idx1-ubyte",
        &idx_labels(2049, &LABELS),
    );
    let bad = write(
        tmp.path(),
        "b-images-idx3-ubyte",
        &idx_images(2051, 5, 4, 3, 60),
    );
    write(
        tmp.path(),
        "b-labels-idx1-ubyte",
        &idx_labels(2049, &LABELS),
    );
    assert!(matches!(
        idx_err(tmp.path(), &bad),
        TrainError::ShapeMismatch { .. }
    ));
}

fn cifar_records(labels: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    for (i, &l) in labels.iter().enumerate() {
        v.push(l);
        v.extend((0..3072).map(|j| ((i * 31 + j) % 256) as u8));
    }
    v
}

fn cifar_err(dir: &Path, file: &Path) -> TrainError {
    let err = load_task(&spec("cifar", dir), &DataOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains(&file.display().to_string()),
        "{err} does not name {}",
        file.display()
    );
    err
}

#[test]
fn cifar_crafted_files() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "data_batch_1.bin",
        &cifar_records(&[0, 1, 2, 3]),
    );
    write(
        tmp.path(),
        "test_batch.bin.gz",
        &gz(&cifar_records(&[4, 5, 6, 7, 8, 9])),
    );
    write(tmp.path(), "batches.meta.txt", b"airplane\n");
    let d = load_task(&spec("cifar", tmp.path()), &DataOptions::default()).unwrap();
    assert_eq!((d.channels, d.height, d.width), (3, 32, 32));
    assert_eq!(d.train.len() + d.val.len(), 10);

    let mut short = cifar_records(&[0, 1]);
    short.pop();
    let bad = write(tmp.path(), "data_batch_2.bin", &short);
    let err = cifar_err(tmp.path(), &bad);
    assert!(
        matches!(err, TrainError::CifarLength { len: 6145, .. }),
        "{err}"
    );

    let tmp = tempfile::tempdir().unwrap();
    let bad = write(
        tmp.path(),
        "test_batch.bin.gz",
        &gz(&cifar_records(&[0, 10])),
    );
    assert!(matches!(
        cifar_err(tmp.path(), &bad),
        TrainError::LabelOutOfRange { index: 1, .. }
    ));

    let tmp = tempfile::tempdir().unwrap();
    assert!(matches!(
        cifar_err(tmp.path(), tmp.path()),
        TrainError::NoData { .. }
    ));
}

#[test]
fn dataset_can_be_shared_across_trainer_threads() {
    fn shared<T: Send + Sync>() {}
    fn movable<T: Send>() {}
    shared::<Dataset>();
    shared::<std::sync::Arc<Dataset>>();
    movable::<fnas::train::Trainer>();
    movable::<fnas::train::TrainRun>();
}
