//! Deterministic random streams: every unit of work (a subject, a block of variants) gets its
//! own generator derived from the seed and the unit's index, so results do not depend on the
//! number of threads or the order work is done in.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Independent streams for the parts of the simulation.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    /// The genome layout (positions, frequencies, alleles, blocks).
    Layout = 1,
    /// Haplotypes of one LD block.
    Block = 2,
    /// Missing calls of one block.
    Missing = 3,
    /// One subject's traits and anatomy.
    Subject = 4,
    /// Choice and effects of the causal variants.
    Causal = 5,
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The generator of `stream` for unit `index` under `seed`.
pub fn rng_for(seed: u64, stream: Stream, index: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(splitmix(splitmix(seed ^ ((stream as u64) << 56)) ^ index))
}
