//! Gamma distribution (shape/scale parametrisation): CDF and log survival function, as used
//! by the gamma approximation of a kernel test's null distribution.

use crate::special::ln_gamma_inc;

/// `P(X ≤ x)` for `X ~ Gamma(shape, scale)`.
pub fn gamma_cdf(x: f64, shape: f64, scale: f64) -> f64 {
    if scale.is_nan() || scale <= 0.0 {
        return f64::NAN;
    }
    ln_gamma_inc(shape, x / scale).0.exp()
}

/// `ln P(X > x)` for `X ~ Gamma(shape, scale)`.
pub fn ln_gamma_sf(x: f64, shape: f64, scale: f64) -> f64 {
    if scale.is_nan() || scale <= 0.0 {
        return f64::NAN;
    }
    ln_gamma_inc(shape, x / scale).1
}
