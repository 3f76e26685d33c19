//! Decoding .bed 2-bit codes straight into what a regression needs: allele counts over the
//! kept samples (to pick A1 and apply `--maf`/`--geno`), and for one sample set the sparse
//! lists of samples with one or two copies of A1 and of samples with a missing call. Bytes
//! whose four samples all carry zero copies of A1 are skipped whole, so the work per variant
//! follows the number of carriers, not the number of samples (the sparse path, for rare
//! variants); and for the dense kernel, dosages decoded a byte at a time through a table,
//! with the carrier counts and missing calls alongside.

/// Code counts of one variant over a sample set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CodeCounts {
    /// Samples with two ALT copies (code 00).
    pub hom_alt: u32,
    /// Samples with a missing call (code 01).
    pub missing: u32,
    /// Heterozygous samples (code 10).
    pub het: u32,
    /// Samples with no ALT copy (code 11).
    pub hom_ref: u32,
}

impl CodeCounts {
    /// ALT allele frequency among called samples (NaN when none is called).
    pub fn alt_freq(&self) -> f64 {
        let called = self.hom_alt + self.het + self.hom_ref;
        (2.0 * self.hom_alt as f64 + self.het as f64) / (2.0 * called as f64)
    }

    /// Missing-call rate.
    pub fn missing_rate(&self) -> f64 {
        self.missing as f64 / (self.hom_alt + self.missing + self.het + self.hom_ref) as f64
    }
}

/// Per-byte counts of each code, four 8-bit counters packed in a u32.
const fn byte_counts() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut b = 0;
    while b < 256 {
        let mut c = 0u32;
        let mut k = 0;
        while k < 4 {
            let code = (b >> (2 * k)) & 3;
            c += 1 << (8 * code);
            k += 1;
        }
        t[b] = c;
        b += 1;
    }
    t
}
static BYTE_COUNTS: [u32; 256] = byte_counts();

/// Counts codes over samples `0..n` (all samples of the .bed) or over `subset` (.bed
/// positions).
pub fn count_codes(packed: &[u8], n: usize, subset: Option<&[u32]>) -> CodeCounts {
    let mut c = [0u64; 4];
    match subset {
        None => {
            // 32 samples per 64-bit word: bit 0 of a code in `lo`, bit 1 in `hi`, and a
            // population count per code.
            const LO: u64 = 0x5555_5555_5555_5555;
            let full = n / 4;
            let words = packed[..full].chunks_exact(8);
            let rest = words.remainder();
            let (mut miss, mut het, mut hom_ref) = (0u64, 0u64, 0u64);
            for word in words {
                let w = u64::from_le_bytes(word.try_into().expect("8 bytes"));
                let (lo, hi) = (w & LO, (w >> 1) & LO);
                miss += (lo & !hi).count_ones() as u64;
                het += (hi & !lo).count_ones() as u64;
                hom_ref += (hi & lo).count_ones() as u64;
            }
            let words_samples = (full - rest.len()) as u64 * 4;
            c = [words_samples - miss - het - hom_ref, miss, het, hom_ref];
            for pos in (full - rest.len()) * 4..n {
                c[((packed[pos / 4] >> (2 * (pos % 4))) & 3) as usize] += 1;
            }
        }
        Some(s) => {
            for &pos in s {
                let pos = pos as usize;
                c[((packed[pos / 4] >> (2 * (pos % 4))) & 3) as usize] += 1;
            }
        }
    }
    CodeCounts {
        hom_alt: c[0] as u32,
        missing: c[1] as u32,
        het: c[2] as u32,
        hom_ref: c[3] as u32,
    }
}

/// One variant's calls over a sample set, as local sample indices.
#[derive(Debug, Clone, Default)]
pub struct Calls {
    /// Samples with one copy of A1.
    pub ones: Vec<u32>,
    /// Samples with two copies of A1.
    pub twos: Vec<u32>,
    /// Samples with a missing call.
    pub missing: Vec<u32>,
    /// Number of samples with one copy (filled even when `ones` is not listed).
    pub n_ones: usize,
    /// Number of samples with two copies (filled even when `twos` is not listed).
    pub n_twos: usize,
}

/// Per byte value, the samples among its four that carry A1 or miss a call: entry `q` of
/// `items` is `t | kind << 2` (sample `t` of the byte; kind 0 = one copy, 1 = two copies,
/// 2 = missing), `count` how many entries are used. Zero-dosage samples are never visited.
#[derive(Clone, Copy)]
struct ByteCalls {
    items: [u8; 4],
    count: u8,
}

const fn byte_calls(a1_alt: bool) -> [ByteCalls; 256] {
    let mut t = [ByteCalls {
        items: [0; 4],
        count: 0,
    }; 256];
    let two_code = if a1_alt { 0 } else { 3 };
    let mut b = 0;
    while b < 256 {
        let mut k = 0;
        let mut count = 0;
        while k < 4 {
            let code = (b >> (2 * k)) & 3;
            let kind = if code == 2 {
                0
            } else if code == two_code {
                1
            } else if code == 1 {
                2
            } else {
                3
            };
            if kind < 3 {
                t[b].items[count] = (k | (kind << 2)) as u8;
                count += 1;
            }
            k += 1;
        }
        t[b].count = count as u8;
        b += 1;
    }
    t
}
static CALLS_ALT: [ByteCalls; 256] = byte_calls(true);
static CALLS_REF: [ByteCalls; 256] = byte_calls(false);

/// Calls `visit(local, kind)` for every sample of a set that carries A1 or misses a call
/// (kind 0 = one copy, 1 = two copies, 2 = missing): `map[pos]` is the local index of .bed
/// position `pos` or −1 when the sample is not in the set; `None` means every .bed sample, in
/// order. `a1_alt` says whether A1 is the ALT allele (code 00 = two copies) or REF (code 11).
#[inline(always)]
pub fn for_each_call(
    packed: &[u8],
    n: usize,
    map: Option<&[i32]>,
    a1_alt: bool,
    mut visit: impl FnMut(u32, u8),
) {
    let (table, zero_byte) = if a1_alt {
        (&CALLS_ALT, 0xffu8)
    } else {
        (&CALLS_REF, 0x00u8)
    };
    let full = n / 4;
    let mut at = |pos: usize, kind: u8| {
        let local = match map {
            None => pos as i32,
            Some(m) => m[pos],
        };
        if local >= 0 {
            visit(local as u32, kind);
        }
    };
    for (j, &b) in packed[..full].iter().enumerate() {
        if b == zero_byte {
            continue;
        }
        let e = &table[b as usize];
        for &item in &e.items[..e.count as usize] {
            at(4 * j + (item & 3) as usize, item >> 2);
        }
    }
    if full < packed.len() {
        // The last byte holds padding beyond sample n − 1.
        let e = &table[packed[full] as usize];
        for &item in &e.items[..e.count as usize] {
            let pos = 4 * full + (item & 3) as usize;
            if pos < n {
                at(pos, item >> 2);
            }
        }
    }
}

/// Fills `calls` with the lists of carriers and missing calls of a sample set (see
/// [`for_each_call`]).
pub fn collect_calls(
    packed: &[u8],
    n: usize,
    map: Option<&[i32]>,
    a1_alt: bool,
    calls: &mut Calls,
) {
    calls.ones.clear();
    calls.twos.clear();
    calls.missing.clear();
    for_each_call(packed, n, map, a1_alt, |local, kind| match kind {
        0 => calls.ones.push(local),
        1 => calls.twos.push(local),
        _ => calls.missing.push(local),
    });
    calls.n_ones = calls.ones.len();
    calls.n_twos = calls.twos.len();
}

/// Like [`collect_calls`] but, instead of listing carriers, adds their rows of the
/// sample-major matrix `w` (`width` columns) straight into `acc`, weighted by dosage; only the
/// missing calls are listed. One pass over the codes, no carrier lists.
#[allow(clippy::too_many_arguments)]
pub fn sum_calls(
    packed: &[u8],
    n: usize,
    map: Option<&[i32]>,
    a1_alt: bool,
    w: &[f64],
    width: usize,
    acc: &mut Vec<f64>,
    acc2: &mut Vec<f64>,
    calls: &mut Calls,
) {
    calls.ones.clear();
    calls.twos.clear();
    calls.missing.clear();
    acc.clear();
    acc.resize(width, 0.0);
    acc2.clear();
    acc2.resize(width, 0.0);
    let (mut n1, mut n2) = (0usize, 0usize);
    for_each_call(packed, n, map, a1_alt, |local, kind| {
        let row = &w[local as usize * width..(local as usize + 1) * width];
        match kind {
            0 => {
                n1 += 1;
                for (a, r) in acc.iter_mut().zip(row) {
                    *a += r;
                }
            }
            1 => {
                n2 += 1;
                for (a, r) in acc2.iter_mut().zip(row) {
                    *a += r;
                }
            }
            _ => calls.missing.push(local),
        }
    });
    for (a, t) in acc.iter_mut().zip(acc2.iter()) {
        *a += 2.0 * t;
    }
    calls.n_ones = n1;
    calls.n_twos = n2;
}

/// A1 dosage of each 2-bit code (a missing call counts 0: its row is corrected for
/// separately from the list of missing samples).
const fn code_dosage(a1_alt: bool) -> [f64; 4] {
    if a1_alt {
        [2.0, 0.0, 1.0, 0.0]
    } else {
        [0.0, 0.0, 1.0, 2.0]
    }
}

/// Per byte value, the A1 dosages of its four samples.
const fn byte_dosages(a1_alt: bool) -> [[f64; 4]; 256] {
    let d = code_dosage(a1_alt);
    let mut t = [[0.0; 4]; 256];
    let mut b = 0;
    while b < 256 {
        let mut k = 0;
        while k < 4 {
            t[b][k] = d[(b >> (2 * k)) & 3];
            k += 1;
        }
        b += 1;
    }
    t
}
static DOSAGE_ALT: [[f64; 4]; 256] = byte_dosages(true);
static DOSAGE_REF: [[f64; 4]; 256] = byte_dosages(false);

/// Writes the A1 dosages of samples `s0..s0 + out.len()` of a sample set into `out`
/// (missing calls and samples past the end of the set as 0): `samples` lists the set's .bed
/// positions, `None` meaning every one of the `n` .bed samples in order. `s0` must be a
/// multiple of 4.
pub fn decode_dosages(
    packed: &[u8],
    n: usize,
    samples: Option<&[u32]>,
    a1_alt: bool,
    s0: usize,
    out: &mut [f64],
) {
    debug_assert!(s0.is_multiple_of(4));
    let len = out.len().min(n.saturating_sub(s0));
    match samples {
        None => {
            let table = if a1_alt { &DOSAGE_ALT } else { &DOSAGE_REF };
            let bytes = &packed[s0 / 4..(s0 + len).div_ceil(4)];
            for (dst, &b) in out.chunks_exact_mut(4).zip(bytes) {
                dst.copy_from_slice(&table[b as usize]);
            }
            // The last byte's padding codes (and whatever lies past the set) are not samples.
            out[len..].fill(0.0);
        }
        Some(set) => {
            let d = code_dosage(a1_alt);
            for (dst, &pos) in out.iter_mut().zip(&set[s0..s0 + len]) {
                let pos = pos as usize;
                *dst = d[((packed[pos / 4] >> (2 * (pos % 4))) & 3) as usize];
            }
            out[len..].fill(0.0);
        }
    }
}

/// Fills `calls` with the carrier counts and the list of missing calls of a sample set,
/// leaving the carrier lists empty: what the dense kernel needs besides the dosages. `map`
/// is as in [`for_each_call`], `all` the codes' counts over every .bed sample if known, and
/// `excluded` lists the .bed positions not in the set. Counts
/// come from whole bytes (every .bed sample) minus the excluded samples, so the cost is one
/// table look-up per byte however the set is made.
pub fn count_calls(
    packed: &[u8],
    n: usize,
    all: Option<CodeCounts>,
    map: Option<&[i32]>,
    excluded: &[u32],
    a1_alt: bool,
    calls: &mut Calls,
) {
    calls.ones.clear();
    calls.twos.clear();
    calls.missing.clear();
    let all = all.unwrap_or_else(|| count_codes(packed, n, None));
    let mut c = [all.hom_alt, all.missing, all.het, all.hom_ref];
    for &pos in excluded {
        let pos = pos as usize;
        c[((packed[pos / 4] >> (2 * (pos % 4))) & 3) as usize] -= 1;
    }
    if c[1] > 0 {
        for (j, &b) in packed.iter().enumerate() {
            // Lane 1 of the byte's counts is its number of missing codes.
            if BYTE_COUNTS[b as usize] & 0xff00 == 0 {
                continue;
            }
            for k in 0..4 {
                let pos = 4 * j + k;
                if pos < n && (b >> (2 * k)) & 3 == 1 {
                    let local = map.map_or(pos as i32, |m| m[pos]);
                    if local >= 0 {
                        calls.missing.push(local as u32);
                    }
                }
            }
        }
    }
    calls.n_ones = c[2] as usize;
    calls.n_twos = if a1_alt { c[0] } else { c[3] } as usize;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(alt: &[i8]) -> Vec<u8> {
        let mut p = vec![0u8; alt.len().div_ceil(4)];
        for (i, &g) in alt.iter().enumerate() {
            let code = match g {
                2 => 0,
                1 => 2,
                0 => 3,
                _ => 1,
            };
            p[i / 4] |= code << (2 * (i % 4));
        }
        p
    }

    #[test]
    fn counts_and_calls_follow_the_codes() {
        let alt: Vec<i8> = (0..203).map(|i| [0, 1, 2, -1, 0, 0][i % 6]).collect();
        let p = pack(&alt);
        let c = count_codes(&p, alt.len(), None);
        let want = |v: i8| alt.iter().filter(|&&g| g == v).count() as u32;
        assert_eq!(
            c,
            CodeCounts {
                hom_alt: want(2),
                missing: want(-1),
                het: want(1),
                hom_ref: want(0)
            }
        );
        let subset: Vec<u32> = (0..203).step_by(5).collect();
        let cs = count_codes(&p, alt.len(), Some(&subset));
        assert_eq!(
            cs.hom_alt,
            subset.iter().filter(|&&i| alt[i as usize] == 2).count() as u32
        );

        let mut calls = Calls::default();
        collect_calls(&p, alt.len(), None, true, &mut calls);
        assert_eq!(calls.twos.len() as u32, want(2));
        assert!(calls.ones.iter().all(|&i| alt[i as usize] == 1));
        collect_calls(&p, alt.len(), None, false, &mut calls);
        assert_eq!(calls.twos.len() as u32, want(0));
        assert_eq!(calls.missing.len() as u32, want(-1));
        let mut map = vec![-1i32; alt.len()];
        for (l, &pos) in subset.iter().enumerate() {
            map[pos as usize] = l as i32;
        }
        collect_calls(&p, alt.len(), Some(&map), true, &mut calls);
        assert!(calls
            .twos
            .iter()
            .all(|&l| alt[subset[l as usize] as usize] == 2));
    }
}
