//! Joining the chunks of a scan into the outputs of the unsplit scan. Every chunk must be a
//! finished scan (its run manifest present, every output it lists present with the size and
//! SHA-256 recorded), all must share one identity hash (same inputs, parameters and version),
//! be numbered 1..N without gaps or repeats, and tile the unsplit selection of variants
//! exactly. The text files and the GwasTable are then concatenated in .bim order, streaming
//! (the table a batch of 16,384 rows at a time), and λGC comes from the same p-value
//! histogram an unsplit scan keeps ([`PHistogram`]), so the merged summary is the unsplit
//! scan's and memory does not grow with the number of variants.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use biomarker_tables::atomic::AtomicFile;
use biomarker_tables::io::FrameSink;
use biomarker_tables::parquet_io::ParquetFrames;
use biomarker_tables::{ColumnData, FileDigest, GwasTable, RunManifest, TableKind};

use super::record::{PhenoRecord, ScanSummary, SelectionRecord, HASH_IGNORES};
use super::summary::PHistogram;
use crate::error::{AssocError, Result};

/// The GwasTable's file name in a scan's folder.
pub const TABLE_NAME: &str = "gwas.parquet";
/// Rows per batch when the chunks' tables are copied (the scan's row-group size).
const TABLE_BATCH_ROWS: usize = 16_384;

/// The run manifest's file name in a scan's folder.
pub const MANIFEST_NAME: &str = "manifest.json";

/// A chunk folder with its manifest read.
#[derive(Debug, Clone)]
pub struct Chunk {
    /// The folder.
    pub dir: PathBuf,
    /// Its run manifest.
    pub manifest: RunManifest,
    /// Its summary.
    pub summary: ScanSummary,
}

impl Chunk {
    /// Reads `dir/manifest.json` and checks it is a scan's.
    pub fn open(dir: &Path) -> Result<Self> {
        let path = dir.join(MANIFEST_NAME);
        if !path.exists() {
            return Err(AssocError::input(
                dir,
                format!("no {MANIFEST_NAME}: not a finished scan (did the scan of this chunk fail or get killed?)"),
            ));
        }
        let manifest = RunManifest::read(&path)?;
        if manifest.subcommand != "scan" {
            return Err(AssocError::input(
                &path,
                format!("written by `{}`, not by `scan`", manifest.subcommand),
            ));
        }
        let summary: ScanSummary = serde_json::from_value(manifest.summary.clone()).map_err(|e| {
            AssocError::input(
                &path,
                format!("the summary lacks what merge needs ({e}); was it written by an older version?"),
            )
        })?;
        Ok(Self {
            dir: dir.to_path_buf(),
            manifest,
            summary,
        })
    }

    fn label(&self) -> String {
        let (k, n) = self.kn();
        format!("chunk {k}/{n} ({})", self.dir.display())
    }

    fn kn(&self) -> (usize, usize) {
        self.summary.chunk.map_or((1, 1), |c| (c.k, c.n))
    }

    /// The output file names its manifest lists, checked against the files on disk.
    fn verified_outputs(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for out in &self.manifest.outputs {
            let name = Path::new(&out.path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .ok_or_else(|| {
                    AssocError::input(
                        self.dir.join(MANIFEST_NAME),
                        format!("output path {:?} has no file name", out.path),
                    )
                })?;
            let path = self.dir.join(&name);
            if !path.exists() {
                return Err(AssocError::input(
                    &path,
                    format!("missing: {} lists it as an output", self.label()),
                ));
            }
            let now = FileDigest::of(&path)?;
            if now.bytes != out.bytes || now.sha256 != out.sha256 {
                return Err(AssocError::input(
                    &path,
                    format!(
                        "changed since the scan wrote it ({} bytes, SHA-256 {}; the manifest says {} bytes, {}): incomplete or modified",
                        now.bytes, now.sha256, out.bytes, out.sha256
                    ),
                ));
            }
            names.push(name);
        }
        names.sort();
        Ok(names)
    }
}

/// What a merge did.
#[derive(Debug, Clone)]
pub struct MergeReport {
    /// The merged summary (as an unsplit scan's, with exact λGC; `chunk` is None).
    pub summary: ScanSummary,
    /// The scan parameters of the chunks (those of chunk 1, `chunk` and `out` removed).
    pub scan_parameters: serde_json::Value,
    /// Number of chunks joined.
    pub chunks: usize,
    /// Files read (every chunk's outputs and manifest).
    pub inputs: Vec<PathBuf>,
    /// Files written.
    pub outputs: Vec<PathBuf>,
}

/// Names which parameters and inputs differ between two chunks' manifests.
fn differences(a: &RunManifest, b: &RunManifest) -> String {
    let mut diff = Vec::new();
    if a.version != b.version {
        diff.push(format!("version {} vs {}", a.version, b.version));
    }
    let empty = serde_json::Map::new();
    let (pa, pb) = (
        a.parameters.as_object().unwrap_or(&empty),
        b.parameters.as_object().unwrap_or(&empty),
    );
    let keys: std::collections::BTreeSet<&String> = pa.keys().chain(pb.keys()).collect();
    for k in keys {
        if !HASH_IGNORES.contains(&k.as_str()) && pa.get(k) != pb.get(k) {
            diff.push(format!(
                "--{} {} vs {}",
                k.replace('_', "-"),
                pa.get(k).unwrap_or(&serde_json::Value::Null),
                pb.get(k).unwrap_or(&serde_json::Value::Null)
            ));
        }
    }
    let name = |p: &str| {
        Path::new(p)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let sha_a: BTreeMap<String, &str> = a
        .inputs
        .iter()
        .map(|d| (name(&d.path), d.sha256.as_str()))
        .collect();
    for d in &b.inputs {
        match sha_a.get(&name(&d.path)) {
            Some(s) if *s == d.sha256 => {}
            Some(_) => diff.push(format!("input {} has different contents", name(&d.path))),
            None => diff.push(format!(
                "input {} is not an input of the other",
                name(&d.path)
            )),
        }
    }
    if diff.is_empty() {
        "the inputs' contents differ".into()
    } else {
        diff.join("; ")
    }
}

/// Checks that `chunks` are one whole scan and orders them in .bim order.
pub fn check(mut chunks: Vec<Chunk>) -> Result<Vec<Chunk>> {
    let Some(first) = chunks.first() else {
        return Err(AssocError::Option(
            "merge needs at least one chunk folder".into(),
        ));
    };
    let first = first.clone();
    for c in &chunks[1..] {
        if c.summary.scan_hash != first.summary.scan_hash {
            return Err(AssocError::input(
                c.dir.join(MANIFEST_NAME),
                format!(
                    "{} comes from different inputs or parameters than {} (scan hash {} vs {}): {}",
                    c.label(),
                    first.label(),
                    &c.summary.scan_hash[..12.min(c.summary.scan_hash.len())],
                    &first.summary.scan_hash[..12.min(first.summary.scan_hash.len())],
                    differences(&first.manifest, &c.manifest)
                ),
            ));
        }
    }
    let n = first.kn().1;
    if let Some(c) = chunks.iter().find(|c| c.kn().1 != n) {
        return Err(AssocError::input(
            &c.dir,
            format!(
                "{} is one of {} chunks, but {} is one of {n}",
                c.label(),
                c.kn().1,
                first.label()
            ),
        ));
    }
    let mut by_k: BTreeMap<usize, &Chunk> = BTreeMap::new();
    for c in &chunks {
        if let Some(other) = by_k.insert(c.kn().0, c) {
            return Err(AssocError::input(
                &c.dir,
                format!(
                    "chunk {}/{n} is given twice: {} and {}",
                    c.kn().0,
                    other.dir.display(),
                    c.dir.display()
                ),
            ));
        }
    }
    let missing: Vec<String> = (1..=n)
        .filter(|k| !by_k.contains_key(k))
        .map(|k| format!("{k}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(AssocError::Option(format!(
            "missing chunk{} {} of the scan in {}: every chunk 1..{n} must be given",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", "),
            first.dir.display()
        )));
    }
    let total = first.summary.selection.total;
    chunks.sort_by_key(|c| (c.summary.selection.start, c.summary.selection.end));
    let mut next = 0;
    let mut prev: Option<&Chunk> = None;
    for c in &chunks {
        let SelectionRecord {
            total: t,
            start,
            end,
        } = c.summary.selection;
        if t != total {
            return Err(AssocError::input(
                &c.dir,
                format!(
                    "{} is part of a selection of {t} variants, {} of {total}",
                    c.label(),
                    first.label()
                ),
            ));
        }
        if start < next {
            let p = prev.expect("a chunk precedes");
            return Err(AssocError::input(
                &c.dir,
                format!(
                    "{} (variants {start}..{end} of the selection) overlaps {} (variants {}..{})",
                    c.label(),
                    p.label(),
                    p.summary.selection.start,
                    p.summary.selection.end
                ),
            ));
        }
        if start > next {
            return Err(AssocError::input(
                &c.dir,
                format!(
                    "variants {next}..{start} of the selection are in no chunk (a gap before {})",
                    c.label()
                ),
            ));
        }
        next = end;
        prev = Some(c);
    }
    if next != total {
        return Err(AssocError::Option(format!(
            "variants {next}..{total} of the selection are in no chunk (after {})",
            prev.map(Chunk::label).unwrap_or_default()
        )));
    }
    Ok(chunks)
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> AssocError + '_ {
    move |e| AssocError::Io {
        path: path.to_path_buf(),
        source: e,
    }
}

/// Concatenates one text output of every chunk: all of the first, the others without their
/// header line (which must equal the first's).
fn concat_text(chunks: &[Chunk], name: &str, out: &Path) -> Result<PathBuf> {
    let target = out.join(name);
    let mut file = AtomicFile::create(&target)?;
    let handle = file.file().try_clone().map_err(io_err(&target))?;
    let mut w = BufWriter::with_capacity(1 << 16, handle);
    let mut header: Option<String> = None;
    for c in chunks {
        let path = c.dir.join(name);
        let mut r = BufReader::with_capacity(1 << 16, File::open(&path).map_err(io_err(&path))?);
        let mut first = String::new();
        r.read_line(&mut first).map_err(io_err(&path))?;
        match &header {
            None => {
                w.write_all(first.as_bytes()).map_err(io_err(&target))?;
                header = Some(first);
            }
            Some(h) if *h == first => {}
            Some(h) => {
                return Err(AssocError::input(
                    &path,
                    format!(
                        "line 1: header {:?} differs from the first chunk's {:?}",
                        first.trim_end(),
                        h.trim_end()
                    ),
                ))
            }
        }
        std::io::copy(&mut r, &mut w).map_err(io_err(&target))?;
    }
    w.flush().map_err(io_err(&target))?;
    drop(w);
    file.commit()?;
    Ok(target)
}

/// Merges the scans in `dirs` (chunks of one scan, in any order) into `out`.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<MergeReport> {
    let chunks = dirs
        .iter()
        .map(|d| Chunk::open(d))
        .collect::<Result<Vec<_>>>()?;
    let chunks = check(chunks)?;
    let names = chunks[0].verified_outputs()?;
    for c in &chunks[1..] {
        let other = c.verified_outputs()?;
        if other != names {
            return Err(AssocError::input(
                &c.dir,
                format!(
                    "{} wrote {other:?}, {} wrote {names:?}",
                    c.label(),
                    chunks[0].label()
                ),
            ));
        }
    }
    if !names.iter().any(|n| n == TABLE_NAME) {
        return Err(AssocError::input(
            &chunks[0].dir,
            format!("no {TABLE_NAME} among the outputs"),
        ));
    }
    std::fs::create_dir_all(out).map_err(io_err(out))?;
    let mut inputs = Vec::new();
    for c in &chunks {
        inputs.push(c.dir.join(MANIFEST_NAME));
        inputs.extend(names.iter().map(|n| c.dir.join(n)));
    }

    // The table, chunk by chunk and batch by batch; p-values counted per phenotype for λGC.
    let target = out.join(TABLE_NAME);
    let mut sink: Option<FrameSink> = None;
    let mut hist: BTreeMap<String, PHistogram> = BTreeMap::new();
    for c in &chunks {
        let path = c.dir.join(TABLE_NAME);
        let frames = ParquetFrames::open(&path, GwasTable::schema(), TABLE_BATCH_ROWS)?;
        if sink.is_none() {
            sink = Some(FrameSink::create(
                &target,
                &frames.empty_frame(),
                GwasTable::schema(),
            )?);
        }
        let sink = sink.as_mut().expect("created above");
        for frame in frames {
            let frame = frame?;
            if let (Some(ColumnData::Str(ph)), Some(ColumnData::F64(p))) =
                (frame.column("PHENO"), frame.column("P"))
            {
                for (ph, p) in ph.iter().zip(p) {
                    if let (Some(ph), Some(p)) = (ph, p) {
                        match hist.get_mut(ph) {
                            Some(h) => h.add(*p),
                            None => hist.entry(ph.clone()).or_default().add(*p),
                        }
                    }
                }
            }
            sink.write(&frame)?;
        }
    }
    let mut outputs = Vec::new();
    for name in names.iter().filter(|n| *n != TABLE_NAME) {
        if name.ends_with("-meta.yaml") {
            let target = out.join(name);
            let bytes = std::fs::read(chunks[0].dir.join(name))
                .map_err(io_err(&chunks[0].dir.join(name)))?;
            biomarker_tables::atomic::write_atomic(&target, |w| w.write_all(&bytes))?;
            outputs.push(target);
        } else {
            outputs.push(concat_text(&chunks, name, out)?);
        }
    }
    sink.expect("at least one chunk").finish()?;
    outputs.push(target);

    // The summary of the unsplit scan.
    let s0 = &chunks[0].summary;
    let mut phenotypes: Vec<PhenoRecord> = s0.phenotypes.clone();
    for ph in &mut phenotypes {
        ph.tested = 0;
        ph.firth = 0;
        ph.errcodes.clear();
        ph.top.clear();
    }
    for c in &chunks {
        if c.summary.phenotypes.len() != phenotypes.len() {
            return Err(AssocError::input(
                &c.dir,
                format!(
                    "{} tested other phenotypes than {}",
                    c.label(),
                    chunks[0].label()
                ),
            ));
        }
        for (m, p) in phenotypes.iter_mut().zip(&c.summary.phenotypes) {
            m.tested += p.tested;
            m.firth += p.firth;
            for (k, v) in &p.errcodes {
                *m.errcodes.entry(k.clone()).or_default() += v;
            }
            m.top.extend(p.top.iter().cloned());
        }
    }
    for ph in &mut phenotypes {
        // Stable: among equal p the earlier variant stays first, as in the unsplit scan.
        ph.top.sort_by(|a, b| b.log10p.total_cmp(&a.log10p));
        ph.top.truncate(10);
        ph.lambda_gc = hist.remove(&ph.phenotype).and_then(|h| h.lambda_gc());
    }
    let total = s0.selection.total;
    let summary = ScanSummary {
        scan_hash: s0.scan_hash.clone(),
        chunk: None,
        selection: SelectionRecord {
            total,
            start: 0,
            end: total,
        },
        samples: s0.samples,
        variants_selected: chunks.iter().map(|c| c.summary.variants_selected).sum(),
        variants_tested: chunks.iter().map(|c| c.summary.variants_tested).sum(),
        phenotype_groups: s0.phenotype_groups,
        covariates: s0.covariates.clone(),
        phenotypes,
    };
    let mut scan_parameters = chunks[0].manifest.parameters.clone();
    if let Some(o) = scan_parameters.as_object_mut() {
        for k in ["chunk", "chunks", "out"] {
            o.remove(k);
        }
    }
    Ok(MergeReport {
        summary,
        scan_parameters,
        chunks: chunks.len(),
        inputs,
        outputs,
    })
}
