//! The dense genotype kernel of the linear scan: for a tile of variants decoded to f64
//! dosages over a chunk of samples, `S += Gᵀ W` where `W` is a group's sample × column
//! matrix (covariate basis and residualised phenotypes) stored column-major. It is a skinny
//! matrix product (few columns, thousands of samples, dozens of variants), so a register
//! tile of variants × columns with 8-lane accumulators keeps the vector units busy and needs
//! no branch per sample, unlike the sparse per-carrier sums it replaces for common variants.
//!
//! The sums stay split in their 8 lanes across the chunks of samples ([`LaneSums`]) and are
//! reduced once at the end: reducing every register tile after every chunk of 512 samples
//! cost about a sixth of the kernel.
//!
//! The instruction set is picked at run time (AVX-512, AVX2, or the baseline), never at
//! compile time, so one binary runs everywhere. Every path adds the same products in the
//! same order (8 lanes per accumulator, samples in order within a lane, lanes reduced in a
//! fixed tree), so the sums are bit-identical whichever path runs.

/// Lanes per accumulator: samples `s` with the same `s % LANES` share one running sum.
pub const LANES: usize = 8;
/// Variants per register tile: the tile's variant count is padded to a multiple of this.
pub const TILE_V: usize = 4;
/// Columns per register tile: `W`'s column count is padded to a multiple of this.
pub const TILE_C: usize = 4;

/// Column-major copy of a group's `w`, padded with zeros to whole register tiles.
#[derive(Debug, Clone, Default)]
pub struct ColumnMajor {
    /// `cols × stride` values; column `c` holds sample `i` at `c * stride + i`.
    pub data: Vec<f64>,
    /// Samples per column including the zero padding (a multiple of [`LANES`]).
    pub stride: usize,
    /// Columns including the zero padding (a multiple of [`TILE_C`]).
    pub cols: usize,
}

impl ColumnMajor {
    /// Transposes the sample-major `n × width` matrix `w`.
    pub fn new(w: &[f64], n: usize, width: usize) -> Self {
        Self::build(w, width, n, |i| i)
    }

    /// Transposes the sample-major matrix `w` with its row `i` moved to row `rows[i]` of
    /// `n_rows`, the other rows zero: `W` over every .bed sample for a group that lacks a
    /// few of them, so that the dosages decode straight from the bytes (the products with
    /// the zero rows add exact zeros).
    pub fn scattered(w: &[f64], width: usize, rows: &[u32], n_rows: usize) -> Self {
        Self::build(w, width, n_rows, |i| rows[i] as usize)
    }

    fn build(w: &[f64], width: usize, n_rows: usize, row: impl Fn(usize) -> usize) -> Self {
        let stride = n_rows.div_ceil(LANES) * LANES;
        let cols = width.div_ceil(TILE_C) * TILE_C;
        let mut data = vec![0.0; cols * stride];
        for (i, vals) in w.chunks_exact(width).enumerate() {
            let r = row(i);
            for (c, &v) in vals.iter().enumerate() {
                data[c * stride + r] = v;
            }
        }
        Self { data, stride, cols }
    }
}

/// Lane-split sums `Gᵀ W` of a tile: for each variant × column, [`LANES`] partial sums
/// (sample `s` in lane `s % LANES`), variant-major.
#[derive(Debug, Clone, Default)]
pub struct LaneSums {
    lanes: Vec<[f64; LANES]>,
    cols: usize,
}

impl LaneSums {
    /// Zero sums for `nv` variants × `cols` columns.
    pub fn reset(&mut self, nv: usize, cols: usize) {
        self.lanes.clear();
        self.lanes.resize(nv * cols, [0.0; LANES]);
        self.cols = cols;
    }

    /// Writes the sums of variant row `v` (its first `out.len()` columns) into `out`, each
    /// reduced in a fixed tree: the same on every instruction set.
    pub fn reduce_into(&self, v: usize, out: &mut [f64]) {
        let row = &self.lanes[v * self.cols..v * self.cols + out.len()];
        for (o, a) in out.iter_mut().zip(row) {
            *o = ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
        }
    }
}

/// Adds `Gᵀ W[s0..s0 + len]` into `out` (reset to `nv × w.cols`): `g` holds `nv` dosage
/// rows of `g_stride` values each, of which the first `len` (samples `s0..s0 + len`) are
/// used. `nv` must be a multiple of [`TILE_V`], `len` and `s0` of [`LANES`].
pub fn accumulate(
    w: &ColumnMajor,
    s0: usize,
    len: usize,
    g: &[f64],
    g_stride: usize,
    nv: usize,
    out: &mut LaneSums,
) {
    assert!(nv.is_multiple_of(TILE_V) && len.is_multiple_of(LANES) && len <= g_stride);
    assert!(s0.is_multiple_of(LANES) && s0 + len <= w.stride && g.len() >= nv * g_stride);
    assert!(out.cols == w.cols && out.lanes.len() >= nv * w.cols);
    dispatch::accumulate(w, s0, len, g, g_stride, nv, &mut out.lanes)
}

/// The loop nest, generic over the register tile and inlined into each instruction-set
/// variant (which is what lets the compiler use that set's vectors).
#[inline(always)]
fn accumulate_tiles<const NV: usize, const NC: usize>(
    w: &ColumnMajor,
    s0: usize,
    len: usize,
    g: &[f64],
    g_stride: usize,
    nv: usize,
    out: &mut [[f64; LANES]],
) {
    for v0 in (0..nv).step_by(NV) {
        let gs: [&[f64]; NV] =
            std::array::from_fn(|v| &g[(v0 + v) * g_stride..(v0 + v) * g_stride + len]);
        for c0 in (0..w.cols).step_by(NC) {
            let ws: [&[f64]; NC] = std::array::from_fn(|c| {
                let at = (c0 + c) * w.stride + s0;
                &w.data[at..at + len]
            });
            let mut acc: [[[f64; LANES]; NC]; NV] =
                std::array::from_fn(|v| std::array::from_fn(|c| out[(v0 + v) * w.cols + c0 + c]));
            tile::<NV, NC>(gs, ws, len, &mut acc);
            for (v, row) in acc.iter().enumerate() {
                out[(v0 + v) * w.cols + c0..(v0 + v) * w.cols + c0 + NC].copy_from_slice(row);
            }
        }
    }
}

/// One register tile: adds `NV × NC` dot products of length `len` to their lane sums.
#[inline(always)]
fn tile<const NV: usize, const NC: usize>(
    gs: [&[f64]; NV],
    ws: [&[f64]; NC],
    len: usize,
    acc: &mut [[[f64; LANES]; NC]; NV],
) {
    for s in (0..len).step_by(LANES) {
        let wv: [[f64; LANES]; NC] =
            std::array::from_fn(|c| ws[c][s..s + LANES].try_into().expect("lane"));
        for v in 0..NV {
            let gv: [f64; LANES] = gs[v][s..s + LANES].try_into().expect("lane");
            for c in 0..NC {
                for l in 0..LANES {
                    acc[v][c][l] += wv[c][l] * gv[l];
                }
            }
        }
    }
}

/// Run-time choice of the instruction set; with `missing::dispatch`, the only unsafe code of
/// the scan.
#[allow(unsafe_code)]
mod dispatch {
    use super::{accumulate_tiles, ColumnMajor, LANES};

    pub(super) fn accumulate(
        w: &ColumnMajor,
        s0: usize,
        len: usize,
        g: &[f64],
        g_stride: usize,
        nv: usize,
        out: &mut [[f64; LANES]],
    ) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU supports AVX-512F, checked just above.
                return unsafe { avx512(w, s0, len, g, g_stride, nv, out) };
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2, checked just above.
                return unsafe { avx2(w, s0, len, g, g_stride, nv, out) };
            }
        }
        accumulate_tiles::<2, 2>(w, s0, len, g, g_stride, nv, out)
    }

    /// 32 512-bit registers: a 4 × 4 tile of 8-lane accumulators fits with room for loads.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn avx512(
        w: &ColumnMajor,
        s0: usize,
        len: usize,
        g: &[f64],
        g_stride: usize,
        nv: usize,
        out: &mut [[f64; LANES]],
    ) {
        accumulate_tiles::<4, 4>(w, s0, len, g, g_stride, nv, out)
    }

    /// 16 256-bit registers: a 2 × 2 tile of 8-lane accumulators (two registers each).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn avx2(
        w: &ColumnMajor,
        s0: usize,
        len: usize,
        g: &[f64],
        g_stride: usize,
        nv: usize,
        out: &mut [[f64; LANES]],
    ) {
        accumulate_tiles::<2, 2>(w, s0, len, g, g_stride, nv, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_plain_product_on_every_tile_shape() {
        let (n, width, nv) = (37, 7, 8);
        let w: Vec<f64> = (0..n * width)
            .map(|i| ((i * 37) % 11) as f64 - 5.0)
            .collect();
        let cm = ColumnMajor::new(&w, n, width);
        assert_eq!((cm.stride, cm.cols), (40, 8));
        let g_stride = cm.stride;
        let mut g = vec![0.0; nv * g_stride];
        for v in 0..nv {
            for i in 0..n {
                g[v * g_stride + i] = ((v + 3 * i) % 3) as f64;
            }
        }
        let mut want = vec![0.0; nv * cm.cols];
        for v in 0..nv {
            for c in 0..width {
                want[v * cm.cols + c] =
                    (0..n).map(|i| g[v * g_stride + i] * w[i * width + c]).sum();
            }
        }
        let reduce = |sums: &LaneSums| {
            let mut got = vec![0.0; nv * cm.cols];
            for (v, row) in got.chunks_exact_mut(cm.cols).enumerate() {
                sums.reduce_into(v, row);
            }
            got
        };
        // Two chunks of samples, through the dispatched path and each tile shape.
        let mut sums = LaneSums::default();
        sums.reset(nv, cm.cols);
        accumulate(&cm, 0, 16, &g, g_stride, nv, &mut sums);
        let g2: Vec<f64> = (0..nv)
            .flat_map(|v| g[v * g_stride + 16..(v + 1) * g_stride].to_vec())
            .collect();
        accumulate(&cm, 16, 24, &g2, 24, nv, &mut sums);
        let chunked = reduce(&sums);
        assert_eq!(chunked, want);
        for shape in [accumulate_tiles::<2, 2>, accumulate_tiles::<4, 4>] {
            sums.reset(nv, cm.cols);
            shape(&cm, 0, 40, &g, g_stride, nv, &mut sums.lanes);
            // The lanes do not depend on how the samples were chunked.
            assert_eq!(reduce(&sums), chunked);
        }
    }
}
