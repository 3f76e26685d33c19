//! The .bim file: one variant per line, six whitespace-separated fields
//! (chromosome, ID, centimorgans, position, allele 1 = ALT, allele 2 = REF).
//!
//! [`BimReader`] streams it one record at a time (a .bim of an imputed panel has tens of
//! millions of lines: holding them would cost ~250 bytes a variant); [`read_bim`] collects
//! all records for small callers.

use std::path::Path;

use super::records::{Fields, RecordLines};
use crate::atomic::write_atomic;
use crate::error::{Result, TableError};

/// The names of the six fields, for the error a line with another count gets.
const BIM_FIELDS: &str = "chrom ID cM position ALT REF";

/// One .bim line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BimRecord {
    /// Chromosome code.
    pub chrom: String,
    /// Variant ID.
    pub id: String,
    /// Genetic position in centimorgans.
    pub cm: f64,
    /// Base-pair position.
    pub pos: i64,
    /// Column 5: the allele the .bed codes count (PLINK 2 calls it ALT).
    pub alt: String,
    /// Column 6: the other allele (REF).
    pub reference: String,
}

/// Reads a .bim file one validated record at a time, in file order. As an iterator it yields
/// each record with its 1-based line number; [`BimReader::read_into`] reuses one record's
/// strings instead of allocating new ones per line.
pub struct BimReader {
    lines: RecordLines,
    records: usize,
}

impl BimReader {
    /// Opens a .bim file for streaming.
    pub fn open(path: &Path) -> Result<Self> {
        Ok(Self {
            lines: RecordLines::open(path, BIM_FIELDS)?,
            records: 0,
        })
    }

    /// The file read.
    pub fn path(&self) -> &Path {
        self.lines.path()
    }

    /// Records read so far (the 0-based index of the next one).
    pub fn records_read(&self) -> usize {
        self.records
    }

    /// Reads the next record into `rec` (its strings reused) and returns its 1-based line
    /// number, or None at the end of the file. A malformed line is an error naming the file,
    /// the line, the column and the value.
    pub fn read_into(&mut self, rec: &mut BimRecord) -> Result<Option<usize>> {
        let Some(Fields { f, place, path }) = self.lines.next_fields()? else {
            return Ok(None);
        };
        let cell = |column: &str, value: &str, message: &str| TableError::Cell {
            path: path.into(),
            place,
            column: column.into(),
            value: value.into(),
            message: message.into(),
        };
        let cm = f[2]
            .parse::<f64>()
            .map_err(|_| cell("cM", f[2], "expected a number"))?;
        let pos = f[3]
            .parse::<i64>()
            .ok()
            .filter(|p| *p >= 0)
            .ok_or_else(|| cell("position", f[3], "expected a non-negative integer"))?;
        for (s, v) in [
            (&mut rec.chrom, f[0]),
            (&mut rec.id, f[1]),
            (&mut rec.alt, f[4]),
            (&mut rec.reference, f[5]),
        ] {
            s.clear();
            s.push_str(v);
        }
        rec.cm = cm;
        rec.pos = pos;
        self.records += 1;
        Ok(Some(self.lines.line_number()))
    }

    /// Reads to the end, checking every line, and returns the number of records.
    pub fn count(mut self) -> Result<usize> {
        let mut rec = BimRecord::default();
        while self.read_into(&mut rec)?.is_some() {}
        Ok(self.records)
    }
}

impl Iterator for BimReader {
    /// A record and its 1-based line number.
    type Item = Result<(usize, BimRecord)>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut rec = BimRecord::default();
        self.read_into(&mut rec)
            .transpose()
            .map(|r| r.map(|line| (line, rec)))
    }
}

/// Reads a whole .bim file into memory (for small file sets; scans stream with
/// [`BimReader`]).
pub fn read_bim(path: &Path) -> Result<Vec<BimRecord>> {
    BimReader::open(path)?
        .map(|r| r.map(|(_, rec)| rec))
        .collect()
}

/// Writes a .bim file atomically (tab separated, as PLINK writes it).
pub fn write_bim(path: &Path, records: &[BimRecord]) -> Result<()> {
    write_atomic(path, |w| {
        for r in records {
            writeln!(
                w,
                "{}\t{}\t{}\t{}\t{}\t{}",
                r.chrom, r.id, r.cm, r.pos, r.alt, r.reference
            )?;
        }
        Ok(())
    })
}
