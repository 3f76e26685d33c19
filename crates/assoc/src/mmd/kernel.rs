//! Kernels and bandwidth conventions. Every quadratic-time statistic here starts from the
//! Gram matrix `G = X·Xᵀ` of one structure's features (built once per structure); squared
//! distances, Gaussian and Laplacian kernels and the energy distance's `−‖x−y‖` are
//! elementwise functions of it, so a kernel for any subset of subjects is a cheap pass over
//! a sub-block of `G` rather than a second pass over the features.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

use super::MmdError;

/// Which kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelKind {
    /// `k(x, y) = xᵀy`; the biased MMD² is then `‖x̄ − ȳ‖²` (Kirchler et al.'s DMMD).
    Linear,
    /// `k(x, y) = exp(−‖x−y‖² / (2σ²))`.
    Gaussian,
    /// `k(x, y) = exp(−‖x−y‖ / σ)`.
    Laplacian,
    /// `k(x, y) = −‖x−y‖`: the biased MMD² with it is the energy distance
    /// `2·E‖X−Y‖ − E‖X−X'‖ − E‖Y−Y'‖` (V-statistic form).
    NegDistance,
}

impl KernelKind {
    /// The name written to tables (`none` for the energy distance, which is not a kernel test).
    pub fn name(self) -> &'static str {
        match self {
            KernelKind::Linear => "linear",
            KernelKind::Gaussian => "gaussian",
            KernelKind::Laplacian => "laplacian",
            KernelKind::NegDistance => "none",
        }
    }
}

/// How the median heuristic turns the pooled pairwise distances into a bandwidth σ.
/// Both conventions are in use and give different kernels, so the choice is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MedianConvention {
    /// σ = median‖x−y‖, i.e. `exp(−d²/(2·median(d)²))`: Gretton et al. (2012, JMLR) and
    /// hyppo 0.5.2 (`gamma = 1/(2·med²)` over the off-diagonal distances).
    Sigma,
    /// `exp(−d²/median(d²))`, i.e. σ = √(median(d²)/2): Gretton's reference code and
    /// alibi-detect.
    MedianSquared,
}

/// The bandwidth of a Gaussian or Laplacian kernel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bandwidth {
    /// A fixed σ > 0.
    Fixed(f64),
    /// The median heuristic over the pooled sample of the two groups tested.
    Median(MedianConvention),
}

/// A kernel with its bandwidth rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KernelSpec {
    /// Which kernel.
    pub kind: KernelKind,
    /// Bandwidth rule (ignored by the linear kernel and the energy distance).
    pub bandwidth: Bandwidth,
}

impl KernelSpec {
    /// Whether the kernel has a bandwidth.
    pub fn has_bandwidth(&self) -> bool {
        matches!(self.kind, KernelKind::Gaussian | KernelKind::Laplacian)
    }
}

/// The Gram matrix `X·Xᵀ` of row-major `n × d` features.
pub fn gram(x: ArrayView2<'_, f64>) -> Array2<f64> {
    x.dot(&x.t())
}

/// Squared distances of the subjects `rows` from their Gram matrix:
/// `‖xᵢ − xⱼ‖² = Gᵢᵢ + Gⱼⱼ − 2Gᵢⱼ`, clamped at 0 against rounding, exactly 0 on the diagonal.
pub fn sq_distances(g: ArrayView2<'_, f64>, rows: &[usize]) -> Array2<f64> {
    let n = rows.len();
    let diag: Vec<f64> = rows.iter().map(|&i| g[[i, i]]).collect();
    let mut d2 = Array2::zeros((n, n));
    for (a, &i) in rows.iter().enumerate() {
        let gi = g.row(i);
        let mut out = d2.row_mut(a);
        for (b, &j) in rows.iter().enumerate() {
            out[b] = if a == b {
                0.0
            } else {
                (diag[a] + diag[b] - 2.0 * gi[j]).max(0.0)
            };
        }
    }
    d2
}

/// Median of the strictly upper-triangular entries of a symmetric matrix.
pub fn median_off_diagonal(m: ArrayView2<'_, f64>) -> f64 {
    let n = m.nrows();
    let mut v: Vec<f64> = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for i in 0..n {
        v.extend(m.row(i).iter().skip(i + 1).copied());
    }
    median(&mut v)
}

fn median(v: &mut [f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let (_, hi, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    let hi = *hi;
    if n % 2 == 1 {
        hi
    } else {
        let lo = v[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        0.5 * (lo + hi)
    }
}

/// The bandwidth σ a spec gives on pooled squared distances `d2`.
pub fn resolve_bandwidth(spec: &KernelSpec, d2: ArrayView2<'_, f64>) -> Result<Option<f64>, MmdError> {
    let n = d2.nrows();
    bandwidth_from(spec, n, |a, b| d2[[a, b]])
}

/// The bandwidth σ of `spec` given the squared distance of any two of `n` subjects.
fn bandwidth_from(
    spec: &KernelSpec,
    n: usize,
    d2_at: impl Fn(usize, usize) -> f64 + Sync,
) -> Result<Option<f64>, MmdError> {
    if !spec.has_bandwidth() {
        return Ok(None);
    }
    let upper = |f: fn(f64) -> f64| -> Vec<f64> {
        (0..n).into_par_iter().flat_map_iter(|a| (a + 1..n).map(move |b| (a, b))).map(|(a, b)| f(d2_at(a, b))).collect()
    };
    let sigma = match (spec.bandwidth, spec.kind) {
        (Bandwidth::Fixed(s), _) => s,
        (Bandwidth::Median(MedianConvention::MedianSquared), KernelKind::Gaussian) => {
            (median(&mut upper(|v| v)) / 2.0).sqrt()
        }
        (Bandwidth::Median(_), _) => median(&mut upper(f64::sqrt)),
    };
    if sigma.is_finite() && sigma > 0.0 {
        Ok(Some(sigma))
    } else {
        Err(MmdError::Degenerate(format!(
            "the {} kernel's bandwidth is {sigma}: the pooled features have (nearly) no spread",
            spec.kind.name()
        )))
    }
}

/// The kernel matrix of the subjects `rows` (given the structure's Gram matrix `g`) and the
/// bandwidth used. Rows are filled in parallel straight from `g`, without an intermediate
/// distance matrix.
pub fn kernel_matrix(
    spec: &KernelSpec,
    g: ArrayView2<'_, f64>,
    rows: &[usize],
) -> Result<(Array2<f64>, Option<f64>), MmdError> {
    let n = rows.len();
    let diag: Vec<f64> = rows.iter().map(|&i| g[[i, i]]).collect();
    let d2_at = |a: usize, b: usize| {
        if a == b {
            0.0
        } else {
            (diag[a] + diag[b] - 2.0 * g[[rows[a], rows[b]]]).max(0.0)
        }
    };
    let sigma = bandwidth_from(spec, n, d2_at)?;
    let value: Box<dyn Fn(usize, usize) -> f64 + Sync> = match spec.kind {
        KernelKind::Linear => Box::new(|a, b| g[[rows[a], rows[b]]]),
        KernelKind::Gaussian => {
            let s = sigma.expect("gaussian has a bandwidth");
            let f = -1.0 / (2.0 * s * s);
            Box::new(move |a, b| (d2_at(a, b) * f).exp())
        }
        KernelKind::Laplacian => {
            let f = -1.0 / sigma.expect("laplacian has a bandwidth");
            Box::new(move |a, b| (d2_at(a, b).sqrt() * f).exp())
        }
        KernelKind::NegDistance => Box::new(move |a, b| -d2_at(a, b).sqrt()),
    };
    let mut k = Array2::zeros((n, n));
    let data = k.as_slice_mut().expect("a fresh matrix is contiguous");
    data.par_chunks_mut(n.max(1)).enumerate().for_each(|(a, row)| {
        for (b, v) in row.iter_mut().enumerate() {
            *v = value(a, b);
        }
    });
    Ok((k, sigma))
}

/// A single kernel evaluation on two feature vectors (the linear-time statistic needs no
/// matrix).
pub fn eval(kind: KernelKind, sigma: Option<f64>, x: &[f64], y: &[f64]) -> f64 {
    let dot = || x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>();
    let d2 = || x.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>();
    match kind {
        KernelKind::Linear => dot(),
        KernelKind::Gaussian => {
            let s = sigma.expect("gaussian has a bandwidth");
            (-d2() / (2.0 * s * s)).exp()
        }
        KernelKind::Laplacian => (-d2().sqrt() / sigma.expect("laplacian has a bandwidth")).exp(),
        KernelKind::NegDistance => -d2().sqrt(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn median_of_even_and_odd_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn kernel_matrix_matches_direct_evaluation_in_both_conventions() {
        let x = array![[0.0, 1.0], [2.0, -1.0], [1.5, 0.5], [-1.0, 3.0]];
        let g = gram(x.view());
        let rows = [0, 1, 2, 3];
        // Pairwise distances: the median of the 6 off-diagonal ones, by hand.
        let mut d: Vec<f64> = Vec::new();
        for i in 0..4 {
            for j in i + 1..4 {
                d.push(
                    eval(
                        KernelKind::NegDistance,
                        None,
                        x.row(i).as_slice().unwrap(),
                        x.row(j).as_slice().unwrap(),
                    )
                    .abs(),
                );
            }
        }
        let mut dd = d.clone();
        let med = median(&mut dd);
        let mut d2: Vec<f64> = d.iter().map(|v| v * v).collect();
        let med2 = median(&mut d2);
        for (conv, sigma) in [
            (MedianConvention::Sigma, med),
            (MedianConvention::MedianSquared, (med2 / 2.0).sqrt()),
        ] {
            let spec = KernelSpec {
                kind: KernelKind::Gaussian,
                bandwidth: Bandwidth::Median(conv),
            };
            let (k, s) = kernel_matrix(&spec, g.view(), &rows).unwrap();
            assert!((s.unwrap() - sigma).abs() < 1e-12);
            for i in 0..4 {
                for j in 0..4 {
                    let want = eval(
                        KernelKind::Gaussian,
                        s,
                        x.row(i).as_slice().unwrap(),
                        x.row(j).as_slice().unwrap(),
                    );
                    assert!((k[[i, j]] - want).abs() < 1e-12);
                }
            }
        }
        let spec = KernelSpec {
            kind: KernelKind::Laplacian,
            bandwidth: Bandwidth::Fixed(0.7),
        };
        let (k, _) = kernel_matrix(&spec, g.view(), &[2, 0]).unwrap();
        let want = (-(1.5f64 * 1.5 + 0.5 * 0.5).sqrt() / 0.7).exp();
        assert!((k[[0, 1]] - want).abs() < 1e-12);
    }

    #[test]
    fn zero_spread_is_an_error() {
        let x = array![[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]];
        let spec = KernelSpec {
            kind: KernelKind::Gaussian,
            bandwidth: Bandwidth::Median(MedianConvention::Sigma),
        };
        let err = kernel_matrix(&spec, gram(x.view()).view(), &[0, 1, 2]).unwrap_err();
        assert!(err.to_string().contains("no spread"), "{err}");
    }
}
