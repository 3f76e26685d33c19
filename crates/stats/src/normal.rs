//! Standard normal distribution: log tails and quantiles, including quantiles of
//! probabilities given only as logarithms (`ln p` far below the double range).

use crate::special::{ln_gamma_inc, LN_SQRT_2PI};
use std::f64::consts::LN_2;

/// `ln P(Z > z)` for a standard normal `Z`.
pub fn ln_norm_sf(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    if z == f64::INFINITY {
        return f64::NEG_INFINITY;
    }
    if z == f64::NEG_INFINITY {
        return 0.0;
    }
    // P(Z > z) = Q(1/2, z²/2) / 2 for z ≥ 0.
    let (ln_p, ln_q) = ln_gamma_inc(0.5, 0.5 * z * z);
    if z >= 0.0 {
        ln_q - LN_2
    } else {
        // 1 − Q/2 = (1 + P)/2.
        (ln_p.exp()).ln_1p() - LN_2
    }
}

/// `ln P(Z < z)` for a standard normal `Z`.
pub fn ln_norm_cdf(z: f64) -> f64 {
    ln_norm_sf(-z)
}

/// `ln P(|Z| > |z|)`: the two-sided p-value of a Wald Z statistic, in log space.
pub fn ln_norm_two_sided(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    let (_, ln_q) = ln_gamma_inc(0.5, 0.5 * z * z);
    ln_q
}

/// `ln φ(z)`, the log density.
fn ln_norm_pdf(z: f64) -> f64 {
    -0.5 * z * z - LN_SQRT_2PI
}

/// The `z` with `ln P(Z > z) = ln_p` (inverse survival function from a log probability).
pub fn norm_isf_ln(ln_p: f64) -> f64 {
    if ln_p.is_nan() || ln_p > 0.0 {
        return f64::NAN;
    }
    if ln_p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if ln_p == f64::NEG_INFINITY {
        return f64::INFINITY;
    }
    if ln_p > -LN_2 {
        // Upper half: solve for the complement, which is below one half.
        return -norm_isf_ln(crate::ln1m_exp(ln_p));
    }
    // Abramowitz & Stegun 26.2.23 as a start (|error| < 4.5e-4), then Newton on ln Q(z).
    let t = (-2.0 * ln_p).sqrt();
    let z0 = t
        - (2.515_517 + t * (0.802_853 + t * 0.010_328))
            / (1.0 + t * (1.432_788 + t * (0.189_269 + t * 0.001_308)));
    crate::root::solve_decreasing(
        |z| {
            let lq = ln_norm_sf(z);
            (lq - ln_p, -(ln_norm_pdf(z) - lq).exp())
        },
        z0.max(0.0),
        0.0,
        f64::INFINITY,
    )
}

/// The standard normal quantile: the `z` with `P(Z < z) = p`.
pub fn norm_quantile(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p <= 0.5 {
        -norm_isf_ln(p.ln())
    } else {
        norm_isf_ln((-p).ln_1p())
    }
}
