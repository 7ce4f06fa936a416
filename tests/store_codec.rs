//! Codec tests: byte-exact round trips of every kind, the committed golden files of
//! schema v1, and refusal of newer schemas / unknown kinds / damaged bytes.
//!
//! Regenerate the golden files (only when adding a kind or a schema version, never to
//! "fix" a failing test): `FNAS_WRITE_GOLDEN=1 cargo test --release --test store_codec`.

use std::path::PathBuf;

use fnas::store::codec::{self, kind, KINDS};
use fnas::store::{
    ArchSampled, BlobRef, EndReason, Event, ExperimentEnded, ExperimentStarted, PolicyStats,
    PolicyUpdated, RewardObserved, RewardSource, StoreError, TaskRegistered, SCHEMA_VERSION,
};

fn blob(c: char) -> BlobRef {
    BlobRef {
        hash: std::iter::repeat_n(c, 64).collect(),
        size: 531_234,
    }
}

/// One fixed example per kind. The golden files are these events encoded; never edit a
/// value here without adding a new schema version.
fn examples() -> Vec<Event> {
    vec![
        Event::TaskRegistered(TaskRegistered {
            task: "mnist".into(),
            fingerprint: "sha256:5f1c0e".into(),
            input_shape: vec![1, 28, 28],
            classes: 10,
            train_samples: 60_000,
            val_samples: 10_000,
        }),
        Event::ExperimentStarted(ExperimentStarted {
            task: "mnist".into(),
            space: "mnas".into(),
            space_hash: "ab12cd34".into(),
            seed: 42,
            config_json: r#"{"batch":8,"lr":0.00035}"#.into(),
            resumes: Some(2),
        }),
        Event::ArchSampled(ArchSampled {
            experiment: 2,
            index: 17,
            tokens: vec![0, 1, 1, 2, 0, 2, 3, 0, 1, 0, 1, 1],
            log_probs: vec![
                -1.386_294_4,
                -std::f32::consts::LN_2,
                -0.0,
                -2.5,
                f32::MIN_POSITIVE,
                -1e-30,
            ],
            policy_version: 3,
        }),
        Event::RewardObserved(RewardObserved {
            experiment: 2,
            index: 17,
            source: RewardSource::Critic,
            accuracy: 0.9731,
            macs: 312_000_000,
            params: 3_400_000,
            reward: 0.912_345_678_9,
            train_seconds: 12.5,
            failure: Some("diverged: loss is NaN".into()),
        }),
        Event::PolicyUpdated(PolicyUpdated {
            experiment: 2,
            version: 4,
            weights: blob('a'),
            baseline: Some(0.875),
            samples: vec![10, 11, 12, 300, u64::MAX],
            stats: PolicyStats {
                loss: -0.0123,
                entropy: 1.25,
                clip_fraction: 0.125,
                approx_kl: 1e-4,
                mean_reward: 0.9,
                mean_advantage: f64::EPSILON,
            },
        }),
        Event::ExperimentEnded(ExperimentEnded {
            experiment: 2,
            reason: EndReason::Failed("out of memory".into()),
            samples: 128,
            summary_hash: "00ff".into(),
            policy: Some(blob('b')),
        }),
    ]
}

fn golden_path(event: &Event) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("v{SCHEMA_VERSION}"))
        .join(format!("{}.bin", event.kind_name()))
}

#[test]
fn every_kind_round_trips_to_the_same_bytes() {
    for event in examples() {
        let bytes = codec::encode(&event);
        let back = codec::decode(&bytes).unwrap();
        assert_eq!(back, event);
        assert_eq!(codec::encode(&back), bytes, "{}", event.kind_name());
        let header = codec::peek(&bytes).unwrap();
        assert_eq!(header.schema, SCHEMA_VERSION);
        assert_eq!(header.kind, codec::kind_id(&event));
    }
}

#[test]
fn nan_survives_a_round_trip_bit_for_bit() {
    // PartialEq cannot compare NaN, which is why round trips compare bytes.
    let event = Event::ArchSampled(ArchSampled {
        experiment: 1,
        index: 0,
        tokens: vec![1],
        log_probs: vec![f32::NAN, f32::NEG_INFINITY],
        policy_version: 0,
    });
    let bytes = codec::encode(&event);
    assert_eq!(codec::encode(&codec::decode(&bytes).unwrap()), bytes);
}

#[test]
fn golden_files_decode_to_the_examples() {
    let write = std::env::var_os("FNAS_WRITE_GOLDEN").is_some_and(|v| v == "1");
    let examples = examples();
    assert_eq!(examples.len(), KINDS.len(), "one example per kind");
    for event in examples {
        let path = golden_path(&event);
        let bytes = codec::encode(&event);
        if write {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let golden = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (FNAS_WRITE_GOLDEN=1 writes it)", path.display()));
        let decoded = codec::decode(&golden).unwrap();
        assert_eq!(decoded, event, "{}", path.display());
        assert_eq!(codec::encode(&decoded), golden, "{}", path.display());
    }
}

#[test]
fn newer_schema_is_refused_with_an_upgrade_message() {
    let Event::TaskRegistered(task) = &examples()[0] else {
        unreachable!()
    };
    let payload = postcard::to_allocvec(task).unwrap();
    let newer = codec::envelope(SCHEMA_VERSION + 1, kind::TASK_REGISTERED, &payload);
    match codec::decode(&newer) {
        Err(
            e @ StoreError::NewerSchema {
                found, supported, ..
            },
        ) => {
            assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
            assert!(e.to_string().contains("upgrade fnas"), "{e}");
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    // The same payload in the current version decodes: only the version was at fault.
    let current = codec::envelope(SCHEMA_VERSION, kind::TASK_REGISTERED, &payload);
    assert_eq!(codec::decode(&current).unwrap(), examples()[0]);
}

#[test]
fn unknown_kind_and_damaged_bytes_are_clear_errors() {
    let unknown = codec::envelope(SCHEMA_VERSION, 999, &[1, 2, 3]);
    let err = codec::decode(&unknown).unwrap_err();
    assert!(
        matches!(err, StoreError::UnknownKind { kind: 999, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("unknown event kind id 999"),
        "{err}"
    );

    let zero = codec::envelope(0, kind::TASK_REGISTERED, &[]);
    assert!(matches!(
        codec::decode(&zero),
        Err(StoreError::Corrupt { .. })
    ));

    for event in examples() {
        let bytes = codec::encode(&event);
        // Truncated anywhere: an error, never a panic or a silently different event.
        for cut in 0..bytes.len() {
            assert!(
                codec::decode(&bytes[..cut]).is_err(),
                "{} cut at {cut}",
                event.kind_name()
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            codec::decode(&longer),
            Err(StoreError::Corrupt { .. })
        ));
    }
    // A payload with an extra trailing byte (a different struct) is refused too.
    let e = ExperimentEnded {
        experiment: 1,
        reason: EndReason::Finished,
        samples: 0,
        summary_hash: String::new(),
        policy: None,
    };
    let mut payload = postcard::to_allocvec(&e).unwrap();
    payload.push(7);
    let env = codec::envelope(SCHEMA_VERSION, kind::EXPERIMENT_ENDED, &payload);
    let err = codec::decode(&env).unwrap_err();
    assert!(
        err.to_string().contains("trailing bytes after the payload"),
        "{err}"
    );
}

#[test]
fn kind_table_is_consistent() {
    let mut ids: Vec<u16> = KINDS.iter().map(|k| k.id).collect();
    ids.dedup();
    assert_eq!(
        ids,
        (1..=KINDS.len() as u16).collect::<Vec<_>>(),
        "ids 1.. in order, unique"
    );
    for event in examples() {
        let info = codec::kind_info(&event);
        assert_eq!(info.name, event.kind_name());
        assert!(info.since <= SCHEMA_VERSION);
    }
    let names: Vec<&str> = examples().iter().map(Event::kind_name).collect();
    let expected = [
        "task_registered",
        "experiment_started",
        "arch_sampled",
        "reward_observed",
        "policy_updated",
        "experiment_ended",
    ];
    assert_eq!(names, expected);
}

#[test]
fn experiment_and_blobs_accessors() {
    let ex = examples();
    let experiments: Vec<Option<u64>> = ex.iter().map(Event::experiment).collect();
    assert_eq!(
        experiments,
        [None, None, Some(2), Some(2), Some(2), Some(2)]
    );
    let blobs: Vec<Vec<&BlobRef>> = ex.iter().map(Event::blobs).collect();
    let (a, b) = (blob('a'), blob('b'));
    assert_eq!(blobs, [vec![], vec![], vec![], vec![], vec![&a], vec![&b]]);
}

#[test]
fn json_uses_serde_derive() {
    let json = serde_json::to_value(&examples()[2]).unwrap();
    assert_eq!(json["ArchSampled"]["index"], 17);
}
