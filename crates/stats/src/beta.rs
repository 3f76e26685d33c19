//! Beta distribution quantiles (the inverse regularised incomplete beta function).

use crate::special::{ln_beta, ln_beta_inc_ln};

/// The `x` with `I_x(a, b) = p`: the lower-tail quantile of Beta(a, b).
///
/// Starting values from Numerical Recipes (3rd ed., §6.14: a normal approximation when
/// `a, b ≥ 1`, the tail power laws otherwise), then Newton steps in log space with a
/// bisection safeguard.
pub fn beta_quantile(p: f64, a: f64, b: f64) -> f64 {
    if p.is_nan() || a.is_nan() || b.is_nan() || a <= 0.0 || b <= 0.0 {
        return f64::NAN;
    }
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return 0.0;
    }
    if p == 1.0 {
        return 1.0;
    }
    let x = if a >= 1.0 && b >= 1.0 {
        let pp = if p < 0.5 { p } else { 1.0 - p };
        let t = (-2.0 * pp.ln()).sqrt();
        let mut z = (2.30753 + t * 0.27061) / (1.0 + t * (0.99229 + t * 0.04481)) - t;
        if p < 0.5 {
            z = -z;
        }
        let al = (z * z - 3.0) / 6.0;
        let h = 2.0 / (1.0 / (2.0 * a - 1.0) + 1.0 / (2.0 * b - 1.0));
        let w = z * (al + h).sqrt() / h
            - (1.0 / (2.0 * b - 1.0) - 1.0 / (2.0 * a - 1.0)) * (al + 5.0 / 6.0 - 2.0 / (3.0 * h));
        a / (a + b * (2.0 * w).exp())
    } else {
        let lna = (a / (a + b)).ln();
        let lnb = (b / (a + b)).ln();
        let t = (a * lna).exp() / a;
        let u = (b * lnb).exp() / b;
        let w = t + u;
        if p < t / w {
            (a * w * p).powf(1.0 / a)
        } else {
            1.0 - (b * w * (1.0 - p)).powf(1.0 / b)
        }
    };
    // Solve in the log of whichever of x and 1 − x is small, so tiny quantiles keep full
    // relative precision: u = ln x for I_x(a, b) = p, or u = ln(1 − x) for I_{1−x}(b, a) = 1 − p.
    if x <= 0.5 {
        solve_ln(p.ln(), a, b, x).exp()
    } else {
        -(solve_ln((-p).ln_1p(), b, a, 1.0 - x)).exp_m1()
    }
}

/// Returns `ln x` with `ln I_x(a, b) = ln_p`, by safeguarded Newton in `u = ln x` from `x0`.
fn solve_ln(ln_p: f64, a: f64, b: f64, x0: f64) -> f64 {
    let lb = ln_beta(a, b);
    crate::root::solve_decreasing(
        |u| {
            let ln_y = crate::ln1m_exp(u);
            let ln_i = ln_beta_inc_ln(a, b, u, ln_y).0;
            // d ln I / d ln x = x^a (1 − x)^(b−1) / (B(a, b) I).
            let ln_slope = a * u + (b - 1.0) * ln_y - lb - ln_i;
            (ln_p - ln_i, -ln_slope.exp())
        },
        x0.max(f64::MIN_POSITIVE).ln(),
        f64::NEG_INFINITY,
        0.0,
    )
}
