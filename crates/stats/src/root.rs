//! Safeguarded Newton iteration for quantile functions: Newton steps from a good starting
//! value, falling back to bisection whenever a step leaves the current bracket.

/// Solves `f(x) = 0` for a function that is decreasing on `(lo, hi)`, where `f` returns the
/// value and its derivative. `x0` is the starting value; `lo`/`hi` may be infinite, in which
/// case the bracket is widened geometrically from `x0` as evidence arrives.
pub(crate) fn solve_decreasing(
    f: impl Fn(f64) -> (f64, f64),
    x0: f64,
    mut lo: f64,
    mut hi: f64,
) -> f64 {
    let mut x = x0;
    for _ in 0..200 {
        let (v, dv) = f(x);
        if v.is_nan() {
            return f64::NAN;
        }
        if v == 0.0 {
            return x;
        }
        // f decreasing: positive value means the root lies to the right.
        if v > 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let mut next = x - v / dv;
        let in_bracket = next > lo && next < hi && next.is_finite();
        if !in_bracket {
            next = match (lo.is_finite(), hi.is_finite()) {
                (true, true) => 0.5 * (lo + hi),
                (true, false) => {
                    if lo > 0.0 {
                        lo * 2.0
                    } else {
                        lo + 1.0
                    }
                }
                (false, true) => {
                    if hi < 0.0 {
                        hi * 2.0
                    } else {
                        hi - 1.0
                    }
                }
                (false, false) => x,
            };
        }
        if (next - x).abs() <= 4.0 * f64::EPSILON * x.abs().max(f64::MIN_POSITIVE) {
            return next;
        }
        x = next;
    }
    x
}
