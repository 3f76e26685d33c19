//! Manhattan plots: −log10 p against cumulative genomic position, chromosome labels at their
//! midpoints, alternating chromosome colours (or one colour per phenotype when several are
//! overlaid), lines at the genome-wide (5e−8) and suggestive (1e−5) thresholds, and the lead
//! variant of each significant locus marked and labelled. Points are thinned below −log10 p
//! = 3 when the plot is built ([`crate::thin`]), so drawing cost and SVG size depend on the
//! plot's width, not on the number of variants.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{err, palette, DrawResult, Plot};
use crate::genome::{chrom_label, AssocPoint, GenomeLayout};
use crate::thin::Thinning;

/// Left margin for the y axis labels, pixels.
const Y_LABEL_AREA: u32 = 60;
/// Right margin, pixels.
const RIGHT_MARGIN: u32 = 20;
/// Alternating chromosome colours of a single-phenotype plot.
const CHROM_COLOURS: [RGBColor; 2] = [RGBColor(31, 78, 121), RGBColor(111, 168, 220)];

/// Plot options.
#[derive(Debug, Clone, PartialEq)]
pub struct ManhattanOptions {
    /// Width and height in pixels.
    pub size: (u32, u32),
    /// Genome-wide significance line, −log10 p (5e−8).
    pub genome_wide: f64,
    /// Suggestive line, −log10 p (1e−5).
    pub suggestive: f64,
    /// Thinning threshold and band (columns follow the plot width).
    pub thin_threshold: f64,
    /// Height of a thinning cell below the threshold, −log10 p units.
    pub thin_band: f64,
}

impl Default for ManhattanOptions {
    fn default() -> Self {
        Self {
            size: (1400, 480),
            genome_wide: -(5e-8f64).log10(),
            suggestive: 5.0,
            thin_threshold: 3.0,
            thin_band: 0.5,
        }
    }
}

/// A labelled lead variant.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadMark {
    /// Label (the variant ID).
    pub label: String,
    /// Chromosome.
    pub chrom: String,
    /// Position.
    pub pos: i64,
    /// −log10 p.
    pub log10p: f64,
}

/// One phenotype's thinned points: (x, −log10 p, chromosome index).
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    /// Phenotype name (legend).
    pub name: String,
    /// Kept points.
    pub points: Vec<(f64, f64, usize)>,
    /// Points before thinning.
    pub n_total: usize,
}

/// A Manhattan plot of one or more phenotypes.
#[derive(Debug, Clone)]
pub struct ManhattanPlot {
    /// Title.
    pub title: String,
    /// Genome layout shared by every track.
    pub layout: GenomeLayout,
    /// One track per phenotype.
    pub tracks: Vec<Track>,
    /// Leads to mark.
    pub leads: Vec<LeadMark>,
    /// Options.
    pub options: ManhattanOptions,
}

impl ManhattanPlot {
    /// Lays out and thins the phenotypes' points. The layout covers every point given.
    pub fn new(
        title: impl Into<String>,
        phenos: &[(String, Vec<AssocPoint>)],
        leads: Vec<LeadMark>,
        options: ManhattanOptions,
    ) -> Self {
        let layout = GenomeLayout::from_positions(
            phenos
                .iter()
                .flat_map(|(_, pts)| pts.iter().map(|p| (p.chrom.as_str(), p.pos))),
        );
        let columns = options
            .size
            .0
            .saturating_sub(Y_LABEL_AREA + RIGHT_MARGIN)
            .max(1) as usize;
        let thinning = Thinning {
            threshold: options.thin_threshold,
            band: options.thin_band,
            columns,
        };
        let x_range = (0.0, layout.total());
        let tracks = phenos
            .iter()
            .map(|(name, pts)| {
                let mut chrom_of = Vec::with_capacity(pts.len());
                let mut xy = Vec::with_capacity(pts.len());
                let mut last: Option<(&str, usize)> = None;
                for p in pts {
                    // Points come grouped by chromosome: remember the last lookup.
                    let ci = match last {
                        Some((c, i)) if c == p.chrom => i,
                        _ => layout.index(&p.chrom).expect("layout covers every point"),
                    };
                    last = Some((&p.chrom, ci));
                    chrom_of.push(ci);
                    xy.push((layout.x(ci, p.pos), p.log10p));
                }
                let keep = thinning.keep(&xy, x_range);
                Track {
                    name: name.clone(),
                    points: keep
                        .into_iter()
                        .map(|i| (xy[i].0, xy[i].1, chrom_of[i]))
                        .collect(),
                    n_total: pts.len(),
                }
            })
            .collect();
        Self {
            title: title.into(),
            layout,
            tracks,
            leads,
            options,
        }
    }

    /// Points drawn over all tracks.
    pub fn n_drawn(&self) -> usize {
        self.tracks.iter().map(|t| t.points.len()).sum()
    }

    fn y_max(&self) -> f64 {
        let top = self
            .tracks
            .iter()
            .flat_map(|t| t.points.iter().map(|p| p.1))
            .fold(0.0f64, f64::max);
        (top * 1.08).max(self.options.genome_wide + 1.0)
    }
}

impl Plot for ManhattanPlot {
    fn name(&self) -> String {
        format!("Manhattan {}", self.title)
    }

    fn size(&self) -> (u32, u32) {
        self.options.size
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        area.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", 20))
            .margin_right(RIGHT_MARGIN)
            .margin_left(8)
            .margin_top(8)
            .x_label_area_size(40)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(0.0..self.layout.total(), 0.0..self.y_max())
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(0)
            .x_desc("Chromosome")
            .y_desc("−log10 p")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 15))
            .draw()
            .map_err(err)?;
        // Chromosome names at their midpoints, just under the x axis.
        let label_style = TextStyle::from(("sans-serif", 13).into_font()).pos(text_anchor_top());
        for c in &self.layout.chroms {
            let (px, py) = chart.backend_coord(&(c.mid(), 0.0));
            area.draw(&Text::new(
                chrom_label(&c.name).to_owned(),
                (px, py + 6),
                label_style.clone(),
            ))
            .map_err(err)?;
        }
        let many = self.tracks.len() > 1;
        for (k, track) in self.tracks.iter().enumerate() {
            let colour = palette(k);
            let series = chart
                .draw_series(track.points.iter().map(|&(x, y, ci)| {
                    let c = if many { colour } else { CHROM_COLOURS[ci % 2] };
                    Circle::new((x, y), 2, c.filled())
                }))
                .map_err(err)?;
            if many {
                series
                    .label(track.name.clone())
                    .legend(move |(x, y)| Circle::new((x, y), 4, colour.filled()));
            }
        }
        let total = self.layout.total();
        for (level, colour) in [
            (self.options.genome_wide, RGBColor(200, 30, 30)),
            (self.options.suggestive, RGBColor(120, 120, 200)),
        ] {
            chart
                .draw_series(LineSeries::new(
                    [(0.0, level), (total, level)],
                    colour.stroke_width(1),
                ))
                .map_err(err)?;
        }
        let marks: Vec<(f64, &LeadMark)> = self
            .leads
            .iter()
            .filter_map(|l| {
                self.layout
                    .index(&l.chrom)
                    .map(|ci| (self.layout.x(ci, l.pos), l))
            })
            .collect();
        chart
            .draw_series(marks.iter().map(|(x, l)| {
                EmptyElement::at((*x, l.log10p))
                    + TriangleMarker::new((0, 0), 5, RGBColor(200, 30, 30).filled())
                    + Text::new(
                        l.label.clone(),
                        (0, -8),
                        TextStyle::from(("sans-serif", 12).into_font()).pos(text_anchor_bottom()),
                    )
            }))
            .map_err(err)?;
        if many {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(("sans-serif", 12))
                .draw()
                .map_err(err)?;
        }
        Ok(())
    }
}

/// Text anchored at its bottom centre (labels above a marker).
pub(crate) fn text_anchor_bottom() -> plotters::style::text_anchor::Pos {
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    Pos::new(HPos::Center, VPos::Bottom)
}

/// Text anchored at its top centre (axis labels under a point).
pub(crate) fn text_anchor_top() -> plotters::style::text_anchor::Pos {
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    Pos::new(HPos::Center, VPos::Top)
}
