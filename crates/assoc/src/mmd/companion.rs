//! Companion two-sample tests reported beside MMD: Kirchler et al.'s DFDA (a Hotelling-type
//! test on the leading principal components of the pooled features, χ² null) and the
//! classical Hotelling T² (F null). The energy distance, the third companion, is an MMD
//! with the kernel `−‖x−y‖` and runs through the permutation engine.

use ndarray::{Array1, Array2, ArrayView2, Axis};

use super::linalg::{cholesky_solve, sym_eigen};
use super::MmdError;

/// A test statistic with a parametric null.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParametricTest {
    /// The statistic (T for DFDA, T² for Hotelling).
    pub statistic: f64,
    /// ln p.
    pub ln_p: f64,
    /// Degrees of freedom (k for DFDA; d for Hotelling's numerator).
    pub df: usize,
}

fn covariance(x: ArrayView2<'_, f64>) -> Array2<f64> {
    let mean = x.mean_axis(Axis(0)).expect("non-empty");
    let c = &x - &mean;
    c.t().dot(&c) / (x.nrows() as f64 - 1.0)
}

fn mean_difference(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> Array1<f64> {
    a.mean_axis(Axis(0)).expect("non-empty") - b.mean_axis(Axis(0)).expect("non-empty")
}

/// DFDA (Kirchler et al. 2020): project the pooled features on their leading
/// k = round(√((n+m)/2)) principal components (at most d), then
/// `T = Dᵀ[(1/n + 1/m)·Cov(pooled) + 1e-8·I]⁻¹D` with D the difference of the group means of
/// the projections; `p = P(χ²_k > T)`. In the principal axes the pooled covariance is
/// diagonal (its eigenvalues), so the inverse is elementwise.
pub fn dfda<'a>(
    a: ArrayView2<'a, f64>,
    b: ArrayView2<'a, f64>,
) -> Result<ParametricTest, MmdError> {
    let (n, m) = (a.nrows(), b.nrows());
    if n < 2 || m < 2 {
        return Err(MmdError::Degenerate(format!(
            "DFDA needs at least 2 subjects per group, have {n} and {m}"
        )));
    }
    let pooled = ndarray::concatenate(Axis(0), &[a, b]).expect("same feature count");
    let k = (((n + m) as f64 / 2.0).sqrt().round() as usize).clamp(1, a.ncols());
    let (values, vectors) = sym_eigen(&covariance(pooled.view()));
    let axes = vectors.slice(ndarray::s![.., ..k]);
    let d = axes.t().dot(&mean_difference(a, b));
    let scale = 1.0 / n as f64 + 1.0 / m as f64;
    let t: f64 = d
        .iter()
        .zip(&values)
        .map(|(di, l)| di * di / (scale * l.max(0.0) + 1e-8))
        .sum();
    Ok(ParametricTest {
        statistic: t,
        ln_p: biomarker_stats::ln_chi2_sf(t, k as f64),
        df: k,
    })
}

/// Two-sample Hotelling T² with the pooled within-group covariance:
/// `T² = (nm/(n+m))·Dᵀ S⁻¹ D`, `F = (n+m−d−1)/(d(n+m−2))·T² ~ F(d, n+m−d−1)`.
pub fn hotelling(
    a: ArrayView2<'_, f64>,
    b: ArrayView2<'_, f64>,
) -> Result<ParametricTest, MmdError> {
    let (n, m, d) = (a.nrows(), b.nrows(), a.ncols());
    if n + m < d + 2 || n < 2 || m < 2 {
        return Err(MmdError::Degenerate(format!(
            "Hotelling T² needs n + m ≥ d + 2 and 2 subjects per group; have n = {n}, m = {m}, d = {d}"
        )));
    }
    let s = (covariance(a) * (n as f64 - 1.0) + covariance(b) * (m as f64 - 1.0))
        / ((n + m) as f64 - 2.0);
    let diff = mean_difference(a, b);
    let x = cholesky_solve(&s, &diff).ok_or_else(|| {
        MmdError::Degenerate(
            "Hotelling T²: the pooled covariance is singular (collinear features)".into(),
        )
    })?;
    let t2 = (n * m) as f64 / (n + m) as f64 * diff.dot(&x);
    let (d1, d2) = (d as f64, (n + m - d - 1) as f64);
    let f = d2 / (d1 * ((n + m) as f64 - 2.0)) * t2;
    Ok(ParametricTest {
        statistic: t2,
        ln_p: biomarker_stats::ln_f_sf(f, d1, d2),
        df: d,
    })
}
