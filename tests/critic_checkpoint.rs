//! Critic determinism and checkpoints (real libtorch, one thread): same seed and data give
//! the same bytes, bytes round-trip to identical predictions and identical continued fits,
//! and corrupt or foreign checkpoints are refused.

mod critic_support;

use critic_support::{one_thread, Relation};
use fnas::critic::{Critic, CriticConfig, CriticError};
use sha2::{Digest, Sha256};

fn small() -> CriticConfig {
    CriticConfig {
        hidden: 16,
        ..CriticConfig::default()
    }
}

/// Two warm fits of a fresh critic: on the first 48 samples, then on all 96.
fn fitted(seed: u64) -> (Critic, Relation, critic_support::Data) {
    one_thread();
    let rel = Relation::new(21);
    let data = rel.sample(96, 1, 0.2, 0.5);
    let mut c = Critic::new(rel.input_dim(), small(), seed).unwrap();
    c.fit(&data.inputs[..48], &data.rewards[..48]).unwrap();
    c.fit(&data.inputs, &data.rewards).unwrap();
    (c, rel, data)
}

/// Replaces the trailing sha256 so a deliberate edit passes the checksum.
fn rehash(mut bytes: Vec<u8>) -> Vec<u8> {
    let body = bytes.len() - 32;
    let digest = Sha256::digest(&bytes[..body]);
    bytes[body..].copy_from_slice(&digest);
    bytes
}

#[test]
fn same_seed_and_data_give_identical_bytes() {
    one_thread();
    let a = Critic::new(119, small(), 9).unwrap();
    let b = Critic::new(119, small(), 9).unwrap();
    let c = Critic::new(119, small(), 10).unwrap();
    assert_eq!(a.to_bytes(), b.to_bytes());
    assert_ne!(a.to_bytes(), c.to_bytes());

    let (a, _, data) = fitted(9);
    let (b, _, _) = fitted(9);
    assert_eq!(a.to_bytes(), b.to_bytes());
    assert_eq!(a.fits(), 2);
    assert!(a.optimizer_steps() > 0);
    assert_eq!(
        a.evaluate(&data.inputs, &data.rewards).unwrap(),
        b.evaluate(&data.inputs, &data.rewards).unwrap()
    );
    let (c, _, _) = fitted(10);
    assert_ne!(a.to_bytes(), c.to_bytes());
}

#[test]
fn round_trip_keeps_predictions_and_continues_identically() {
    let (mut original, rel, data) = fitted(3);
    let bytes = original.to_bytes();
    let mut loaded = Critic::from_bytes(&bytes).unwrap();
    assert_eq!(loaded.to_bytes(), bytes);
    assert_eq!(loaded.fits(), original.fits());
    assert_eq!(loaded.optimizer_steps(), original.optimizer_steps());
    assert_eq!(loaded.reward_scale(), original.reward_scale());
    assert_eq!(loaded.config(), original.config());
    let probe = rel.sample(20, 2, 0.0, 0.0);
    assert_eq!(
        loaded.predict(&probe.inputs).unwrap(),
        original.predict(&probe.inputs).unwrap()
    );
    // A resumed search refits the loaded critic: it must equal refitting the original.
    let more = rel.sample(32, 3, 0.2, 0.5);
    let mut inputs = data.inputs.clone();
    let mut rewards = data.rewards.clone();
    inputs.extend(more.inputs);
    rewards.extend(more.rewards);
    let fa = original.fit(&inputs, &rewards).unwrap();
    let fb = loaded.fit(&inputs, &rewards).unwrap();
    assert_eq!(fa, fb);
    assert_eq!(original.to_bytes(), loaded.to_bytes());
    assert_eq!(
        Critic::from_bytes_checked(&original.to_bytes(), 119)
            .unwrap()
            .to_bytes(),
        original.to_bytes()
    );
}

#[test]
fn cold_fit_depends_on_seed_and_data_only() {
    one_thread();
    let rel = Relation::new(22);
    let data = rel.sample(64, 4, 0.2, 0.0);
    let cfg = CriticConfig {
        warm_start: false,
        ..small()
    };
    let mut a = Critic::new(rel.input_dim(), cfg.clone(), 5).unwrap();
    a.fit(&data.inputs[..16], &data.rewards[..16]).unwrap();
    a.fit(&data.inputs, &data.rewards).unwrap();
    let mut b = Critic::new(rel.input_dim(), cfg, 5).unwrap();
    b.fit(&data.inputs, &data.rewards).unwrap();
    assert_eq!(
        a.predict(&data.inputs).unwrap(),
        b.predict(&data.inputs).unwrap()
    );
    // Warm fits, by contrast, carry their history.
    let mut c = Critic::new(rel.input_dim(), small(), 5).unwrap();
    c.fit(&data.inputs[..16], &data.rewards[..16]).unwrap();
    c.fit(&data.inputs, &data.rewards).unwrap();
    let mut d = Critic::new(rel.input_dim(), small(), 5).unwrap();
    d.fit(&data.inputs, &data.rewards).unwrap();
    assert_ne!(
        c.predict(&data.inputs).unwrap(),
        d.predict(&data.inputs).unwrap()
    );
}

#[test]
fn corrupt_and_foreign_checkpoints_are_refused() {
    let (critic, _, _) = fitted(4);
    let bytes = critic.to_bytes();
    let corrupt = |b: &[u8]| match Critic::from_bytes(b) {
        Err(CriticError::CheckpointCorrupt { reason }) => reason,
        other => panic!("expected CheckpointCorrupt, got {:?}", other.map(|_| ())),
    };

    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 1;
    assert!(corrupt(&flipped).contains("checksum"));
    assert!(corrupt(&bytes[..bytes.len() - 1]).contains("checksum"));
    assert!(corrupt(&bytes[..10]).contains("only 10 bytes"));

    let mut magic = bytes.clone();
    magic[0] = b'X';
    assert!(corrupt(&rehash(magic)).contains("magic"));

    let mut version = bytes.clone();
    version[8..12].copy_from_slice(&2u32.to_le_bytes());
    match Critic::from_bytes(&rehash(version)) {
        Err(CriticError::CheckpointVersion {
            found: 2,
            supported: 1,
        }) => {}
        other => panic!("expected CheckpointVersion, got {:?}", other.map(|_| ())),
    }

    // A payload that is one float short (checksum fixed up) is caught by the size check.
    let mut short = bytes[..bytes.len() - 32 - 4].to_vec();
    short.extend_from_slice(&[0; 32]);
    assert!(corrupt(&rehash(short)).contains("payload"));

    // Another search space: same format, different input length.
    match Critic::from_bytes_checked(&bytes, 120) {
        Err(CriticError::InputDimMismatch {
            expected: 120,
            found: 119,
        }) => {}
        other => panic!("expected InputDimMismatch, got {:?}", other.map(|_| ())),
    }
    let err = Critic::from_bytes_checked(&flipped, 119).err().unwrap();
    assert!(err.to_string().contains("checksum"), "{err}");
}
