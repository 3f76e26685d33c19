//! Testing a tile of consecutive variants (the unit of work of one thread): choose each
//! variant's A1 and apply `--maf`/`--geno`, then per phenotype group compute the carrier
//! sums every regression needs and run the regressions. For linear groups the sums of the
//! common variants come from the dense kernel ([`super::kernel`]) over the whole tile at
//! once, those of rare variants from the sparse per-carrier pass ([`super::geno::sum_calls`]),
//! which is cheaper when almost every dosage is zero.

use super::config::{A1Choice, ScanConfig};
use super::geno::{
    collect_calls, count_calls, count_codes, decode_dosages, sum_calls, Calls, CodeCounts,
};
use super::kernel::{accumulate, LaneSums, LANES, TILE_V};
use super::model::{Base, Exclusion, Group, GroupKind, MissingRows, Prepared, Scratch};
use super::{binary, linear, ErrCode, TestResult};

/// Samples decoded at once: the tile's dosages (`variants × CHUNK` f64) and the matching
/// rows of `W` stay in the L2 cache while the kernel reads them over and over.
const CHUNK: usize = 512;

/// A variant goes through the sparse pass when fewer than one sample in this many carries
/// A1: then the per-carrier row sums cost less than the dense product over every sample.
const SPARSE_BELOW: usize = 16;

/// One variant's results, `results[p]` for phenotype `p`.
pub struct Tested {
    /// The variant, as the caller numbers it in the tile (`packed(index)` is its codes).
    pub index: usize,
    /// Whether A1 is the ALT allele.
    pub a1_alt: bool,
    /// One result per phenotype.
    pub results: Vec<TestResult>,
    /// Code counts over every .bed sample, when the kept samples are all of them.
    all: Option<CodeCounts>,
}

/// Per-thread buffers, reused from tile to tile.
#[derive(Default)]
pub struct TileScratch {
    scratch: Scratch,
    calls: Vec<Calls>,
    /// Dosages: one row of [`CHUNK`] values per dense variant (padded to [`TILE_V`]).
    g: Vec<f64>,
    /// Dense sums, `rows × W.cols`, split in lanes.
    dense: LaneSums,
    /// Sparse sums, `variants × width`.
    sparse: Vec<f64>,
    /// Per live variant: its row in `dense`, or `usize::MAX` when it went the sparse way.
    row: Vec<usize>,
    /// Tile positions of the dense variants.
    dense_of: Vec<usize>,
    out: Vec<TestResult>,
    /// A group's carrier sums of one variant, kept while its exclusions are tested.
    group_acc: Vec<f64>,
    /// A variant's calls over an exclusion's samples.
    sub_calls: Calls,
    /// A group's covariate cross-products and sums over a variant's samples, kept while its
    /// exclusions are tested.
    group_cc: Vec<f64>,
    group_c_sum: Vec<f64>,
    /// The group's missing calls that an exclusion lacks.
    removed: Vec<u32>,
}

/// Tests the variants `indices` (.bim indices, `packed(j)` the .bed bytes of variant `j`)
/// against every group; `slot[p]` is (group, position in the group) of phenotype `p`.
/// Variants removed by `--maf`/`--geno` are left out of the result.
#[allow(clippy::too_many_arguments)]
pub fn test_tile<'a>(
    cfg: &ScanConfig,
    groups: &[Group],
    slot: &[(usize, usize)],
    kept_subset: Option<&[u32]>,
    n_bed: usize,
    indices: &[usize],
    packed: impl Fn(usize) -> &'a [u8],
    ts: &mut TileScratch,
) -> Vec<Tested> {
    let mut live: Vec<Tested> = Vec::with_capacity(indices.len());
    for &j in indices {
        let counts = count_codes(packed(j), n_bed, kept_subset);
        let alt_freq = counts.alt_freq();
        if let Some(maf) = cfg.maf {
            let f = alt_freq.min(1.0 - alt_freq);
            if f.is_nan() || f < maf {
                continue;
            }
        }
        if let Some(geno) = cfg.geno {
            if counts.missing_rate() > geno {
                continue;
            }
        }
        let a1_alt = match cfg.a1 {
            A1Choice::Alt => true,
            A1Choice::Ref => false,
            // The omitted allele is the major one, REF on a tie (or with no calls).
            A1Choice::Minor => alt_freq.is_nan() || alt_freq <= 0.5,
        };
        // Every slot is overwritten by its group below.
        let placeholder = TestResult::failed(0, f64::NAN, None, ErrCode::InvalidResult);
        live.push(Tested {
            index: j,
            a1_alt,
            results: vec![placeholder; slot.len()],
            all: kept_subset.is_none().then_some(counts),
        });
    }
    if live.is_empty() {
        return live;
    }
    if ts.calls.len() < live.len() {
        ts.calls.resize_with(live.len(), Calls::default);
    }
    for (gi, g) in groups.iter().enumerate() {
        let linear = matches!(g.kind, GroupKind::Linear { .. });
        if linear {
            linear_sums(g, n_bed, &live, &packed, ts);
        }
        for (v, t) in live.iter_mut().enumerate() {
            let calls = &mut ts.calls[v];
            let s = &mut ts.scratch;
            if linear {
                s.acc.clear();
                match ts.row[v] {
                    usize::MAX => s
                        .acc
                        .extend_from_slice(&ts.sparse[v * g.width..][..g.width]),
                    r => {
                        s.acc.resize(g.width, 0.0);
                        ts.dense.reduce_into(r, &mut s.acc);
                    }
                }
            } else {
                collect_calls(packed(t.index), n_bed, g.map.as_deref(), t.a1_alt, calls);
            }
            let base = g.base();
            s.group_missing.valid = false;
            let prep = g.prepare(&base, calls, cfg, s, linear, MissingRows::Each);
            ts.out.clear();
            let packed_j = packed(t.index);
            test_base(g, &base, calls, prep, cfg, s, &mut ts.out);
            if !g.exclusions.is_empty() {
                ts.group_acc.clear();
                ts.group_acc.extend_from_slice(&s.acc);
                // The group's covariate sums over this variant's samples, when its checks
                // got as far as computing them (else every exclusion fails before needing
                // them: it tests a subset of the group's samples).
                ts.group_cc.clear();
                ts.group_cc.extend_from_slice(&s.cc);
                ts.group_c_sum.clear();
                ts.group_c_sum.extend_from_slice(&s.c_sum);
                for e in &g.exclusions {
                    let sub = &mut ts.sub_calls;
                    let removed = &mut ts.removed;
                    let acc = &mut s.acc;
                    restrict(
                        g,
                        e,
                        calls,
                        (packed_j, t.a1_alt),
                        &ts.group_acc,
                        sub,
                        acc,
                        removed,
                    );
                    let base = e.base(g, removed);
                    let missing = if ts.group_cc.len() == g.k * g.k {
                        MissingRows::FromGroup {
                            cc: &ts.group_cc,
                            c_sum: &ts.group_c_sum,
                            removed,
                        }
                    } else {
                        MissingRows::Each
                    };
                    let prep = g.prepare(&base, sub, cfg, s, true, missing);
                    test_base(g, &base, sub, prep, cfg, s, &mut ts.out);
                }
            }
            for (r, &p) in ts.out.drain(..).zip(&g.phenos) {
                debug_assert_eq!(slot[p].0, gi);
                t.results[p] = r;
            }
        }
    }
    live
}

/// Runs the regressions of the phenotypes of `base` on one variant (or records why they
/// cannot run), appending one result per phenotype to `out`.
fn test_base(
    g: &Group,
    base: &Base<'_>,
    calls: &mut Calls,
    prep: Prepared,
    cfg: &ScanConfig,
    s: &mut Scratch,
    out: &mut Vec<TestResult>,
) {
    let linear = matches!(g.kind, GroupKind::Linear { .. });
    match prep.err {
        Some(e) => {
            let firth = (!linear).then_some(false);
            out.extend(
                base.phenos
                    .clone()
                    .map(|_| TestResult::failed(prep.n, prep.a1_freq, firth, e)),
            );
        }
        None if linear => linear::test_variant(g, base, calls, prep.n, prep.a1_freq, s, out),
        None => binary::test_variant(g, calls, prep.n, prep.a1_freq, cfg.firth_always, s, out),
    }
}

/// A variant's calls and carrier sums over the samples of `e`: the group's (`calls`,
/// `group_acc`) less the samples `e` lacks, whose codes are read from `packed`. Only the
/// covariate-basis sums change: the phenotypes of `e` are zero on those samples. `removed`
/// gets the group's missing calls that `e` lacks.
#[allow(clippy::too_many_arguments)]
fn restrict(
    g: &Group,
    e: &Exclusion,
    calls: &Calls,
    (packed, a1_alt): (&[u8], bool),
    group_acc: &[f64],
    out: &mut Calls,
    acc: &mut Vec<f64>,
    removed: &mut Vec<u32>,
) {
    out.missing.clear();
    removed.clear();
    for &i in &calls.missing {
        if e.lacks[i as usize] {
            removed.push(i);
        } else {
            out.missing.push(i);
        }
    }
    acc.clear();
    acc.extend_from_slice(group_acc);
    let (mut ones, mut twos) = (calls.n_ones, calls.n_twos);
    let k = g.k;
    // A1 dosage of each .bed code (0 hom ALT, 1 missing, 2 het, 3 hom REF); missing counts 0.
    let dosage_of: [usize; 4] = if a1_alt { [2, 0, 1, 0] } else { [0, 0, 1, 2] };
    // Without a branch per sample (carriers and non-carriers alternate at random): a
    // non-carrier subtracts exact zeros, which leaves every sum as it was.
    for (&pos, q) in e.bed.iter().zip(e.q_rows.chunks_exact(k)) {
        let pos = pos as usize;
        let dosage = dosage_of[usize::from((packed[pos / 4] >> (2 * (pos % 4))) & 3)];
        ones -= usize::from(dosage == 1);
        twos -= usize::from(dosage == 2);
        let d = dosage as f64;
        for (a, qa) in acc[..k].iter_mut().zip(q) {
            *a -= d * qa;
        }
    }
    out.n_ones = ones;
    out.n_twos = twos;
}

/// Fills `ts.calls` and the carrier sums (`ts.dense` / `ts.sparse`, located by `ts.row`) of
/// every live variant for one linear group.
fn linear_sums<'a>(
    g: &Group,
    n_bed: usize,
    live: &[Tested],
    packed: &impl Fn(usize) -> &'a [u8],
    ts: &mut TileScratch,
) {
    let n = g.n();
    // Decode every .bed sample (`W` has zero rows for those outside the group) or gather
    // the group's.
    let (n_dec, samples) = if g.wt_bed {
        (n_bed, None)
    } else {
        (n, g.map.as_ref().map(|_| g.samples.as_slice()))
    };
    let width = g.width;
    ts.row.clear();
    ts.dense_of.clear();
    ts.sparse.resize(live.len() * width, 0.0);
    for (v, t) in live.iter().enumerate() {
        let calls = &mut ts.calls[v];
        count_calls(
            packed(t.index),
            n_bed,
            t.all,
            g.map.as_deref(),
            &g.excluded,
            t.a1_alt,
            calls,
        );
        let carriers = calls.n_ones + calls.n_twos;
        // Constant variants fail their checks before any sum is read.
        let constant = carriers == 0 || calls.n_ones == n || calls.n_twos == n;
        if carriers * SPARSE_BELOW < n || constant {
            ts.row.push(usize::MAX);
            let (acc, tmp) = (&mut ts.scratch.acc, &mut ts.scratch.tmp);
            sum_calls(
                packed(t.index),
                n_bed,
                g.map.as_deref(),
                t.a1_alt,
                &g.w,
                width,
                acc,
                tmp,
                calls,
            );
            ts.sparse[v * width..(v + 1) * width].copy_from_slice(acc);
        } else {
            ts.row.push(ts.dense_of.len());
            ts.dense_of.push(v);
        }
    }
    let nd = ts.dense_of.len();
    if nd == 0 {
        return;
    }
    let rows = nd.div_ceil(TILE_V) * TILE_V;
    let cols = g.wt.cols;
    ts.dense.reset(rows, cols);
    ts.g.resize(rows * CHUNK, 0.0);
    // Padding rows stay zero (they may hold an earlier group's dosages).
    ts.g[nd * CHUNK..rows * CHUNK].fill(0.0);
    for s0 in (0..g.wt.stride).step_by(CHUNK) {
        let len = CHUNK.min(g.wt.stride - s0);
        debug_assert!(len.is_multiple_of(LANES));
        for (r, &v) in ts.dense_of.iter().enumerate() {
            let t = &live[v];
            let row = &mut ts.g[r * CHUNK..r * CHUNK + len];
            decode_dosages(packed(t.index), n_dec, samples, t.a1_alt, s0, row);
        }
        accumulate(&g.wt, s0, len, &ts.g, CHUNK, rows, &mut ts.dense);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::kernel::ColumnMajor;
    use rand::{Rng, SeedableRng};

    /// A linear group over `samples` (.bed positions) with a random `w`.
    fn group(samples: Vec<u32>, n_bed: usize, width: usize, wt_bed: bool, seed: u64) -> Group {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let n = samples.len();
        let w: Vec<f64> = (0..n * width).map(|_| rng.random::<f64>() - 0.5).collect();
        let full = n == n_bed;
        let mut map = vec![-1i32; n_bed];
        for (l, &p) in samples.iter().enumerate() {
            map[p as usize] = l as i32;
        }
        let excluded = (0..n_bed as u32).filter(|&p| map[p as usize] < 0).collect();
        let wt = if wt_bed {
            ColumnMajor::scattered(&w, width, &samples, n_bed)
        } else {
            ColumnMajor::new(&w, n, width)
        };
        Group {
            phenos: vec![0],
            samples,
            map: (!full).then_some(map),
            k: width - 1,
            c: Vec::new(),
            c_sum: Vec::new(),
            cc: Vec::new(),
            w,
            width,
            wt,
            wt_bed,
            excluded,
            kind: GroupKind::Linear {
                rfac: Vec::new(),
                yy: Vec::new(),
            },
            n_main: 1,
            exclusions: Vec::new(),
        }
    }

    #[test]
    fn dense_and_sparse_sums_agree_for_every_layout() {
        let n_bed: usize = 1203; // not a multiple of 4, 8 or the chunk
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        // Variants from monomorphic to common, some with missing calls, both A1 choices.
        let nv = 23;
        let per = n_bed.div_ceil(4);
        let mut bed = vec![0u8; nv * per];
        for v in 0..nv {
            let f = v as f64 / nv as f64 * 0.5;
            for i in 0..n_bed {
                let code = if rng.random::<f64>() < 0.02 * (v % 2) as f64 {
                    1
                } else {
                    let d = (rng.random::<f64>() < f) as u8 + (rng.random::<f64>() < f) as u8;
                    [3u8, 2, 0][d as usize]
                };
                bed[v * per + i / 4] |= code << (2 * (i % 4));
            }
            // Padding codes after the last sample are 00, as PLINK writes them.
            for i in n_bed..per * 4 {
                bed[v * per + i / 4] &= !(3 << (2 * (i % 4)));
            }
        }
        let packed = |j: usize| &bed[j * per..(j + 1) * per];
        let most: Vec<u32> = (0..n_bed as u32).filter(|p| p % 50 != 3).collect();
        let few: Vec<u32> = (0..n_bed as u32).filter(|p| p % 3 == 1).collect();
        let all: Vec<u32> = (0..n_bed as u32).collect();
        for (samples, wt_bed) in [
            (all, true),
            (most.clone(), true),
            (most, false),
            (few, false),
        ] {
            let g = group(samples, n_bed, 9, wt_bed, 3);
            let live: Vec<Tested> = (0..nv)
                .map(|j| Tested {
                    index: j,
                    a1_alt: j % 3 != 0,
                    results: Vec::new(),
                    all: None,
                })
                .collect();
            let mut ts = TileScratch::default();
            ts.calls.resize_with(nv, Calls::default);
            linear_sums(&g, n_bed, &live, &packed, &mut ts);
            assert!(!ts.dense_of.is_empty() && ts.dense_of.len() < nv);
            for (v, t) in live.iter().enumerate() {
                let (mut acc, mut tmp, mut calls) = (Vec::new(), Vec::new(), Calls::default());
                sum_calls(
                    packed(t.index),
                    n_bed,
                    g.map.as_deref(),
                    t.a1_alt,
                    &g.w,
                    g.width,
                    &mut acc,
                    &mut tmp,
                    &mut calls,
                );
                let mut got = vec![0.0; g.width];
                match ts.row[v] {
                    usize::MAX => got.copy_from_slice(&ts.sparse[v * g.width..][..g.width]),
                    r => ts.dense.reduce_into(r, &mut got),
                }
                for (a, b) in got.iter().zip(&acc) {
                    assert!((a - b).abs() < 1e-12, "variant {v}: {a} vs {b}");
                }
                let c = &ts.calls[v];
                assert_eq!((c.n_ones, c.n_twos), (calls.n_ones, calls.n_twos));
                assert_eq!(c.missing, calls.missing);
            }
        }
    }
}
