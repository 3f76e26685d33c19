//! Numerical statistics shared by assoc and report, computed in log space.
//!
//! Genome-wide scans produce p-values far below the smallest double (plink2 prints values
//! like `1.865e-559`), so every tail probability here is returned as a natural logarithm and
//! every quantile function has a variant that takes `ln p`. Nothing underflows to 0 before
//! `ln p` itself leaves the double range: `-log10 p` stays accurate to better than 1e-9
//! relative down to `ln p ≈ -2300` and beyond.
//!
//! The algorithms are the standard ones: Lanczos/Stirling `ln Γ`, series and continued
//! fractions (modified Lentz) for the regularised incomplete gamma and beta functions with
//! their prefactors kept in log space, Newton/Halley refinement inside a bracket for
//! quantiles. Invalid parameters (negative degrees of freedom, probabilities outside [0, 1])
//! give `NaN`, as in scipy.
//!
//! - [`special`]: `ln Γ`, `ln B`, regularised incomplete gamma and beta in log space;
//! - [`normal`], [`student`], [`chi2`], [`fisher`], [`gamma`], [`beta`]: distributions;
//! - [`multiple`]: genomic inflation λGC and Benjamini–Hochberg q-values.

pub mod beta;
pub mod chi2;
pub mod fisher;
pub mod gamma;
mod lanes;
pub mod multiple;
pub mod normal;
mod root;
pub mod special;
pub mod student;

pub use beta::beta_quantile;
pub use chi2::{chi2_isf_ln, ln_chi2_sf};
pub use fisher::ln_f_sf;
pub use gamma::{gamma_cdf, ln_gamma_sf};
pub use multiple::{benjamini_hochberg, lambda_gc, LAMBDA_GC_MEDIAN};
pub use normal::{ln_norm_cdf, ln_norm_sf, ln_norm_two_sided, norm_isf_ln, norm_quantile};
pub use student::{ln_t_sf, ln_t_two_sided, t_quantile, StudentT};

/// `ln(1 - exp(x))` for `x ≤ 0`, accurate near both ends (Mächler 2012).
pub fn ln1m_exp(x: f64) -> f64 {
    if x > -std::f64::consts::LN_2 {
        (-x.exp_m1()).ln()
    } else {
        (-x.exp()).ln_1p()
    }
}

/// Converts a natural-log p-value to `-log10 p`.
pub fn neg_log10(ln_p: f64) -> f64 {
    -ln_p / std::f64::consts::LN_10
}
