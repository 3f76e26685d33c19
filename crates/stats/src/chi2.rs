//! Chi-square distribution: log survival function and its inverse from a log probability.

use crate::special::{ln_gamma, ln_gamma_inc};
use std::f64::consts::LN_2;

/// `ln P(X > x)` for `X ~ χ²(df)`.
pub fn ln_chi2_sf(x: f64, df: f64) -> f64 {
    if x.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 0.0;
    }
    ln_gamma_inc(0.5 * df, 0.5 * x).1
}

/// The `x` with `ln P(X > x) = ln_p` for `X ~ χ²(df)`.
///
/// For one degree of freedom this is exactly the square of the two-sided normal quantile;
/// otherwise Newton on `ln Q` from the Wilson–Hilferty start.
pub fn chi2_isf_ln(ln_p: f64, df: f64) -> f64 {
    if ln_p.is_nan() || df.is_nan() || df <= 0.0 || ln_p > 0.0 {
        return f64::NAN;
    }
    if ln_p == 0.0 {
        return 0.0;
    }
    if ln_p == f64::NEG_INFINITY {
        return f64::INFINITY;
    }
    if df == 1.0 {
        let z = crate::normal::norm_isf_ln(ln_p - LN_2);
        return z * z;
    }
    let a = 0.5 * df;
    let lg = ln_gamma(a);
    // Wilson–Hilferty: (X/df)^(1/3) ≈ N(1 − 2/(9df), 2/(9df)).
    let z = crate::normal::norm_isf_ln(ln_p);
    let v = 2.0 / (9.0 * df);
    let x0 = (df * (1.0 - v + z * v.sqrt()).powi(3)).max(1e-3);
    // Newton in u = ln x keeps the iteration well scaled from tiny to enormous x.
    let u = crate::root::solve_decreasing(
        |u| {
            let x = u.exp();
            let lq = ln_gamma_inc(a, 0.5 * x).1;
            // d ln Q / d ln x = −x · f(x) / Q with f the χ² density.
            let ln_pdf = (a - 1.0) * (0.5 * x).ln() - 0.5 * x - lg - LN_2;
            (lq - ln_p, -(x.ln() + ln_pdf - lq).exp())
        },
        x0.ln(),
        f64::NEG_INFINITY,
        f64::INFINITY,
    );
    u.exp()
}
