//! The best samples of an experiment.

use serde::Serialize;

use crate::replay::ExperimentState;
use crate::space::{Arch, Space};

/// One ranked sample.
#[derive(Clone, Debug, Serialize)]
pub struct TopRow {
    pub experiment: u64,
    pub index: u64,
    pub reward: f64,
    pub accuracy: f64,
    pub macs: u64,
    pub params: u64,
    pub arch: String,
    pub description: String,
    pub failure: Option<String>,
}

/// The `n` highest measured rewards (ties: earlier index first), each architecture once;
/// critic estimates are not results and are not ranked.
pub fn top_rows(exp: &ExperimentState, space: Option<&Space>, n: usize) -> Vec<TopRow> {
    let mut rows: Vec<TopRow> = exp
        .measured()
        .map(|(s, r)| {
            let arch = Arch::new(s.tokens.clone());
            TopRow {
                experiment: exp.id,
                index: s.index,
                reward: r.reward,
                accuracy: r.accuracy,
                macs: r.macs,
                params: r.params,
                description: space.map(|sp| sp.describe(&arch)).unwrap_or_default(),
                arch: arch.to_string(),
                failure: r.failure.clone(),
            }
        })
        .collect();
    rows.sort_by(|a, b| b.reward.total_cmp(&a.reward).then(a.index.cmp(&b.index)));
    let mut seen = std::collections::HashSet::new();
    rows.retain(|r| seen.insert(r.arch.clone()));
    rows.truncate(n);
    rows
}

/// One line naming the experiment and its progress.
pub fn experiment_header(exp: &ExperimentState) -> String {
    let status = if exp.ended.is_some() {
        "finished"
    } else {
        "unfinished (resume with --resume)"
    };
    let critic = exp
        .latest_critic()
        .map(|c| {
            format!(
                " critic=v{} (spearman {:.3}, mean |V-R| {:.4}, |V-R|<=U {:.0}%, sigma {:.4})",
                c.version,
                c.fit.spearman,
                c.fit.value_loss,
                c.fit.coverage * 100.0,
                c.sigma
            )
        })
        .unwrap_or_default();
    format!(
        "experiment {} task={} space={} strategy={} seed={} evaluated={} cached={} fake={} policy=v{}{} {}",
        exp.id,
        exp.started.task,
        exp.started.space,
        crate::pipeline::SearchConfig::from_json(&exp.started.config_json)
            .map(|c| c.strategy_name())
            .unwrap_or_else(|_| "?".into()),
        exp.started.seed,
        exp.distinct_evaluations(),
        exp.measured().count() as u64 - exp.distinct_evaluations(),
        exp.fake_count(),
        exp.latest_policy().map(|p| p.version).unwrap_or(0),
        critic,
        status
    )
}
