//! Asymptotic nulls: the moment-matched gamma approximation of the biased MMD² (Gretton et
//! al. 2009, "A fast, consistent kernel two-sample test") and the normal approximation of the
//! linear-time statistic.
//!
//! Gretton's reference code matches a gamma to the null mean and variance for n = m. Here
//! both moments come from the pooled doubly centred kernel, which also covers n ≠ m:
//! - mean: the exact permutation mean of MMD²_b, `E[c²·sᵀKc·s] = N·tr(Kc)/(n·m·(N−1))`;
//! - variance: the null variance of the degenerate U-statistic,
//!   `2·(1/(n(n−1)) + 2/(nm) + 1/(m(m−1)))·E[k̃²]`, with `E[k̃²]` the mean of the squared
//!   off-diagonal entries of Kc.

use super::estimate::{Centred, LinearTime};

/// A gamma null fitted by moments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaNull {
    /// Shape.
    pub shape: f64,
    /// Scale.
    pub scale: f64,
}

impl GammaNull {
    /// The gamma fitted to the null moments of MMD²_b for a split into `n_a` and the rest.
    pub fn fit(pooled: &Centred, n_a: usize) -> Self {
        let big_n = pooled.n() as f64;
        let (n, m) = (n_a as f64, big_n - n_a as f64);
        let mean = big_n * pooled.trace / (n * m * (big_n - 1.0));
        let sum_sq: f64 = pooled.kc.iter().map(|v| v * v).sum::<f64>()
            - pooled.diag.iter().map(|v| v * v).sum::<f64>();
        let e_k2 = sum_sq / (big_n * (big_n - 1.0));
        let var = 2.0 * (1.0 / (n * (n - 1.0)) + 2.0 / (n * m) + 1.0 / (m * (m - 1.0))) * e_k2;
        Self {
            shape: mean * mean / var,
            scale: var / mean,
        }
    }

    /// p = P(Γ > statistic).
    pub fn p_value(&self, statistic: f64) -> f64 {
        biomarker_stats::ln_gamma_sf(statistic.max(0.0), self.shape, self.scale).exp()
    }
}

/// One-sided p-value of the linear-time statistic, `P(Z > mean(h)/se)`.
pub fn linear_time_p(lt: &LinearTime) -> f64 {
    biomarker_stats::ln_norm_sf(lt.z).exp()
}
