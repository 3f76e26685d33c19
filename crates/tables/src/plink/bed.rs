//! The .bed file: three magic bytes (0x6c 0x1b 0x01, variant-major), then per variant
//! ⌈samples/4⌉ bytes of 2-bit codes, low bits first: 00 = two copies of .bim allele 1 (ALT),
//! 01 = missing, 10 = heterozygous, 11 = no copy of ALT.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::atomic::AtomicFile;
use crate::error::{Result, TableError};

/// The magic bytes of a variant-major .bed file.
pub const BED_MAGIC: [u8; 3] = [0x6c, 0x1b, 0x01];
/// The ALT count that marks a missing call in decoded buffers.
pub const MISSING_CALL: i8 = -1;

/// ALT allele count for each 2-bit code.
const CODE_TO_ALT: [i8; 4] = [2, MISSING_CALL, 1, 0];

/// Random access to the genotypes of a .bed file.
pub struct BedReader {
    path: PathBuf,
    file: File,
    n_samples: usize,
    n_variants: usize,
}

impl BedReader {
    /// Opens a .bed file whose .fam has `n_samples` rows and .bim `n_variants` rows, checking
    /// the magic bytes and that the size is exactly what those counts need.
    pub fn open(path: &Path, n_samples: usize, n_variants: usize) -> Result<Self> {
        let file = File::open(path).map_err(|e| TableError::io(path, e))?;
        let len = file.metadata().map_err(|e| TableError::io(path, e))?.len();
        let mut magic = [0u8; 3];
        if len < 3 || file.read_exact_at(&mut magic, 0).is_err() {
            return Err(TableError::format(
                path,
                format!("{len} bytes: too short for a .bed header"),
            ));
        }
        if magic != BED_MAGIC {
            return Err(TableError::format(
                path,
                format!("not a variant-major PLINK .bed: magic bytes {magic:02x?}, expected {BED_MAGIC:02x?}"),
            ));
        }
        let per = n_samples.div_ceil(4) as u64;
        let want = 3 + per * n_variants as u64;
        if len != want {
            return Err(TableError::format(
                path,
                format!(
                    "{len} bytes, but {n_samples} samples (.fam) × {n_variants} variants (.bim) need {want} \
                     (3 + {n_variants} × {per}): the .bed is truncated or does not belong to this .bim/.fam"
                ),
            ));
        }
        Ok(Self {
            path: path.to_path_buf(),
            file,
            n_samples,
            n_variants,
        })
    }

    /// Number of samples.
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }

    /// Number of variants.
    pub fn n_variants(&self) -> usize {
        self.n_variants
    }

    /// Bytes per variant.
    pub fn bytes_per_variant(&self) -> usize {
        self.n_samples.div_ceil(4)
    }

    /// Reads the packed codes of variants `first..first + count` into `buf` (resized).
    pub fn read_packed(&self, first: usize, count: usize, buf: &mut Vec<u8>) -> Result<()> {
        assert!(
            first + count <= self.n_variants,
            "variant range past the end"
        );
        let per = self.bytes_per_variant();
        buf.resize(per * count, 0);
        self.file
            .read_exact_at(buf, 3 + (first * per) as u64)
            .map_err(|e| TableError::io(&self.path, e))
    }

    /// Reads one variant's ALT counts (−1 = missing) into `out` (length n_samples).
    pub fn read_alt_counts(&self, variant: usize, out: &mut [i8]) -> Result<()> {
        let mut buf = Vec::new();
        self.read_packed(variant, 1, &mut buf)?;
        decode_alt_counts(&buf, out);
        Ok(())
    }
}

/// Decodes one variant's packed codes into ALT counts (−1 = missing), one per sample.
pub fn decode_alt_counts(packed: &[u8], out: &mut [i8]) {
    for (i, slot) in out.iter_mut().enumerate() {
        let code = (packed[i / 4] >> (2 * (i % 4))) & 3;
        *slot = CODE_TO_ALT[code as usize];
    }
}

/// Writes a .bed file variant by variant; it appears under its name only after `finish`.
pub struct BedWriter {
    path: PathBuf,
    n_samples: usize,
    written: usize,
    out: BufWriter<File>,
    file: AtomicFile,
    packed: Vec<u8>,
}

impl BedWriter {
    /// Starts a .bed for `n_samples` samples.
    pub fn create(path: &Path, n_samples: usize) -> Result<Self> {
        let mut file = AtomicFile::create(path)?;
        let handle = file
            .file()
            .try_clone()
            .map_err(|e| TableError::io(path, e))?;
        let mut out = BufWriter::new(handle);
        out.write_all(&BED_MAGIC)
            .map_err(|e| TableError::io(path, e))?;
        Ok(Self {
            path: path.into(),
            n_samples,
            written: 0,
            out,
            file,
            packed: Vec::new(),
        })
    }

    /// Appends one variant given as ALT counts (0, 1, 2, or −1 for missing).
    pub fn write_variant(&mut self, alt_counts: &[i8]) -> Result<()> {
        assert_eq!(alt_counts.len(), self.n_samples, "one ALT count per sample");
        self.packed.clear();
        self.packed.resize(self.n_samples.div_ceil(4), 0);
        for (i, &g) in alt_counts.iter().enumerate() {
            let code: u8 = match g {
                2 => 0b00,
                1 => 0b10,
                0 => 0b11,
                _ => 0b01,
            };
            self.packed[i / 4] |= code << (2 * (i % 4));
        }
        self.written += 1;
        self.out
            .write_all(&self.packed)
            .map_err(|e| TableError::io(&self.path, e))
    }

    /// Variants written so far.
    pub fn n_variants(&self) -> usize {
        self.written
    }

    /// Flushes and moves the file into place.
    pub fn finish(mut self) -> Result<()> {
        self.out
            .flush()
            .map_err(|e| TableError::io(&self.path, e))?;
        drop(self.out);
        self.file.commit()
    }
}
