//! Variance standardization of genotypes, decoded straight from packed .bed codes: a call of
//! g ALT alleles becomes (g − 2p)/√(2p(1 − p)) with p the ALT frequency among the variant's
//! non-missing calls, and a missing call becomes 0 (mean imputation). This is the matrix
//! whose scaled cross-product is PLINK 2's variance-standardized relationship matrix; the
//! choice of counted allele only flips the sign of a column and so changes nothing.

/// Per-variant summary from one pass over its packed codes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VariantStats {
    /// ALT allele frequency among non-missing calls (NaN when all calls are missing).
    pub alt_freq: f64,
    /// Non-missing calls.
    pub observed: usize,
}

impl VariantStats {
    /// Whether the variant varies (0 < p < 1); others carry no information and are skipped.
    pub fn is_polymorphic(&self) -> bool {
        self.observed > 0 && self.alt_freq > 0.0 && self.alt_freq < 1.0
    }
}

/// ALT count of each 2-bit code (0b01 = missing counts nothing).
const ALT: [u32; 4] = [2, 0, 1, 0];

/// Counts ALT alleles and non-missing calls of one variant's packed codes for `n` samples.
pub fn variant_stats(packed: &[u8], n: usize) -> VariantStats {
    let (mut alt, mut missing) = (0u64, 0usize);
    for i in 0..n {
        let code = (packed[i >> 2] >> ((i & 3) * 2)) & 3;
        alt += u64::from(ALT[code as usize]);
        missing += usize::from(code == 1);
    }
    let observed = n - missing;
    VariantStats {
        alt_freq: alt as f64 / (2 * observed) as f64,
        observed,
    }
}

/// Writes the standardized genotypes of one polymorphic variant into `out` (length n).
pub fn standardize_into(packed: &[u8], stats: VariantStats, out: &mut [f64]) {
    let p = stats.alt_freq;
    let sd = (2.0 * p * (1.0 - p)).sqrt();
    let value = [
        (2.0 - 2.0 * p) / sd,
        0.0,
        (1.0 - 2.0 * p) / sd,
        -2.0 * p / sd,
    ];
    let n = out.len();
    let full = n / 4;
    for (chunk, &byte) in out[..full * 4].chunks_exact_mut(4).zip(packed) {
        chunk[0] = value[(byte & 3) as usize];
        chunk[1] = value[((byte >> 2) & 3) as usize];
        chunk[2] = value[((byte >> 4) & 3) as usize];
        chunk[3] = value[(byte >> 6) as usize];
    }
    for (i, slot) in out.iter_mut().enumerate().skip(full * 4) {
        *slot = value[((packed[i >> 2] >> ((i & 3) * 2)) & 3) as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_and_standardized_values_by_hand() {
        // Five samples: 2, missing, 1, 0, 1 ALT copies → codes 00, 01, 10, 11 | 10.
        let packed = [0b11_10_01_00u8, 0b0000_0010];
        let s = variant_stats(&packed, 5);
        assert_eq!(s.observed, 4);
        assert!((s.alt_freq - 0.5).abs() < 1e-15);
        let mut out = [9.0; 5];
        standardize_into(&packed, s, &mut out);
        let sd = 0.5f64.sqrt();
        let want = [1.0 / sd, 0.0, 0.0, -1.0 / sd, 0.0];
        for (a, b) in out.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{out:?}");
        }
    }

    #[test]
    fn monomorphic_and_all_missing_variants_are_not_polymorphic() {
        assert!(!variant_stats(&[0b11_11_11_11], 4).is_polymorphic());
        assert!(!variant_stats(&[0b01_01_01_01], 4).is_polymorphic());
        assert!(variant_stats(&[0b11_11_11_10], 4).is_polymorphic());
    }
}
