//! Two-sided t tails as a linear scan computes them: batches of 40 statistics (one per
//! phenotype of a variant) with one df, scalar `ln_t_two_sided` against the batched
//! `StudentT::ln_two_sided_many`. Statistics are standard normal (null phenotypes) or, with
//! `--wide`, spread over |t| up to ~40. Prints the median ns per statistic over repeats and
//! the ratio; also checks that both agree bit for bit.
//!
//! cargo bench -p biomarker-stats --bench t_tail -- [--reps N] [--wide]

use std::hint::black_box;
use std::time::Instant;

use biomarker_stats::{ln_t_two_sided, StudentT};

const BATCH: usize = 40;
const BATCHES: usize = 5_000;
const DF: f64 = 4_970.0;

fn statistics(wide: bool) -> Vec<f64> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    (0..BATCH * BATCHES)
        .map(|_| {
            let z = (-2.0 * uniform().ln()).sqrt() * (2.0 * std::f64::consts::PI * uniform()).cos();
            if wide {
                z * 10.0 * uniform()
            } else {
                z
            }
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let reps = args
        .iter()
        .position(|a| a == "--reps")
        .and_then(|i| args.get(i + 1))
        .map_or(15, |v| v.parse().expect("--reps N"));
    let wide = args.iter().any(|a| a == "--wide");
    let t = statistics(wide);
    let mut scalar = vec![0.0; t.len()];
    let mut batched = vec![0.0; t.len()];
    let (mut ts, mut tb) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let start = Instant::now();
        for (o, &t) in scalar.iter_mut().zip(black_box(&t)) {
            *o = ln_t_two_sided(t, black_box(DF));
        }
        ts.push(start.elapsed().as_secs_f64());
        let start = Instant::now();
        for (tc, oc) in black_box(&t).chunks(BATCH).zip(batched.chunks_mut(BATCH)) {
            StudentT::new(black_box(DF)).ln_two_sided_many(tc, oc);
        }
        tb.push(start.elapsed().as_secs_f64());
    }
    let same = scalar
        .iter()
        .zip(&batched)
        .all(|(a, b)| a.to_bits() == b.to_bits());
    assert!(same, "batched tails differ from the scalar ones");
    let per = |v: Vec<f64>| median(v) / t.len() as f64 * 1e9;
    let (s, b) = (per(ts), per(tb));
    println!(
        "{} statistics ({}), df {DF}, batches of {BATCH}: scalar {s:.1} ns, batched {b:.1} ns \
         per statistic (median of {reps}); {:.2}x; bit-identical",
        t.len(),
        if wide { "|t| up to ~40" } else { "null" },
        s / b
    );
}
