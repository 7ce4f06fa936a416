//! Codec tests: byte-exact round trips of every kind, the committed golden files of
//! schema v1 (frozen, upcast on read), v2 and v3 (current), and refusal of newer schemas /
//! unknown kinds / damaged bytes / payloads of the wrong version.
//!
//! Regenerate the golden files of the CURRENT version (only when adding a kind or a schema
//! version, never to "fix" a failing test):
//! `FNAS_WRITE_GOLDEN=1 cargo test --release --test store_codec`. Older versions' golden
//! files are never rewritten.

use std::path::PathBuf;

use fnas::store::codec::{self, kind, v1, KINDS};
use fnas::store::{
    ArchSampled, BlobRef, BlockCheckpointed, CriticEstimate, CriticFit, CriticUpdated, EndReason,
    Event, ExperimentEnded, ExperimentMapping, ExperimentStarted, Imported, PolicyStats,
    PolicyUpdated, ReplayedSample, RewardObserved, RewardSource, StoreError, TaskRegistered,
    SCHEMA_VERSION,
};

fn blob(c: char) -> BlobRef {
    BlobRef {
        hash: std::iter::repeat_n(c, 64).collect(),
        size: 531_234,
    }
}

/// The schema-1 examples (the golden files in tests/golden/v1), as the current types they
/// upcast to: every field added since schema 1 is neutral. Never edit a value here.
fn examples_v1() -> Vec<Event> {
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
            critic: None,
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
            replayed: vec![],
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

/// One fixed example per kind of the current schema (3). The golden files in
/// tests/golden/v3 are these events encoded; never edit a value here without adding a new
/// schema version.
fn examples() -> Vec<Event> {
    let mut events = examples_v2();
    events.push(Event::BlockCheckpointed(BlockCheckpointed {
        experiment: 2,
        index: 17,
        task: "mnist".to_string(),
        part: 3,
        key: vec![0, 1, 0, 0, 1, 0, 1],
        weights: blob('d'),
        iterations: 200,
        reward: 0.8125,
        init_similarity: Some(0.875),
    }));
    events.push(Event::Imported(Imported {
        package: "e".repeat(64),
        source_store: "store-0123456789abcdef".to_string(),
        task: "nb201_c10".to_string(),
        what: vec!["critic".to_string(), "history".to_string()],
        source_first_seq: 0,
        source_last_seq: 41,
        target_first_seq: 100,
        target_last_seq: 141,
        experiments: vec![ExperimentMapping {
            source: 1,
            target: 101,
        }],
    }));
    events
}

/// One fixed example per kind of schema 2, with the fields added in schema 2 set
/// (tests/golden/v2, frozen).
fn examples_v2() -> Vec<Event> {
    let mut events = examples_v1();
    for event in &mut events {
        match event {
            Event::RewardObserved(r) => {
                r.critic = Some(CriticEstimate {
                    value: 0.905,
                    uncertainty: 0.0125,
                    critic_version: 6,
                })
            }
            Event::PolicyUpdated(p) => {
                p.replayed = vec![
                    ReplayedSample {
                        experiment: 1,
                        index: 3,
                        weight: 0.5,
                    },
                    ReplayedSample {
                        experiment: 2,
                        index: u64::MAX,
                        weight: 1.0e-3,
                    },
                ]
            }
            _ => {}
        }
    }
    events.push(Event::CriticUpdated(CriticUpdated {
        experiment: 2,
        version: 6,
        weights: blob('c'),
        samples: 48,
        sigma: 0.015,
        fit: CriticFit {
            value_loss: 0.0213,
            uncertainty_loss: 0.0087,
            spearman: 0.61,
            coverage: 0.8125,
        },
    }));
    events
}

/// Encodes an event exactly as schema 1 did, using the frozen `codec::v1` structs for the
/// kinds that changed since. Only events whose schema-2 fields are neutral have a schema-1
/// form (asserted), and kinds introduced later have none.
fn encode_v1(event: &Event) -> Vec<u8> {
    let payload = match event {
        Event::TaskRegistered(e) => bytes(e),
        Event::ExperimentStarted(e) => bytes(e),
        Event::ArchSampled(e) => bytes(e),
        Event::ExperimentEnded(e) => bytes(e),
        Event::RewardObserved(e) => {
            assert_eq!(e.critic, None, "schema 1 has no critic estimate");
            bytes(&v1::RewardObserved {
                experiment: e.experiment,
                index: e.index,
                source: e.source,
                accuracy: e.accuracy,
                macs: e.macs,
                params: e.params,
                reward: e.reward,
                train_seconds: e.train_seconds,
                failure: e.failure.clone(),
            })
        }
        Event::PolicyUpdated(e) => {
            assert!(e.replayed.is_empty(), "schema 1 has no replayed samples");
            bytes(&v1::PolicyUpdated {
                experiment: e.experiment,
                version: e.version,
                weights: e.weights.clone(),
                baseline: e.baseline,
                samples: e.samples.clone(),
                stats: e.stats.clone(),
            })
        }
        Event::CriticUpdated(_) | Event::BlockCheckpointed(_) | Event::Imported(_) => {
            panic!("{} does not exist in schema 1", event.kind_name())
        }
    };
    codec::envelope(1, codec::kind_id(event), &payload)
}

fn bytes<T: serde::Serialize>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).unwrap()
}

fn golden_path(schema: u16, event: &Event) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("v{schema}"))
        .join(format!("{}.bin", event.kind_name()))
}

fn read_golden(path: &PathBuf) -> Vec<u8> {
    std::fs::read(path)
        .unwrap_or_else(|e| panic!("{}: {e} (FNAS_WRITE_GOLDEN=1 writes it)", path.display()))
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

/// Schema-2 golden files (kinds 1-7, whose structs did not change in schema 3) still decode.
#[test]
fn v2_golden_files_decode() {
    for event in examples_v2() {
        let path = golden_path(2, &event);
        let golden = read_golden(&path);
        assert_eq!(
            codec::peek(&golden).unwrap().schema,
            2,
            "{}",
            path.display()
        );
        assert_eq!(codec::decode(&golden).unwrap(), event, "{}", path.display());
    }
}

#[test]
fn golden_files_decode_to_the_examples() {
    assert_eq!(
        SCHEMA_VERSION, 3,
        "add examples and golden files for the new version"
    );
    let write = std::env::var_os("FNAS_WRITE_GOLDEN").is_some_and(|v| v == "1");
    let examples = examples();
    assert_eq!(examples.len(), KINDS.len(), "one example per kind");
    for event in examples {
        let path = golden_path(SCHEMA_VERSION, &event);
        let bytes = codec::encode(&event);
        if write {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let golden = read_golden(&path);
        let decoded = codec::decode(&golden).unwrap();
        assert_eq!(decoded, event, "{}", path.display());
        assert_eq!(codec::encode(&decoded), golden, "{}", path.display());
    }
}

/// Schema-1 stores stay readable forever: their golden files decode to the v1 examples
/// upcast (new fields neutral), and the frozen `v1` structs still produce those bytes.
#[test]
fn v1_golden_files_decode_upcast() {
    let examples = examples_v1();
    let v1_kinds = KINDS.iter().filter(|k| k.since <= 1).count();
    assert_eq!(examples.len(), v1_kinds, "one example per schema-1 kind");
    for event in examples {
        let path = golden_path(1, &event);
        let golden = read_golden(&path);
        assert_eq!(
            codec::peek(&golden).unwrap().schema,
            1,
            "{}",
            path.display()
        );
        assert_eq!(encode_v1(&event), golden, "{}", path.display());
        let decoded = codec::decode(&golden).unwrap();
        assert_eq!(decoded, event, "{}", path.display());
        // Re-encoding writes the current version (old events are never rewritten in place).
        let current = codec::encode(&decoded);
        assert_eq!(codec::peek(&current).unwrap().schema, SCHEMA_VERSION);
        assert_eq!(codec::decode(&current).unwrap(), event);
    }
}

/// A payload is decoded as the struct of its envelope's version, so a payload of the other
/// version is refused rather than misread, and a kind newer than the envelope is unknown.
#[test]
fn payloads_must_match_their_envelope_version() {
    let v2 = examples();
    for event in &v2[3..5] {
        // The schema-2 payload (new fields set) inside a schema-1 envelope.
        let bytes = codec::encode(event);
        let header = codec::peek(&bytes).unwrap();
        let payload_v2 = payload_of(&bytes);
        let as_v1 = codec::envelope(1, header.kind, &payload_v2);
        let err = codec::decode(&as_v1).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
        assert!(err.to_string().contains("trailing bytes"), "{err}");
    }
    for event in &examples_v1()[3..5] {
        // The schema-1 payload inside a schema-2 envelope is too short.
        let payload_v1 = payload_of(&encode_v1(event));
        let kind = codec::kind_id(event);
        let err = codec::decode(&codec::envelope(2, kind, &payload_v1)).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    }
    let critic = &v2[6];
    let payload = payload_of(&codec::encode(critic));
    let err = codec::decode(&codec::envelope(1, kind::CRITIC_UPDATED, &payload)).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::UnknownKind {
                kind: 7,
                schema: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        codec::decode(&codec::envelope(2, kind::CRITIC_UPDATED, &payload)).unwrap(),
        *critic
    );
}

/// The payload bytes of an envelope `{ schema, kind, payload }`.
fn payload_of(envelope: &[u8]) -> Vec<u8> {
    #[derive(serde::Deserialize)]
    struct Env<'a> {
        _schema: u16,
        _kind: u16,
        #[serde(borrow)]
        payload: &'a [u8],
    }
    postcard::from_bytes::<Env<'_>>(envelope)
        .unwrap()
        .payload
        .to_vec()
}

#[test]
fn newer_schema_is_refused_with_an_upgrade_message() {
    let Event::TaskRegistered(task) = &examples()[0] else {
        unreachable!()
    };
    let payload = postcard::to_allocvec(task).unwrap();
    const NEWER: u16 = 4;
    assert_eq!(NEWER, SCHEMA_VERSION + 1);
    let newer = codec::envelope(NEWER, kind::TASK_REGISTERED, &payload);
    match codec::decode(&newer) {
        Err(
            e @ StoreError::NewerSchema {
                found, supported, ..
            },
        ) => {
            assert_eq!((found, supported), (NEWER, SCHEMA_VERSION));
            assert!(e.to_string().contains("upgrade fnas"), "{e}");
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    // The same payload in the known versions decodes: only the version was at fault.
    for schema in 1..=SCHEMA_VERSION {
        let known = codec::envelope(schema, kind::TASK_REGISTERED, &payload);
        assert_eq!(codec::decode(&known).unwrap(), examples()[0]);
    }
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
    let since: Vec<u16> = KINDS.iter().map(|k| k.since).collect();
    assert_eq!(since, [1, 1, 1, 1, 1, 1, 2, 3, 3]);
    let names: Vec<&str> = examples().iter().map(Event::kind_name).collect();
    let expected = [
        "task_registered",
        "experiment_started",
        "arch_sampled",
        "reward_observed",
        "policy_updated",
        "experiment_ended",
        "critic_updated",
        "block_checkpointed",
        "imported",
    ];
    assert_eq!(names, expected);
}

#[test]
fn experiment_and_blobs_accessors() {
    let ex = examples();
    let experiments: Vec<Option<u64>> = ex.iter().map(Event::experiment).collect();
    assert_eq!(
        experiments,
        [
            None,
            None,
            Some(2),
            Some(2),
            Some(2),
            Some(2),
            Some(2),
            Some(2),
            None
        ]
    );
    let blobs: Vec<Vec<&BlobRef>> = ex.iter().map(Event::blobs).collect();
    let (a, b, c, d) = (blob('a'), blob('b'), blob('c'), blob('d'));
    assert_eq!(
        blobs,
        [
            vec![],
            vec![],
            vec![],
            vec![],
            vec![&a],
            vec![&b],
            vec![&c],
            vec![&d],
            vec![]
        ]
    );
}

#[test]
fn json_uses_serde_derive() {
    let json = serde_json::to_value(&examples()[2]).unwrap();
    assert_eq!(json["ArchSampled"]["index"], 17);
    let json = serde_json::to_value(&examples()[3]).unwrap();
    assert_eq!(json["RewardObserved"]["critic"]["critic_version"], 6);
    let json = serde_json::to_value(&examples()[6]).unwrap();
    assert_eq!(json["CriticUpdated"]["fit"]["coverage"], 0.8125);
}
