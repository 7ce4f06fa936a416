//! kill -9 a real search at random moments, again and again on the same store: every event
//! it acknowledged must still be there, gap-free, and `--resume` must finish the search with
//! exactly the result of an uninterrupted run.

mod common;
use common::*;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

/// One worker: on a machine with more cores than workers, a resumed search once trained with
/// another libtorch thread count than the uninterrupted one and so differed from it.
const SEARCH: [&str; 8] = [
    "--budget",
    "8",
    "--batch",
    "4",
    "--seed",
    "21",
    "--workers",
    "1",
];

/// Starts a search (new or resumed) with `--print-acks`, kills it with SIGKILL after
/// `delay`, and returns the acknowledged (seq, kind) pairs and whether it finished first.
fn run_and_kill(
    store: &std::path::Path,
    resume: Option<u64>,
    delay: Duration,
) -> (Vec<(u64, String)>, bool) {
    let mut cmd = fnas();
    cmd.args(["search", "--store", s(store), "-q", "--print-acks"]);
    match resume {
        Some(id) => {
            cmd.args(["--resume", &id.to_string()]);
        }
        None => {
            cmd.args(SEARCH).args(FAST);
        }
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn fnas");
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| {
                let mut parts = l.split_whitespace();
                (parts.next() == Some("ack")).then_some(())?;
                Some((
                    parts.next()?.parse::<u64>().ok()?,
                    parts.next()?.to_string(),
                ))
            })
            .collect::<Vec<_>>()
    });
    let start = Instant::now();
    let mut finished = false;
    while start.elapsed() < delay {
        if let Ok(Some(_)) = child.try_wait() {
            finished = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    if !finished {
        child.kill().expect("SIGKILL"); // std's kill() is SIGKILL on unix
    }
    child.wait().unwrap();
    (reader.join().unwrap(), finished)
}

#[test]
fn killed_searches_lose_no_acknowledged_event_and_resume_to_the_same_result() {
    let dir = tempfile::tempdir().unwrap();

    // Reference: the same search, uninterrupted.
    let reference = dir.path().join("reference");
    let mut args = vec!["search", "--store", s(&reference), "-q"];
    args.extend(SEARCH);
    args.extend(FAST);
    let ref_id = experiment_id(&ok(&args));
    let ref_hash = summary_hash(&reference, ref_id).unwrap();

    let store = dir.path().join("crashy");
    let seed: u64 = std::env::var("FNAS_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("crash test kill schedule seed: {seed} (set FNAS_CRASH_SEED to repeat)");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut acked: BTreeSet<u64> = BTreeSet::new();
    let mut experiment: Option<u64> = None;
    let mut kills = 0;
    for _round in 0..12 {
        let delay = Duration::from_millis(rng.gen_range(150..2500));
        let (acks, finished) = run_and_kill(&store, experiment, delay);
        for (seq, kind) in &acks {
            acked.insert(*seq);
            if kind == "experiment_started" && experiment.is_none() {
                experiment = Some(*seq);
            }
        }
        if !finished {
            kills += 1;
        }
        // Reopen: every acknowledged event is present, sequence numbers are gap-free.
        let evs = events(&store);
        let seqs: BTreeSet<u64> = evs.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
        assert!(
            acked.is_subset(&seqs),
            "acknowledged events lost: {:?}",
            acked.difference(&seqs).collect::<Vec<_>>()
        );
        assert_eq!(
            seqs.iter().copied().collect::<Vec<_>>(),
            (1..=seqs.len() as u64).collect::<Vec<_>>(),
            "gap in the log"
        );
        if finished {
            break;
        }
    }
    assert!(
        kills >= 3,
        "the schedule should kill the search several times (killed {kills})"
    );
    // Finish it.
    let id = match experiment {
        Some(id) => {
            if summary_hash(&store, id).is_none() {
                ok(&[
                    "search",
                    "--store",
                    s(&store),
                    "-q",
                    "--resume",
                    &id.to_string(),
                ]);
            }
            id
        }
        None => {
            let mut args = vec!["search", "--store", s(&store), "-q"];
            args.extend(SEARCH);
            args.extend(FAST);
            experiment_id(&ok(&args))
        }
    };
    assert_eq!(
        summary_hash(&store, id).unwrap(),
        ref_hash,
        "resumed search differs from the uninterrupted one"
    );
    assert!(ok(&["replay", "--store", s(&store), "--verify"]).contains("OK"));
}
