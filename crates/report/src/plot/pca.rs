//! PCA figures: explained variance ratio of each structure's components (horizontal bars),
//! and the latent space (the first two feature columns of each structure) as small multiples
//! coloured by diagnosis.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{err, palette, DrawResult, Plot};
use crate::inputs::VarianceTable;

/// Explained-variance bars.
#[derive(Debug, Clone)]
pub struct VariancePlot {
    /// The table.
    pub table: VarianceTable,
    /// Width in pixels (height follows the number of bars).
    pub width: u32,
}

impl Plot for VariancePlot {
    fn name(&self) -> String {
        "PCA explained variance".into()
    }

    fn size(&self) -> (u32, u32) {
        (self.width, 90 + 22 * self.table.rows.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        area.fill(&WHITE).map_err(err)?;
        let rows = &self.table.rows;
        let n = rows.len().max(1) as i32;
        let labels: Vec<String> = rows
            .iter()
            .map(|r| format!("{} PC{}", r.structure, r.component))
            .collect();
        let structures = self.table.structures();
        let x_max = rows.iter().map(|r| r.ratio).fold(0.0, f64::max).max(0.05) * 1.1;
        let mut chart = ChartBuilder::on(area)
            .caption("Explained variance ratio", ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(200)
            .build_cartesian_2d(0.0..x_max, (0..n).into_segmented())
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(230, 230, 230))
            .y_labels(labels.len().max(1))
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .x_desc("Fraction of variance")
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 13))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(rows.iter().enumerate().map(|(i, r)| {
                let k = structures
                    .iter()
                    .position(|s| *s == r.structure)
                    .unwrap_or(0);
                let i = i as i32;
                let mut bar = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(i)),
                        (r.ratio, SegmentValue::Exact(i + 1)),
                    ],
                    palette(k).filled(),
                );
                bar.set_margin(3, 3, 0, 0);
                bar
            }))
            .map_err(err)?;
        Ok(())
    }
}

/// One structure's latent scatter.
#[derive(Debug, Clone, PartialEq)]
pub struct LatentPanel {
    /// Structure.
    pub structure: String,
    /// Axis names (feature columns).
    pub axes: (String, String),
    /// (x, y, group index).
    pub points: Vec<(f64, f64, usize)>,
}

/// Small multiples of latent scatters coloured by group (diagnosis).
#[derive(Debug, Clone)]
pub struct LatentPlot {
    /// Panels, one per structure.
    pub panels: Vec<LatentPanel>,
    /// Group labels (legend), indexed by the points' group index.
    pub groups: Vec<String>,
    /// Width of the figure in pixels.
    pub width: u32,
}

/// Panels per row of the latent figure.
const PER_ROW: usize = 3;

impl Plot for LatentPlot {
    fn name(&self) -> String {
        "latent space".into()
    }

    fn size(&self) -> (u32, u32) {
        let rows = self.panels.len().div_ceil(PER_ROW).max(1) as u32;
        (self.width, 40 + rows * (self.width / PER_ROW as u32))
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        area.fill(&WHITE).map_err(err)?;
        let (legend, grid) = area.split_vertically(40);
        let mut x = 10;
        for (k, g) in self.groups.iter().enumerate() {
            legend
                .draw(&Circle::new((x + 5, 20), 5, palette(k).filled()))
                .map_err(err)?;
            legend
                .draw(&Text::new(g.clone(), (x + 14, 14), ("sans-serif", 13)))
                .map_err(err)?;
            x += 30 + 8 * g.chars().count() as i32;
        }
        let rows = self.panels.len().div_ceil(PER_ROW).max(1);
        let cells = grid.split_evenly((rows, PER_ROW));
        for (panel, cell) in self.panels.iter().zip(cells.iter()) {
            let range = |f: fn(&(f64, f64, usize)) -> f64| {
                let (lo, hi) = panel
                    .points
                    .iter()
                    .map(f)
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                        (a.min(v), b.max(v))
                    });
                if lo.is_finite() && hi > lo {
                    let pad = (hi - lo) * 0.05;
                    (lo - pad)..(hi + pad)
                } else {
                    -1.0..1.0
                }
            };
            let mut chart = ChartBuilder::on(cell)
                .caption(&panel.structure, ("sans-serif", 14))
                .margin(6)
                .x_label_area_size(30)
                .y_label_area_size(45)
                .build_cartesian_2d(range(|p| p.0), range(|p| p.1))
                .map_err(err)?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_labels(4)
                .y_labels(4)
                .x_desc(panel.axes.0.clone())
                .y_desc(panel.axes.1.clone())
                .label_style(("sans-serif", 10))
                .axis_desc_style(("sans-serif", 11))
                .draw()
                .map_err(err)?;
            chart
                .draw_series(
                    panel
                        .points
                        .iter()
                        .map(|&(x, y, g)| Circle::new((x, y), 2, palette(g).mix(0.7).filled())),
                )
                .map_err(err)?;
        }
        Ok(())
    }
}
