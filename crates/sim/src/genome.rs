//! The simulated genome: 22 autosomes with variants spread in proportion to their GRCh37
//! lengths, a neutral-like allele-frequency spectrum (density ∝ 1/p on 1%–50%), linkage
//! disequilibrium from a Gaussian-copula haplotype model in blocks of neighbouring variants,
//! and the two APOE variants at their GRCh37 positions with ε2/ε3/ε4 haplotypes.

use std::collections::BTreeSet;

use biomarker_tables::plink::BimRecord;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::rng::{rng_for, Stream};
use biomarker_stats::norm_quantile;

/// GRCh37 autosome lengths in base pairs.
const CHROM_LENGTHS: [i64; 22] = [
    249_250_621,
    243_199_373,
    198_022_430,
    191_154_276,
    180_915_260,
    171_115_067,
    159_138_663,
    146_364_022,
    141_213_431,
    135_534_747,
    135_006_516,
    133_851_895,
    115_169_878,
    107_349_540,
    102_531_392,
    90_354_753,
    81_195_210,
    78_077_248,
    59_128_983,
    63_025_520,
    48_129_895,
    51_304_566,
];

/// rs429358: C is the ε4 allele (GRCh37 19:45,411,941).
pub const RS429358_POS: i64 = 45_411_941;
/// rs7412: T is the ε2 allele (GRCh37 19:45,412,079).
pub const RS7412_POS: i64 = 45_412_079;
/// APOE haplotype frequencies ε2, ε3, ε4 (European-like).
pub const APOE_FREQS: [f64; 3] = [0.08, 0.78, 0.14];

/// How a block's haplotypes are drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum BlockKind {
    /// Gaussian copula with lag-one correlation `rho` between neighbouring variants.
    Copula {
        /// Correlation of the latent Gaussians of neighbouring variants.
        rho: f64,
    },
    /// The APOE pair: ε2/ε3/ε4 haplotypes (variants rs429358 then rs7412).
    Apoe,
}

/// A run of neighbouring variants drawn together.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// First variant (index into the layout's variants).
    pub first: usize,
    /// Number of variants.
    pub len: usize,
    /// How haplotypes are drawn.
    pub kind: BlockKind,
}

/// Variants, their ALT frequencies and their blocks.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The .bim rows (ALT = column 5 = the allele counted; it is the minor allele by design).
    pub variants: Vec<BimRecord>,
    /// Expected ALT frequency of each variant.
    pub alt_freq: Vec<f64>,
    /// Blocks covering all variants in order.
    pub blocks: Vec<Block>,
}

impl Layout {
    /// Index of the variant with this ID.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.variants.iter().position(|v| v.id == id)
    }

    /// The block holding variant `v`.
    pub fn block_of(&self, v: usize) -> usize {
        self.blocks.partition_point(|b| b.first + b.len <= v)
    }
}

const BASES: [&str; 4] = ["A", "C", "G", "T"];

/// Builds the layout of `n_variants` variants (the two APOE variants included).
pub fn layout(seed: u64, n_variants: usize) -> Layout {
    let mut rng = rng_for(seed, Stream::Layout, 0);
    let total: i64 = CHROM_LENGTHS.iter().sum();
    let free = n_variants - 2;
    // Largest-remainder apportionment so the counts add up exactly.
    let shares: Vec<f64> = CHROM_LENGTHS
        .iter()
        .map(|&l| free as f64 * l as f64 / total as f64)
        .collect();
    let mut counts: Vec<usize> = shares.iter().map(|s| s.floor() as usize).collect();
    let mut order: Vec<usize> = (0..22).collect();
    order.sort_by(|&a, &b| {
        (shares[b] - shares[b].floor()).total_cmp(&(shares[a] - shares[a].floor()))
    });
    for &c in order.iter().take(free - counts.iter().sum::<usize>()) {
        counts[c] += 1;
    }
    let mut variants = Vec::with_capacity(n_variants);
    let mut alt_freq = Vec::with_capacity(n_variants);
    let mut blocks = Vec::new();
    for (c, &count) in counts.iter().enumerate() {
        let chrom = c + 1;
        let len = CHROM_LENGTHS[c];
        let mut positions = BTreeSet::new();
        while positions.len() < count {
            let p = rng.random_range(10_000..len - 10_000);
            if chrom != 19 || (p - RS429358_POS).abs() > 2_000 {
                positions.insert(p);
            }
        }
        let mut chrom_variants: Vec<(i64, Option<&str>)> =
            positions.into_iter().map(|p| (p, None)).collect();
        if chrom == 19 {
            chrom_variants.push((RS429358_POS, Some("rs429358")));
            chrom_variants.push((RS7412_POS, Some("rs7412")));
            chrom_variants.sort();
        }
        let mut i = 0;
        while i < chrom_variants.len() {
            let first = variants.len();
            if chrom_variants[i].1 == Some("rs429358") {
                // ALT = the ε4 allele C at rs429358 and the ε2 allele T at rs7412.
                for (pos, id, alt, reference, freq) in [
                    (RS429358_POS, "rs429358", "C", "T", APOE_FREQS[2]),
                    (RS7412_POS, "rs7412", "T", "C", APOE_FREQS[0]),
                ] {
                    variants.push(bim(chrom, id.into(), pos, alt, reference));
                    alt_freq.push(freq);
                }
                blocks.push(Block {
                    first,
                    len: 2,
                    kind: BlockKind::Apoe,
                });
                i += 2;
                continue;
            }
            // Block lengths: 1 + geometric with mean 7, never swallowing the APOE pair.
            let mut block_len = 1;
            while rng.random::<f64>() < 6.0 / 7.0 && block_len < 40 {
                block_len += 1;
            }
            let stop = chrom_variants[i..]
                .iter()
                .position(|v| v.1.is_some())
                .map_or(chrom_variants.len(), |k| i + k);
            let block_len = block_len.min(stop - i);
            for &(pos, _) in &chrom_variants[i..i + block_len] {
                let a = rng.random_range(0..4);
                let b = (a + rng.random_range(1..4)) % 4;
                variants.push(bim(
                    chrom,
                    format!("{chrom}:{pos}"),
                    pos,
                    BASES[a],
                    BASES[b],
                ));
                // Density ∝ 1/p on [0.01, 0.5].
                alt_freq.push(0.01 * 50f64.powf(rng.random::<f64>()));
            }
            blocks.push(Block {
                first,
                len: block_len,
                kind: BlockKind::Copula {
                    rho: rng.random_range(0.55..0.97),
                },
            });
            i += block_len;
        }
    }
    Layout {
        variants,
        alt_freq,
        blocks,
    }
}

fn bim(chrom: usize, id: String, pos: i64, alt: &str, reference: &str) -> BimRecord {
    BimRecord {
        chrom: chrom.to_string(),
        id,
        cm: pos as f64 / 1e6,
        pos,
        alt: alt.into(),
        reference: reference.into(),
    }
}

/// Draws the true ALT counts of block `b` for `n` samples: `out[v * n + i]` is variant
/// `first + v`, sample `i`.
pub fn block_genotypes(seed: u64, layout: &Layout, b: usize, n: usize, out: &mut Vec<i8>) {
    let block = &layout.blocks[b];
    let mut rng = rng_for(seed, Stream::Block, b as u64);
    out.clear();
    out.resize(block.len * n, 0);
    match block.kind {
        BlockKind::Apoe => {
            for i in 0..n {
                for _ in 0..2 {
                    let u: f64 = rng.random();
                    if u < APOE_FREQS[0] {
                        out[n + i] += 1; // ε2: T at rs7412
                    } else if u >= APOE_FREQS[0] + APOE_FREQS[1] {
                        out[i] += 1; // ε4: C at rs429358
                    }
                }
            }
        }
        BlockKind::Copula { rho } => {
            let thresholds: Vec<f64> = layout.alt_freq[block.first..block.first + block.len]
                .iter()
                .map(|&p| norm_quantile(p))
                .collect();
            let innovation = (1.0 - rho * rho).sqrt();
            for i in 0..n {
                for _ in 0..2 {
                    let mut z: f64 = StandardNormal.sample(&mut rng);
                    for (v, t) in thresholds.iter().enumerate() {
                        if v > 0 {
                            let e: f64 = StandardNormal.sample(&mut rng);
                            z = rho * z + innovation * e;
                        }
                        if z < *t {
                            out[v * n + i] += 1;
                        }
                    }
                }
            }
        }
    }
}

/// Turns a fraction `rate` of block `b`'s calls into missing calls (−1), reproducibly.
pub fn add_missing_calls(seed: u64, b: usize, rate: f64, genotypes: &mut [i8]) {
    if rate <= 0.0 {
        return;
    }
    let mut rng = rng_for(seed, Stream::Missing, b as u64);
    for g in genotypes.iter_mut() {
        if rng.random::<f64>() < rate {
            *g = -1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_has_the_requested_variants_in_order_with_apoe() {
        let l = layout(7, 500);
        assert_eq!(l.variants.len(), 500);
        assert_eq!(l.blocks.iter().map(|b| b.len).sum::<usize>(), 500);
        let apoe = l.index_of("rs429358").unwrap();
        assert_eq!(l.variants[apoe + 1].id, "rs7412");
        assert_eq!(
            (l.variants[apoe].chrom.as_str(), l.variants[apoe].pos),
            ("19", RS429358_POS)
        );
        for w in l.variants.windows(2) {
            let key = |v: &BimRecord| (v.chrom.parse::<u32>().unwrap(), v.pos);
            assert!(key(&w[0]) < key(&w[1]), "{:?} then {:?}", w[0], w[1]);
        }
    }

    #[test]
    fn copula_blocks_hit_their_frequencies_and_correlate() {
        let l = layout(3, 2_000);
        let n = 4_000;
        let mut g = Vec::new();
        // The longest block: frequencies within 4 SE and neighbours positively correlated.
        let b = (0..l.blocks.len())
            .max_by_key(|&b| l.blocks[b].len)
            .unwrap();
        block_genotypes(3, &l, b, n, &mut g);
        let block = &l.blocks[b];
        for v in 0..block.len {
            let p = l.alt_freq[block.first + v];
            let freq =
                g[v * n..(v + 1) * n].iter().map(|&x| x as f64).sum::<f64>() / (2 * n) as f64;
            let se = (p * (1.0 - p) / (2 * n) as f64).sqrt();
            assert!(
                (freq - p).abs() < 4.0 * se + 1e-3,
                "variant {v}: {freq} vs {p}"
            );
        }
        let corr = |a: &[i8], b: &[i8]| {
            let m = |x: &[i8]| x.iter().map(|&v| v as f64).sum::<f64>() / x.len() as f64;
            let (ma, mb) = (m(a), m(b));
            let cov: f64 = a
                .iter()
                .zip(b)
                .map(|(&x, &y)| (x as f64 - ma) * (y as f64 - mb))
                .sum();
            let va: f64 = a.iter().map(|&x| (x as f64 - ma).powi(2)).sum();
            let vb: f64 = b.iter().map(|&y| (y as f64 - mb).powi(2)).sum();
            cov / (va * vb).sqrt()
        };
        assert!(corr(&g[0..n], &g[n..2 * n]) > 0.05);
    }
}
