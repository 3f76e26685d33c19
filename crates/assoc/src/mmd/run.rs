//! A family of two-sample tests: every structure of a FeatureTable × every group pair, each
//! with the tests asked for, into one MmdTable. Per structure the Gram matrix of all grouped
//! subjects is built once; per pair the kernel is a pass over its sub-block, the splits are
//! drawn once and reused for every structure, and each block of splits is one matrix
//! product. Family-wise p-values come from the max statistic over the structures of a pair
//! (the splits being shared), q-values from Benjamini–Hochberg over the rows of one kind of
//! test.

use std::collections::{BTreeMap, HashMap};

use biomarker_tables::{FeatureTable, MmdRecord, MmdTable};
use ndarray::{Array2, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::companion::{dfda, hotelling};
use super::estimate::{linear_time, Centred, Estimator};
use super::family::{benjamini_hochberg, max_statistic, standardise};
use super::grouping::Grouping;
use super::kernel::{gram, kernel_matrix, KernelKind, KernelSpec};
use super::null::{linear_time_p, GammaNull};
use super::permute::{permutation_tests, Splits};
use super::MmdError;

/// One kind of test in the family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TestKind {
    /// Unbiased quadratic-time MMD², permutation null.
    Unbiased,
    /// Biased quadratic-time MMD², permutation null (and the gamma approximation if asked).
    Biased,
    /// Linear-time MMD², normal approximation.
    Linear,
    /// Kirchler's DFDA, χ² null.
    Dfda,
    /// Hotelling T², F null.
    Hotelling,
    /// Energy distance, permutation null.
    Energy,
}

impl TestKind {
    /// Every kind, in table order.
    pub const ALL: [TestKind; 6] = [
        TestKind::Unbiased,
        TestKind::Biased,
        TestKind::Linear,
        TestKind::Dfda,
        TestKind::Hotelling,
        TestKind::Energy,
    ];

    /// The MmdTable `estimator` value.
    pub fn name(self) -> &'static str {
        match self {
            TestKind::Unbiased => "unbiased",
            TestKind::Biased => "biased",
            TestKind::Linear => "linear",
            TestKind::Dfda => "dfda",
            TestKind::Hotelling => "hotelling",
            TestKind::Energy => "energy",
        }
    }

    /// Parses an `estimator` name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// Options of a family run.
#[derive(Debug, Clone)]
pub struct MmdConfig {
    /// Kernel of the MMD tests.
    pub kernel: KernelSpec,
    /// Tests to run.
    pub tests: Vec<TestKind>,
    /// Number of random splits B (when C(N, n) ≤ B every split is enumerated instead and
    /// the p-value is exact).
    pub permutations: usize,
    /// Also report the gamma approximation for the biased MMD².
    pub gamma: bool,
    /// Seed of the splits and of the linear-time pairing.
    pub seed: u64,
}

/// The subjects of one pair: rows into the grouped subjects, group a first.
struct Pair {
    a: String,
    b: String,
    rows: Vec<usize>,
    n_a: usize,
    splits: Splits,
}

/// Per (pair, test kind): the observed statistic and null of every structure, for the max
/// statistic.
type Nulls = BTreeMap<(usize, TestKind), Vec<(usize, f64, Vec<f64>)>>;

/// Runs the family; `progress(done, total)` is called after each structure × pair.
pub fn run_family(
    features: &FeatureTable,
    grouping: &Grouping,
    pairs: &[(String, String)],
    config: &MmdConfig,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<MmdTable, MmdError> {
    if config.tests.is_empty() {
        return Err(MmdError::Input("no tests asked for".into()));
    }
    let structures = features.structure_names();
    if structures.is_empty() {
        return Err(MmdError::Input("the feature table has no rows".into()));
    }
    let d = features.feature_names.len();
    // The grouped subjects: labelled with a group of some pair and with finite features for
    // every structure, in the feature table's order.
    let wanted: std::collections::HashSet<&str> = pairs
        .iter()
        .flat_map(|(a, b)| [a.as_str(), b.as_str()])
        .collect();
    let label: HashMap<&str, &str> = grouping
        .samples
        .iter()
        .zip(&grouping.labels)
        .filter_map(|(s, l)| {
            l.as_deref()
                .filter(|l| wanted.contains(l))
                .map(|l| (s.iid.as_str(), l))
        })
        .collect();
    let mut matrices = Vec::with_capacity(structures.len());
    for st in &structures {
        let (samples, values) = features.structure_matrix(st);
        let index: HashMap<String, usize> = samples
            .iter()
            .enumerate()
            .map(|(i, s)| (s.iid.clone(), i))
            .collect();
        matrices.push((index, values));
    }
    let mut subjects: Vec<(String, &str)> = Vec::new();
    let (first_samples, _) = features.structure_matrix(&structures[0]);
    let mut dropped = 0usize;
    for s in &first_samples {
        let Some(&l) = label.get(s.iid.as_str()) else {
            continue;
        };
        let complete = matrices.iter().all(|(index, values)| {
            index
                .get(&s.iid)
                .is_some_and(|&r| values[r * d..(r + 1) * d].iter().all(|v| v.is_finite()))
        });
        if complete {
            subjects.push((s.iid.clone(), l));
        } else {
            dropped += 1;
        }
    }
    if dropped > 0 {
        tracing::warn!(
            "{dropped} grouped subjects lack a structure or have non-finite features: left out"
        );
    }
    let pairs: Vec<Pair> = pairs
        .iter()
        .enumerate()
        .map(|(p, (a, b))| {
            let mut rows: Vec<usize> = (0..subjects.len()).filter(|&i| subjects[i].1 == a).collect();
            let n_a = rows.len();
            rows.extend((0..subjects.len()).filter(|&i| subjects[i].1 == b));
            let n_b = rows.len() - n_a;
            if n_a < 2 || n_b < 2 {
                return Err(MmdError::Input(format!(
                    "pair {a}:{b} has {n_a} and {n_b} subjects with features; at least 2 per group are needed"
                )));
            }
            let n = rows.len();
            let splits = if Splits::count_all(n, n_a) <= config.permutations as u64 {
                Splits::exhaustive(n, n_a)
            } else {
                Splits::random(n, n_a, config.permutations, config.seed, p as u64)
            };
            Ok(Pair { a: a.clone(), b: b.clone(), rows, n_a, splits })
        })
        .collect::<Result<_, _>>()?;

    let mut records = Vec::new();
    let mut nulls: Nulls = BTreeMap::new();
    let total = structures.len() * pairs.len();
    let has = |k: TestKind| config.tests.contains(&k);
    for (si, st) in structures.iter().enumerate() {
        let (index, values) = &matrices[si];
        let x = Array2::from_shape_fn((subjects.len(), d), |(i, j)| {
            values[index[&subjects[i].0] * d + j]
        });
        let g = gram(x.view());
        for (pi, pair) in pairs.iter().enumerate() {
            let base = MmdRecord {
                structure: st.clone(),
                group_a: pair.a.clone(),
                group_b: pair.b.clone(),
                n_a: pair.n_a as i64,
                n_b: (pair.rows.len() - pair.n_a) as i64,
                ..MmdRecord::default()
            };
            if has(TestKind::Unbiased) || has(TestKind::Biased) || has(TestKind::Linear) {
                let (k, sigma) = kernel_matrix(&config.kernel, g.view(), &pair.rows)?;
                let kernel_rec = MmdRecord {
                    kernel: config.kernel.kind.name().into(),
                    bandwidth: sigma,
                    ..base.clone()
                };
                let pooled = Centred::new(k);
                for (kind, est) in [
                    (TestKind::Unbiased, Estimator::Unbiased),
                    (TestKind::Biased, Estimator::Biased),
                ] {
                    if !has(kind) {
                        continue;
                    }
                    let mut rec = MmdRecord {
                        estimator: kind.name().into(),
                        ..kernel_rec.clone()
                    };
                    let (r, null) = permutation_tests(&pooled, &pair.splits, &[est]).remove(0);
                    let obs = r.statistic;
                    rec.statistic = obs;
                    rec.p_value = r.p_value;
                    rec.z_score = Some(r.z_score);
                    rec.null_method = "permutation".into();
                    rec.permutations = Some(pair.splits.len() as i64);
                    rec.seed = (!pair.splits.is_exhaustive()).then_some(config.seed as i64);
                    nulls
                        .entry((pi, kind))
                        .or_default()
                        .push((records.len(), obs, null));
                    records.push(rec);
                    if kind == TestKind::Biased && config.gamma {
                        let gamma = GammaNull::fit(&pooled, pair.n_a);
                        records.push(MmdRecord {
                            estimator: kind.name().into(),
                            statistic: obs,
                            p_value: gamma.p_value(obs),
                            null_method: "gamma".into(),
                            ..kernel_rec.clone()
                        });
                    }
                }
                if has(TestKind::Linear) {
                    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
                    rng.set_stream(1 << 32 | pi as u64);
                    let mut a: Vec<usize> = pair.rows[..pair.n_a].to_vec();
                    let mut b: Vec<usize> = pair.rows[pair.n_a..].to_vec();
                    a.shuffle(&mut rng);
                    b.shuffle(&mut rng);
                    let rows_of = |v: &[usize]| -> Vec<Vec<f64>> {
                        v.iter().map(|&i| x.row(i).to_vec()).collect()
                    };
                    let (ra, rb) = (rows_of(&a), rows_of(&b));
                    let va: Vec<&[f64]> = ra.iter().map(Vec::as_slice).collect();
                    let vb: Vec<&[f64]> = rb.iter().map(Vec::as_slice).collect();
                    if va.len().min(vb.len()) < 4 {
                        tracing::warn!(
                            "{st} {}:{}: too few subjects for the linear-time statistic",
                            pair.a,
                            pair.b
                        );
                    } else {
                        let lt = linear_time(config.kernel.kind, sigma, &va, &vb);
                        records.push(MmdRecord {
                            estimator: TestKind::Linear.name().into(),
                            statistic: lt.statistic,
                            p_value: linear_time_p(&lt),
                            z_score: Some(lt.z),
                            null_method: "normal".into(),
                            seed: Some(config.seed as i64),
                            ..kernel_rec.clone()
                        });
                    }
                }
            }
            if has(TestKind::Energy) {
                let spec = KernelSpec {
                    kind: KernelKind::NegDistance,
                    ..config.kernel
                };
                let (k, _) = kernel_matrix(&spec, g.view(), &pair.rows)?;
                let pooled = Centred::new(k);
                let (r, null) =
                    permutation_tests(&pooled, &pair.splits, &[Estimator::Biased]).remove(0);
                let obs = r.statistic;
                nulls
                    .entry((pi, TestKind::Energy))
                    .or_default()
                    .push((records.len(), obs, null));
                records.push(MmdRecord {
                    estimator: TestKind::Energy.name().into(),
                    kernel: "none".into(),
                    statistic: obs,
                    p_value: r.p_value,
                    z_score: Some(r.z_score),
                    null_method: "permutation".into(),
                    permutations: Some(pair.splits.len() as i64),
                    seed: (!pair.splits.is_exhaustive()).then_some(config.seed as i64),
                    ..base.clone()
                });
            }
            if has(TestKind::Dfda) || has(TestKind::Hotelling) {
                let xa = x.select(Axis(0), &pair.rows[..pair.n_a]);
                let xb = x.select(Axis(0), &pair.rows[pair.n_a..]);
                for (kind, null_method) in [(TestKind::Dfda, "chi2"), (TestKind::Hotelling, "f")] {
                    if !has(kind) {
                        continue;
                    }
                    let t = if kind == TestKind::Dfda {
                        dfda(xa.view(), xb.view())
                    } else {
                        hotelling(xa.view(), xb.view())
                    };
                    match t {
                        Ok(t) => records.push(MmdRecord {
                            estimator: kind.name().into(),
                            kernel: "none".into(),
                            statistic: t.statistic,
                            p_value: t.ln_p.exp(),
                            null_method: null_method.into(),
                            ..base.clone()
                        }),
                        Err(e) => tracing::warn!(
                            "{st} {}:{}: {} not computed: {e}",
                            pair.a,
                            pair.b,
                            kind.name()
                        ),
                    }
                }
            }
            progress(si * pairs.len() + pi + 1, total);
        }
    }
    // Family-wise p-values: max statistic over the structures of each pair.
    for tests in nulls.values() {
        let mut z = Vec::with_capacity(tests.len());
        let mut null_z = Vec::with_capacity(tests.len());
        for (_, obs, null) in tests {
            z.push(standardise(&[*obs], null)[0]);
            null_z.push(standardise(null, null));
        }
        for ((row, _, _), p) in tests.iter().zip(max_statistic(&z, &null_z)) {
            records[*row].p_fwer = Some(p);
        }
    }
    // q-values within each kind of test (estimator × null).
    let mut families: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, r) in records.iter().enumerate() {
        families
            .entry((r.estimator.clone(), r.null_method.clone()))
            .or_default()
            .push(i);
    }
    for rows in families.values() {
        let p: Vec<f64> = rows.iter().map(|&i| records[i].p_value).collect();
        for (&i, q) in rows.iter().zip(benjamini_hochberg(&p)) {
            records[i].p_adjusted = Some(q);
        }
    }
    let mut metadata = BTreeMap::new();
    metadata.insert("subjects_grouped".into(), subjects.len().to_string());
    metadata.insert("subjects_left_out".into(), dropped.to_string());
    metadata.insert("grouping".into(), grouping.source.clone());
    Ok(MmdTable { records, metadata })
}
