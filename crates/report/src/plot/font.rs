//! The font PNG text is drawn with: a subset of DejaVu Sans 2.37 (Debian `fonts-dejavu-core`;
//! Bitstream Vera licence with public-domain DejaVu changes, see
//! `assets/fonts/LICENSE-DejaVu.txt`) cut to Basic Latin, Latin-1, Greek, super/subscripts,
//! dashes and a few maths signs (40 KB) by `scripts/make-report-font.sh`. Embedding it keeps
//! PNG labels visible on machines with no fonts, and plotters' ab_glyph path needs no
//! fontconfig or freetype.

use std::sync::Once;

use plotters::style::FontStyle;

/// The embedded TrueType file.
pub static DEJAVU_SANS_SUBSET: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-subset.ttf");

/// Registers the embedded font as plotters' `sans-serif` (and `serif`, `monospace`, so any
/// family a plot names resolves) for every style; safe to call any number of times.
pub fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for family in ["sans-serif", "serif", "monospace"] {
            for style in [
                FontStyle::Normal,
                FontStyle::Bold,
                FontStyle::Italic,
                FontStyle::Oblique,
            ] {
                // The bytes are a valid TrueType font (checked by the test below), so this
                // cannot fail at run time.
                let _ = plotters::style::register_font(family, style, DEJAVU_SANS_SUBSET);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_embedded_font_parses() {
        assert!(plotters::style::register_font(
            "test-family",
            plotters::style::FontStyle::Normal,
            super::DEJAVU_SANS_SUBSET
        )
        .is_ok());
    }
}
