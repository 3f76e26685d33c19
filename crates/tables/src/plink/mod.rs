//! PLINK 1 binary genotype file sets (.bed/.bim/.fam): reading in blocks of variants, so
//! memory stays O(samples × block), and writing. Written here rather than through bed-reader
//! because bed-reader's dependency tree (cloud storage, Python bindings, TLS) would double the
//! cold build, and scans need the raw 2-bit codes anyway to decode straight into their own
//! buffers.

mod bed;
mod bim;
mod fam;

pub use bed::{decode_alt_counts, BedReader, BedWriter, BED_MAGIC, MISSING_CALL};
pub use bim::{read_bim, write_bim, BimRecord};
pub use fam::{read_fam, write_fam, FamRecord};

use std::path::{Path, PathBuf};

use crate::error::Result;

/// The three files of a set, by prefix.
pub fn fileset_paths(prefix: &Path) -> [PathBuf; 3] {
    let with = |ext: &str| {
        let mut s = prefix.as_os_str().to_owned();
        s.push(ext);
        PathBuf::from(s)
    };
    [with(".bed"), with(".bim"), with(".fam")]
}

/// An opened file set: samples and variants in memory, genotypes on disk.
pub struct Fileset {
    /// The samples (.fam rows).
    pub samples: Vec<FamRecord>,
    /// The variants (.bim rows).
    pub variants: Vec<BimRecord>,
    /// The genotype reader.
    pub bed: BedReader,
}

impl Fileset {
    /// Opens `prefix.{bed,bim,fam}`, checking that the .bed size matches the row counts.
    pub fn open(prefix: &Path) -> Result<Self> {
        let [bed, bim, fam] = fileset_paths(prefix);
        let samples = read_fam(&fam)?;
        let variants = read_bim(&bim)?;
        let bed = BedReader::open(&bed, samples.len(), variants.len())?;
        Ok(Self {
            samples,
            variants,
            bed,
        })
    }
}
