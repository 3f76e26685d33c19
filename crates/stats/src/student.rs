//! Student's t distribution: log tails (for regression t statistics) and quantiles.

use crate::lanes::{betacf_many, LANES};
use crate::special::{betacf, ln_beta, ln_beta_inc_ln};
use std::f64::consts::LN_2;

/// `ln` of `(x, 1 − x)` with `x = df / (df + t²)`, computed without overflow.
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

/// The general route to `ln P(|T| > |t|)`, through `ln x` and `ln(1 − x)`: for statistics
/// whose `t²/df` overflows and for degrees of freedom that are not positive and finite.
fn ln_two_sided_by_logs(t: f64, df: f64) -> f64 {
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

/// `ln P(|T| > |t|)` for `T ~ t(df)`: the two-sided p-value of a t statistic, in log space.
pub fn ln_t_two_sided(t: f64, df: f64) -> f64 {
    StudentT::new(df).ln_two_sided(t)
}

/// [`ln_t_two_sided`] for many statistics with the same degrees of freedom, as a linear
/// regression scan has for every phenotype of one variant.
///
/// The constants of `df` (`ln B(df/2, 1/2)`, `ln df`, the branch point of the continued
/// fraction) are computed once in [`StudentT::new`], the tail that is not asked for is never
/// computed, and the continued fractions of several statistics run interleaved.
///
/// With `r = t²/df`, `x = df/(df + t²) = 1/(1 + r)` and `ln x = −ln(1 + r)`, the front
/// factor `x^(df/2) (1 − x)^(1/2) / B` of the incomplete beta function is
/// `|t| exp((df/2 + 1/2) ln x − ln df / 2 − ln B)`: one `ln_1p` and one `exp` or `ln` per
/// statistic, where taking `ln x` and `ln(1 − x)` separately costs four. Where the continued
/// fraction is that of the complement (small `|t|`, `p > 0.08`), `p = 1 − I` is formed
/// directly, so the p-value itself costs no further `exp`.
///
/// Every result is bit-identical to [`ln_t_two_sided`]`(t, df)`: the same operations in the
/// same order, including the edge cases (`t = 0`, `±∞`, NaN, `df ≤ 0`).
#[derive(Debug, Clone, Copy)]
pub struct StudentT {
    df: f64,
    /// `df / 2`, the first shape of the incomplete beta function (the second is 1/2).
    a: f64,
    /// `df / 2 + 1/2`, the power of `x` in the front factor once `(1 − x)^(1/2)` is folded in.
    a_half: f64,
    /// `−ln df / 2 − ln B(a, 1/2) − ln a`: the constant of `ln I_x(a, 1/2)`.
    c_lower: f64,
    /// `−ln df / 2 − ln B(a, 1/2) − ln(1/2)`: the constant of `ln I_{1−x}(1/2, a)`.
    c_upper: f64,
    /// Below it the continued fraction of `I_x(a, 1/2)` converges, above it that of
    /// `I_{1−x}(1/2, a)`.
    split: f64,
    /// Whether `df` is positive and finite (else every tail takes [`ln_two_sided_by_logs`]).
    regular: bool,
}

/// Where a statistic stands before its continued fraction.
enum Start {
    /// Its tail, known without a continued fraction: `(ln p, p)`.
    Known(f64, f64),
    /// Its continued fraction `betacf(a, b, x)` is still to run.
    Fraction { a: f64, b: f64, x: f64, tail: Tail },
}

/// What one statistic needs once its continued fraction `h` is known.
#[derive(Debug, Clone, Copy, Default)]
struct Tail {
    /// `(df/2 + 1/2) ln x`.
    ln_rest: f64,
    /// `|t|`.
    t_abs: f64,
    /// Whether the fraction is that of the lower tail `I_x(a, 1/2)` (else of its complement).
    lower: bool,
}

impl StudentT {
    /// The t distribution with `df` degrees of freedom (any value: invalid ones give NaN
    /// tails).
    pub fn new(df: f64) -> Self {
        let (a, b) = (0.5 * df, 0.5);
        let c = -0.5 * df.ln() - ln_beta(a, b);
        Self {
            df,
            a,
            a_half: a + b,
            c_lower: c - a.ln(),
            c_upper: c - f64::ln(b),
            split: (a + 1.0) / (a + b + 2.0),
            regular: df > 0.0 && df.is_finite(),
        }
    }

    /// The degrees of freedom.
    pub fn df(&self) -> f64 {
        self.df
    }

    /// `ln P(|T| > |t|)`.
    pub fn ln_two_sided(&self, t: f64) -> f64 {
        match self.start(t) {
            Start::Known(ln_p, _) => ln_p,
            Start::Fraction { a, b, x, tail } => self.finish(tail, betacf(a, b, x)).0,
        }
    }

    /// The first steps of a tail: the edge cases, `x`, and which continued fraction it needs.
    #[inline(always)]
    fn start(&self, t: f64) -> Start {
        if !self.regular || t.is_nan() {
            let ln_p = ln_two_sided_by_logs(t, self.df);
            return Start::Known(ln_p, ln_p.exp());
        }
        let r = t * t / self.df;
        if t == 0.0 || r == 0.0 {
            // t² underflows: P = 1 to every digit a double holds.
            return Start::Known(0.0, 1.0);
        }
        if !r.is_finite() {
            let ln_p = ln_two_sided_by_logs(t, self.df);
            return Start::Known(ln_p, ln_p.exp());
        }
        let x = 1.0 / (1.0 + r);
        let tail = Tail {
            ln_rest: self.a_half * -r.ln_1p(),
            t_abs: t.abs(),
            lower: x < self.split,
        };
        if tail.lower {
            Start::Fraction {
                a: self.a,
                b: 0.5,
                x,
                tail,
            }
        } else {
            Start::Fraction {
                a: 0.5,
                b: self.a,
                x: r / (1.0 + r),
                tail,
            }
        }
    }

    /// `(ln p, p)` from the continued fraction `h` of a statistic.
    #[inline(always)]
    fn finish(&self, tail: Tail, h: f64) -> (f64, f64) {
        if tail.lower {
            let ln_p = tail.ln_rest + (tail.t_abs * h).ln() + self.c_lower;
            (ln_p, ln_p.exp())
        } else {
            // I_{1−x}(1/2, a), the complement of the p-value, which is at least 0.08 here.
            let j = tail.t_abs * h * (tail.ln_rest + self.c_upper).exp();
            ((-j).ln_1p(), 1.0 - j)
        }
    }

    /// `out[i] = ln P(|T| > |t[i]|)`, bit-identical to [`ln_t_two_sided`]`(t[i], df)`.
    ///
    /// # Panics
    /// If `t` and `out` differ in length.
    pub fn ln_two_sided_many(&self, t: &[f64], out: &mut [f64]) {
        assert_eq!(t.len(), out.len(), "one output per statistic");
        self.each_tail(t, |i, ln_p, _| out[i] = ln_p);
    }

    /// [`StudentT::ln_two_sided_many`] with the p-values too: `p[i] = P(|T| > |t[i]|)`,
    /// which is `exp(ln_p[i])` up to rounding (formed as `1 − I` where `p > 0.08`).
    ///
    /// # Panics
    /// If the three slices differ in length.
    pub fn two_sided_many(&self, t: &[f64], ln_p: &mut [f64], p: &mut [f64]) {
        assert!(
            t.len() == ln_p.len() && t.len() == p.len(),
            "one output per statistic"
        );
        self.each_tail(t, |i, l, q| (ln_p[i], p[i]) = (l, q));
    }

    /// Calls `store(i, ln p, p)` for every statistic `t[i]`, in no particular order.
    fn each_tail(&self, t: &[f64], mut store: impl FnMut(usize, f64, f64)) {
        // One queue per branch: the fractions of one branch take similar numbers of
        // iterations (those of the lower tail many more near the branch point), and lanes
        // that run together wait for the slowest of them.
        let mut queues = [Queue::default(), Queue::default()];
        for (i, &ti) in t.iter().enumerate() {
            let (a, b, x, tail) = match self.start(ti) {
                Start::Known(ln_p, p) => {
                    store(i, ln_p, p);
                    continue;
                }
                Start::Fraction { a, b, x, tail } => (a, b, x, tail),
            };
            let q = &mut queues[usize::from(tail.lower)];
            let n = q.n;
            (q.a[n], q.b[n], q.x[n]) = (a, b, x);
            q.pending[n] = (i, tail);
            q.n += 1;
            if q.n == LANES {
                self.run(q, &mut store);
            }
        }
        for q in &mut queues {
            if q.n > 0 {
                self.run(q, &mut store);
            }
        }
    }

    /// Runs the continued fractions of a queue, stores their tails and empties it.
    fn run(&self, q: &mut Queue, store: &mut impl FnMut(usize, f64, f64)) {
        let n = q.n;
        let mut h = [0.0; LANES];
        betacf_many(&q.a[..n], &q.b[..n], &q.x[..n], &mut h[..n]);
        for (&(i, tail), &h) in q.pending[..n].iter().zip(h.iter()) {
            let (ln_p, p) = self.finish(tail, h);
            store(i, ln_p, p);
        }
        q.n = 0;
    }
}

/// Up to [`LANES`] statistics waiting for their continued fractions `betacf(a, b, x)`.
#[derive(Default)]
struct Queue {
    pending: [(usize, Tail); LANES],
    a: [f64; LANES],
    b: [f64; LANES],
    x: [f64; LANES],
    n: usize,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Both signs of 0, the tiny, the ordinary 0.1..40 and the huge, and ±∞ and NaN.
    fn t_grid() -> Vec<f64> {
        let mut mag = vec![0.0, 1e-300, 1e-8, 1e3, 1e200, f64::INFINITY];
        mag.extend((1..=400).map(|i| 0.1 * i as f64));
        let mut t: Vec<f64> = mag.iter().flat_map(|&v| [v, -v]).collect();
        t.push(f64::NAN);
        // Interleave small and large statistics so that most batches mix both branches
        // of the continued fraction and lanes converge at different iterations.
        let half = t.len() / 2;
        let (lo, hi) = t.split_at(half);
        hi.iter()
            .zip(lo.iter().rev())
            .flat_map(|(&x, &y)| [x, y])
            .collect()
    }

    #[test]
    fn batched_tails_equal_the_scalar_ones_bit_for_bit() {
        let t = t_grid();
        for df in [1.0, 2.0, 3.5, 10.0, 100.0, 4_970.0, 1e6] {
            let want: Vec<u64> = t.iter().map(|&t| ln_t_two_sided(t, df).to_bits()).collect();
            let dist = StudentT::new(df);
            assert_eq!(dist.df(), df);
            // Both branches of the continued fraction occur for every df.
            let lower = t
                .iter()
                .filter(|&&t| t.is_finite() && t != 0.0)
                .map(|&t| matches!(dist.start(t), Start::Fraction { tail, .. } if tail.lower))
                .collect::<Vec<_>>();
            assert!(lower.contains(&true) && lower.contains(&false), "df {df}");
            for len in 1..=17 {
                let mut got = vec![f64::NAN; t.len()];
                for (tc, oc) in t.chunks(len).zip(got.chunks_mut(len)) {
                    dist.ln_two_sided_many(tc, oc);
                }
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert_eq!(
                        g.to_bits(),
                        *w,
                        "df {df}, batch {len}, t {}: {g} vs {}",
                        t[i],
                        f64::from_bits(*w)
                    );
                }
            }
        }
    }

    #[test]
    fn p_values_agree_with_their_logarithms() {
        // p is formed as 1 − I in the upper branch and as exp(ln p) in the lower one; either
        // way it must be exp(ln p) to a few ulps (the accuracy of ln p itself is checked
        // against mpmath in tests/reference.rs).
        let mut t: Vec<f64> = (-60..=60).map(|e| 10f64.powf(e as f64 / 20.0)).collect();
        t.extend((1..400).map(|i| i as f64 * 0.01));
        for df in [0.5, 1.0, 3.5, 100.0, 4_970.0, 1e6] {
            let dist = StudentT::new(df);
            let mut ln_p = vec![0.0; t.len()];
            let mut p = vec![0.0; t.len()];
            dist.two_sided_many(&t, &mut ln_p, &mut p);
            let mut only_ln = vec![0.0; t.len()];
            dist.ln_two_sided_many(&t, &mut only_ln);
            assert_eq!(ln_p, only_ln);
            for ((&t, &l), &p) in t.iter().zip(&ln_p).zip(&p) {
                if l > -700.0 {
                    let rel = (p - l.exp()).abs() / l.exp();
                    assert!(rel < 1e-14, "df {df} t {t}: p {p} vs exp(ln p) {}", l.exp());
                } else {
                    assert!(p < 1e-300, "df {df} t {t}: p {p}");
                }
            }
        }
    }

    #[test]
    fn batched_tails_keep_the_edge_cases() {
        let t = [
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            1e-300,
            2.0,
        ];
        let mut out = [1.0; 7];
        StudentT::new(10.0).ln_two_sided_many(&t, &mut out);
        assert_eq!(out[..2], [0.0, 0.0]);
        assert_eq!(out[2..4], [f64::NEG_INFINITY; 2]);
        assert!(out[4].is_nan());
        assert_eq!(out[5], 0.0);
        // P(|T| > 2) for 10 df is 0.07338803477074039 (`2 * scipy.stats.t.sf(2, 10)`).
        assert!((out[6].exp() - 0.073_388_034_770_740_39).abs() < 1e-15);
        for df in [0.0, -1.0, f64::NAN, 5e-324, f64::INFINITY] {
            let mut out = [1.0; 7];
            StudentT::new(df).ln_two_sided_many(&t, &mut out);
            for (o, &t) in out.iter().zip(&t) {
                assert_eq!(
                    o.to_bits(),
                    ln_t_two_sided(t, df).to_bits(),
                    "df {df} t {t}"
                );
            }
        }
        StudentT::new(3.0).ln_two_sided_many(&[], &mut []);
    }
}
