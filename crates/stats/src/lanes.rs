//! The incomplete-beta continued fraction of [`crate::special`] evaluated for many arguments
//! at once, for the batched t tails of [`crate::student::StudentT`].
//!
//! One modified-Lentz recurrence is a chain of dependent divisions, so a single evaluation
//! runs at the division's latency, not its throughput. Here [`LANES`] independent
//! recurrences advance together, one iteration for all of them per step, so that their
//! divisions overlap (and share vector registers where the instruction set has them). Each
//! lane performs exactly the operations of the scalar `betacf`, in the same order, with the
//! same iteration index; a lane that has converged keeps its value (a select, not an extra
//! multiply), so every result is bit-identical to the scalar one. The instruction set is
//! picked at run time (AVX-512, AVX2 or the baseline), and every path runs the same source.

use crate::special::{lentz_step, EPS, FPMIN, MAX_ITER};

/// Recurrences advanced together.
pub(crate) const LANES: usize = 8;

/// `out[i] = betacf(a[i], b[i], x[i])` for every `i`, bit-identical to the scalar
/// continued fraction. All four slices must have the same length.
pub(crate) fn betacf_many(a: &[f64], b: &[f64], x: &[f64], out: &mut [f64]) {
    assert!(a.len() == b.len() && a.len() == x.len() && a.len() == out.len());
    dispatch::betacf_many(a, b, x, out)
}

/// Chunks of [`LANES`] items; a short last chunk is padded with copies of its first item,
/// which converge when it does and are thrown away.
#[inline(always)]
fn chunks(a: &[f64], b: &[f64], x: &[f64], out: &mut [f64]) {
    let mut i = 0;
    while i < a.len() {
        let len = LANES.min(a.len() - i);
        let lane = |v: &[f64]| -> [f64; LANES] {
            std::array::from_fn(|l| v[i + if l < len { l } else { 0 }])
        };
        let h = betacf_lanes(lane(a), lane(b), lane(x));
        out[i..i + len].copy_from_slice(&h[..len]);
        i += len;
    }
}

/// [`LANES`] continued fractions, each lane the scalar `betacf` of `special.rs` verbatim.
#[inline(always)]
fn betacf_lanes(a: [f64; LANES], b: [f64; LANES], x: [f64; LANES]) -> [f64; LANES] {
    let qab: [f64; LANES] = std::array::from_fn(|l| a[l] + b[l]);
    let qap: [f64; LANES] = std::array::from_fn(|l| a[l] + 1.0);
    let qam: [f64; LANES] = std::array::from_fn(|l| a[l] - 1.0);
    let mut c = [1.0f64; LANES];
    let mut d = [0.0f64; LANES];
    for l in 0..LANES {
        let mut dl = 1.0 - qab[l] * x[l] / qap[l];
        if dl.abs() < FPMIN {
            dl = FPMIN;
        }
        d[l] = 1.0 / dl;
    }
    let mut h = d;
    let mut done = [false; LANES];
    for m in 1..MAX_ITER {
        let m = m as f64;
        let m2 = 2.0 * m;
        for l in 0..LANES {
            let aa = m * (b[l] - m) * x[l] / ((qam[l] + m2) * (a[l] + m2));
            let (cl, dl) = lentz_step(aa, c[l], d[l]);
            let mut hl = h[l] * (dl * cl);
            let aa = -(a[l] + m) * (qab[l] + m) * x[l] / ((a[l] + m2) * (qap[l] + m2));
            let (cl, dl) = lentz_step(aa, cl, dl);
            let del = dl * cl;
            hl *= del;
            // A converged lane stops changing: the scalar loop has left by now.
            h[l] = if done[l] { h[l] } else { hl };
            done[l] |= (del - 1.0).abs() < EPS;
            d[l] = dl;
            c[l] = cl;
        }
        if done.iter().all(|&v| v) {
            break;
        }
    }
    h
}

/// Run-time choice of the instruction set; the only unsafe code of the crate.
#[allow(unsafe_code)]
mod dispatch {
    use super::chunks;

    pub(super) fn betacf_many(a: &[f64], b: &[f64], x: &[f64], out: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU supports AVX-512F, checked just above.
                return unsafe { avx512(a, b, x, out) };
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2, checked just above.
                return unsafe { avx2(a, b, x, out) };
            }
        }
        chunks(a, b, x, out)
    }

    /// One 512-bit register per lane vector.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn avx512(a: &[f64], b: &[f64], x: &[f64], out: &mut [f64]) {
        chunks(a, b, x, out)
    }

    /// Two 256-bit registers per lane vector.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn avx2(a: &[f64], b: &[f64], x: &[f64], out: &mut [f64]) {
        chunks(a, b, x, out)
    }

    /// The baseline path, whatever the CPU: for tests that compare paths.
    #[cfg(test)]
    pub(super) fn baseline(a: &[f64], b: &[f64], x: &[f64], out: &mut [f64]) {
        chunks(a, b, x, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::special::betacf;

    /// One instruction-set path of [`betacf_many`].
    type Path = fn(&[f64], &[f64], &[f64], &mut [f64]);

    /// Every instruction-set path this CPU can run, the baseline first.
    #[allow(unsafe_code)]
    fn paths() -> Vec<(&'static str, Path)> {
        let mut p: Vec<(&'static str, Path)> = vec![("baseline", dispatch::baseline)];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2, checked just above.
                p.push(("avx2", |a, b, x, o| unsafe { dispatch::avx2(a, b, x, o) }));
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU supports AVX-512F, checked just above.
                p.push(("avx512", |a, b, x, o| unsafe {
                    dispatch::avx512(a, b, x, o)
                }));
            }
        }
        p
    }

    #[test]
    fn every_path_equals_the_scalar_fraction_bit_for_bit() {
        // Lanes with different shapes (both orientations of (df/2, 1/2)), arguments near
        // 0, near 1 and in between, so that lanes converge at very different iterations.
        let mut a = Vec::new();
        let mut b = Vec::new();
        let mut x = Vec::new();
        for (i, &half_df) in [0.5, 1.0, 1.75, 5.0, 50.0, 2_485.0, 5e5].iter().enumerate() {
            for (j, &v) in [1e-300, 1e-12, 0.01, 0.3, 0.5, 0.9, 0.999, 1.0 - 1e-9]
                .iter()
                .enumerate()
            {
                let (p, q) = if (i + j) % 2 == 0 {
                    (half_df, 0.5)
                } else {
                    (0.5, half_df)
                };
                a.push(p);
                b.push(q);
                x.push(v);
            }
        }
        let want: Vec<u64> = (0..a.len())
            .map(|i| betacf(a[i], b[i], x[i]).to_bits())
            .collect();
        for (name, f) in paths() {
            for len in 1..=2 * LANES + 1 {
                let mut got = vec![0.0; a.len()];
                for s in (0..a.len()).step_by(len) {
                    let e = (s + len).min(a.len());
                    f(&a[s..e], &b[s..e], &x[s..e], &mut got[s..e]);
                }
                let got: Vec<u64> = got.iter().map(|v| v.to_bits()).collect();
                assert_eq!(got, want, "{name}, chunks of {len}");
            }
        }
        let mut got = vec![0.0; a.len()];
        betacf_many(&a, &b, &x, &mut got);
        assert_eq!(got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), want);
    }
}
