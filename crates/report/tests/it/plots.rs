//! Plots: SVGs parse, PNGs decode and are not blank, labels are drawn, thinning keeps the
//! SVG small. Every figure is also written under the test target folder for a person to look
//! at (`report-plots/`).

use biomarker_report::genome::{phenotypes, points_of};
use biomarker_report::inputs::{TrainingLog, VarianceTable};
use biomarker_report::loci::{hits, merge_by_distance};
use biomarker_report::plot::manhattan::{LeadMark, ManhattanOptions, ManhattanPlot};
use biomarker_report::plot::pca::{LatentPanel, LatentPlot, VariancePlot};
use biomarker_report::plot::qq::QqPlot;
use biomarker_report::plot::regional::{RegionPoint, RegionalPlot};
use biomarker_report::plot::training::TrainingPlot;
use biomarker_report::plot::{render, Figure};

use crate::common::{dark_fraction, decode_png, plot_dir, svg_count, svg_texts, synthetic_scan};

fn keep(name: &str, fig: &Figure) {
    let dir = plot_dir();
    std::fs::write(dir.join(format!("{name}.svg")), &fig.svg).unwrap();
    if let Some(png) = &fig.png {
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
}

fn check_png(fig: &Figure, size: (u32, u32)) -> Vec<u8> {
    let (w, h, rgb) = decode_png(fig.png.as_ref().unwrap());
    assert_eq!((w, h), size);
    let non_white = rgb.chunks(3).filter(|p| p != &[255, 255, 255]).count();
    assert!(
        non_white > (w * h / 200) as usize,
        "PNG nearly blank: {non_white} coloured pixels"
    );
    rgb
}

#[test]
fn manhattan_has_every_significant_point_labels_and_text() {
    let table = synthetic_scan(
        "hippocampus_PC1",
        60_000,
        1,
        &[("19", 45_411_941, 40.0), ("6", 32_000_000, 12.0)],
    );
    let pts = points_of(&table, "hippocampus_PC1");
    let loci = merge_by_distance(&hits(std::slice::from_ref(&table), 7.30103), 250_000);
    assert_eq!(loci.len(), 2, "{loci:?}");
    let leads = loci
        .iter()
        .map(|l| LeadMark {
            label: l.lead.id.clone(),
            chrom: l.lead.chrom.clone(),
            pos: l.lead.pos,
            log10p: l.lead.log10p,
        })
        .collect();
    let opts = ManhattanOptions::default();
    let plot = ManhattanPlot::new(
        "hippocampus_PC1",
        &[("hippocampus_PC1".into(), pts.clone())],
        leads,
        opts.clone(),
    );
    let above = pts.iter().filter(|p| p.log10p >= 3.0).count();
    let drawn = plot.n_drawn();
    assert!(
        drawn < pts.len() / 3,
        "thinning kept {drawn} of {}",
        pts.len()
    );
    let fig = render(&plot, true).unwrap();
    keep("manhattan", &fig);
    // every circle drawn is one point (the legend is off for one phenotype)
    assert_eq!(svg_count(&fig.svg, b"circle"), drawn);
    assert!(drawn >= above);
    let texts = svg_texts(&fig.svg);
    for l in &loci {
        assert!(
            texts.contains(&l.lead.id),
            "lead {} not labelled",
            l.lead.id
        );
    }
    for c in 1..=22 {
        assert!(
            texts.contains(&c.to_string()),
            "chromosome label {c} missing"
        );
    }
    let rgb = check_png(&fig, opts.size);
    // text under the x axis (chromosome labels and axis title) is rasterised
    let (w, h) = opts.size;
    assert!(
        dark_fraction(&rgb, w, (60, h - 40, w - 20, h)) > 0.002,
        "no text under the x axis"
    );
    // caption at the top
    assert!(
        dark_fraction(&rgb, w, (w / 2 - 100, 0, w / 2 + 100, 30)) > 0.01,
        "no caption"
    );
}

#[test]
fn multi_phenotype_manhattan_has_a_legend_entry_per_phenotype() {
    let a = synthetic_scan("caudate_PC1", 20_000, 2, &[("3", 50_000_000, 15.0)]);
    let b = synthetic_scan("putamen_PC1", 20_000, 3, &[("11", 60_000_000, 9.0)]);
    let phenos: Vec<(String, _)> = [&a, &b]
        .iter()
        .flat_map(|t| {
            phenotypes(t)
                .into_iter()
                .map(|p| (p.clone(), points_of(t, &p)))
        })
        .collect();
    let plot = ManhattanPlot::new(
        "all phenotypes",
        &phenos,
        vec![],
        ManhattanOptions::default(),
    );
    let fig = render(&plot, true).unwrap();
    keep("manhattan_all", &fig);
    assert_eq!(svg_count(&fig.svg, b"circle"), plot.n_drawn() + 2);
    assert!(fig.svg.contains("caudate_PC1") && fig.svg.contains("putamen_PC1"));
    check_png(&fig, (1400, 480));
}

#[test]
fn qq_plot_prints_lambda_and_draws_the_band() {
    let table = synthetic_scan("thalamus_PC1", 30_000, 4, &[("2", 100_000_000, 10.0)]);
    let l: Vec<f64> = points_of(&table, "thalamus_PC1")
        .iter()
        .map(|p| p.log10p)
        .collect();
    let plot = QqPlot::new("thalamus_PC1", &l, (520, 520));
    let lambda = plot.data.lambda.unwrap();
    assert!((lambda - 1.0).abs() < 0.05, "{lambda}");
    let fig = render(&plot, true).unwrap();
    keep("qq", &fig);
    assert!(svg_texts(&fig.svg).contains(&format!("λGC = {lambda:.3}")));
    assert_eq!(svg_count(&fig.svg, b"polygon"), 1);
    check_png(&fig, (520, 520));
}

#[test]
fn regional_plot_colours_by_r2() {
    let points: Vec<RegionPoint> = (0..200)
        .map(|i| {
            let pos = 45_000_000 + i * 5_000;
            let d = ((pos - 45_500_000) as f64 / 100_000.0).abs();
            RegionPoint {
                pos,
                log10p: 20.0 * (-d).exp() + 0.5,
                r2: if i % 17 == 0 { None } else { Some((-d).exp()) },
            }
        })
        .collect();
    let plot = RegionalPlot {
        title: "rs429358 · hippocampus_PC1".into(),
        chrom: "19".into(),
        lead_id: "rs429358".into(),
        lead_pos: 45_500_000,
        lead_log10p: 21.0,
        points,
        range: (45_000_000, 46_000_000),
        size: (800, 420),
    };
    let fig = render(&plot, true).unwrap();
    keep("regional", &fig);
    assert!(fig.svg.contains("rs429358") && fig.svg.contains("r² with lead"));
    // 200 points + 5 legend dots
    assert_eq!(svg_count(&fig.svg, b"circle"), 205);
    check_png(&fig, (800, 420));
}

#[test]
fn training_and_pca_figures_render() {
    let mut text = String::new();
    for e in 1..=30 {
        let f = e as f64;
        text.push_str(&format!(
            "{{\"epoch\": {e}, \"losses\": {{\"reconstruction\": {}, \"structure\": {}, \"volume\": {}}}, \"val_losses\": {{\"reconstruction\": {}}}, \"weights\": {{\"reconstruction\": {}, \"structure\": {}, \"volume\": {}}}, \"seconds\": 2.0}}\n",
            0.8 / f.sqrt(), 2.0 * (-f / 8.0).exp() + 0.05, 1.0 / f, 0.85 / f.sqrt(), 1.0 + 0.3 * (1.0 - (-f / 10.0).exp()), 1.0 - 0.5 * (1.0 - (-f / 10.0).exp()), 1.0 + 0.2 * (1.0 - (-f / 10.0).exp())
        ));
    }
    let log = TrainingLog::parse(std::path::Path::new("log.jsonl"), &text).unwrap();
    let fig = render(
        &TrainingPlot {
            log,
            size: (1100, 400),
        },
        true,
    )
    .unwrap();
    keep("training", &fig);
    assert!(
        fig.svg.contains("GradNorm task weights")
            && fig.svg.contains("reconstruction (validation)")
    );
    check_png(&fig, (1100, 400));

    let var = VarianceTable::parse(
        std::path::Path::new("v.tsv"),
        "structure\tcomponent\texplained_variance_ratio\nhippocampus\t1\t0.42\nhippocampus\t2\t0.17\nthalamus\t1\t0.55\nthalamus\t2\t0.12\n",
    )
    .unwrap();
    let plot = VariancePlot {
        table: var,
        width: 700,
    };
    let fig = render(&plot, true).unwrap();
    keep("variance", &fig);
    assert!(fig.svg.contains("hippocampus PC2"));
    check_png(&fig, plot.size_for_test());

    let mut rng = crate::common::Rng::new(9);
    let panels = ["hippocampus", "thalamus", "caudate", "putamen"]
        .iter()
        .map(|s| LatentPanel {
            structure: (*s).into(),
            axes: ("PC1".into(), "PC2".into()),
            points: (0..300)
                .map(|i| (rng.uniform() + (i % 3) as f64 * 0.6, rng.uniform(), i % 3))
                .collect(),
        })
        .collect();
    let plot = LatentPlot {
        panels,
        groups: vec!["CN".into(), "MCI".into(), "AD".into()],
        width: 900,
    };
    let fig = render(&plot, true).unwrap();
    keep("latent", &fig);
    assert_eq!(svg_count(&fig.svg, b"circle"), 4 * 300 + 3);
    check_png(&fig, plot.size_for_test());
}

trait SizeForTest {
    fn size_for_test(&self) -> (u32, u32);
}
impl<P: biomarker_report::plot::Plot> SizeForTest for P {
    fn size_for_test(&self) -> (u32, u32) {
        self.size()
    }
}

#[test]
fn manhattan_svg_of_a_million_variants_stays_under_1_mb() {
    let pts = crate::common::synthetic_points(
        1_000_000,
        21,
        &[("19", 45_411_941, 50.0), ("2", 60_000_000, 15.0)],
    );
    assert!(pts.len() > 990_000);
    let plot = ManhattanPlot::new(
        "big",
        &[("big".into(), pts.clone())],
        vec![],
        ManhattanOptions::default(),
    );
    let above = pts.iter().filter(|p| p.log10p >= 3.0).count();
    assert!(
        plot.n_drawn() >= above && above > 900,
        "{} drawn, {above} above 3",
        plot.n_drawn()
    );
    let svg = biomarker_report::plot::render_svg(&plot).unwrap();
    assert!(
        svg.len() <= 1_000_000,
        "SVG of 10^6 variants is {} bytes",
        svg.len()
    );
    assert_eq!(svg_count(&svg, b"circle"), plot.n_drawn());
    eprintln!(
        "10^6 variants: {} marks drawn, SVG {} bytes",
        plot.n_drawn(),
        svg.len()
    );
}
