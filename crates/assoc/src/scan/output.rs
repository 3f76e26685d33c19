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
    /// Every phenotype's line, one after another (ASCII).
    text: Vec<u8>,
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
fn line(out: &mut Vec<u8>, sep: u8, fields: &[Field<'_>]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(sep);
        }
        match *f {
            Field::Str(s) => out.extend_from_slice(s.as_bytes()),
            Field::Int(v) => push_int(out, v),
            Field::G6(x) => push_g6(out, x),
            // GWAS-SSF marks a missing value as `#NA`.
            Field::G6Ssf(x) if x.is_nan() => out.extend_from_slice(b"#NA"),
            Field::G6Ssf(x) => push_g6(out, x),
            Field::PSsf(ln_p, _) if ln_p.is_nan() => out.extend_from_slice(b"#NA"),
            Field::PSsf(ln_p, p) => push_p_from_ln(out, ln_p, p),
        }
    }
    out.push(b'\n');
}

/// One field of a REGENIE or GWAS-SSF line.
enum Field<'a> {
    Str(&'a str),
    Int(i64),
    G6(f64),
    G6Ssf(f64),
    /// `ln p` and `p`.
    PSsf(f64, f64),
}

/// The fields of a PLINK 2 line that every phenotype of a variant's group shares, from
/// A1_FREQ to OBS_CT, formatted once per run of phenotypes with the same values rather than
/// once per phenotype: with dozens of phenotypes, formatting is a good part of the scan.
#[derive(Default)]
struct SharedFields {
    key: Option<(u64, usize, Option<bool>, bool)>,
    text: Vec<u8>,
}

impl SharedFields {
    /// `A1_FREQ [FIRTH?] TEST OBS_CT`, each followed by a tab.
    fn of(&mut self, r: &TestResult, binary: bool) -> &[u8] {
        let key = (r.a1_freq.to_bits(), r.obs_ct, r.firth, binary);
        if self.key != Some(key) {
            self.key = Some(key);
            let t = &mut self.text;
            t.clear();
            push_g6(t, r.a1_freq);
            t.push(b'\t');
            // The logistic table has FIRTH? after A1_FREQ.
            if binary {
                t.extend_from_slice(if r.firth == Some(true) {
                    b"Y\t"
                } else {
                    b"N\t"
                });
            }
            t.extend_from_slice(b"ADD\t");
            push_int(t, r.obs_ct as i64);
            t.push(b'\t');
        }
        &self.text
    }
}

impl Renderer {
    /// Formats one variant's results (`results[i]` belongs to phenotype `i`): the text line
    /// of each phenotype. Pure, so blocks of variants render in parallel.
    pub fn render(&self, v: &BimRecord, a1_alt: bool, results: &[TestResult]) -> Rendered {
        use Field::{Int, Str, G6};
        let (a1, omitted) = if a1_alt {
            (&v.alt, &v.reference)
        } else {
            (&v.reference, &v.alt)
        };
        let mut text = Vec::with_capacity(results.len() * 96);
        let mut ends = Vec::with_capacity(results.len());
        let p_values: Vec<f64> = results.iter().map(|r| r.ln_p.exp()).collect();
        let log10_p: Vec<f64> = results.iter().map(|r| log10p(r.ln_p)).collect();
        // CHROM to OMITTED, the same on every phenotype's line.
        let mut variant = Vec::new();
        if self.format == OutputFormat::Plink2 {
            variant.extend_from_slice(v.chrom.as_bytes());
            variant.push(b'\t');
            push_int(&mut variant, v.pos);
            variant.push(b'\t');
            for s in [&v.id, &v.reference, &v.alt] {
                variant.extend_from_slice(s.as_bytes());
                variant.push(b'\t');
            }
            variant.extend_from_slice(b"Y\t");
            for s in [a1, omitted] {
                variant.extend_from_slice(s.as_bytes());
                variant.push(b'\t');
            }
        }
        let mut shared = SharedFields::default();
        for (((r, ph), &p), &r_log10p) in results
            .iter()
            .zip(&self.phenos)
            .zip(&p_values)
            .zip(&log10_p)
        {
            let (chrom, pos, id) = (Str(&v.chrom), Int(v.pos), Str(&v.id));
            let obs = Int(r.obs_ct as i64);
            match self.format {
                OutputFormat::Plink2 => {
                    text.extend_from_slice(&variant);
                    text.extend_from_slice(shared.of(r, ph.binary));
                    // The logistic table has the odds ratio e^β where the linear one has β.
                    let effect = if ph.binary { r.beta.exp() } else { r.beta };
                    for x in [effect, r.se, r.stat] {
                        push_g6(&mut text, x);
                        text.push(b'\t');
                    }
                    push_p_from_ln(&mut text, r.ln_p, p);
                    text.push(b'\t');
                    text.extend_from_slice(r.err.map_or(".", |e| e.as_str()).as_bytes());
                    text.push(b'\n');
                }
                OutputFormat::Regenie => line(
                    &mut text,
                    b' ',
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
                OutputFormat::Ssf => line(
                    &mut text,
                    b'\t',
                    &[
                        chrom,
                        pos,
                        Str(a1),
                        Str(omitted),
                        Field::G6Ssf(r.beta),
                        Field::G6Ssf(r.se),
                        Field::G6Ssf(r.a1_freq),
                        Field::PSsf(r.ln_p, p),
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
                .write_all(&rendered.text[start..end])
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
