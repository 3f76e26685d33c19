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

/// The Gram matrix `X·Xᵀ` of row-major `n × d` features, in parallel blocks of rows.
pub fn gram(x: ArrayView2<'_, f64>) -> Array2<f64> {
    const BLOCK: usize = 256;
    let n = x.nrows();
    let mut g = Array2::zeros((n, n));
    let xt = x.t();
    g.as_slice_mut()
        .expect("a fresh matrix is contiguous")
        .par_chunks_mut(BLOCK * n.max(1))
        .enumerate()
        .for_each(|(i, out)| {
            let r0 = i * BLOCK;
            let r1 = (r0 + BLOCK).min(n);
            let block = x.slice(ndarray::s![r0..r1, ..]).dot(&xt);
            out.copy_from_slice(block.as_slice().expect("a fresh product is contiguous"));
        });
    g
}

/// Median of the strictly upper-triangular entries of a symmetric matrix.
pub fn median_off_diagonal(m: ArrayView2<'_, f64>) -> f64 {
    median(&mut upper_triangle(m))
}

fn median(v: &mut [f64]) -> f64 {
    median_by(v, |x| x)
}

/// The median of `f(v)` for a non-decreasing `f`, computed on `v`.
fn median_by(v: &mut [f64], f: impl Fn(f64) -> f64) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let (_, hi, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    let hi = f(*hi);
    if n % 2 == 1 {
        hi
    } else {
        let lo = v[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        0.5 * (f(lo) + hi)
    }
}

/// The bandwidth σ a spec gives on pooled squared distances `d2` (a symmetric matrix).
pub fn resolve_bandwidth(
    spec: &KernelSpec,
    d2: ArrayView2<'_, f64>,
) -> Result<Option<f64>, MmdError> {
    if !spec.has_bandwidth() {
        return Ok(None);
    }
    let sigma = match (spec.bandwidth, spec.kind) {
        (Bandwidth::Fixed(s), _) => s,
        (Bandwidth::Median(MedianConvention::MedianSquared), KernelKind::Gaussian) => {
            (median_off_diagonal(d2) / 2.0).sqrt()
        }
        // Order statistics commute with the monotone square root, so the median distance
        // is taken from the squared ones: the root of the middle one, or the mean of the
        // roots of the two middle ones.
        (Bandwidth::Median(_), _) => median_by(&mut upper_triangle(d2), f64::sqrt),
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

fn upper_triangle(m: ArrayView2<'_, f64>) -> Vec<f64> {
    let n = m.nrows();
    (0..n)
        .into_par_iter()
        .flat_map_iter(|a| {
            m.row(a)
                .into_iter()
                .skip(a + 1)
                .copied()
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The kernel matrix of the subjects `rows` (given the structure's Gram matrix `g`) and the
/// bandwidth used. Squared distances are written in place, in parallel rows, the bandwidth
/// is read off them, and a second parallel pass turns them into kernel values.
pub fn kernel_matrix(
    spec: &KernelSpec,
    g: ArrayView2<'_, f64>,
    rows: &[usize],
) -> Result<(Array2<f64>, Option<f64>), MmdError> {
    let n = rows.len();
    if spec.kind == KernelKind::Linear {
        let mut k = Array2::zeros((n, n));
        fill_rows(&mut k, |a, out| {
            let ga = g.row(rows[a]);
            out.iter_mut().zip(rows).for_each(|(v, &rb)| *v = ga[rb]);
        });
        return Ok((k, None));
    }
    let diag: Vec<f64> = rows.iter().map(|&i| g[[i, i]]).collect();
    let mut k = Array2::zeros((n, n));
    fill_rows(&mut k, |a, out| {
        let ga = g.row(rows[a]);
        let da = diag[a];
        for ((v, &rb), db) in out.iter_mut().zip(rows).zip(&diag) {
            *v = (da + db - 2.0 * ga[rb]).max(0.0);
        }
        out[a] = 0.0;
    });
    let sigma = resolve_bandwidth(spec, k.view())?;
    let data = k.as_slice_mut().expect("a fresh matrix is contiguous");
    let chunk = n.max(1);
    match spec.kind {
        KernelKind::Gaussian => {
            let s = sigma.expect("gaussian has a bandwidth");
            let f = -1.0 / (2.0 * s * s);
            data.par_chunks_mut(chunk)
                .for_each(|r| r.iter_mut().for_each(|v| *v = (*v * f).exp()));
        }
        KernelKind::Laplacian => {
            let f = -1.0 / sigma.expect("laplacian has a bandwidth");
            data.par_chunks_mut(chunk)
                .for_each(|r| r.iter_mut().for_each(|v| *v = (v.sqrt() * f).exp()));
        }
        KernelKind::NegDistance => data
            .par_chunks_mut(chunk)
            .for_each(|r| r.iter_mut().for_each(|v| *v = -v.sqrt())),
        KernelKind::Linear => unreachable!("handled above"),
    }
    Ok((k, sigma))
}

/// Fills the rows of a square contiguous matrix in parallel.
fn fill_rows(k: &mut Array2<f64>, f: impl Fn(usize, &mut [f64]) + Sync) {
    let n = k.ncols().max(1);
    k.as_slice_mut()
        .expect("a fresh matrix is contiguous")
        .par_chunks_mut(n)
        .enumerate()
        .for_each(|(a, r)| f(a, r));
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
