//! The MMD two-sample tests against their peers and their own promises: hyppo 0.5.2's
//! permutation p-values and statistic (up to its constant rescaling), exact p-values of a
//! case small enough to enumerate every split, textbook Hotelling T² and DFDA (scipy), the
//! null calibration of every permutation test and the family-wise / FDR columns.
//! Fixtures: crates/assoc/tests/fixtures/mmd, made by scripts/mmd_fixtures.py.

use std::collections::HashMap;
use std::path::PathBuf;

use biomarker_assoc::mmd::estimate::{Centred, Estimator};
use biomarker_assoc::mmd::kernel::{gram, kernel_matrix};
use biomarker_assoc::mmd::{
    run_family, Bandwidth, Grouping, KernelKind, KernelSpec, MedianConvention, MmdConfig, TestKind,
};
use biomarker_tables::{FeatureTable, MmdRecord, SampleId};
use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mmd")
}

/// (group a rows, group b rows) of a fixture case.
fn case(name: &str) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(fixtures().join(format!("case_{name}.tsv"))).unwrap();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for line in text.lines().skip(1) {
        let mut f = line.split('\t');
        let g = f.next().unwrap();
        let v: Vec<f64> = f.map(|x| x.parse().unwrap()).collect();
        if g == "a" {
            a.push(v)
        } else {
            b.push(v)
        }
    }
    (a, b)
}

fn reference() -> HashMap<(String, String), String> {
    let text = std::fs::read_to_string(fixtures().join("reference.tsv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            ((f[0].to_owned(), f[1].to_owned()), f[2].to_owned())
        })
        .collect()
}

fn num(r: &HashMap<(String, String), String>, case: &str, q: &str) -> f64 {
    r[&(case.to_owned(), q.to_owned())].parse().unwrap()
}

/// Rows of one group.
type Rows = [Vec<f64>];
/// A structure's name and its two groups' rows.
type Structure<'a> = (&'a str, &'a Rows, &'a Rows);

/// A feature table (one or more structures over the same subjects) and its a/b grouping.
fn table(structures: &[Structure<'_>]) -> (FeatureTable, Grouping) {
    let d = structures[0].1[0].len();
    let mut ft = FeatureTable::new((0..d).map(|j| format!("z_{j}")).collect());
    let mut labels = Vec::new();
    for (k, (name, a, b)) in structures.iter().enumerate() {
        for (i, row) in a.iter().chain(b.iter()).enumerate() {
            ft.push(SampleId::new(format!("s{i}")), *name, row);
            if k == 0 {
                labels.push(Some(if i < a.len() { "a" } else { "b" }.to_owned()));
            }
        }
    }
    let samples = (0..labels.len())
        .map(|i| SampleId::new(format!("s{i}")))
        .collect();
    (
        ft,
        Grouping {
            source: "test".into(),
            samples,
            labels,
        },
    )
}

fn gaussian() -> KernelSpec {
    KernelSpec {
        kind: KernelKind::Gaussian,
        bandwidth: Bandwidth::Median(MedianConvention::Sigma),
    }
}

fn run(
    ft: &FeatureTable,
    g: &Grouping,
    tests: &[TestKind],
    b: usize,
    seed: u64,
    gamma: bool,
) -> Vec<MmdRecord> {
    let config = MmdConfig {
        kernel: gaussian(),
        tests: tests.to_vec(),
        permutations: b,
        gamma,
        seed,
    };
    run_family(ft, g, &[("a".into(), "b".into())], &config, &|_, _| {})
        .unwrap()
        .records
}

fn row<'a>(rows: &'a [MmdRecord], estimator: &str, null: &str) -> &'a MmdRecord {
    rows.iter()
        .find(|r| r.estimator == estimator && r.null_method == null)
        .unwrap()
}

#[test]
fn permutation_p_values_agree_with_hyppo_within_monte_carlo_error() {
    let r = reference();
    for name in ["shift", "null_unequal", "scale"] {
        let (a, b) = case(name);
        let (ft, g) = table(&[("s", &a, &b)]);
        let mine_b = 20_000;
        let rows = run(
            &ft,
            &g,
            &[TestKind::Unbiased, TestKind::Biased],
            mine_b,
            11,
            false,
        );
        for tag in ["unbiased", "biased"] {
            let rec = row(&rows, tag, "permutation");
            let want = num(&r, name, &format!("mmd2_{tag}"));
            assert!(
                (rec.statistic - want).abs() < 1e-12 * want.abs().max(1e-3),
                "{name} {tag}: {} vs {want}",
                rec.statistic
            );
        }
        // hyppo's default (bias=False) statistic is the unbiased MMD² rescaled.
        let rec = row(&rows, "unbiased", "permutation");
        let hp = num(&r, name, "hyppo_p_unbiased");
        let hb = num(&r, name, "hyppo_reps_unbiased");
        let p = 0.5 * (hp + rec.p_value);
        let sd = (p * (1.0 - p) * (1.0 / hb + 1.0 / mine_b as f64)).sqrt();
        let diff = (rec.p_value - hp).abs();
        println!(
            "{name}: p = {:.5}, hyppo p = {hp:.5}, |diff| = {diff:.5} ({:.2} sd)",
            rec.p_value,
            diff / sd
        );
        assert!(
            diff <= 4.0 * sd + 1.0 / hb,
            "{name}: p = {} vs hyppo {hp}",
            rec.p_value
        );
    }
}

#[test]
fn hyppo_statistic_is_a_constant_multiple_of_the_unbiased_mmd2() {
    let r = reference();
    for name in ["shift", "null_unequal", "scale"] {
        let (a, b) = case(name);
        let n = a.len();
        let rows: Vec<Vec<f64>> = a.into_iter().chain(b).collect();
        let x = Array2::from_shape_fn((rows.len(), rows[0].len()), |(i, j)| rows[i][j]);
        let all: Vec<usize> = (0..rows.len()).collect();
        let (k, _) = kernel_matrix(&gaussian(), gram(x.view()).view(), &all).unwrap();
        let pooled = Centred::new(k);
        let mut ratios = Vec::new();
        for rl in 0..5 {
            let members: Vec<usize> = r[&(name.to_owned(), format!("relabel{rl}_members"))]
                .split(' ')
                .map(|v| v.parse().unwrap())
                .collect();
            assert_eq!(members.len(), n);
            let mine = pooled.statistic(Estimator::Unbiased, &members);
            let numpy = num(&r, name, &format!("relabel{rl}_mmd2_unbiased"));
            assert!(
                (mine - numpy).abs() < 1e-12,
                "{name} relabelling {rl}: {mine} vs numpy {numpy}"
            );
            ratios.push(num(&r, name, &format!("relabel{rl}_hyppo_unbiased")) / mine);
        }
        let spread = ratios
            .iter()
            .map(|q| (q / ratios[0] - 1.0).abs())
            .fold(0.0, f64::max);
        println!(
            "{name}: hyppo / MMD²_u = {:.9} (max relative spread {spread:.1e})",
            ratios[0]
        );
        assert!(spread < 1e-9, "{name}: ratios {ratios:?}");
    }
}

#[test]
fn exact_p_values_when_every_split_is_enumerated() {
    let r = reference();
    let (a, b) = case("tiny");
    let (ft, g) = table(&[("s", &a, &b)]);
    let rows = run(
        &ft,
        &g,
        &[TestKind::Unbiased, TestKind::Biased, TestKind::Energy],
        1000,
        1,
        false,
    );
    for (est, q) in [
        ("unbiased", "exact_p_unbiased"),
        ("biased", "exact_p_biased"),
        ("energy", "exact_p_energy"),
    ] {
        let rec = row(&rows, est, "permutation");
        assert_eq!(rec.permutations, Some(126), "{est}: C(9, 4) splits");
        assert_eq!(rec.seed, None, "{est}: an enumeration has no seed");
        let want = num(&r, "tiny", q);
        assert!(
            (rec.p_value - want).abs() < 1e-12,
            "{est}: p = {} vs enumerated {want}",
            rec.p_value
        );
    }
}

#[test]
fn hotelling_and_dfda_match_scipy() {
    let r = reference();
    for name in ["shift", "null_unequal", "scale"] {
        let (a, b) = case(name);
        let (ft, g) = table(&[("s", &a, &b)]);
        let rows = run(
            &ft,
            &g,
            &[TestKind::Hotelling, TestKind::Dfda],
            10,
            1,
            false,
        );
        for (est, null, s, p) in [
            ("hotelling", "f", "hotelling_t2", "hotelling_p"),
            ("dfda", "chi2", "dfda_t", "dfda_p"),
        ] {
            let rec = row(&rows, est, null);
            let (ws, wp) = (num(&r, name, s), num(&r, name, p));
            assert!(
                (rec.statistic / ws - 1.0).abs() < 1e-9,
                "{name} {est}: {} vs {ws}",
                rec.statistic
            );
            assert!(
                (rec.p_value / wp - 1.0).abs() < 1e-8,
                "{name} {est}: p {} vs {wp}",
                rec.p_value
            );
        }
    }
}

fn normal_rows(rng: &mut ChaCha8Rng, n: usize, d: usize, shift: f64) -> Vec<Vec<f64>> {
    (0..n)
        .map(|_| {
            (0..d)
                .map(|j| {
                    Distribution::<f64>::sample(&StandardNormal, rng)
                        + if j == 0 { shift } else { 0.0 }
                })
                .collect()
        })
        .collect()
}

#[test]
fn rejection_rate_under_the_null_is_nominal() {
    // 300 data sets with both groups from one distribution; every test at α = 0.05.
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    let reps = 300;
    let mut rejections: HashMap<(String, String), usize> = HashMap::new();
    for rep in 0..reps {
        let a = normal_rows(&mut rng, 24, 4, 0.0);
        let b = normal_rows(&mut rng, 30, 4, 0.0);
        let (ft, g) = table(&[("s", &a, &b)]);
        let rows = run(&ft, &g, &TestKind::ALL, 199, rep, true);
        for rec in rows {
            *rejections
                .entry((rec.estimator.clone(), rec.null_method.clone()))
                .or_default() += usize::from(rec.p_value <= 0.05);
        }
    }
    let mut keys: Vec<_> = rejections.keys().cloned().collect();
    keys.sort();
    for key in keys {
        let rate = rejections[&key] as f64 / reps as f64;
        println!("{} / {}: rejection rate {rate:.3}", key.0, key.1);
        assert!(
            (0.02..=0.08).contains(&rate),
            "{key:?}: rejection rate {rate}"
        );
    }
}

#[test]
fn a_shift_is_detected_and_gamma_tracks_the_permutation_null() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let a = normal_rows(&mut rng, 120, 6, 0.0);
    let b = normal_rows(&mut rng, 100, 6, 0.5);
    let (ft, g) = table(&[("s", &a, &b)]);
    let rows = run(&ft, &g, &TestKind::ALL, 2000, 3, true);
    for rec in &rows {
        println!(
            "{} {}: statistic {:.5}, p {:.5}",
            rec.estimator, rec.null_method, rec.statistic, rec.p_value
        );
    }
    for (est, null) in [
        ("unbiased", "permutation"),
        ("biased", "permutation"),
        ("energy", "permutation"),
        ("hotelling", "f"),
    ] {
        assert!(
            row(&rows, est, null).p_value < 0.01,
            "{est} {null} misses the shift"
        );
    }
    // In the moderate range, where B permutations resolve p well, the gamma approximation
    // follows the permutation null.
    for (seed, shift) in [(6, 0.25), (7, 0.2), (8, 0.3)] {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let a = normal_rows(&mut rng, 120, 6, 0.0);
        let b = normal_rows(&mut rng, 100, 6, shift);
        let (ft, g) = table(&[("s", &a, &b)]);
        let rows = run(&ft, &g, &[TestKind::Biased], 4000, 3, true);
        let perm = row(&rows, "biased", "permutation").p_value;
        let gamma = row(&rows, "biased", "gamma").p_value;
        println!("shift {shift}: gamma p {gamma:.5}, permutation p {perm:.5}");
        assert!(
            (0.003..0.5).contains(&perm),
            "precondition: a moderate p, have {perm}"
        );
        assert!(
            (gamma / perm).ln().abs() < 0.35,
            "gamma p {gamma} vs permutation p {perm}"
        );
    }
}

#[test]
fn family_columns_max_statistic_and_q_values() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let per: Vec<[Vec<Vec<f64>>; 2]> = (0..4)
        .map(|s| {
            [
                normal_rows(&mut rng, 25, 3, 0.0),
                normal_rows(&mut rng, 25, 3, if s == 0 { 1.0 } else { 0.0 }),
            ]
        })
        .collect();
    let names = ["hippocampus", "amygdala", "caudate", "putamen"];
    let structures: Vec<Structure<'_>> = per
        .iter()
        .zip(names)
        .map(|([a, b], n)| (n, a.as_slice(), b.as_slice()))
        .collect();
    let (ft, g) = table(&structures);
    let rows = run(&ft, &g, &[TestKind::Unbiased], 999, 4, false);
    assert_eq!(rows.len(), 4);
    for rec in &rows {
        let fwer = rec.p_fwer.unwrap();
        assert!(
            fwer + 1e-12 >= rec.p_value,
            "{}: FWER p {fwer} below p {}",
            rec.structure,
            rec.p_value
        );
        assert!(rec.p_adjusted.unwrap() + 1e-12 >= rec.p_value);
    }
    assert!(
        rows[0].p_fwer.unwrap() < 0.01,
        "the shifted structure survives the family-wise correction"
    );
    // One structure alone: the max statistic is the statistic itself.
    let (ft1, g1) = table(&structures[1..2]);
    let one = run(&ft1, &g1, &[TestKind::Unbiased], 999, 4, false);
    assert!((one[0].p_fwer.unwrap() - one[0].p_value).abs() < 1e-12);
    // Splits are shared: the same structure alone and in the family gets the same p.
    let same = rows.iter().find(|r| r.structure == "amygdala").unwrap();
    assert_eq!(same.p_value, one[0].p_value);
}

#[test]
fn too_few_subjects_is_a_clear_error() {
    let a = vec![vec![1.0]];
    let b = vec![vec![2.0], vec![3.0]];
    let (ft, g) = table(&[("s", &a, &b)]);
    let config = MmdConfig {
        kernel: gaussian(),
        tests: vec![TestKind::Unbiased],
        permutations: 10,
        gamma: false,
        seed: 1,
    };
    let err = run_family(&ft, &g, &[("a".into(), "b".into())], &config, &|_, _| {}).unwrap_err();
    assert_eq!(
        err.to_string(),
        "pair a:b has 1 and 2 subjects with features; at least 2 per group are needed"
    );
}

#[test]
fn mirror_splits_tie_exactly_when_groups_are_equal_sized() {
    // n = m: a split and its complement give the same biased MMD², so every statistic
    // appears an even number of times among the C(8, 4) = 70 splits, and the enumerated
    // p-value counts both members of each tied pair.
    let (a, b) = case("tiny");
    let a4 = &a[..4];
    let b4 = &b[..4];
    let (ft, g) = table(&[("s", a4, b4)]);
    let rows = run(&ft, &g, &[TestKind::Biased], 1000, 1, false);
    let rec = row(&rows, "biased", "permutation");
    assert_eq!(rec.permutations, Some(70));
    let count = (rec.p_value * 70.0).round();
    assert!(
        (rec.p_value * 70.0 - count).abs() < 1e-9 && count as i64 % 2 == 0,
        "p = {}",
        rec.p_value
    );
    // Against a direct enumeration in exact f64 arithmetic.
    let all: Vec<Vec<f64>> = a4.iter().chain(b4).cloned().collect();
    let x = Array2::from_shape_fn((8, all[0].len()), |(i, j)| all[i][j]);
    let (k, _) = kernel_matrix(
        &gaussian(),
        gram(x.view()).view(),
        &(0..8).collect::<Vec<_>>(),
    )
    .unwrap();
    let pooled = Centred::new(k);
    let obs = pooled.statistic(Estimator::Biased, &[0, 1, 2, 3]);
    let mut ge = 0;
    for s in 0u32..256 {
        if s.count_ones() == 4 {
            let m: Vec<usize> = (0..8).filter(|i| s >> i & 1 == 1).collect();
            ge += usize::from(pooled.statistic(Estimator::Biased, &m) >= obs * (1.0 - 1e-9));
        }
    }
    assert_eq!(rec.p_value, ge as f64 / 70.0);
}
