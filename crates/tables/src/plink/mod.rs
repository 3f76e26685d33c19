//! PLINK 1 binary genotype file sets (.bed/.bim/.fam): reading in blocks of variants, so
//! memory stays O(samples × block), and writing. Written here rather than through bed-reader
//! because bed-reader's dependency tree (cloud storage, Python bindings, TLS) would double the
//! cold build, and scans need the raw 2-bit codes anyway to decode straight into their own
//! buffers.

mod bed;
mod bim;
mod fam;
mod records;

pub use bed::{decode_alt_counts, BedReader, BedWriter, BED_MAGIC, MISSING_CALL};
pub use bim::{read_bim, write_bim, BimReader, BimRecord};
pub use fam::{read_fam, write_fam, FamRecord};

use std::path::{Path, PathBuf};

use crate::error::{Place, Result, TableError};
use records::RecordLines;

/// The three files of a set, by prefix.
pub fn fileset_paths(prefix: &Path) -> [PathBuf; 3] {
    let with = |ext: &str| {
        let mut s = prefix.as_os_str().to_owned();
        s.push(ext);
        PathBuf::from(s)
    };
    [with(".bed"), with(".bim"), with(".fam")]
}

/// An opened file set: samples in memory; variants and genotypes on disk. Opening reads the
/// .bim once, streaming, to validate every line and count the variants (the .bed size is
/// checked against that count); the records themselves are not kept, so memory does not
/// grow with the number of variants. Read them again in order with [`Fileset::bim`].
pub struct Fileset {
    /// The samples (.fam rows).
    pub samples: Vec<FamRecord>,
    /// The genotype reader.
    pub bed: BedReader,
    bim: PathBuf,
    n_variants: usize,
}

impl Fileset {
    /// Opens `prefix.{bed,bim,fam}`, checking every .bim and .fam line and that the .bed size
    /// matches the row counts.
    pub fn open(prefix: &Path) -> Result<Self> {
        let [bed, bim, fam] = fileset_paths(prefix);
        let samples = read_fam(&fam)?;
        let n_variants = BimReader::open(&bim)?.count()?;
        let bed = BedReader::open(&bed, samples.len(), n_variants)?;
        Ok(Self {
            samples,
            bed,
            bim,
            n_variants,
        })
    }

    /// Number of variants (.bim rows).
    pub fn n_variants(&self) -> usize {
        self.n_variants
    }

    /// The .bim file.
    pub fn bim_path(&self) -> &Path {
        &self.bim
    }

    /// Streams the .bim records from the first, in file order.
    pub fn bim(&self) -> Result<BimReader> {
        BimReader::open(&self.bim)
    }

    /// Reads every .bim record into memory (for callers that need random access to a small
    /// file set; about 250 bytes a variant). Fails if the .bim changed its row count since
    /// the set was opened.
    pub fn read_variants(&self) -> Result<Vec<BimRecord>> {
        let mut out = Vec::with_capacity(self.n_variants);
        for r in self.bim()? {
            out.push(r?.1);
        }
        if out.len() != self.n_variants {
            return Err(TableError::format(
                &self.bim,
                format!(
                    "now has {} variants, {} when the file set was opened",
                    out.len(),
                    self.n_variants
                ),
            ));
        }
        Ok(out)
    }
}

/// Reads a whitespace-separated file of six-field records (.fam), skipping blank lines;
/// `fields` names the six fields for the error a wrong count gets.
fn read_records<T>(
    path: &Path,
    fields: &'static str,
    mut parse: impl FnMut(&[&str], Place) -> Result<T>,
) -> Result<Vec<T>> {
    let mut lines = RecordLines::open(path, fields)?;
    let mut out = Vec::new();
    while let Some(line) = lines.next_fields()? {
        out.push(parse(&line.f, line.place)?);
    }
    Ok(out)
}
