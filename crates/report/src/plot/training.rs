//! Training curves of the deep model: each task's loss per epoch (log scale when every loss
//! is positive; validation losses dashed-light), and beside it the GradNorm task weights per
//! epoch when the log has them.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{err, palette, DrawResult, Plot};
use crate::inputs::TrainingLog;

/// The training-curves figure.
#[derive(Debug, Clone)]
pub struct TrainingPlot {
    /// The log.
    pub log: TrainingLog,
    /// Width and height in pixels.
    pub size: (u32, u32),
}

type Series = Vec<(String, Vec<(f64, f64)>)>;

impl TrainingPlot {
    fn series(
        &self,
        pick: impl Fn(&crate::inputs::EpochRecord) -> &std::collections::BTreeMap<String, f64>,
    ) -> Series {
        self.log
            .tasks()
            .into_iter()
            .map(|t| {
                let pts = self
                    .log
                    .epochs
                    .iter()
                    .filter_map(|e| pick(e).get(&t).map(|v| (e.epoch as f64, *v)))
                    .filter(|p| p.1.is_finite())
                    .collect();
                (t, pts)
            })
            .filter(|(_, pts): &(String, Vec<(f64, f64)>)| !pts.is_empty())
            .collect()
    }
}

/// A tick label with at most 3 significant digits.
fn tick(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.digits$}")
}

/// One series: name, points, whether it is a validation curve, colour index.
type Curve = (String, Vec<(f64, f64)>, bool, usize);

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    y_desc: &str,
    series: &[Curve],
    log_y: bool,
) -> DrawResult {
    let xs = series.iter().flat_map(|s| s.1.iter().map(|p| p.0));
    let (x0, x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    let (x0, x1) = if x0.is_finite() {
        (x0, x1.max(x0 + 1.0))
    } else {
        (0.0, 1.0)
    };
    let ys = series.iter().flat_map(|s| s.1.iter().map(|p| p.1));
    let (y0, y1) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
        (a.min(y), b.max(y))
    });
    let (y0, y1) = if y0.is_finite() { (y0, y1) } else { (0.0, 1.0) };
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(title, ("sans-serif", 16))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(60);
    macro_rules! body {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .light_line_style(TRANSPARENT)
                .bold_line_style(RGBColor(230, 230, 230))
                .y_labels(6)
                .y_label_formatter(&|v| tick(*v))
                .x_label_formatter(&|v| format!("{v:.0}"))
                .x_desc("Epoch")
                .y_desc(y_desc)
                .label_style(("sans-serif", 12))
                .axis_desc_style(("sans-serif", 13))
                .draw()
                .map_err(err)?;
            for (name, pts, validation, k) in series {
                let colour = palette(*k);
                let style = if *validation {
                    colour.mix(0.5).stroke_width(1)
                } else {
                    colour.stroke_width(2)
                };
                chart
                    .draw_series(LineSeries::new(pts.iter().copied(), style))
                    .map_err(err)?
                    .label(name.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(("sans-serif", 11))
                .draw()
                .map_err(err)?;
        }};
    }
    if log_y {
        let chart = builder
            .build_cartesian_2d(x0..x1, (y0 * 0.9..y1 * 1.1).log_scale())
            .map_err(err)?;
        body!(chart);
    } else {
        let pad = ((y1 - y0) * 0.08).max(1e-6);
        let chart = builder
            .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
            .map_err(err)?;
        body!(chart);
    }
    Ok(())
}

impl Plot for TrainingPlot {
    fn name(&self) -> String {
        "training curves".into()
    }

    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        area.fill(&WHITE).map_err(err)?;
        let train = self.series(|e| &e.losses);
        let val = self.series(|e| &e.val_losses);
        let tasks = self.log.tasks();
        let colour = |name: &str| tasks.iter().position(|t| t == name).unwrap_or(0);
        let mut losses: Vec<Curve> = Vec::new();
        for (name, pts) in &train {
            losses.push((name.clone(), pts.clone(), false, colour(name)));
            if let Some((_, v)) = val.iter().find(|(n, _)| n == name) {
                losses.push((
                    format!("{name} (validation)"),
                    v.clone(),
                    true,
                    colour(name),
                ));
            }
        }
        let log_y = losses.iter().all(|s| s.1.iter().all(|p| p.1 > 0.0));
        let weights: Vec<Curve> = self
            .series(|e| &e.weights)
            .into_iter()
            .map(|(n, p)| {
                let k = colour(&n);
                (n, p, false, k)
            })
            .collect();
        if weights.is_empty() {
            panel(area, "Loss per task", "Loss", &losses, log_y)
        } else {
            let (left, right) = area.split_horizontally(self.size.0 / 2);
            panel(&left, "Loss per task", "Loss", &losses, log_y)?;
            panel(&right, "GradNorm task weights", "Weight", &weights, false)
        }
    }
}
