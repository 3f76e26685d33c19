//! Two-dimensional views of the bottleneck for the report: exact t-SNE (van der Maaten &
//! Hinton 2008) following scikit-learn's `TSNE(method="exact")` step by step (perplexity
//! search on squared Euclidean distances, symmetrised joint probabilities, Student-t
//! similarities with one degree of freedom, 250 iterations of early exaggeration 12 at
//! momentum 0.5, then momentum 0.8, adaptive gains, learning rate max(n/48, 50)), and the
//! PCA start it uses (first two principal components scaled to SD 1e-4).

use crate::error::{ensure_config, Result};

/// Options of [`tsne`] (scikit-learn's defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TsneOptions {
    /// Effective number of neighbours (must be below the number of points).
    pub perplexity: f64,
    /// Factor on the joint probabilities during the first 250 iterations.
    pub early_exaggeration: f64,
    /// Total iterations (at least 250).
    pub max_iter: usize,
}

impl Default for TsneOptions {
    fn default() -> Self {
        Self {
            perplexity: 30.0,
            early_exaggeration: 12.0,
            max_iter: 1000,
        }
    }
}

const MACHINE_EPSILON: f64 = f64::EPSILON;
const EXPLORATION_ITER: usize = 250;

/// Squared Euclidean distances, rounded to f32 as scikit-learn does before the search.
fn squared_distances(x: &[Vec<f64>]) -> Vec<Vec<f64>> {
    x.iter()
        .map(|a| {
            x.iter()
                .map(|b| {
                    let d: f64 = a.iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum();
                    f64::from(d as f32)
                })
                .collect()
        })
        .collect()
}

/// Conditional probabilities p(j|i) with each row's Gaussian width found by bisection so its
/// entropy is ln(perplexity) (within 1e-5, at most 100 steps).
pub fn conditional_probabilities(x: &[Vec<f64>], perplexity: f64) -> Vec<Vec<f64>> {
    let d = squared_distances(x);
    let n = x.len();
    let desired = perplexity.ln();
    let mut p = vec![vec![0.0; n]; n];
    for i in 0..n {
        let (mut beta, mut lo, mut hi) = (1.0f64, f64::NEG_INFINITY, f64::INFINITY);
        for _ in 0..100 {
            let mut sum = 0.0;
            for j in 0..n {
                p[i][j] = if j == i { 0.0 } else { (-d[i][j] * beta).exp() };
                sum += p[i][j];
            }
            if sum == 0.0 {
                sum = 1e-8;
            }
            let mut dist_sum = 0.0;
            for j in 0..n {
                p[i][j] /= sum;
                dist_sum += d[i][j] * p[i][j];
            }
            let diff = sum.ln() + beta * dist_sum - desired;
            if diff.abs() <= 1e-5 {
                break;
            }
            if diff > 0.0 {
                lo = beta;
                beta = if hi == f64::INFINITY {
                    beta * 2.0
                } else {
                    (beta + hi) / 2.0
                };
            } else {
                hi = beta;
                beta = if lo == f64::NEG_INFINITY {
                    beta / 2.0
                } else {
                    (beta + lo) / 2.0
                };
            }
        }
    }
    p
}

/// Joint probabilities `max((p(j|i) + p(i|j)) / Σ, ε)` as an n×n matrix (zero diagonal).
pub fn joint_probabilities(x: &[Vec<f64>], perplexity: f64) -> Vec<Vec<f64>> {
    let c = conditional_probabilities(x, perplexity);
    let n = x.len();
    let mut p = vec![vec![0.0; n]; n];
    let mut sum = 0.0;
    for i in 0..n {
        for j in 0..n {
            p[i][j] = c[i][j] + c[j][i];
            sum += p[i][j];
        }
    }
    let sum = sum.max(MACHINE_EPSILON);
    for (i, row) in p.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = if i == j {
                0.0
            } else {
                (*v / sum).max(MACHINE_EPSILON)
            };
        }
    }
    p
}

/// KL(P‖Q) of an embedding and its gradient (P over pairs i < j, as scikit-learn's condensed
/// form).
pub fn kl_and_gradient(p: &[Vec<f64>], y: &[[f64; 2]]) -> (f64, Vec<[f64; 2]>) {
    gradient(p, y, true)
}

/// The gradient of KL(P‖Q), and the KL itself when `with_kl` (else NaN): the descent needs
/// the KL only every 50 iterations, and its logarithms cost more than the gradient.
fn gradient(p: &[Vec<f64>], y: &[[f64; 2]], with_kl: bool) -> (f64, Vec<[f64; 2]>) {
    let n = y.len();
    let mut w = vec![vec![0.0; n]; n];
    let mut sum = 0.0;
    for i in 0..n {
        for j in i + 1..n {
            let d = (y[i][0] - y[j][0]).powi(2) + (y[i][1] - y[j][1]).powi(2);
            let v = 1.0 / (1.0 + d);
            w[i][j] = v;
            w[j][i] = v;
            sum += v;
        }
    }
    let mut kl = 0.0;
    let mut grad = vec![[0.0; 2]; n];
    for i in 0..n {
        for j in 0..n {
            if i == j {
                continue;
            }
            let q = (w[i][j] / (2.0 * sum)).max(MACHINE_EPSILON);
            if with_kl && i < j {
                kl += 2.0 * p[i][j] * (p[i][j].max(MACHINE_EPSILON) / q).ln();
            }
            let pq = (p[i][j] - q) * w[i][j];
            grad[i][0] += 4.0 * pq * (y[i][0] - y[j][0]);
            grad[i][1] += 4.0 * pq * (y[i][1] - y[j][1]);
        }
    }
    (if with_kl { kl } else { f64::NAN }, grad)
}

/// Gradient descent with momentum and adaptive gains over iterations `start..end`; returns
/// the last iteration run and the last KL computed. Stops early as scikit-learn does: every
/// 50 iterations, when the KL has not improved for `patience` iterations or the gradient norm
/// falls below 1e-7.
#[allow(clippy::too_many_arguments)]
fn descend(
    p: &[Vec<f64>],
    y: &mut [[f64; 2]],
    start: usize,
    end: usize,
    momentum: f64,
    lr: f64,
    patience: usize,
) -> (usize, f64) {
    let n = y.len();
    let mut update = vec![[0.0f64; 2]; n];
    let mut gains = vec![[1.0f64; 2]; n];
    let (mut best, mut best_iter, mut kl) = (f64::MAX, start, f64::MAX);
    let mut i = start;
    while i < end {
        let check = (i + 1).is_multiple_of(50);
        let (error, mut grad) = gradient(p, y, check || i == end - 1);
        if check || i == end - 1 {
            kl = error;
        }
        let mut norm = 0.0;
        for k in 0..n {
            for c in 0..2 {
                if update[k][c] * grad[k][c] < 0.0 {
                    gains[k][c] += 0.2;
                } else {
                    gains[k][c] *= 0.8;
                }
                gains[k][c] = gains[k][c].max(0.01);
                grad[k][c] *= gains[k][c];
                norm += grad[k][c] * grad[k][c];
                update[k][c] = momentum * update[k][c] - lr * grad[k][c];
                y[k][c] += update[k][c];
            }
        }
        if check {
            if error < best {
                best = error;
                best_iter = i;
            } else if i - best_iter > patience {
                break;
            }
            if norm.sqrt() <= 1e-7 {
                break;
            }
        }
        i += 1;
    }
    (i.min(end.saturating_sub(1)), kl)
}

/// Embeds the rows of `x` in two dimensions starting from `init`; returns the embedding and
/// its final KL divergence.
pub fn tsne(
    x: &[Vec<f64>],
    init: &[[f64; 2]],
    options: TsneOptions,
) -> Result<(Vec<[f64; 2]>, f64)> {
    let n = x.len();
    ensure_config!(
        options.perplexity > 0.0 && options.perplexity < n as f64,
        "t-SNE perplexity {} must be positive and below the number of points ({n})",
        options.perplexity
    );
    ensure_config!(
        init.len() == n,
        "t-SNE start has {} points for {n}",
        init.len()
    );
    ensure_config!(
        options.max_iter >= EXPLORATION_ITER,
        "t-SNE needs at least {EXPLORATION_ITER} iterations"
    );
    let mut p = joint_probabilities(x, options.perplexity);
    let lr = (n as f64 / options.early_exaggeration / 4.0).max(50.0);
    let mut y = init.to_vec();
    for row in p.iter_mut() {
        row.iter_mut()
            .for_each(|v| *v *= options.early_exaggeration);
    }
    let (it, _) = descend(&p, &mut y, 0, EXPLORATION_ITER, 0.5, lr, EXPLORATION_ITER);
    for row in p.iter_mut() {
        row.iter_mut()
            .for_each(|v| *v /= options.early_exaggeration);
    }
    let (_, kl) = descend(&p, &mut y, it + 1, options.max_iter, 0.8, lr, 300);
    Ok((y, kl))
}

/// Scores on the first two principal components (power iteration with deflation), each
/// component's sign fixed so its largest loading is positive, scaled so the first column has
/// SD 1e-4 (scikit-learn's t-SNE start).
pub fn pca_start(x: &[Vec<f64>]) -> Vec<[f64; 2]> {
    let n = x.len();
    let d = x.first().map_or(0, Vec::len);
    let mean: Vec<f64> = (0..d)
        .map(|j| x.iter().map(|r| r[j]).sum::<f64>() / n.max(1) as f64)
        .collect();
    let mut c: Vec<Vec<f64>> = x
        .iter()
        .map(|r| r.iter().zip(&mean).map(|(a, m)| a - m).collect())
        .collect();
    let mut scores = vec![[0.0; 2]; n];
    #[allow(clippy::needless_range_loop)] // comp indexes the score columns
    for comp in 0..2 {
        let mut v = vec![1.0 / (d.max(1) as f64).sqrt(); d];
        for _ in 0..500 {
            let s: Vec<f64> = c
                .iter()
                .map(|r| r.iter().zip(&v).map(|(a, b)| a * b).sum())
                .collect();
            let mut w = vec![0.0; d];
            for (r, si) in c.iter().zip(&s) {
                for j in 0..d {
                    w[j] += r[j] * si;
                }
            }
            let norm = w.iter().map(|a| a * a).sum::<f64>().sqrt();
            if norm == 0.0 {
                break;
            }
            v = w.iter().map(|a| a / norm).collect();
        }
        let big = v
            .iter()
            .copied()
            .fold(0.0f64, |m, a| if a.abs() > m.abs() { a } else { m });
        if big < 0.0 {
            v.iter_mut().for_each(|a| *a = -*a);
        }
        for (k, r) in c.iter_mut().enumerate() {
            let s: f64 = r.iter().zip(&v).map(|(a, b)| a * b).sum();
            scores[k][comp] = s;
            r.iter_mut().zip(&v).for_each(|(a, b)| *a -= s * b);
        }
    }
    let m0 = scores.iter().map(|s| s[0]).sum::<f64>() / n.max(1) as f64;
    let sd0 = (scores.iter().map(|s| (s[0] - m0).powi(2)).sum::<f64>() / n.max(1) as f64).sqrt();
    let scale = if sd0 > 0.0 { 1e-4 / sd0 } else { 1.0 };
    scores
        .iter()
        .map(|s| [s[0] * scale, s[1] * scale])
        .collect()
}

/// The t-SNE view of a FeatureTable: each structure's rows embedded separately (from the PCA
/// start) into two columns `tsne_1`, `tsne_2`, in the same row order within each structure.
/// The perplexity is lowered to (n − 1)/3 for structures with few rows. Exact t-SNE costs
/// O(n²) per iteration: meant for up to a few thousand subjects per structure.
pub fn tsne_table(
    features: &biomarker_tables::FeatureTable,
    options: TsneOptions,
) -> Result<biomarker_tables::FeatureTable> {
    use biomarker_tables::kinds::feature::META_LAYER;
    let mut out = biomarker_tables::FeatureTable::new(vec!["tsne_1".into(), "tsne_2".into()]);
    out.metadata = features.metadata.clone();
    out.metadata.insert(META_LAYER.into(), "tsne".into());
    let d = features.feature_names.len();
    for structure in features.structure_names() {
        let (samples, values) = features.structure_matrix(&structure);
        let x: Vec<Vec<f64>> = values.chunks(d.max(1)).map(<[f64]>::to_vec).collect();
        ensure_config!(
            x.len() >= 4,
            "t-SNE of {structure:?} needs at least 4 rows, found {}",
            x.len()
        );
        let perplexity = options.perplexity.min((x.len() - 1) as f64 / 3.0);
        let (y, _) = tsne(
            &x,
            &pca_start(&x),
            TsneOptions {
                perplexity,
                ..options
            },
        )?;
        for (sample, point) in samples.into_iter().zip(y) {
            out.push(sample, structure.clone(), &point);
        }
    }
    Ok(out)
}
