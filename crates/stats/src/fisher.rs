//! Fisher's F distribution: log survival function (joint tests of several coefficients).

use crate::special::ln_beta_inc_ln;

/// `ln P(F > f)` for `F ~ F(d1, d2)`.
pub fn ln_f_sf(f: f64, d1: f64, d2: f64) -> f64 {
    if f.is_nan() || d1.is_nan() || d2.is_nan() || d1 <= 0.0 || d2 <= 0.0 {
        return f64::NAN;
    }
    if f <= 0.0 {
        return 0.0;
    }
    if f.is_infinite() {
        return f64::NEG_INFINITY;
    }
    // P(F > f) = I_x(d2/2, d1/2) with x = d2 / (d2 + d1 f); 1 − x computed separately.
    let ln_denom = (d2 + d1 * f).ln();
    let ln_x = d2.ln() - ln_denom;
    let ln_y = (d1 * f).ln() - ln_denom;
    ln_beta_inc_ln(0.5 * d2, 0.5 * d1, ln_x, ln_y).0
}
