//! Proxy-task datasets: loading a task spec, the fixed train/validation split, the
//! fingerprint and per-channel standardisation.
//!
//! A `Dataset` is plain `Vec`s (Send + Sync) so one copy can be shared in an `Arc` by all
//! trainer threads; each thread builds its own tensors from it (tch tensors are not Sync).

use std::path::Path;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::cifar::load_cifar_dir;
use super::digits::load_digits;
use super::error::TrainError;
use super::idx::load_idx_dir;
use super::raw::RawImages;

/// Seed of the train/validation shuffle. Fixed (not the experiment seed) so that every
/// experiment on a task, and every task fingerprint, sees the same split: accuracies of
/// different runs are only comparable on the same validation images.
pub const SPLIT_SEED: u64 = 0x005E_ED0F_5B17;

/// Default number of classes of every supported format (digits, MNIST-style IDX, CIFAR-10).
pub const DEFAULT_CLASSES: usize = 10;

/// How a task is split and subsampled. Recorded by callers alongside the fingerprint,
/// since the same data with other options gives other splits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataOptions {
    /// Fraction of the pooled samples held out for validation, in (0, 1).
    pub val_fraction: f64,
    /// Keep at most this many training samples (a random subset: the split is shuffled).
    pub max_train: Option<usize>,
    /// Keep at most this many validation samples.
    pub max_val: Option<usize>,
    /// Number of classes; labels must be below it. `None` = 10.
    pub classes: Option<usize>,
}

impl Default for DataOptions {
    fn default() -> Self {
        DataOptions {
            val_fraction: 0.2,
            max_train: None,
            max_val: None,
            classes: None,
        }
    }
}

/// One side of the split: standardised pixels in NCHW order and labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    /// `len() * channels * height * width` values.
    pub images: Vec<f32>,
    pub labels: Vec<i64>,
}

impl Split {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// A loaded, split and standardised proxy task.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// `digits`, `idx:<dir name>` or `cifar:<dir name>` (the directory's last component,
    /// so the name does not depend on where the data sits on a machine).
    pub name: String,
    /// sha256 (hex) over the image shape, class count, raw pixel bytes and labels of the
    /// whole pool: the same name with other data is detected.
    pub fingerprint: String,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub classes: usize,
    pub train: Split,
    pub val: Split,
    /// Per-channel mean and standard deviation (of pixel/pixel_max, over the train split)
    /// that were subtracted/divided; kept so other data can be normalised alike.
    pub channel_mean: Vec<f32>,
    pub channel_std: Vec<f32>,
    pub options: DataOptions,
}

impl Dataset {
    /// Values per image.
    pub fn image_size(&self) -> usize {
        self.channels * self.height * self.width
    }
}

/// Loads a task: `digits` (built in), `idx:DIR` (MNIST-style IDX pairs, gzipped or not)
/// or `cifar:DIR` (CIFAR-10 binary batches, gzipped or not).
pub fn load_task(spec: &str, opts: &DataOptions) -> Result<Dataset, TrainError> {
    validate_options(opts)?;
    let classes = opts.classes.unwrap_or(DEFAULT_CLASSES);
    let (name, raw) = if spec == "digits" {
        ("digits".to_string(), load_digits(classes)?)
    } else if let Some(dir) = spec.strip_prefix("idx:") {
        (dir_name("idx", dir), load_idx_dir(Path::new(dir), classes)?)
    } else if let Some(dir) = spec.strip_prefix("cifar:") {
        (
            dir_name("cifar", dir),
            load_cifar_dir(Path::new(dir), classes)?,
        )
    } else {
        return Err(TrainError::UnknownTask {
            spec: spec.to_string(),
        });
    };
    dataset_from_raw(name, raw, classes, opts)
}

/// Splits, standardises and fingerprints a pool of raw images. Public so callers with
/// their own source (or tests) get exactly the same treatment as the built-in loaders.
pub fn dataset_from_raw(
    name: String,
    raw: RawImages,
    classes: usize,
    opts: &DataOptions,
) -> Result<Dataset, TrainError> {
    validate_options(opts)?;
    let n = raw.len();
    if n < 2 {
        return Err(TrainError::BadSplit {
            task: name,
            reason: format!("{n} samples; need at least 2 to split"),
        });
    }
    let fingerprint = fingerprint(&raw, classes);
    let (train_idx, val_idx) = split_indices(n, opts);
    let (mean, std) = channel_stats(&raw, &train_idx);
    let train = gather(&raw, &train_idx, &mean, &std);
    let val = gather(&raw, &val_idx, &mean, &std);
    Ok(Dataset {
        name,
        fingerprint,
        channels: raw.channels,
        height: raw.height,
        width: raw.width,
        classes,
        train,
        val,
        channel_mean: mean,
        channel_std: std,
        options: opts.clone(),
    })
}

fn validate_options(opts: &DataOptions) -> Result<(), TrainError> {
    let bad = |field: &str, reason: &str| {
        Err(TrainError::InvalidConfig {
            field: field.to_string(),
            reason: reason.to_string(),
        })
    };
    if !(opts.val_fraction > 0.0 && opts.val_fraction < 1.0) {
        return bad("val_fraction", "must be strictly between 0 and 1");
    }
    if opts.max_train == Some(0) {
        return bad("max_train", "must be at least 1");
    }
    if opts.max_val == Some(0) {
        return bad("max_val", "must be at least 1");
    }
    if matches!(opts.classes, Some(c) if !(2..=256).contains(&c)) {
        return bad("classes", "must be in 2..=256 (labels are bytes)");
    }
    Ok(())
}

fn dir_name(kind: &str, dir: &str) -> String {
    let last = Path::new(dir)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.to_string());
    format!("{kind}:{last}")
}

fn fingerprint(raw: &RawImages, classes: usize) -> String {
    let mut h = Sha256::new();
    h.update(b"fnas-dataset-v1");
    for v in [raw.channels, raw.height, raw.width, raw.len(), classes] {
        h.update((v as u64).to_le_bytes());
    }
    h.update(raw.pixel_max.to_le_bytes());
    h.update(&raw.pixels);
    h.update(&raw.labels);
    hex::encode(h.finalize())
}

/// Seeded shuffle with [`SPLIT_SEED`]; validation takes the first `round(n*fraction)`
/// (at least 1, leaving at least 1 for training), then caps truncate each side. Caps only
/// shorten, so a smaller cap yields a subset of a larger one's split.
fn split_indices(n: usize, opts: &DataOptions) -> (Vec<usize>, Vec<usize>) {
    let mut perm: Vec<usize> = (0..n).collect();
    perm.shuffle(&mut ChaCha8Rng::seed_from_u64(SPLIT_SEED));
    let n_val = ((n as f64 * opts.val_fraction).round() as usize).clamp(1, n - 1);
    let mut train = perm.split_off(n_val);
    let mut val = perm;
    if let Some(cap) = opts.max_train {
        train.truncate(cap);
    }
    if let Some(cap) = opts.max_val {
        val.truncate(cap);
    }
    (train, val)
}

/// Per-channel mean/std of pixel/pixel_max over the given samples (f64 accumulators).
fn channel_stats(raw: &RawImages, idx: &[usize]) -> (Vec<f32>, Vec<f32>) {
    let plane = raw.height * raw.width;
    let mut sum = vec![0f64; raw.channels];
    let mut sq = vec![0f64; raw.channels];
    for &i in idx {
        let img = &raw.pixels[i * raw.image_size()..(i + 1) * raw.image_size()];
        for c in 0..raw.channels {
            for &p in &img[c * plane..(c + 1) * plane] {
                let v = f64::from(p) / f64::from(raw.pixel_max);
                sum[c] += v;
                sq[c] += v * v;
            }
        }
    }
    let count = (idx.len() * plane).max(1) as f64;
    let mean: Vec<f64> = sum.iter().map(|s| s / count).collect();
    let std = sq
        .iter()
        .zip(&mean)
        // A constant channel would divide by 0; 1e-6 keeps it finite (and zero).
        .map(|(s, m)| ((s / count - m * m).max(0.0).sqrt().max(1e-6)) as f32)
        .collect();
    (mean.iter().map(|&m| m as f32).collect(), std)
}

fn gather(raw: &RawImages, idx: &[usize], mean: &[f32], std: &[f32]) -> Split {
    let size = raw.image_size();
    let plane = raw.height * raw.width;
    let mut images = Vec::with_capacity(idx.len() * size);
    let mut labels = Vec::with_capacity(idx.len());
    for &i in idx {
        let img = &raw.pixels[i * size..(i + 1) * size];
        for (j, &p) in img.iter().enumerate() {
            let c = j / plane;
            images.push((f32::from(p) / raw.pixel_max - mean[c]) / std[c]);
        }
        labels.push(i64::from(raw.labels[i]));
    }
    Split { images, labels }
}
