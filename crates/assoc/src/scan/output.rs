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
use biomarker_tables::plink::BimRecord;
use biomarker_tables::{GwasRecord, GwasTable, TableKind};

use super::config::OutputFormat;
use super::format::{g6, log10p, p_from_ln};
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
    out: BufWriter<File>,
    file: AtomicFile,
    meta: Option<PathBuf>,
}

/// One variant's formatted output: a text line and a table record per phenotype.
pub struct Rendered {
    lines: Vec<String>,
    records: Vec<GwasRecord>,
}

/// Formats results; cheap to clone and shared by the worker threads.
#[derive(Debug, Clone)]
pub struct Renderer {
    format: OutputFormat,
    phenos: Vec<PhenoInfo>,
}

impl Renderer {
    /// Formats one variant's results (`results[i]` belongs to phenotype `i`): the text line
    /// and the table record of each phenotype. Pure, so blocks of variants render in parallel.
    pub fn render(&self, v: &BimRecord, a1_alt: bool, results: &[TestResult]) -> Rendered {
        let (a1, omitted) = if a1_alt {
            (&v.alt, &v.reference)
        } else {
            (&v.reference, &v.alt)
        };
        let mut lines = Vec::with_capacity(results.len());
        let mut records = Vec::with_capacity(results.len());
        for (r, ph) in results.iter().zip(&self.phenos) {
            let err = r.err.map_or(".", |e| e.as_str());
            let freq = g6(r.a1_freq);
            let line = match (self.format, ph.binary) {
                (OutputFormat::Plink2, false) => format!(
                    "{}\t{}\t{}\t{}\t{}\tY\t{a1}\t{omitted}\t{freq}\tADD\t{}\t{}\t{}\t{}\t{}\t{err}\n",
                    v.chrom,
                    v.pos,
                    v.id,
                    v.reference,
                    v.alt,
                    r.obs_ct,
                    g6(r.beta),
                    g6(r.se),
                    g6(r.stat),
                    p_from_ln(r.ln_p)
                ),
                (OutputFormat::Plink2, true) => format!(
                    "{}\t{}\t{}\t{}\t{}\tY\t{a1}\t{omitted}\t{freq}\t{}\tADD\t{}\t{}\t{}\t{}\t{}\t{err}\n",
                    v.chrom,
                    v.pos,
                    v.id,
                    v.reference,
                    v.alt,
                    if r.firth == Some(true) { "Y" } else { "N" },
                    r.obs_ct,
                    g6(r.beta.exp()),
                    g6(r.se),
                    g6(r.stat),
                    p_from_ln(r.ln_p)
                ),
                (OutputFormat::Regenie, _) => format!(
                    "{} {} {} {omitted} {a1} {freq} {} ADD {} {} {} {}\n",
                    v.chrom,
                    v.pos,
                    v.id,
                    r.obs_ct,
                    g6(r.beta),
                    g6(r.se),
                    g6(r.stat * r.stat),
                    g6(log10p(r.ln_p))
                ),
                (OutputFormat::Ssf, _) => {
                    let na = |s: String| if s == "NA" { "#NA".to_owned() } else { s };
                    format!(
                        "{}\t{}\t{a1}\t{omitted}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                        v.chrom,
                        v.pos,
                        na(g6(r.beta)),
                        na(g6(r.se)),
                        na(freq.clone()),
                        na(p_from_ln(r.ln_p)),
                        v.id,
                        r.obs_ct
                    )
                }
            };
            lines.push(line);
            let some = |x: f64| x.is_finite().then_some(x);
            records.push(GwasRecord {
                pheno: ph.name.clone(),
                chrom: v.chrom.clone(),
                pos: v.pos,
                id: v.id.clone(),
                reference: v.reference.clone(),
                alt: v.alt.clone(),
                a1: a1.clone(),
                omitted: omitted.clone(),
                a1_freq: some(r.a1_freq),
                model: if ph.binary { "logistic" } else { "linear" }.into(),
                firth: r.firth,
                test: "ADD".into(),
                obs_ct: r.obs_ct as i64,
                beta: some(r.beta),
                se: some(r.se),
                stat: some(r.stat),
                p: some(r.ln_p.exp()),
                log10p: some(log10p(r.ln_p)),
                errcode: r.err.map(|e| e.as_str().to_owned()),
            });
        }
        Rendered { lines, records }
    }
}

/// The open outputs of a scan.
pub struct Outputs {
    renderer: Renderer,
    texts: Vec<Text>,
    parquet_path: PathBuf,
    sink: FrameSink,
    pending: Vec<GwasRecord>,
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
            let mut out = BufWriter::with_capacity(1 << 16, handle);
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
            parquet_path,
            sink,
            pending: Vec::new(),
        })
    }

    /// Appends one rendered variant.
    pub fn write(&mut self, rendered: Rendered) -> Result<()> {
        for (line, t) in rendered.lines.iter().zip(&mut self.texts) {
            t.out.write_all(line.as_bytes()).map_err(io_err(&t.path))?;
        }
        self.pending.extend(rendered.records);
        if self.pending.len() >= 16_384 {
            self.flush_table()?;
        }
        Ok(())
    }

    fn flush_table(&mut self) -> Result<()> {
        if !self.pending.is_empty() {
            self.sink.write(&GwasTable::frame_of(&self.pending))?;
            self.pending.clear();
        }
        Ok(())
    }

    /// Completes every file and moves it into place; returns the paths written.
    pub fn finish(mut self) -> Result<Vec<PathBuf>> {
        self.flush_table()?;
        let mut written = Vec::new();
        for (t, ph) in self.texts.into_iter().zip(&self.renderer.phenos) {
            let Text {
                path,
                mut out,
                file,
                meta,
            } = t;
            out.flush().map_err(io_err(&path))?;
            drop(out);
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
                written.push(meta);
            }
            file.commit()?;
            written.push(path);
        }
        self.sink.finish()?;
        written.push(self.parquet_path);
        Ok(written)
    }
}
