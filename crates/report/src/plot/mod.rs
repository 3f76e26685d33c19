//! Drawing: every plot is a [`Plot`] that draws itself on any plotters backend, and
//! [`render`] turns it into an SVG document and, when asked, a PNG. SVG text names the
//! `sans-serif` family and is drawn by the viewer; PNG text is rasterised here with a subset
//! of DejaVu Sans embedded in the binary ([`font`]), so PNGs have visible labels on a machine
//! without any font installed.

pub mod font;
pub mod manhattan;
pub mod pca;
pub mod qq;
pub mod regional;
pub mod training;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{ReportError, Result};

/// What a plot's drawing code returns: backend errors become their message.
pub type DrawResult = std::result::Result<(), String>;

/// Turns any displayable backend error into the message [`DrawResult`] carries.
pub fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// A plot that can draw itself on any backend.
pub trait Plot {
    /// A short name for error messages ("Manhattan of hippocampus_PC1").
    fn name(&self) -> String;
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws onto the whole area.
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult;
}

/// A rendered plot.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The SVG document.
    pub svg: String,
    /// The PNG file, when asked for.
    pub png: Option<Vec<u8>>,
}

/// Draws a plot as SVG.
pub fn render_svg<P: Plot>(plot: &P) -> Result<String> {
    // Layout (label widths, legend boxes) is measured with the embedded font for SVG too.
    font::register();
    let mut svg = String::new();
    {
        draw_on(plot, SVGBackend::with_string(&mut svg, plot.size()))?;
    }
    Ok(svg)
}

/// Draws `plot` on the whole of `backend` and flushes it, naming the plot in any error.
fn draw_on<P: Plot, DB: DrawingBackend>(plot: &P, backend: DB) -> Result<()> {
    let area = backend.into_drawing_area();
    plot.draw(&area).map_err(|message| ReportError::Plot {
        what: plot.name(),
        message,
    })?;
    area.present().map_err(|e| ReportError::Plot {
        what: plot.name(),
        message: e.to_string(),
    })
}

/// Draws a plot as an RGB bitmap and encodes it as PNG.
pub fn render_png<P: Plot>(plot: &P) -> Result<Vec<u8>> {
    font::register();
    let (w, h) = plot.size();
    let mut rgb = vec![255u8; w as usize * h as usize * 3];
    {
        draw_on(plot, BitMapBackend::with_buffer(&mut rgb, (w, h)))?;
    }
    encode_png(&rgb, w, h).map_err(|message| ReportError::Plot {
        what: plot.name(),
        message,
    })
}

/// Draws a plot as SVG and, if `png`, as PNG too.
pub fn render<P: Plot>(plot: &P, png: bool) -> Result<Figure> {
    Ok(Figure {
        svg: render_svg(plot)?,
        png: if png { Some(render_png(plot)?) } else { None },
    })
}

/// Encodes an RGB8 buffer as PNG (fast compression: plots are mostly flat colour).
pub fn encode_png(rgb: &[u8], width: u32, height: u32) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut writer = enc.write_header().map_err(err)?;
        writer.write_image_data(rgb).map_err(err)?;
        writer.finish().map_err(err)?;
    }
    Ok(out)
}

/// A categorical palette (Okabe–Ito, then Tableau tones), readable by colour-blind viewers.
pub const PALETTE: [RGBColor; 12] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(117, 112, 179),
    RGBColor(140, 86, 75),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(0, 0, 0),
];

/// The `i`-th palette colour (cycling).
pub fn palette(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A file-name-safe form of a label: letters, digits, `-`, `_` and `.` kept, the rest `_`.
pub fn file_stem(label: &str) -> String {
    let s: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "_".into()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_are_safe() {
        assert_eq!(
            file_stem("Left-Hippocampus PC1/z"),
            "Left-Hippocampus_PC1_z"
        );
        assert_eq!(file_stem(""), "_");
    }
}
