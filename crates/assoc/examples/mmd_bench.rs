//! Benchmark driver for scripts/bench-mmd.sh.
//!
//! `mmd_bench single N D B REPEATS`: one Gaussian-kernel MMD² permutation test, N subjects per
//! group, D features, B permutations: prints one line of seconds per repeat (kernel build
//! with the median heuristic + B permutations).
//!
//! `mmd_bench features OUT_DIR SUBJECTS STRUCTURES D`: writes a simulated FeatureTable
//! (Parquet) and a diagnosis phenotype file (AD / MCI / CN) for timing `biomarker-gwas mmd`.

use std::path::Path;
use std::time::Instant;

use biomarker_assoc::mmd::estimate::{Centred, Estimator};
use biomarker_assoc::mmd::kernel::{gram, kernel_matrix};
use biomarker_assoc::mmd::permute::{permutation_tests, Splits};
use biomarker_assoc::mmd::{Bandwidth, KernelKind, KernelSpec, MedianConvention};
use biomarker_tables::{FeatureTable, PhenoColumn, PhenoTable, PhenoValues, SampleId, TableKind};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    // Box–Muller keeps the example free of extra dependencies.
    let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

fn single(n: usize, d: usize, b: usize, repeats: usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let x = Array2::from_shape_fn((2 * n, d), |(i, j)| {
        normal(&mut rng) + if i >= n && j == 0 { 0.1 } else { 0.0 }
    });
    let spec = KernelSpec {
        kind: KernelKind::Gaussian,
        bandwidth: Bandwidth::Median(MedianConvention::Sigma),
    };
    let rows: Vec<usize> = (0..2 * n).collect();
    let mut times = Vec::new();
    for _ in 0..repeats {
        let t0 = Instant::now();
        let g = gram(x.view());
        let t_gram = t0.elapsed().as_secs_f64();
        let (k, _) = kernel_matrix(&spec, g.view(), &rows).expect("kernel");
        let t_k = t0.elapsed().as_secs_f64();
        let pooled = Centred::new(k);
        eprintln!(
            "gram {t_gram:.3} s, kernel {:.3} s, centring {:.3} s",
            t_k - t_gram,
            t0.elapsed().as_secs_f64() - t_k
        );
        let t_kernel = t0.elapsed().as_secs_f64();
        let splits = Splits::random(2 * n, n, b, 7, 0);
        let (r, _) = permutation_tests(&pooled, &splits, &[Estimator::Unbiased]).remove(0);
        times.push(t0.elapsed().as_secs_f64());
        eprintln!(
            "rust: MMD²_u = {:.6e}, p = {:.4} (kernel {t_kernel:.3} s, permutations {:.3} s)",
            r.statistic,
            r.p_value,
            t0.elapsed().as_secs_f64() - t_kernel
        );
    }
    println!(
        "{}",
        times
            .iter()
            .map(|t| format!("{t:.4}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
}

fn features(out: &Path, subjects: usize, structures: usize, d: usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let names: Vec<String> = (0..d).map(|j| format!("z_{j}")).collect();
    let mut ft = FeatureTable::new(names);
    let dx: Vec<&str> = (0..subjects).map(|i| ["AD", "MCI", "CN"][i % 3]).collect();
    let mut row = vec![0.0; d];
    for s in 0..structures {
        for (i, g) in dx.iter().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = normal(&mut rng)
                    + if s == 0 && *g == "AD" && j < 4 {
                        0.2
                    } else {
                        0.0
                    };
            }
            ft.push(
                SampleId::new(format!("s{i}")),
                format!("structure_{s}"),
                &row,
            );
        }
    }
    std::fs::create_dir_all(out).expect("output folder");
    ft.write(&out.join("features.parquet"))
        .expect("write features");
    let pheno = PhenoTable {
        path: out.join("pheno.txt"),
        samples: (0..subjects)
            .map(|i| SampleId::new(format!("s{i}")))
            .collect(),
        columns: vec![PhenoColumn {
            name: "DX".into(),
            values: PhenoValues::Categorical(dx.iter().map(|g| Some((*g).to_owned())).collect()),
        }],
    };
    pheno
        .write(&out.join("pheno.txt"))
        .expect("write phenotypes");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let num = |i: usize| args[i].parse::<usize>().expect("a number");
    match args.get(1).map(String::as_str) {
        Some("single") => single(num(2), num(3), num(4), num(5)),
        Some("features") => features(Path::new(&args[2]), num(3), num(4), num(5)),
        _ => {
            eprintln!("usage: mmd_bench single N D B REPEATS | mmd_bench features OUT SUBJECTS STRUCTURES D");
            std::process::exit(2);
        }
    }
}
