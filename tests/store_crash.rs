//! Crash test at the store level: a child process (this test binary re-run in "writer"
//! mode) appends from several threads and prints `ACK <seq> <trial> <thread> <i>` after
//! each acknowledged append; the parent SIGKILLs it at a random moment, several times on
//! the same store, and checks after each reopen that every acknowledged event is present
//! with its exact value and that the log is gap-free and decodes.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use fnas::store::{ArchSampled, Event, Store};
use rand::Rng;

/// Set (to the store directory) only in the child process.
const CHILD_DIR: &str = "FNAS_STORE_CRASH_CHILD_DIR";
const CHILD_TRIAL: &str = "FNAS_STORE_CRASH_TRIAL";
const WRITER_THREADS: u64 = 3;
const TRIALS: u64 = 6;

fn event(trial: u64, thread: u64, i: u64) -> Event {
    Event::ArchSampled(ArchSampled {
        experiment: trial,
        index: thread * 1_000_000 + i,
        tokens: (0..42).map(|k| ((k + i) % 4) as u8).collect(),
        log_probs: (0..42).map(|k| -((k + i) as f32) / 7.0).collect(),
        policy_version: thread,
    })
}

/// The child's body; a no-op when run as a normal test.
#[test]
fn crash_writer_child() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let trial: u64 = std::env::var(CHILD_TRIAL).unwrap().parse().unwrap();
    let store = Store::open(&dir).unwrap();
    let rec = store.recorder().unwrap();
    std::thread::scope(|s| {
        for t in 0..WRITER_THREADS {
            let rec = rec.clone();
            s.spawn(move || {
                for i in 0.. {
                    let seq = rec.append(event(trial, t, i)).unwrap();
                    // Written straight to stdout (not the test harness capture).
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ACK {seq} {trial} {t} {i}").unwrap();
                    out.flush().unwrap();
                }
            });
        }
    });
}

fn parse_ack(line: &str) -> Option<(u64, u64, u64, u64)> {
    let mut f = line
        .strip_prefix("ACK ")?
        .split(' ')
        .map(|x| x.parse::<u64>().ok());
    Some((f.next()??, f.next()??, f.next()??, f.next()??))
}

#[test]
fn acknowledged_events_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut acked: Vec<(u64, u64, u64, u64)> = Vec::new();
    let mut rng = rand::thread_rng();
    for trial in 0..TRIALS {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_writer_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, dir.path())
            .env(CHILD_TRIAL, trial.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = crossbeam_channel::unbounded();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(ack) = parse_ack(&line) {
                    let _ = tx.send(ack);
                }
            }
        });
        // Wait for the writer to be running, then kill it at a random moment.
        let first = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("child acknowledged nothing");
        let delay = rng.gen_range(5..400);
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        reader.join().unwrap();
        let this_trial: Vec<_> = std::iter::once(first).chain(rx.try_iter()).collect();
        assert!(this_trial.iter().all(|a| a.1 == trial));
        let n = this_trial.len();
        acked.extend(this_trial);

        let store = Store::open(dir.path()).expect("store reopens after kill -9");
        let events: Vec<(u64, Event)> = store.scan(0).collect::<Result<_, _>>().unwrap();
        let last = store.last_seq().unwrap();
        assert_eq!(events.len() as u64, last, "gap-free from 1");
        for (seq, trial, t, i) in &acked {
            assert!(*seq <= last, "acked seq {seq} lost (last {last})");
            assert_eq!(
                events[*seq as usize - 1].1,
                event(*trial, *t, *i),
                "value of seq {seq}"
            );
        }
        eprintln!("trial {trial}: killed after {delay} ms, {n} acked, log has {last} events");
    }
    let mut seqs: Vec<u64> = acked.iter().map(|a| a.0).collect();
    seqs.sort();
    seqs.dedup();
    assert_eq!(seqs.len(), acked.len(), "no seq acknowledged twice");
}
