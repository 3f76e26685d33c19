//! MMD² estimators. The quadratic-time ones are written as functions of the doubly centred
//! pooled kernel matrix `Kc = H·K·H` (H = I − 11ᵀ/N), which leaves both estimators unchanged
//! (they are invariant to adding f(x) + f(y) to the kernel) and removes the large constant
//! parts that would otherwise cancel. For a split with indicator `s` (ones on group a):
//!
//! - biased:   MMD²_b = c²·sᵀKc·s with c = 1/n + 1/m, because `v = s/n − (1−s)/m = c·s − 1/m`
//!   sums to zero, so `vᵀKv = vᵀKc·v` and `Kc·1 = 0`;
//! - unbiased: with `q = sᵀKc·s` and `dₐ = Σ_{i∈a} Kcᵢᵢ`, the within sums without the diagonal
//!   are `q − dₐ` and `q − (tr Kc − dₐ)`, the cross sum is `−q`, so
//!   MMD²_u = (q − dₐ)/(n(n−1)) + (q − tr Kc + dₐ)/(m(m−1)) + 2q/(nm).
//!
//! Every permutation therefore needs only `q` (one column of a matrix product) and `dₐ`.
//! The linear-time statistic works on the features directly.

use ndarray::Array2;
use rayon::prelude::*;

use super::kernel::{eval, KernelKind};

/// A quadratic-time MMD² estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Estimator {
    /// All pairs including i = j (a V-statistic; never negative).
    Biased,
    /// Within-group sums without i = j (a U-statistic; unbiased, may be negative).
    Unbiased,
}

impl Estimator {
    /// The name written to tables.
    pub fn name(self) -> &'static str {
        match self {
            Estimator::Biased => "biased",
            Estimator::Unbiased => "unbiased",
        }
    }

    /// The statistic of a split from its quadratic form `q = sᵀKc·s` and diagonal sum `dₐ`.
    pub fn from_sums(self, pooled: &Centred, n_a: usize, q: f64, d_a: f64) -> f64 {
        let (n, m) = (n_a as f64, (pooled.n() - n_a) as f64);
        match self {
            Estimator::Biased => {
                let c = 1.0 / n + 1.0 / m;
                c * c * q
            }
            Estimator::Unbiased => {
                (q - d_a) / (n * (n - 1.0))
                    + (q - pooled.trace + d_a) / (m * (m - 1.0))
                    + 2.0 * q / (n * m)
            }
        }
    }
}

/// The doubly centred kernel matrix of a pooled sample.
#[derive(Debug, Clone)]
pub struct Centred {
    /// `H·K·H`.
    pub kc: Array2<f64>,
    /// `H·K·H` rounded to f32, for the permutation products (see [`super::permute`]).
    pub kc32: Array2<f32>,
    /// Its diagonal.
    pub diag: Vec<f64>,
    /// Its trace.
    pub trace: f64,
}

impl Centred {
    /// Centres `k` (symmetric, N × N) in place.
    pub fn new(mut k: Array2<f64>) -> Self {
        let n = k.nrows();
        let chunk = n.max(1);
        let mut kc32 = Array2::<f32>::zeros((n, n));
        let data = k
            .as_slice_mut()
            .expect("a fresh kernel matrix is contiguous");
        let means: Vec<f64> = data
            .par_chunks(chunk)
            .map(|r| r.iter().sum::<f64>() / n as f64)
            .collect();
        let grand = means.iter().sum::<f64>() / n as f64;
        data.par_chunks_mut(chunk)
            .zip(
                kc32.as_slice_mut()
                    .expect("contiguous")
                    .par_chunks_mut(chunk),
            )
            .zip(&means)
            .for_each(|((row, row32), mi)| {
                for ((v, v32), mj) in row.iter_mut().zip(row32.iter_mut()).zip(&means) {
                    *v += grand - mi - mj;
                    *v32 = *v as f32;
                }
            });
        let diag: Vec<f64> = (0..n).map(|i| k[[i, i]]).collect();
        let trace = diag.iter().sum();
        Self {
            kc: k,
            kc32,
            diag,
            trace,
        }
    }

    /// Pooled sample size N.
    pub fn n(&self) -> usize {
        self.kc.nrows()
    }

    /// The statistic of one split given by the members of group a (direct O(N²) evaluation).
    pub fn statistic(&self, estimator: Estimator, members: &[usize]) -> f64 {
        let q: f64 = members
            .iter()
            .map(|&i| members.iter().map(|&j| self.kc[[i, j]]).sum::<f64>())
            .sum();
        let d_a: f64 = members.iter().map(|&i| self.diag[i]).sum();
        estimator.from_sums(self, members.len(), q, d_a)
    }
}

/// The linear-time statistic and its normal approximation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearTime {
    /// mean(h) over the pairs.
    pub statistic: f64,
    /// mean(h) / √(var(h)/pairs).
    pub z: f64,
    /// Number of pairs.
    pub pairs: usize,
}

/// Gretton's linear-time MMD² between `a` and `b` (row slices): pairs (x₂ᵢ₋₁, x₂ᵢ) and
/// (y₂ᵢ₋₁, y₂ᵢ) for i ≤ ⌊min(n, m)/2⌋ in the order given, `h = k(x,x') + k(y,y') − k(x,y')
/// − k(x',y)`. The caller shuffles the groups (seeded) when their order is not random.
pub fn linear_time(kind: KernelKind, sigma: Option<f64>, a: &[&[f64]], b: &[&[f64]]) -> LinearTime {
    let pairs = a.len().min(b.len()) / 2;
    let h: Vec<f64> = (0..pairs)
        .map(|i| {
            let (x1, x2, y1, y2) = (a[2 * i], a[2 * i + 1], b[2 * i], b[2 * i + 1]);
            eval(kind, sigma, x1, x2) + eval(kind, sigma, y1, y2)
                - eval(kind, sigma, x1, y2)
                - eval(kind, sigma, x2, y1)
        })
        .collect();
    let p = pairs as f64;
    let mean = h.iter().sum::<f64>() / p;
    let var = h.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (p - 1.0);
    LinearTime {
        statistic: mean,
        z: mean / (var / p).sqrt(),
        pairs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mmd::kernel::{gram, kernel_matrix, Bandwidth, KernelSpec};
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn data(n: usize, d: usize, seed: u64) -> Array2<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        Array2::from_shape_fn((n, d), |_| rng.random::<f64>() * 2.0 - 1.0)
    }

    /// The textbook definitions, straight from the kernel matrix blocks.
    fn textbook(k: &Array2<f64>, n: usize) -> (f64, f64) {
        let nn = k.nrows();
        let m = nn - n;
        let (mut xx, mut yy, mut xy, mut xx0, mut yy0) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for i in 0..nn {
            for j in 0..nn {
                let v = k[[i, j]];
                match (i < n, j < n) {
                    (true, true) => {
                        xx += v;
                        if i != j {
                            xx0 += v
                        }
                    }
                    (false, false) => {
                        yy += v;
                        if i != j {
                            yy0 += v
                        }
                    }
                    _ => xy += v / 2.0,
                }
            }
        }
        let (nf, mf) = (n as f64, m as f64);
        let biased = xx / (nf * nf) + yy / (mf * mf) - 2.0 * xy / (nf * mf);
        let unbiased = xx0 / (nf * (nf - 1.0)) + yy0 / (mf * (mf - 1.0)) - 2.0 * xy / (nf * mf);
        (biased, unbiased)
    }

    #[test]
    fn centred_forms_equal_the_textbook_estimators() {
        let x = data(13, 3, 1);
        let g = gram(x.view());
        let rows: Vec<usize> = (0..13).collect();
        for kind in [
            KernelKind::Linear,
            KernelKind::Gaussian,
            KernelKind::Laplacian,
            KernelKind::NegDistance,
        ] {
            let spec = KernelSpec {
                kind,
                bandwidth: Bandwidth::Fixed(0.9),
            };
            let (k, _) = kernel_matrix(&spec, g.view(), &rows).unwrap();
            let (b, u) = textbook(&k, 5);
            let c = Centred::new(k);
            let members: Vec<usize> = (0..5).collect();
            assert!(
                (c.statistic(Estimator::Biased, &members) - b).abs() < 1e-12 * (1.0 + b.abs()),
                "{kind:?}"
            );
            assert!(
                (c.statistic(Estimator::Unbiased, &members) - u).abs() < 1e-12 * (1.0 + u.abs()),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn biased_linear_kernel_is_the_squared_mean_difference() {
        let x = data(30, 4, 2);
        let (n, m) = (12, 18);
        let g = gram(x.view());
        let spec = KernelSpec {
            kind: KernelKind::Linear,
            bandwidth: Bandwidth::Fixed(1.0),
        };
        let (k, _) = kernel_matrix(&spec, g.view(), &(0..30).collect::<Vec<_>>()).unwrap();
        let stat = Centred::new(k).statistic(Estimator::Biased, &(0..n).collect::<Vec<_>>());
        let mut diff2 = 0.0;
        for j in 0..4 {
            let xa = (0..n).map(|i| x[[i, j]]).sum::<f64>() / n as f64;
            let xb = (n..n + m).map(|i| x[[i, j]]).sum::<f64>() / m as f64;
            diff2 += (xa - xb) * (xa - xb);
        }
        assert!(
            (stat - diff2).abs() < 1e-14 * (1.0 + diff2),
            "{stat} vs {diff2}"
        );
    }

    #[test]
    fn linear_time_by_hand() {
        let a: Vec<Vec<f64>> = vec![vec![0.0], vec![1.0], vec![2.0], vec![4.0], vec![9.0]];
        let b: Vec<Vec<f64>> = vec![vec![1.0], vec![1.0], vec![0.0], vec![3.0]];
        let ar: Vec<&[f64]> = a.iter().map(Vec::as_slice).collect();
        let br: Vec<&[f64]> = b.iter().map(Vec::as_slice).collect();
        let lt = linear_time(KernelKind::Linear, None, &ar, &br);
        // h1 = 0·1 + 1·1 − 0·1 − 1·1 = 0; h2 = 2·4 + 0·3 − 2·3 − 4·0 = 2.
        assert_eq!(lt.pairs, 2);
        assert!((lt.statistic - 1.0).abs() < 1e-15);
        assert!((lt.z - 1.0 / (2.0f64 / 2.0).sqrt()).abs() < 1e-12);
    }
}
