//! Student's t distribution: log tails (for regression t statistics) and quantiles.

use crate::special::ln_beta_inc_ln;
use std::f64::consts::LN_2;

/// `ln` of `(x, 1 − x)` with `x = df / (df + t²)`, computed without cancellation or overflow.
fn ln_x_y(t: f64, df: f64) -> (f64, f64) {
    let t2 = t * t;
    let (ln_denom, ln_t2) = if t2.is_finite() {
        ((df + t2).ln(), t2.ln())
    } else {
        let ln_t2 = 2.0 * t.abs().ln();
        (ln_t2 + (df * (-ln_t2).exp()).ln_1p(), ln_t2)
    };
    (df.ln() - ln_denom, ln_t2 - ln_denom)
}

/// `ln P(|T| > |t|)` for `T ~ t(df)`: the two-sided p-value of a t statistic, in log space.
pub fn ln_t_two_sided(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t == 0.0 {
        return 0.0;
    }
    if t.is_infinite() {
        return f64::NEG_INFINITY;
    }
    let (ln_x, ln_y) = ln_x_y(t, df);
    ln_beta_inc_ln(0.5 * df, 0.5, ln_x, ln_y).0
}

/// `ln P(T > t)` for `T ~ t(df)` (upper tail).
pub fn ln_t_sf(t: f64, df: f64) -> f64 {
    let two = ln_t_two_sided(t, df);
    if t >= 0.0 {
        two - LN_2
    } else {
        (-(two - LN_2).exp()).ln_1p()
    }
}

/// The lower-tail quantile of `t(df)`: the `t` with `P(T < t) = p`.
///
/// Through the incomplete beta inverse: for `p < 1/2`, `x = df/(df + t²)` is the
/// `2p`-quantile of Beta(df/2, 1/2); near the centre the complement `1 − x` is inverted
/// instead so that small `t` keep their relative precision.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if p.is_nan() || df.is_nan() || df <= 0.0 || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.5 {
        return 0.0;
    }
    let (tail, sign) = if p < 0.5 { (p, -1.0) } else { (1.0 - p, 1.0) };
    if tail == 0.0 {
        return sign * f64::INFINITY;
    }
    let two = 2.0 * tail;
    let t_abs = if two < 0.5 {
        let x = crate::beta::beta_quantile(two, 0.5 * df, 0.5);
        (df * (1.0 - x) / x).sqrt()
    } else {
        let y = crate::beta::beta_quantile(1.0 - two, 0.5, 0.5 * df);
        (df * y / (1.0 - y)).sqrt()
    };
    if two < 1e-10 || !t_abs.is_finite() {
        // Far tail: x = df/(df + t²) may underflow, so refine ln|t| directly on the log tail.
        return sign * t_isf_two_sided_ln(two.ln(), df, t_abs);
    }
    sign * t_abs
}

/// `|t|` with `ln P(|T| > |t|) = ln_p`, by Newton in `ln |t|` from `t0`.
fn t_isf_two_sided_ln(ln_p: f64, df: f64, t0: f64) -> f64 {
    use crate::special::ln_gamma;
    let ln_c =
        ln_gamma(0.5 * (df + 1.0)) - ln_gamma(0.5 * df) - 0.5 * (df * std::f64::consts::PI).ln();
    let start = if t0.is_finite() && t0 > 0.0 {
        t0
    } else {
        1e300
    };
    let u = crate::root::solve_decreasing(
        |u| {
            let t = u.exp();
            let lp = ln_t_two_sided(t, df);
            // ln density: ln c − (df+1)/2 · ln(1 + t²/df), in a form that survives t² = ∞.
            let ln_1p = if t * t < f64::MAX {
                (t * t / df).ln_1p()
            } else {
                2.0 * u - df.ln()
            };
            let ln_pdf = ln_c - 0.5 * (df + 1.0) * ln_1p;
            // d ln p / d ln t = −2 t f(t) / p.
            (lp - ln_p, -(std::f64::consts::LN_2 + u + ln_pdf - lp).exp())
        },
        start.ln(),
        f64::NEG_INFINITY,
        f64::INFINITY,
    );
    u.exp()
}
