//! Special functions in log space: `ln Γ`, `ln B` and the regularised incomplete gamma and
//! beta functions, returned as the logarithms of both tails so that neither underflows.

use std::f64::consts::PI;

pub(crate) const EPS: f64 = 1e-16;
pub(crate) const FPMIN: f64 = 1e-300;
pub(crate) const MAX_ITER: usize = 100_000;
/// `0.5 ln(2π)`.
pub(crate) const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// `ln Γ(x)` for `x > 0` (Lanczos g = 7 below 10, Stirling's series above).
pub fn ln_gamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    if x < 0.5 {
        // Reflection keeps Lanczos accurate near 0.
        return (PI / (PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    if x >= 10.0 {
        return (x - 0.5) * x.ln() - x + LN_SQRT_2PI + stirling_tail(x);
    }
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    let z = x - 1.0;
    let mut a = C[0];
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (z + i as f64);
    }
    let t = z + G + 0.5;
    LN_SQRT_2PI + (z + 0.5) * t.ln() - t + a.ln()
}

/// The tail `ln Γ(x) − ((x − 1/2) ln x − x + ln √(2π))` of Stirling's series, for `x ≥ 10`.
fn stirling_tail(x: f64) -> f64 {
    let r = 1.0 / x;
    let r2 = r * r;
    r * (1.0 / 12.0 - r2 * (1.0 / 360.0 - r2 * (1.0 / 1260.0 - r2 * (1.0 / 1680.0 - r2 / 1188.0))))
}

/// `ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b)`.
///
/// Where the larger argument `a` is at least 10, `ln Γ(a) − ln Γ(a + b)` is taken as one
/// Stirling difference, `−b ln a − (a + b − 1/2) ln(1 + b/a) + b` plus the series tails,
/// rather than as the difference of two values of size `a ln a`: at `a = 5·10⁵` (the t tail
/// of a biobank regression) that difference kept only 10 of its 16 digits.
pub fn ln_beta(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() || a <= 0.0 || b <= 0.0 {
        return f64::NAN;
    }
    let (big, small) = if a >= b { (a, b) } else { (b, a) };
    if big < 10.0 || big.is_infinite() {
        return ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b);
    }
    let s = big + small;
    let ratio = -small * big.ln() - (s - 0.5) * (small / big).ln_1p()
        + small
        + (stirling_tail(big) - stirling_tail(s));
    ln_gamma(small) + ratio
}

/// Logarithms of both regularised incomplete gamma functions: `(ln P(a, x), ln Q(a, x))`.
///
/// The series is used below `x = a + 1` and the continued fraction above, each giving the
/// tail it is accurate for; the other tail is `ln(1 − e^t)`.
pub fn ln_gamma_inc(a: f64, x: f64) -> (f64, f64) {
    if a.is_nan() || x.is_nan() || a <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    if x <= 0.0 {
        return (f64::NEG_INFINITY, 0.0);
    }
    if x.is_infinite() {
        return (0.0, f64::NEG_INFINITY);
    }
    let ln_front = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        let mut ap = a;
        let mut del = 1.0 / a;
        let mut sum = del;
        for _ in 0..MAX_ITER {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * EPS {
                break;
            }
        }
        let ln_p = ln_front + sum.ln();
        (ln_p, crate::ln1m_exp(ln_p))
    } else {
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / FPMIN;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..MAX_ITER {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < FPMIN {
                d = FPMIN;
            }
            c = b + an / c;
            if c.abs() < FPMIN {
                c = FPMIN;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < EPS {
                break;
            }
        }
        let ln_q = ln_front + h.ln();
        (crate::ln1m_exp(ln_q), ln_q)
    }
}

/// Logarithms of both tails of the regularised incomplete beta function:
/// `(ln I_x(a, b), ln (1 − I_x(a, b)))`, with `y = 1 − x` passed separately so that callers
/// who know it exactly (t and F tails) lose nothing to cancellation.
pub fn ln_beta_inc(a: f64, b: f64, x: f64, y: f64) -> (f64, f64) {
    if x.is_nan() || y.is_nan() {
        return (f64::NAN, f64::NAN);
    }
    if x <= 0.0 {
        return (f64::NEG_INFINITY, 0.0);
    }
    if y <= 0.0 {
        return (0.0, f64::NEG_INFINITY);
    }
    ln_beta_inc_ln(a, b, x.ln(), y.ln())
}

/// [`ln_beta_inc`] from `ln x` and `ln(1 − x)`, for arguments below the double range
/// (a t statistic of 1e200 has `x = df/(df + t²)` ≈ 1e-400).
pub fn ln_beta_inc_ln(a: f64, b: f64, ln_x: f64, ln_y: f64) -> (f64, f64) {
    if a.is_nan() || b.is_nan() || ln_x.is_nan() || ln_y.is_nan() || a <= 0.0 || b <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    if ln_x == f64::NEG_INFINITY {
        return (f64::NEG_INFINITY, 0.0);
    }
    if ln_y == f64::NEG_INFINITY {
        return (0.0, f64::NEG_INFINITY);
    }
    let (x, y) = (ln_x.exp(), ln_y.exp());
    let ln_front = a * ln_x + b * ln_y - ln_beta(a, b);
    if x < (a + 1.0) / (a + b + 2.0) {
        let ln_i = ln_front + betacf(a, b, x).ln() - a.ln();
        (ln_i, crate::ln1m_exp(ln_i))
    } else {
        let ln_j = ln_front + betacf(b, a, y).ln() - b.ln();
        (crate::ln1m_exp(ln_j), ln_j)
    }
}

/// One half-step of the modified Lentz recurrence: the new `(c, d)` (with `d` inverted) for
/// the partial numerator `aa`. Shared by [`betacf`] and [`crate::lanes`], whose results must
/// agree bit for bit.
#[inline(always)]
pub(crate) fn lentz_step(aa: f64, c: f64, d: f64) -> (f64, f64) {
    let mut d = 1.0 + aa * d;
    if d.abs() < FPMIN {
        d = FPMIN;
    }
    let mut c = 1.0 + aa / c;
    if c.abs() < FPMIN {
        c = FPMIN;
    }
    (c, 1.0 / d)
}

/// Continued fraction of the incomplete beta function (modified Lentz); [`crate::lanes`]
/// evaluates the same recurrence for several arguments at once and must stay in step.
pub(crate) fn betacf(a: f64, b: f64, x: f64) -> f64 {
    let qab = a + b;
    let qap = a + 1.0;
    let qam = a - 1.0;
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < FPMIN {
        d = FPMIN;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..MAX_ITER {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        (c, d) = lentz_step(aa, c, d);
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        (c, d) = lentz_step(aa, c, d);
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_gamma_matches_factorials() {
        let mut fact = 1.0f64;
        for n in 1..30 {
            assert!((ln_gamma(n as f64) - fact.ln()).abs() < 1e-12 * fact.ln().max(1.0));
            fact *= n as f64;
        }
        assert!((ln_gamma(0.5) - 0.5 * PI.ln()).abs() < 1e-14);
    }

    #[test]
    fn incomplete_gamma_tails_sum_to_one() {
        for &(a, x) in &[
            (0.5, 0.1),
            (0.5, 3.0),
            (3.0, 2.0),
            (10.0, 30.0),
            (100.0, 90.0),
        ] {
            let (lp, lq) = ln_gamma_inc(a, x);
            assert!((lp.exp() + lq.exp() - 1.0).abs() < 1e-14, "a={a} x={x}");
        }
    }

    #[test]
    fn incomplete_beta_symmetry() {
        let (li, lj) = ln_beta_inc(2.5, 4.0, 0.3, 0.7);
        let (mi, mj) = ln_beta_inc(4.0, 2.5, 0.7, 0.3);
        assert!((li - mj).abs() < 1e-13 && (lj - mi).abs() < 1e-13);
    }
}
