//! Manhattan plot speed at 10^6 variants: layout + thinning, PNG rendering (with encoding)
//! and SVG rendering, each timed over repeated runs; medians are printed with the SVG and PNG
//! sizes. `--points FILE` also writes the points (x, −log10 p, chromosome index) as TSV for
//! the matplotlib comparison in scripts/bench-report.sh.
//!
//! cargo bench -p biomarker-report --bench manhattan -- [--reps N] [--points FILE]

use std::time::Instant;

use biomarker_report::genome::{AssocPoint, GenomeLayout};
use biomarker_report::plot::manhattan::{ManhattanOptions, ManhattanPlot};
use biomarker_report::plot::{render_png, render_svg};

const LEN_MB: [i64; 22] = [
    249, 243, 198, 191, 181, 171, 159, 146, 141, 136, 135, 134, 115, 107, 102, 90, 81, 78, 59, 63,
    48, 51,
];

fn points(n: usize) -> Vec<AssocPoint> {
    let total: i64 = LEN_MB.iter().sum();
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let mut out = Vec::with_capacity(n);
    for (c, len) in LEN_MB.iter().enumerate() {
        let k = (n as i64 * len / total) as usize;
        let chrom = (c + 1).to_string();
        for j in 0..k {
            let pos = 1 + (j as i64 * len * 1_000_000) / k as i64;
            let mut log10p = -uniform().log10();
            if c == 18 {
                let d = (pos - 45_411_941).abs() as f64;
                log10p = log10p.max(40.0 * (-d / 60_000.0).exp());
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

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let reps: usize = value("--reps").and_then(|v| v.parse().ok()).unwrap_or(7);
    let n = 1_000_000;
    let pts = points(n);
    let phenos = vec![("bench".to_owned(), pts)];
    let (mut build, mut png, mut svg) = (Vec::new(), Vec::new(), Vec::new());
    let (mut png_bytes, mut svg_bytes, mut drawn) = (0, 0, 0);
    for _ in 0..reps {
        let t = Instant::now();
        let plot = ManhattanPlot::new("bench", &phenos, vec![], ManhattanOptions::default());
        build.push(t.elapsed().as_secs_f64());
        drawn = plot.n_drawn();
        let t = Instant::now();
        png_bytes = render_png(&plot).expect("PNG").len();
        png.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        svg_bytes = render_svg(&plot).expect("SVG").len();
        svg.push(t.elapsed().as_secs_f64());
    }
    let (b, p, s) = (median(build), median(png), median(svg));
    println!("variants\t{n}\nmarks_drawn\t{drawn}\nreps\t{reps}");
    println!(
        "median_layout_thin_s\t{b:.4}\nmedian_png_render_s\t{p:.4}\nmedian_svg_render_s\t{s:.4}"
    );
    println!(
        "median_png_total_s\t{:.4}\nmedian_svg_total_s\t{:.4}",
        b + p,
        b + s
    );
    println!("png_bytes\t{png_bytes}\nsvg_bytes\t{svg_bytes}");
    if let Some(path) = value("--points") {
        let mut text = String::from("x\tlog10p\tchrom_index\n");
        let layout =
            GenomeLayout::from_positions(phenos[0].1.iter().map(|p| (p.chrom.as_str(), p.pos)));
        for p in &phenos[0].1 {
            let ci = layout.index(&p.chrom).expect("chromosome");
            text.push_str(&format!("{}\t{}\t{ci}\n", layout.x(ci, p.pos), p.log10p));
        }
        std::fs::write(&path, text).expect("writing points");
    }
}
