//! The benchmark comparison, computed from events alone: each experiment's trace of rewards
//! per distinct evaluation, grouped by task and strategy, scored against the table's global
//! best and top-fraction thresholds (the figures peers.md reports).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::bench::{plot_best_so_far, summarize, BenchTable, Interval, Reach};
use crate::pipeline::{PipelineError, SearchConfig};
use crate::replay::Experiments;
use crate::space::Space;

/// Budgets at which best-so-far is reported.
pub const REPORT_AT: [u64; 5] = [25, 50, 100, 200, 300];

/// One strategy's row.
#[derive(Clone, Debug, Serialize)]
pub struct StrategyRow {
    pub strategy: String,
    pub runs: usize,
    /// (k, mean, low, high) of the best reward after k distinct evaluations.
    pub best_at: Vec<(u64, f64, f64, f64)>,
    pub regret: f64,
    /// Median evaluations to reach: the global best, the top 0.1%, the top 1%, the `mnas`
    /// runs' mean final best; `None` when the median run misses. With miss counts.
    pub reach: Vec<(String, Option<f64>, usize)>,
    pub proposals_per_run: f64,
    pub evaluations_per_run: f64,
    /// Runs that stopped at the proposal cap before their budget.
    pub stalled: usize,
    #[serde(skip)]
    pub traces: Vec<Vec<f64>>,
}

/// All strategies on one task.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub task: String,
    pub table: PathBuf,
    pub budget: u64,
    pub global_best: f64,
    pub targets: Vec<(String, f64)>,
    pub rows: Vec<StrategyRow>,
}

/// Builds one comparison per (table task, budget) in the store, optionally only for `task`
/// and runs of budget `budget`: runs of different budgets are never mixed in one table.
pub fn compare(
    state: &Experiments,
    task: Option<&str>,
    budget: Option<u64>,
) -> Result<Vec<Comparison>, PipelineError> {
    // (task, budget) -> (config, strategy -> [(trace, proposals)])
    type Runs = BTreeMap<String, Vec<(Vec<f64>, u64)>>;
    let mut groups: BTreeMap<(String, u64), (SearchConfig, Runs)> = BTreeMap::new();
    for exp in state.experiments.values() {
        if exp.ended.is_none() || task.is_some_and(|t| t != exp.started.task) {
            continue;
        }
        let Ok(config) = SearchConfig::from_json(&exp.started.config_json) else {
            continue;
        };
        if !config.task.starts_with("table:") || budget.is_some_and(|b| b != config.budget) {
            continue;
        }
        let entry = groups
            .entry((exp.started.task.clone(), config.budget))
            .or_insert_with(|| (config.clone(), BTreeMap::new()));
        entry
            .1
            .entry(row_label(&config))
            .or_default()
            .push((exp.evaluation_trace(), exp.next_index()));
    }
    if groups.is_empty() {
        return Err(PipelineError::Invalid(format!(
            "no finished benchmark runs (table: tasks){}{} in this store",
            task.map(|t| format!(" on task '{t}'")).unwrap_or_default(),
            budget
                .map(|b| format!(" with budget {b}"))
                .unwrap_or_default()
        )));
    }
    groups
        .into_iter()
        .map(|((task, budget), (config, strategies))| {
            let path = PathBuf::from(config.task.trim_start_matches("table:"));
            let space = Space::builtin(&config.space)?;
            let table = BenchTable::load(
                &path,
                &space,
                config.table.accuracy_column.as_deref(),
                config.table.cost_column.as_deref(),
            )?;
            let mut targets = vec![
                ("best".to_string(), table.global_best()),
                ("top 0.1%".to_string(), table.threshold_top(0.001)?.value),
                ("top 1%".to_string(), table.threshold_top(0.01)?.value),
            ];
            if let Some(runs) = strategies.get("mnas") {
                let finals: Vec<f64> = runs
                    .iter()
                    .filter_map(|(t, _)| final_best(t, budget))
                    .collect();
                if !finals.is_empty() {
                    targets.push(("mnas final".to_string(), Interval::of(&finals).mean));
                }
            }
            let thresholds: Vec<f64> = targets.iter().map(|(_, v)| *v).collect();
            let ks: Vec<usize> = REPORT_AT
                .iter()
                .filter(|&&k| k <= budget)
                .map(|&k| k as usize)
                .collect();
            let rows = strategies
                .into_iter()
                .map(|(strategy, runs)| {
                    let traces: Vec<Vec<f64>> = runs
                        .iter()
                        .map(|(t, _)| t.iter().take(budget as usize).copied().collect())
                        .collect();
                    let summary = summarize(
                        &traces,
                        budget as usize,
                        &ks,
                        table.global_best(),
                        &thresholds,
                    );
                    let n = runs.len().max(1) as f64;
                    StrategyRow {
                        strategy,
                        runs: runs.len(),
                        best_at: summary
                            .best_at
                            .iter()
                            .map(|(k, i)| (*k as u64, i.mean, i.lo, i.hi))
                            .collect(),
                        regret: summary.regret,
                        reach: targets
                            .iter()
                            .zip(&summary.reach)
                            .map(|((name, _), r)| (name.clone(), r.median, r.misses))
                            .collect(),
                        proposals_per_run: runs.iter().map(|(_, p)| *p as f64).sum::<f64>() / n,
                        evaluations_per_run: traces.iter().map(|t| t.len() as f64).sum::<f64>() / n,
                        stalled: traces.iter().filter(|t| (t.len() as u64) < budget).count(),
                        traces,
                    }
                })
                .collect();
            Ok(Comparison {
                task,
                table: path,
                budget,
                global_best: table.global_best(),
                targets,
                rows,
            })
        })
        .collect()
}

fn final_best(trace: &[f64], budget: u64) -> Option<f64> {
    trace
        .iter()
        .take(budget as usize)
        .copied()
        .fold(None, |m, v| Some(m.map_or(v, |m: f64| m.max(v))))
}

impl Comparison {
    /// A markdown table in the layout of peers.md.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "## {} ({}), budget {} distinct evaluations\n\ntargets: {}\n\n",
            self.task,
            self.table.display(),
            self.budget,
            self.targets
                .iter()
                .map(|(n, v)| format!("{n} {v:.4}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut header = vec!["strategy".to_string(), "runs".to_string()];
        header.extend(
            self.rows
                .first()
                .map(|r| {
                    r.best_at
                        .iter()
                        .map(|(k, ..)| format!("best@{k}"))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
        );
        header.push(format!("regret@{}", self.budget));
        header.extend(
            self.targets
                .iter()
                .map(|(n, _)| format!("evals to {n} (miss)")),
        );
        header.extend([
            "proposals/run".to_string(),
            "distinct evals/run (stalled)".to_string(),
        ]);
        out.push_str(&format!(
            "| {} |\n|{}\n",
            header.join(" | "),
            " --- |".repeat(header.len())
        ));
        for row in &self.rows {
            let mut cells = vec![row.strategy.clone(), row.runs.to_string()];
            cells.extend(
                row.best_at
                    .iter()
                    .map(|(_, m, lo, hi)| format!("{m:.2} [{lo:.2}, {hi:.2}]")),
            );
            cells.push(format!("{:.3}", row.regret));
            cells.extend(row.reach.iter().map(|(_, median, misses)| {
                Reach {
                    median: *median,
                    misses: *misses,
                    runs: row.runs,
                }
                .display(self.budget as usize)
            }));
            cells.push(format!("{:.0}", row.proposals_per_run));
            cells.push(format!("{:.0} ({})", row.evaluations_per_run, row.stalled));
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out
    }

    /// Writes `<out>/<task>.{md,csv,json,png,svg}`; returns the paths written.
    pub fn write(&self, out: &Path) -> Result<Vec<PathBuf>, PipelineError> {
        let io =
            |p: &Path, e: std::io::Error| PipelineError::Invalid(format!("{}: {e}", p.display()));
        std::fs::create_dir_all(out).map_err(|e| io(out, e))?;
        let stem = self.task.replace(['/', ' '], "_");
        let mut written = Vec::new();
        let md = out.join(format!("{stem}.md"));
        std::fs::write(&md, self.markdown()).map_err(|e| io(&md, e))?;
        written.push(md);
        let json = out.join(format!("{stem}.json"));
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| PipelineError::Invalid(e.to_string()))?;
        std::fs::write(&json, text).map_err(|e| io(&json, e))?;
        written.push(json);
        let csv = out.join(format!("{stem}.csv"));
        std::fs::write(&csv, self.csv()).map_err(|e| io(&csv, e))?;
        written.push(csv);
        let series: Vec<(String, Vec<Vec<f64>>)> = self
            .rows
            .iter()
            .map(|r| (r.strategy.clone(), r.traces.clone()))
            .collect();
        for ext in ["png", "svg"] {
            let plot = out.join(format!("{stem}.{ext}"));
            plot_best_so_far(
                &plot,
                &format!("{}: best accuracy vs distinct evaluations", self.task),
                &series,
                "best accuracy (%)",
            )?;
            written.push(plot);
        }
        Ok(written)
    }

    fn csv(&self) -> String {
        let mut out = String::from("strategy,runs,k,best_mean,best_lo,best_hi\n");
        for row in &self.rows {
            for (k, m, lo, hi) in &row.best_at {
                out.push_str(&format!(
                    "{},{},{k},{m},{lo},{hi}\n",
                    row.strategy, row.runs
                ));
            }
        }
        out
    }
}

/// A comparison row's name: the strategy, and for a warm-started run where its knowledge came
/// from, so cold and warm runs of one strategy are separate rows.
fn row_label(config: &SearchConfig) -> String {
    let mut label = config.strategy_name();
    if let Some(task) = &config.prior.init_from {
        label.push_str(&format!(" (warm: {task})"));
    }
    if let Some(id) = config.prior.warm_from {
        label.push_str(&format!(" (warm: experiment {id})"));
    }
    label
}
