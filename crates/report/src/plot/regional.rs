//! Regional plots: −log10 p of one phenotype against position (Mb) around a lead variant,
//! each point coloured by its r² with the lead in LocusZoom's bins (grey where r² is
//! unknown), the lead drawn as a purple diamond and labelled.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::manhattan::text_anchor_bottom;
use super::{err, DrawResult, Plot};

/// LocusZoom's r² bins: upper bounds and colours, from low to high LD.
pub const R2_BINS: [(f64, RGBColor); 5] = [
    (0.2, RGBColor(53, 56, 143)),
    (0.4, RGBColor(132, 205, 236)),
    (0.6, RGBColor(102, 187, 73)),
    (0.8, RGBColor(247, 164, 32)),
    (1.0, RGBColor(230, 31, 38)),
];
/// Colour of points with unknown r².
pub const NO_R2: RGBColor = RGBColor(170, 170, 170);
/// Colour of the lead.
pub const LEAD: RGBColor = RGBColor(120, 40, 140);

/// The colour of an r² value.
pub fn r2_colour(r2: Option<f64>) -> RGBColor {
    match r2 {
        Some(r) => R2_BINS
            .iter()
            .find(|(hi, _)| r < *hi)
            .map_or(R2_BINS[4].1, |(_, c)| *c),
        None => NO_R2,
    }
}

/// One variant in the region.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionPoint {
    /// Position.
    pub pos: i64,
    /// −log10 p.
    pub log10p: f64,
    /// r² with the lead, where genotypes were given.
    pub r2: Option<f64>,
}

/// A regional plot.
#[derive(Debug, Clone)]
pub struct RegionalPlot {
    /// Title (lead ID, phenotype).
    pub title: String,
    /// Chromosome.
    pub chrom: String,
    /// The lead's ID.
    pub lead_id: String,
    /// The lead's position.
    pub lead_pos: i64,
    /// The lead's −log10 p.
    pub lead_log10p: f64,
    /// The other variants.
    pub points: Vec<RegionPoint>,
    /// Region start and end (bp).
    pub range: (i64, i64),
    /// Width and height in pixels.
    pub size: (u32, u32),
}

impl Plot for RegionalPlot {
    fn name(&self) -> String {
        format!("regional {}", self.title)
    }

    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        area.fill(&WHITE).map_err(err)?;
        let y_max = self
            .points
            .iter()
            .map(|p| p.log10p)
            .fold(self.lead_log10p, f64::max)
            .max(1.0)
            * 1.12;
        let (x0, x1) = (
            self.range.0 as f64 / 1e6,
            (self.range.1.max(self.range.0 + 1)) as f64 / 1e6,
        );
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", 17))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(x0..x1, 0.0..y_max)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(format!("Position on chromosome {} (Mb)", self.chrom))
            .y_desc("−log10 p")
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 14))
            .draw()
            .map_err(err)?;
        // Low-LD points first so the high-LD ones are drawn on top.
        let mut order: Vec<&RegionPoint> = self.points.iter().collect();
        order.sort_by(|a, b| a.r2.unwrap_or(-1.0).total_cmp(&b.r2.unwrap_or(-1.0)));
        chart
            .draw_series(
                order.iter().map(|p| {
                    Circle::new((p.pos as f64 / 1e6, p.log10p), 3, r2_colour(p.r2).filled())
                }),
            )
            .map_err(err)?;
        let lead = (self.lead_pos as f64 / 1e6, self.lead_log10p);
        chart
            .draw_series(std::iter::once(
                EmptyElement::at(lead)
                    + Polygon::new(vec![(0, -7), (6, 0), (0, 7), (-6, 0)], LEAD.filled())
                    + Text::new(
                        self.lead_id.clone(),
                        (0, -10),
                        TextStyle::from(("sans-serif", 13).into_font()).pos(text_anchor_bottom()),
                    ),
            ))
            .map_err(err)?;
        // r² legend in the top-right corner.
        let (right, top) = chart.backend_coord(&(x1, y_max));
        let (lx, ly) = (right - 95, top + 8);
        area.draw(&Text::new("r² with lead", (lx, ly), ("sans-serif", 12)))
            .map_err(err)?;
        let labels = ["< 0.2", "0.2–0.4", "0.4–0.6", "0.6–0.8", "≥ 0.8"];
        for (k, ((_, colour), label)) in R2_BINS.iter().rev().zip(labels.iter().rev()).enumerate() {
            let y = ly + 18 + 15 * k as i32;
            area.draw(&Circle::new((lx + 5, y + 5), 4, colour.filled()))
                .map_err(err)?;
            area.draw(&Text::new(*label, (lx + 14, y - 1), ("sans-serif", 11)))
                .map_err(err)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r2_bins_follow_locuszoom() {
        assert_eq!(r2_colour(None), NO_R2);
        assert_eq!(r2_colour(Some(0.0)), R2_BINS[0].1);
        assert_eq!(r2_colour(Some(0.2)), R2_BINS[1].1);
        assert_eq!(r2_colour(Some(0.79)), R2_BINS[3].1);
        assert_eq!(r2_colour(Some(0.8)), R2_BINS[4].1);
        assert_eq!(r2_colour(Some(1.0)), R2_BINS[4].1);
    }
}
