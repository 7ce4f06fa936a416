mod critic_support;
use critic_support::*;
use fnas::critic::{spearman, quantile, Critic, CriticConfig};
use std::time::Instant;

#[test]
fn tune() {
    one_thread();
    let rel = Relation::new(11);
    let extra: f64 = std::env::var("EXTRA").ok().map(|s| s.parse().unwrap()).unwrap_or(0.0);
    let train = rel.sample(300, 1, 0.2, extra);
    let test = rel.sample(200, 2, 0.2, extra);
    let spec = std::env::var("TUNE").unwrap_or_default();
    for line in spec.split(';').filter(|s| !s.is_empty()) {
        let f: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
        let cfg = CriticConfig {
            lr: f[0],
            epochs: f[1] as usize,
            batch_size: f[2] as usize,
            weight_decay: f[3],
            hidden: f[4] as usize,
            folds: f[5] as usize,
            ..CriticConfig::default()
        };
        let mut c = Critic::new(rel.input_dim(), cfg, 5).unwrap();
        let t = Instant::now();
        let mut out = String::new();
        for k in [25usize, 50, 100, 200, 300] {
            let t1 = Instant::now();
            let fit = c.fit(&train.inputs[..k], &train.rewards[..k]).unwrap();
            let dt = t1.elapsed();
            let p = c.predict(&test.inputs).unwrap();
            let v: Vec<f64> = p.iter().map(|x| x.0).collect();
            let u: Vec<f64> = p.iter().map(|x| x.1).collect();
            let e: Vec<f64> = v.iter().zip(&test.rewards).map(|(a, b)| (a - b).abs()).collect();
            let mae = e.iter().sum::<f64>() / e.len() as f64;
            let mu = u.iter().sum::<f64>() / u.len() as f64;
            let cov = e.iter().zip(&u).filter(|(e, u)| e <= u).count() as f64 / e.len() as f64;
            let med = quantile(&e, 0.5).unwrap();
            let conf = u.iter().filter(|&&u| u < med).count() as f64 / u.len() as f64;
            // mean err of the confident ones vs others
            let ce: Vec<f64> = e.iter().zip(&u).filter(|(_, &u)| u < med).map(|(e, _)| *e).collect();
            let cem = if ce.is_empty() { f64::NAN } else { ce.iter().sum::<f64>() / ce.len() as f64 };
            let nu: f64 = u.iter().zip(&test.noisy).filter(|(_, &n)| n).map(|(u, _)| u).sum::<f64>() / test.noisy.iter().filter(|&&n| n).count() as f64;
            let qu: f64 = u.iter().zip(&test.noisy).filter(|(_, &n)| !n).map(|(u, _)| u).sum::<f64>() / test.noisy.iter().filter(|&&n| !n).count() as f64;
            out += &format!("\n   n{k} {dt:?}: rho={:.3} mae={:.4} muU={:.4} covHO={:.2} rhoUE={:.2} conf@med={:.2} errConf={:.4} Unoisy/quiet={:.4}/{:.4} | fit vl={:.4} cov={:.2}",
                spearman(&v, &test.clean), mae, mu, cov, spearman(&u, &e), conf, cem, nu, qu, fit.value_loss, fit.coverage);
        }
        println!("{line} time={:?}{out}", t.elapsed());
    }
}
