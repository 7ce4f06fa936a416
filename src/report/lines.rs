//! One line of text per event, stable enough to grep.

use crate::pipeline::SearchConfig;
use crate::space::Arch;
use crate::store::{EndReason, Event};

/// `seq kind experiment fields...` for `fnas log`.
pub fn event_line(seq: u64, event: &Event) -> String {
    let body = match event {
        Event::TaskRegistered(t) => format!(
            "task={} fingerprint={} shape={:?} classes={} train={} val={}",
            t.task,
            t.fingerprint.get(..12).unwrap_or(&t.fingerprint),
            t.input_shape,
            t.classes,
            t.train_samples,
            t.val_samples
        ),
        Event::ExperimentStarted(s) => format!(
            "experiment={seq} task={} space={} strategy={} seed={} space_hash={}",
            s.task,
            s.space,
            SearchConfig::from_json(&s.config_json)
                .map(|c| c.strategy_name())
                .unwrap_or_else(|_| "?".into()),
            s.seed,
            s.space_hash.get(..12).unwrap_or(&s.space_hash)
        ),
        Event::ArchSampled(a) => format!(
            "experiment={} index={} arch={} log_prob={:.4} policy=v{}",
            a.experiment,
            a.index,
            Arch::new(a.tokens.clone()),
            a.log_probs.iter().map(|&x| f64::from(x)).sum::<f64>(),
            a.policy_version
        ),
        Event::RewardObserved(r) => format!(
            "experiment={} index={} source={:?} reward={:.4} acc={:.4} macs={:.1}M params={:.2}M train_s={:.2}{}",
            r.experiment,
            r.index,
            r.source,
            r.reward,
            r.accuracy,
            r.macs as f64 / 1e6,
            r.params as f64 / 1e6,
            r.train_seconds,
            r.failure.as_ref().map(|f| format!(" failure=\"{f}\"")).unwrap_or_default()
        ),
        Event::PolicyUpdated(p) => format!(
            "experiment={} version={} samples={} mean_reward={:.4} baseline={} loss={:.4} entropy={:.4} clip={:.3} kl={:.5} weights={}",
            p.experiment,
            p.version,
            p.samples.len(),
            p.stats.mean_reward,
            p.baseline.map(|b| format!("{b:.4}")).unwrap_or_else(|| "-".into()),
            p.stats.loss,
            p.stats.entropy,
            p.stats.clip_fraction,
            p.stats.approx_kl,
            p.weights.hash.get(..12).unwrap_or(&p.weights.hash)
        ),
        Event::ExperimentEnded(e) => format!(
            "experiment={} reason={} samples={} summary={}",
            e.experiment,
            match &e.reason {
                EndReason::Finished => "finished".to_string(),
                EndReason::Stopped => "stopped".to_string(),
                EndReason::Failed(why) => format!("failed: {why}"),
            },
            e.samples,
            e.summary_hash.get(..12).unwrap_or(&e.summary_hash)
        ),
        Event::CriticUpdated(c) => format!(
            "experiment={} version={} samples={} sigma={:.4} value_loss={:.4} uncertainty_loss={:.4} spearman={:.3} coverage={:.3} weights={}",
            c.experiment,
            c.version,
            c.samples,
            c.sigma,
            c.fit.value_loss,
            c.fit.uncertainty_loss,
            c.fit.spearman,
            c.fit.coverage,
            c.weights.hash.get(..12).unwrap_or(&c.weights.hash)
        ),
        Event::BlockCheckpointed(b) => format!(
            "experiment={} index={} task={} part={} iterations={} reward={:.4} init={} weights={}",
            b.experiment,
            b.index,
            b.task,
            b.part,
            b.iterations,
            b.reward,
            b.init_similarity
                .map_or("scratch".to_string(), |s| format!("{s:.3}")),
            b.weights.hash.get(..12).unwrap_or(&b.weights.hash)
        ),
        Event::Imported(i) => format!(
            "package={} source_store={} task={} what={} source_seqs={}..={} seqs={}..={} experiments={}",
            i.package.get(..12).unwrap_or(&i.package),
            i.source_store,
            i.task,
            i.what.join(","),
            i.source_first_seq,
            i.source_last_seq,
            i.target_first_seq,
            i.target_last_seq,
            i.experiments
                .iter()
                .map(|m| format!("{}->{}", m.source, m.target))
                .collect::<Vec<_>>()
                .join(",")
        ),
    };
    format!("{seq:>8} {:<18} {body}", event.kind_name())
}
