//! The GwasTable rows of a scan, appended tile by tile and column by column into the Arrow
//! builders of a [`RowBatch`]: one row per variant × phenotype, the variants in .bim order
//! and each variant's phenotypes together. Column-wise appends cost no dispatch per cell,
//! and a variant's fields (CHROM to OMITTED) are looked up once for all its phenotypes.

use biomarker_tables::io::FrameSink;
use biomarker_tables::plink::BimRecord;
use biomarker_tables::{GwasTable, RowBatch};

use super::output::{alleles, PhenoInfo, RenderedTile};
use super::tile::Tested;
use crate::error::Result;

/// A text field of a variant, given whether A1 is its ALT allele.
type VariantField = fn(&BimRecord, bool) -> &str;

/// Positions of the GwasTable columns in the batch.
struct Columns {
    pheno: usize,
    chrom: usize,
    pos: usize,
    id: usize,
    reference: usize,
    alt: usize,
    a1: usize,
    omitted: usize,
    a1_freq: usize,
    model: usize,
    firth: usize,
    test: usize,
    obs_ct: usize,
    beta: usize,
    se: usize,
    stat: usize,
    p: usize,
    log10p: usize,
    errcode: usize,
}

/// GwasTable rows not yet written.
pub struct TableRows {
    batch: RowBatch,
    cols: Columns,
}

impl Default for TableRows {
    fn default() -> Self {
        let batch = RowBatch::new(&GwasTable::frame_of(&[]));
        let c = |name: &str| batch.column(name);
        let cols = Columns {
            pheno: c("PHENO"),
            chrom: c("CHROM"),
            pos: c("POS"),
            id: c("ID"),
            reference: c("REF"),
            alt: c("ALT"),
            a1: c("A1"),
            omitted: c("OMITTED"),
            a1_freq: c("A1_FREQ"),
            model: c("MODEL"),
            firth: c("FIRTH"),
            test: c("TEST"),
            obs_ct: c("OBS_CT"),
            beta: c("BETA"),
            se: c("SE"),
            stat: c("STAT"),
            p: c("P"),
            log10p: c("LOG10P"),
            errcode: c("ERRCODE"),
        };
        Self { batch, cols }
    }
}

impl TableRows {
    /// Rows held.
    pub fn rows(&self) -> usize {
        self.batch.rows()
    }

    /// Appends the rows of a tile: `tested[v].results[i]` is phenotype `i`'s result for the
    /// variant `records[tested[v].index]`, whose p-values `rendered` holds.
    pub fn push_tile(
        &mut self,
        records: &[BimRecord],
        tested: &[Tested],
        rendered: &RenderedTile,
        phenos: &[PhenoInfo],
    ) {
        let (b, c) = (&mut self.batch, &self.cols);
        let n_pheno = phenos.len();
        let variant = |t: &Tested| (&records[t.index], t.a1_alt);
        let results = || tested.iter().flat_map(|t| t.results.iter());
        let pheno = b.text(c.pheno);
        for _ in tested {
            for ph in phenos {
                pheno.append_value(&ph.name);
            }
        }
        // The fields of the variant, the same in each of its phenotypes' rows.
        let fields: [(usize, VariantField); 6] = [
            (c.chrom, |v, _| &v.chrom),
            (c.id, |v, _| &v.id),
            (c.reference, |v, _| &v.reference),
            (c.alt, |v, _| &v.alt),
            (c.a1, |v, a1_alt| alleles(v, a1_alt).0),
            (c.omitted, |v, a1_alt| alleles(v, a1_alt).1),
        ];
        for (col, field) in fields {
            let col = b.text(col);
            for t in tested {
                let (v, a1_alt) = variant(t);
                let s = field(v, a1_alt);
                for _ in 0..n_pheno {
                    col.append_value(s);
                }
            }
        }
        let pos = b.int(c.pos);
        for t in tested {
            let v = variant(t).0;
            for _ in 0..n_pheno {
                pos.append_value(v.pos);
            }
        }
        let model = b.text(c.model);
        for _ in tested {
            for ph in phenos {
                model.append_value(if ph.binary { "logistic" } else { "linear" });
            }
        }
        let test = b.text(c.test);
        for _ in 0..tested.len() * n_pheno {
            test.append_value("ADD");
        }
        let firth = b.boolean(c.firth);
        for r in results() {
            firth.append_option(r.firth);
        }
        let obs_ct = b.int(c.obs_ct);
        for r in results() {
            obs_ct.append_value(r.obs_ct as i64);
        }
        let errcode = b.text(c.errcode);
        for r in results() {
            errcode.append_option(r.err.map(|e| e.as_str()));
        }
        // Closures, not function pointers: each column's loop is compiled for its field.
        push_floats(b, c.a1_freq, results().map(|r| r.a1_freq));
        push_floats(b, c.beta, results().map(|r| r.beta));
        push_floats(b, c.se, results().map(|r| r.se));
        push_floats(b, c.stat, results().map(|r| r.stat));
        push_floats(b, c.p, rendered.p.iter().copied());
        push_floats(b, c.log10p, rendered.log10p.iter().copied());
        b.add_rows(tested.len() * n_pheno);
    }

    /// Writes the rows held; the builders start the next batch.
    pub fn write_to(&mut self, sink: &mut FrameSink) -> Result<()> {
        Ok(sink.write_rows(&mut self.batch)?)
    }
}

/// Appends `values` to float column `col`, null where not finite (the table has no NaN or
/// infinity).
fn push_floats(b: &mut RowBatch, col: usize, values: impl Iterator<Item = f64>) {
    let col = b.float(col);
    for x in values {
        if x.is_finite() {
            col.append_value(x);
        } else {
            col.append_null();
        }
    }
}
