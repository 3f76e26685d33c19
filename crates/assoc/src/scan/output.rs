//! Writing a scan's results as they stream in: the GwasTable (Parquet, every phenotype, one
//! row per variant × phenotype in variant order) and one text file per phenotype in PLINK 2's
//! `.glm.linear` / `.glm.logistic.hybrid` layout, REGENIE's or GWAS-SSF's. Every file is
//! written under a temporary name and moved into place only by [`Outputs::finish`], so a
//! failed or killed scan leaves nothing that looks complete.

use std::fs::File;
use std::io::{IoSlice, Write};
use std::path::{Path, PathBuf};

use biomarker_tables::atomic::AtomicFile;
use biomarker_tables::io::FrameSink;
use biomarker_tables::kinds::manifest::DigestWriter;
use biomarker_tables::plink::BimRecord;
use biomarker_tables::{FileDigest, GwasTable, TableKind};

use super::config::OutputFormat;
use super::format::{log10p, push_g6, push_int, push_p_from_ln};
use super::table::TableRows;
use super::tile::Tested;
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

/// One phenotype's text file. No buffer: the lines come in tiles' slices, gathered into one
/// system call per block.
struct Text {
    path: PathBuf,
    out: DigestWriter<File>,
    file: AtomicFile,
    meta: Option<PathBuf>,
}

/// A tile's text lines and the p-values that the table and the summaries derive from its
/// results, computed on a worker thread rather than on the writer's. The text is
/// phenotype-major (every line of phenotype 0, one per variant in order, then phenotype 1's,
/// …), so that the writer hands each file its lines as one slice, without copying them.
pub struct RenderedTile {
    /// The lines (ASCII).
    text: Vec<u8>,
    /// Where each phenotype's lines end in `text`.
    ends: Vec<usize>,
    /// p of variant `v` for phenotype `p` at `v × phenotypes + p` (0 where it underflows).
    pub p: Vec<f64>,
    /// −log10 p, laid out as `p`.
    pub log10p: Vec<f64>,
}

impl RenderedTile {
    /// The lines of phenotype `p`.
    pub fn lines(&self, p: usize) -> &[u8] {
        let start = if p == 0 { 0 } else { self.ends[p - 1] };
        &self.text[start..self.ends[p]]
    }
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

impl Renderer {
    /// Formats the results of a tile's variants (`tested[v].results[i]` belongs to
    /// phenotype `i`, `records[tested[v].index]` is the variant). Pure, so tiles render in
    /// parallel.
    pub fn render_tile(&self, records: &[BimRecord], tested: &[Tested]) -> RenderedTile {
        let n_pheno = self.phenos.len();
        let mut p_values = Vec::with_capacity(tested.len() * n_pheno);
        let mut log10_p = Vec::with_capacity(tested.len() * n_pheno);
        for t in tested {
            p_values.extend(t.results.iter().map(|r| r.p));
            log10_p.extend(t.results.iter().map(|r| log10p(r.ln_p)));
        }
        let mut text = Vec::with_capacity(tested.len() * n_pheno * 96);
        let mut ends = Vec::with_capacity(n_pheno);
        match self.format {
            OutputFormat::Plink2 => {
                self.plink2_lines(records, tested, &p_values, &mut text, &mut ends)
            }
            format => {
                for p in 0..n_pheno {
                    for (v, t) in tested.iter().enumerate() {
                        let at = v * n_pheno + p;
                        let r = &t.results[p];
                        let pl = (p_values[at], log10_p[at]);
                        other_line(format, &records[t.index], t.a1_alt, r, pl, &mut text);
                    }
                    ends.push(text.len());
                }
            }
        }
        RenderedTile {
            text,
            ends,
            p: p_values,
            log10p: log10_p,
        }
    }

    /// PLINK 2's lines of a tile, phenotype by phenotype. CHROM to OMITTED are formatted
    /// once per variant and A1_FREQ to OBS_CT once per run of phenotypes with the same
    /// values, rather than once per line: with dozens of phenotypes, formatting is a good
    /// part of the scan.
    fn plink2_lines(
        &self,
        records: &[BimRecord],
        tested: &[Tested],
        p_values: &[f64],
        text: &mut Vec<u8>,
        ends: &mut Vec<usize>,
    ) {
        let n_pheno = self.phenos.len();
        // Each variant's fields from CHROM to OMITTED, and where they end.
        let mut variant = Vec::with_capacity(tested.len() * 48);
        let mut variant_end = Vec::with_capacity(tested.len());
        // The shared fields of each (variant, phenotype), as a range of `shared`.
        let mut shared = Vec::new();
        let mut shared_at = Vec::with_capacity(tested.len() * n_pheno);
        for t in tested {
            let v = &records[t.index];
            let (a1, omitted) = alleles(v, t.a1_alt);
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
            variant_end.push(variant.len());
            let mut last: Option<(SharedKey, (usize, usize))> = None;
            for (r, ph) in t.results.iter().zip(&self.phenos) {
                let key = (r.a1_freq.to_bits(), r.obs_ct, r.firth, ph.binary);
                let range = match last {
                    Some((k, range)) if k == key => range,
                    _ => {
                        let start = shared.len();
                        push_shared(&mut shared, r, ph.binary);
                        (start, shared.len())
                    }
                };
                last = Some((key, range));
                shared_at.push(range);
            }
        }
        for (p, ph) in self.phenos.iter().enumerate() {
            for (v, t) in tested.iter().enumerate() {
                let r = &t.results[p];
                let at = v * n_pheno + p;
                let start = if v == 0 { 0 } else { variant_end[v - 1] };
                text.extend_from_slice(&variant[start..variant_end[v]]);
                let (s0, s1) = shared_at[at];
                text.extend_from_slice(&shared[s0..s1]);
                // The logistic table has the odds ratio e^β where the linear one has β.
                let effect = if ph.binary { r.beta.exp() } else { r.beta };
                for x in [effect, r.se, r.stat] {
                    push_g6(text, x);
                    text.push(b'\t');
                }
                push_p_from_ln(text, r.ln_p, p_values[at]);
                text.push(b'\t');
                text.extend_from_slice(r.err.map_or(".", |e| e.as_str()).as_bytes());
                text.push(b'\n');
            }
            ends.push(text.len());
        }
    }
}

/// What makes two phenotypes' A1_FREQ to OBS_CT fields equal.
type SharedKey = (u64, usize, Option<bool>, bool);

/// Appends `A1_FREQ [FIRTH?] TEST OBS_CT`, each followed by a tab.
fn push_shared(t: &mut Vec<u8>, r: &TestResult, binary: bool) {
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

/// A1 and the omitted allele of `v`.
pub(super) fn alleles(v: &BimRecord, a1_alt: bool) -> (&str, &str) {
    if a1_alt {
        (&v.alt, &v.reference)
    } else {
        (&v.reference, &v.alt)
    }
}

/// One REGENIE or GWAS-SSF line; `p` and `log10p` belong to `r`.
fn other_line(
    format: OutputFormat,
    v: &BimRecord,
    a1_alt: bool,
    r: &TestResult,
    (p, r_log10p): (f64, f64),
    text: &mut Vec<u8>,
) {
    use Field::{Int, Str, G6};
    let (a1, omitted) = alleles(v, a1_alt);
    let (chrom, pos, id) = (Str(&v.chrom), Int(v.pos), Str(&v.id));
    let obs = Int(r.obs_ct as i64);
    match format {
        OutputFormat::Plink2 => unreachable!("PLINK 2 lines are formatted per tile"),
        OutputFormat::Regenie => line(
            text,
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
            text,
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
}

/// The open outputs of a scan.
pub struct Outputs {
    renderer: Renderer,
    texts: Vec<Text>,
    sink: FrameSink,
    pending: TableRows,
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
            let mut out = DigestWriter::new(handle);
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
            pending: TableRows::default(),
        })
    }

    /// Appends a block of variants: its tiles' results (`tested[v].results[i]` belongs to
    /// phenotype `i` and the variant `records[tested[v].index]`) and their rendered lines.
    pub fn write_block(
        &mut self,
        records: &[BimRecord],
        tiles: &[(Vec<Tested>, RenderedTile)],
    ) -> Result<()> {
        let mut slices = Vec::with_capacity(tiles.len());
        for (p, t) in self.texts.iter_mut().enumerate() {
            slices.clear();
            slices.extend(tiles.iter().map(|(_, r)| IoSlice::new(r.lines(p))));
            write_all_vectored(&mut t.out, &mut slices).map_err(io_err(&t.path))?;
        }
        for (tested, rendered) in tiles {
            self.pending
                .push_tile(records, tested, rendered, &self.renderer.phenos);
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
            let (digest, _) = out.finish(&path);
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

/// Writes every byte of `slices` (consumed) to `out`, in as few system calls as it takes.
fn write_all_vectored(out: &mut impl Write, mut slices: &mut [IoSlice<'_>]) -> std::io::Result<()> {
    IoSlice::advance_slices(&mut slices, 0);
    while !slices.is_empty() {
        match out.write_vectored(slices) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut slices, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
