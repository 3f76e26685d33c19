//! Writing a scan's results as they stream in: the GwasTable (Parquet, every phenotype, one
//! row per variant × phenotype in variant order) and one text file per phenotype in PLINK 2's
//! `.glm.linear` / `.glm.logistic.hybrid` layout, REGENIE's or GWAS-SSF's. Every file is
//! written under a temporary name and moved into place only by [`Outputs::finish`], so a
//! failed or killed scan leaves nothing that looks complete.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use biomarker_tables::atomic::AtomicFile;
use biomarker_tables::io::FrameSink;
use biomarker_tables::kinds::manifest::DigestWriter;
use biomarker_tables::plink::BimRecord;
use biomarker_tables::{Cell, FileDigest, GwasTable, RowBatch, TableKind};

use super::config::OutputFormat;
use super::format::{log10p, push_g6, push_int, push_p_from_ln};
use super::TestResult;
use crate::error::{AssocError, Result};

/// A phenotype's name and model, as the writers need them.
#[derive(Debug, Clone)]
pub struct PhenoInfo {
    /// Column name.
    pub name: String,
    /// Case/control (logistic) rather than quantitative (linear).
    pub binary: bool,
}

struct Text {
    path: PathBuf,
    out: BufWriter<DigestWriter<File>>,
    file: AtomicFile,
    meta: Option<PathBuf>,
}

/// One variant's text lines, one per phenotype, and the numbers the table and the summary
/// derive from each result, computed once on a worker thread rather than on the writer's.
pub struct Rendered {
    /// Every phenotype's line, one after another.
    text: String,
    /// Where each phenotype's line ends in `text`.
    ends: Vec<usize>,
    /// Each phenotype's p (0 where it underflows).
    pub p: Vec<f64>,
    /// Each phenotype's −log10 p.
    pub log10p: Vec<f64>,
}

/// Formats results; cheap to clone and shared by the worker threads.
#[derive(Debug, Clone)]
pub struct Renderer {
    format: OutputFormat,
    phenos: Vec<PhenoInfo>,
}

/// Appends the fields to `out`, each followed by `sep` but the last, then a newline.
/// Numbers are formatted in place: a line costs no allocation beyond `out` growing.
fn line(out: &mut String, sep: char, fields: &[Field<'_>]) {
    line_of_parts(out, sep, &[fields]);
}

/// [`line`] of the fields of `parts` one after the other, for lines whose formats differ
/// by a field in the middle.
fn line_of_parts(out: &mut String, sep: char, parts: &[&[Field<'_>]]) {
    for (i, f) in parts.iter().flat_map(|p| p.iter()).enumerate() {
        if i > 0 {
            out.push(sep);
        }
        match *f {
            Field::Str(s) => out.push_str(s),
            Field::Int(v) => push_int(out, v),
            Field::G6(x) => push_g6(out, x),
            Field::P(ln_p) => push_p_from_ln(out, ln_p),
            // GWAS-SSF marks a missing value as `#NA`.
            Field::G6Ssf(x) if x.is_nan() => out.push_str("#NA"),
            Field::G6Ssf(x) => push_g6(out, x),
            Field::PSsf(ln_p) if ln_p.is_nan() => out.push_str("#NA"),
            Field::PSsf(ln_p) => push_p_from_ln(out, ln_p),
        }
    }
    out.push('\n');
}

/// One field of a text line.
enum Field<'a> {
    Str(&'a str),
    Int(i64),
    G6(f64),
    P(f64),
    G6Ssf(f64),
    PSsf(f64),
}

impl Renderer {
    /// Formats one variant's results (`results[i]` belongs to phenotype `i`): the text line
    /// of each phenotype. Pure, so blocks of variants render in parallel.
    pub fn render(&self, v: &BimRecord, a1_alt: bool, results: &[TestResult]) -> Rendered {
        use Field::{Int, Str, G6, P};
        let (a1, omitted) = if a1_alt {
            (&v.alt, &v.reference)
        } else {
            (&v.reference, &v.alt)
        };
        let mut text = String::with_capacity(results.len() * 96);
        let mut ends = Vec::with_capacity(results.len());
        let p_values = results.iter().map(|r| r.ln_p.exp()).collect();
        let log10_p: Vec<f64> = results.iter().map(|r| log10p(r.ln_p)).collect();
        for ((r, ph), &r_log10p) in results.iter().zip(&self.phenos).zip(&log10_p) {
            let err = r.err.map_or(".", |e| e.as_str());
            let (chrom, pos, id) = (Str(&v.chrom), Int(v.pos), Str(&v.id));
            let obs = Int(r.obs_ct as i64);
            match (self.format, ph.binary) {
                (OutputFormat::Plink2, binary) => {
                    // The logistic table has FIRTH? after A1_FREQ, and the odds ratio e^β
                    // where the linear one has β.
                    let firth = [Str(if r.firth == Some(true) { "Y" } else { "N" })];
                    let firth: &[Field] = if binary { &firth } else { &[] };
                    let effect = if binary { r.beta.exp() } else { r.beta };
                    line_of_parts(
                        &mut text,
                        '\t',
                        &[
                            &[
                                chrom,
                                pos,
                                id,
                                Str(&v.reference),
                                Str(&v.alt),
                                Str("Y"),
                                Str(a1),
                                Str(omitted),
                                G6(r.a1_freq),
                            ],
                            firth,
                            &[
                                Str("ADD"),
                                obs,
                                G6(effect),
                                G6(r.se),
                                G6(r.stat),
                                P(r.ln_p),
                                Str(err),
                            ],
                        ],
                    );
                }
                (OutputFormat::Regenie, _) => line(
                    &mut text,
                    ' ',
                    &[
                        chrom,
                        pos,
                        id,
                        Str(omitted),
                        Str(a1),
                        G6(r.a1_freq),
                        obs,
                        Str("ADD"),
                        G6(r.beta),
                        G6(r.se),
                        G6(r.stat * r.stat),
                        G6(r_log10p),
                    ],
                ),
                (OutputFormat::Ssf, _) => line(
                    &mut text,
                    '\t',
                    &[
                        chrom,
                        pos,
                        Str(a1),
                        Str(omitted),
                        Field::G6Ssf(r.beta),
                        Field::G6Ssf(r.se),
                        Field::G6Ssf(r.a1_freq),
                        Field::PSsf(r.ln_p),
                        id,
                        obs,
                    ],
                ),
            }
            ends.push(text.len());
        }
        Rendered {
            text,
            ends,
            p: p_values,
            log10p: log10_p,
        }
    }
}

/// The open outputs of a scan.
pub struct Outputs {
    renderer: Renderer,
    texts: Vec<Text>,
    sink: FrameSink,
    pending: Pending,
}

/// GwasTable rows not yet written, appended straight into Arrow column builders on the
/// writer's thread: no record per row to build and convert, no `String` per text cell.
struct Pending {
    batch: RowBatch,
}

impl Default for Pending {
    fn default() -> Self {
        Self {
            batch: RowBatch::new(&GwasTable::frame_of(&[])),
        }
    }
}

impl Pending {
    /// Appends one result; `p` and `log10p` are its p and −log10 p.
    fn push(
        &mut self,
        v: &BimRecord,
        a1_alt: bool,
        (r, p, log10p): (&TestResult, f64, f64),
        ph: &PhenoInfo,
    ) {
        use Cell::{Str, I64};
        let (a1, omitted) = if a1_alt {
            (&v.alt, &v.reference)
        } else {
            (&v.reference, &v.alt)
        };
        let float = |x: f64| {
            if x.is_finite() {
                Cell::F64(x)
            } else {
                Cell::Null
            }
        };
        // In GwasTable::COLUMNS order.
        self.batch.push_row(&[
            Str(&ph.name),
            Str(&v.chrom),
            I64(v.pos),
            Str(&v.id),
            Str(&v.reference),
            Str(&v.alt),
            Str(a1),
            Str(omitted),
            float(r.a1_freq),
            Str(if ph.binary { "logistic" } else { "linear" }),
            r.firth.map_or(Cell::Null, Cell::Bool),
            Str("ADD"),
            I64(r.obs_ct as i64),
            float(r.beta),
            float(r.se),
            float(r.stat),
            float(p),
            float(log10p),
            r.err.map_or(Cell::Null, |e| Str(e.as_str())),
        ]);
    }

    fn rows(&self) -> usize {
        self.batch.rows()
    }

    /// Writes the pending rows; the builders start the next batch.
    fn write_to(&mut self, sink: &mut FrameSink) -> Result<()> {
        Ok(sink.write_rows(&mut self.batch)?)
    }
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> AssocError + '_ {
    move |e| AssocError::Io {
        path: path.to_path_buf(),
        source: e,
    }
}

/// The text file of one phenotype in a layout.
pub fn text_path(dir: &Path, name: &str, binary: bool, format: OutputFormat) -> PathBuf {
    dir.join(match (format, binary) {
        (OutputFormat::Plink2, false) => format!("{name}.glm.linear"),
        (OutputFormat::Plink2, true) => format!("{name}.glm.logistic.hybrid"),
        (OutputFormat::Regenie, _) => format!("{name}.regenie"),
        (OutputFormat::Ssf, _) => format!("{name}.ssf.tsv"),
    })
}

fn header(format: OutputFormat, binary: bool) -> &'static str {
    match (format, binary) {
        (OutputFormat::Plink2, false) => {
            "#CHROM\tPOS\tID\tREF\tALT\tPROVISIONAL_REF?\tA1\tOMITTED\tA1_FREQ\tTEST\tOBS_CT\tBETA\tSE\tT_STAT\tP\tERRCODE"
        }
        (OutputFormat::Plink2, true) => {
            "#CHROM\tPOS\tID\tREF\tALT\tPROVISIONAL_REF?\tA1\tOMITTED\tA1_FREQ\tFIRTH?\tTEST\tOBS_CT\tOR\tLOG(OR)_SE\tZ_STAT\tP\tERRCODE"
        }
        (OutputFormat::Regenie, _) => "CHROM GENPOS ID ALLELE0 ALLELE1 A1FREQ N TEST BETA SE CHISQ LOG10P",
        (OutputFormat::Ssf, _) => {
            "chromosome\tbase_pair_location\teffect_allele\tother_allele\tbeta\tstandard_error\teffect_allele_frequency\tp_value\tvariant_id\tn"
        }
    }
}

impl Outputs {
    /// The formatter for this scan's outputs.
    pub fn renderer(&self) -> Renderer {
        self.renderer.clone()
    }

    /// Opens every output in `dir` (which must exist).
    pub fn create(dir: &Path, phenos: Vec<PhenoInfo>, format: OutputFormat) -> Result<Self> {
        let mut texts = Vec::with_capacity(phenos.len());
        for ph in &phenos {
            let path = text_path(dir, &ph.name, ph.binary, format);
            let mut file = AtomicFile::create(&path)?;
            let handle = file.file().try_clone().map_err(io_err(&path))?;
            let mut out = BufWriter::with_capacity(1 << 16, DigestWriter::new(handle));
            writeln!(out, "{}", header(format, ph.binary)).map_err(io_err(&path))?;
            let meta = (format == OutputFormat::Ssf).then(|| {
                let mut s = path.as_os_str().to_owned();
                s.push("-meta.yaml");
                PathBuf::from(s)
            });
            texts.push(Text {
                path,
                out,
                file,
                meta,
            });
        }
        let parquet_path = dir.join("gwas.parquet");
        let mut template = GwasTable::frame_of(&[]);
        template
            .metadata
            .insert("format".into(), "biomarker-gwas scan".into());
        let sink = FrameSink::create(&parquet_path, &template, GwasTable::schema())?;
        Ok(Self {
            renderer: Renderer { format, phenos },
            texts,
            sink,
            pending: Pending::default(),
        })
    }

    /// Appends one variant: its rendered lines and its results (`results[i]` belongs to
    /// phenotype `i`) for the table.
    pub fn write(
        &mut self,
        v: &BimRecord,
        a1_alt: bool,
        results: &[TestResult],
        rendered: &Rendered,
    ) -> Result<()> {
        let mut start = 0;
        for (&end, t) in rendered.ends.iter().zip(&mut self.texts) {
            t.out
                .write_all(&rendered.text.as_bytes()[start..end])
                .map_err(io_err(&t.path))?;
            start = end;
        }
        for (p, ph) in self.renderer.phenos.iter().enumerate() {
            let result = (&results[p], rendered.p[p], rendered.log10p[p]);
            self.pending.push(v, a1_alt, result, ph);
        }
        if self.pending.rows() >= 16_384 {
            self.flush_table()?;
        }
        Ok(())
    }

    fn flush_table(&mut self) -> Result<()> {
        if self.pending.rows() > 0 {
            self.pending.write_to(&mut self.sink)?;
            // Hundreds of megabytes of results would otherwise wait in the page cache for the
            // sync at the end, which then takes a noticeable part of the whole scan.
            self.sink.start_writeback();
            for t in &mut self.texts {
                t.file.start_writeback();
            }
        }
        Ok(())
    }

    /// Completes every file and moves it into place; returns the files written with their
    /// sizes and SHA-256 (hashed as they were written: no second read).
    pub fn finish(mut self) -> Result<Vec<FileDigest>> {
        self.flush_table()?;
        let mut written = Vec::new();
        for (t, ph) in self.texts.into_iter().zip(&self.renderer.phenos) {
            let Text {
                path,
                out,
                file,
                meta,
            } = t;
            let hashed = out
                .into_inner()
                .map_err(|e| e.into_error())
                .map_err(io_err(&path))?;
            let (digest, _) = hashed.finish(&path);
            if let Some(meta) = meta {
                let yaml = format!(
                    "# GWAS-SSF metadata\nfile_type: GWAS-SSF v1.0\ndata_file_name: {}\nis_harmonised: false\nis_sorted: false\n\
                     genotyping_technology: [Genome-wide genotyping array]\ntrait_description: [{}]\n\
                     effect_statistic: {}\npvalue_isneglog10: false\nanalysis_software: biomarker-gwas {}\n",
                    path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
                    ph.name,
                    if ph.binary { "log_odds_ratio" } else { "beta" },
                    env!("CARGO_PKG_VERSION")
                );
                biomarker_tables::atomic::write_atomic(&meta, |w| w.write_all(yaml.as_bytes()))?;
                written.push(FileDigest::of(&meta)?);
            }
            file.commit()?;
            written.push(digest);
        }
        written.push(self.sink.finish_with_digest()?);
        Ok(written)
    }
}
