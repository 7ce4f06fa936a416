mod critic_support;
use critic_support::*;
use fnas::critic::{Critic, CriticConfig};
use std::time::Instant;

#[test]
fn bench() {
    one_thread();
    let rel = Relation::new(11);
    let train = rel.sample(300, 1, 0.2, 0.0);
    let spec = std::env::var("TUNE").unwrap_or_default();
    for line in spec.split(';').filter(|s| !s.is_empty()) {
        let f: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
        let cfg = CriticConfig {
            lr: f[0], epochs: f[1] as usize, batch_size: f[2] as usize, weight_decay: f[3],
            hidden: f[4] as usize, folds: f[5] as usize, ..CriticConfig::default()
        };
        let mut best = f64::INFINITY;
        for _ in 0..5 {
            let mut c = Critic::new(rel.input_dim(), cfg.clone(), 5).unwrap();
            let t = Instant::now();
            c.fit(&train.inputs, &train.rewards).unwrap();
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!("{line}: min fit(300) {:.1} ms", best * 1e3);
    }
}
