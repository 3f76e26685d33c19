//! QQ plots: observed against expected −log10 p with the y = x line, the 95% band of the
//! uniform order statistics and λGC printed. Points below −log10 p = 3 are thinned to one per
//! pixel column and row (the curve is monotone, so nothing visible is lost).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{err, DrawResult, Plot};
use crate::qq::QqData;
use crate::thin::Thinning;

/// A QQ plot of one phenotype.
#[derive(Debug, Clone)]
pub struct QqPlot {
    /// Title.
    pub title: String,
    /// The data (points already thinned).
    pub data: QqData,
    /// Width and height in pixels.
    pub size: (u32, u32),
}

impl QqPlot {
    /// A QQ plot of −log10 p values; points are thinned for a plot of `size`.
    pub fn new(title: impl Into<String>, log10p: &[f64], size: (u32, u32)) -> Self {
        let mut data = QqData::new(log10p);
        let max = data.points.first().map_or(1.0, |p| p.0.max(p.1)).max(1.0);
        let px = f64::from(size.1.max(1));
        let thin = Thinning {
            threshold: 3.0,
            band: max / px,
            columns: size.0.max(1) as usize,
        };
        let keep = thin.keep(
            &data.points,
            (0.0, data.points.first().map_or(1.0, |p| p.0)),
        );
        data.points = keep.into_iter().map(|i| data.points[i]).collect();
        Self {
            title: title.into(),
            data,
            size,
        }
    }
}

impl Plot for QqPlot {
    fn name(&self) -> String {
        format!("QQ {}", self.title)
    }

    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        area.fill(&WHITE).map_err(err)?;
        let x_max = self
            .data
            .band
            .first()
            .map_or(1.0, |b| b.0.max(b.2))
            .max(1.0)
            * 1.05;
        let y_max = self.data.points.iter().map(|p| p.1).fold(x_max, f64::max) * 1.05;
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("Expected −log10 p")
            .y_desc("Observed −log10 p")
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 14))
            .draw()
            .map_err(err)?;
        // The band as one polygon: along the upper edge, back along the lower one.
        let mut outline: Vec<(f64, f64)> = self.data.band.iter().map(|b| (b.0, b.2)).collect();
        outline.extend(self.data.band.iter().rev().map(|b| (b.0, b.1)));
        chart
            .draw_series(std::iter::once(Polygon::new(
                outline,
                RGBColor(180, 180, 180).mix(0.45).filled(),
            )))
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                [(0.0, 0.0), (x_max, x_max)],
                RGBColor(200, 30, 30).stroke_width(1),
            ))
            .map_err(err)?;
        chart
            .draw_series(
                self.data
                    .points
                    .iter()
                    .map(|&(x, y)| Circle::new((x, y), 2, RGBColor(31, 78, 121).filled())),
            )
            .map_err(err)?;
        let lambda = self
            .data
            .lambda
            .map_or("λGC = NA".to_owned(), |l| format!("λGC = {l:.3}"));
        let (px, py) = chart.backend_coord(&(0.0, y_max));
        area.draw(&Text::new(lambda, (px + 10, py + 10), ("sans-serif", 15)))
            .map_err(err)?;
        let (px2, py2) = chart.backend_coord(&(0.0, y_max));
        area.draw(&Text::new(
            format!("n = {}", self.data.n),
            (px2 + 10, py2 + 30),
            ("sans-serif", 13),
        ))
        .map_err(err)?;
        Ok(())
    }
}
