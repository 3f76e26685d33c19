//! Helpers shared by the integration tests.

use std::path::PathBuf;

/// The crate's fixture folder.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name)
}

/// Reads a TSV fixture into header-less rows of fields.
pub fn tsv_rows(name: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

/// Relative difference.
pub fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

use biomarker_report::genome::AssocPoint;
use biomarker_tables::{GwasRecord, GwasTable};

/// A deterministic xorshift generator of uniforms in (0, 1).
pub struct Rng(u64);

impl Rng {
    /// Seeded generator.
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    /// Next uniform in (0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
}

/// Synthetic association points: `n` variants spread over chromosomes 1–22 (lengths
/// proportional to GRCh37's), null p-values except for peaks whose −log10 p decays with
/// distance from each given (chromosome, position, peak −log10 p).
pub fn synthetic_points(n: usize, seed: u64, peaks: &[(&str, i64, f64)]) -> Vec<AssocPoint> {
    const LEN_MB: [i64; 22] = [
        249, 243, 198, 191, 181, 171, 159, 146, 141, 136, 135, 134, 115, 107, 102, 90, 81, 78, 59,
        63, 48, 51,
    ];
    let total: i64 = LEN_MB.iter().sum();
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    for (c, len) in LEN_MB.iter().enumerate() {
        let k = (n as i64 * len / total) as usize;
        let chrom = (c + 1).to_string();
        for j in 0..k {
            let pos = 1 + (j as i64 * len * 1_000_000) / k as i64;
            let mut log10p = -rng.uniform().log10();
            for (pc, pp, top) in peaks {
                if *pc == chrom {
                    let d = (pos - pp).abs() as f64;
                    log10p = log10p.max(top * (-d / 60_000.0).exp() * (0.6 + 0.4 * rng.uniform()));
                }
            }
            out.push(AssocPoint {
                row: out.len(),
                chrom: chrom.clone(),
                pos,
                log10p,
            });
        }
    }
    out
}

/// A synthetic scan of `pheno` made of [`synthetic_points`]; variant IDs are `rs{chrom}_{k}`.
pub fn synthetic_scan(pheno: &str, n: usize, seed: u64, peaks: &[(&str, i64, f64)]) -> GwasTable {
    let mut counts = std::collections::HashMap::<String, usize>::new();
    let records = synthetic_points(n, seed, peaks)
        .into_iter()
        .map(|p| {
            let k = counts.entry(p.chrom.clone()).or_default();
            *k += 1;
            GwasRecord {
                pheno: pheno.into(),
                id: format!("rs{}_{}", p.chrom, *k - 1),
                chrom: p.chrom,
                pos: p.pos,
                reference: "A".into(),
                alt: "G".into(),
                a1: "G".into(),
                omitted: "A".into(),
                a1_freq: Some(0.3),
                model: "linear".into(),
                test: "ADD".into(),
                obs_ct: 1000,
                beta: Some(0.05),
                se: Some(0.01),
                p: Some(10f64.powf(-p.log10p)),
                log10p: Some(p.log10p),
                ..GwasRecord::default()
            }
        })
        .collect();
    GwasTable {
        records,
        metadata: Default::default(),
    }
}

/// Where tests leave plots for a person to look at.
pub fn plot_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-plots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Checks that an SVG document is well-formed XML with an `<svg>` root and returns the number
/// of elements named `name` in it.
pub fn svg_count(svg: &str, name: &[u8]) -> usize {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut count = 0;
    let mut root: Option<Vec<u8>> = None;
    let mut depth = 0i32;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                root.get_or_insert_with(|| e.name().as_ref().to_vec());
                depth += 1;
                count += usize::from(e.name().as_ref() == name);
            }
            Ok(Event::Empty(e)) => {
                root.get_or_insert_with(|| e.name().as_ref().to_vec());
                count += usize::from(e.name().as_ref() == name);
            }
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!(
                "SVG does not parse at byte {}: {e}",
                reader.buffer_position()
            ),
        }
    }
    assert_eq!(depth, 0, "unbalanced SVG");
    assert_eq!(
        root.as_deref(),
        Some(&b"svg"[..]),
        "root element is not <svg>"
    );
    count
}

/// Decodes a PNG and returns (width, height, RGB bytes).
pub fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Fraction of pixels in the rectangle [x0, x1) × [y0, y1) that are dark (all channels < 128).
pub fn dark_fraction(rgb: &[u8], width: u32, (x0, y0, x1, y1): (u32, u32, u32, u32)) -> f64 {
    let mut dark = 0usize;
    for y in y0..y1 {
        for x in x0..x1 {
            let i = 3 * (y * width + x) as usize;
            dark += usize::from(rgb[i] < 128 && rgb[i + 1] < 128 && rgb[i + 2] < 128);
        }
    }
    dark as f64 / ((x1 - x0) * (y1 - y0)) as f64
}

/// The trimmed text content of every `<text>` element of an SVG.
pub fn svg_texts(svg: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut out = Vec::new();
    let mut in_text = false;
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) if e.name().as_ref() == b"text" => {
                in_text = true;
                out.push(String::new());
            }
            Event::End(e) if e.name().as_ref() == b"text" => in_text = false,
            Event::Text(t) if in_text => {
                let s = t.decode().unwrap();
                out.last_mut().unwrap().push_str(s.trim());
            }
            Event::GeneralRef(r) if in_text => {
                let s = match r.as_ref() {
                    b"amp" => "&",
                    b"lt" => "<",
                    b"gt" => ">",
                    b"quot" => "\"",
                    b"apos" => "'",
                    _ => "?",
                };
                out.last_mut().unwrap().push_str(s);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// Finds a peer tool on PATH. In CI (the `CI` variable set) its absence fails the test; on a
/// developer machine the test is skipped with a message.
pub fn peer_tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is required in CI: run scripts/install/*.sh"
        );
        eprintln!("skipped: {name} not installed");
    }
    found
}
