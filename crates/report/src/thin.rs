//! Thinning of dense scatter plots (Manhattan, QQ) so that a plot of 10^6+ points stays small
//! and fast to draw without hiding anything that matters: every point at or above a
//! −log10 p threshold is kept, and below it only the highest point of each cell of a grid
//! of one pixel column × one band of `band` −log10 p units is kept. With `band` equal to the
//! threshold this is exactly one mark per pixel column; a smaller band keeps the dense lower
//! part of a Manhattan plot looking like the band it is instead of its upper envelope.

/// Thinning parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thinning {
    /// Points with y ≥ this are always kept (−log10 p; 3 by default).
    pub threshold: f64,
    /// Height of a grid cell below the threshold, in y units.
    pub band: f64,
    /// Number of pixel columns the x range is drawn on.
    pub columns: usize,
}

impl Default for Thinning {
    fn default() -> Self {
        Self {
            threshold: 3.0,
            band: 0.5,
            columns: 1200,
        }
    }
}

impl Thinning {
    /// The indices of the points to draw, in increasing order. `x_range` is the plotted x
    /// extent (points outside it are clamped into the edge columns).
    pub fn keep(&self, points: &[(f64, f64)], x_range: (f64, f64)) -> Vec<usize> {
        let columns = self.columns.max(1);
        let band = if self.band > 0.0 {
            self.band
        } else {
            self.threshold.max(1e-9)
        };
        // At most 4096 bands: a threshold far above the band height (or infinite) must not
        // size the grid by it.
        let bands = (self.threshold / band).ceil().clamp(1.0, 4096.0) as usize;
        let width = (x_range.1 - x_range.0).max(f64::MIN_POSITIVE);
        // Best point of each (column, band) cell: (index, y).
        let mut cells: Vec<Option<(usize, f64)>> = vec![None; columns * bands];
        let mut keep = Vec::new();
        for (i, &(x, y)) in points.iter().enumerate() {
            if !(x.is_finite() && y.is_finite()) {
                continue;
            }
            if y >= self.threshold {
                keep.push(i);
                continue;
            }
            let col = (((x - x_range.0) / width * columns as f64) as isize)
                .clamp(0, columns as isize - 1) as usize;
            let row = ((y.max(0.0) / band) as usize).min(bands - 1);
            let cell = &mut cells[col * bands + row];
            if cell.is_none_or(|(_, best)| y > best) {
                *cell = Some((i, y));
            }
        }
        keep.extend(cells.into_iter().flatten().map(|(i, _)| i));
        keep.sort_unstable();
        keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic scatter: x uniform on [0, 1000), y = −log10 of a uniform p.
    fn scatter(n: usize) -> Vec<(f64, f64)> {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..n)
            .map(|_| (next() * 1000.0, -(next().max(1e-300)).log10()))
            .collect()
    }

    #[test]
    fn every_point_above_the_threshold_is_kept() {
        let pts = scatter(1_000_000);
        let t = Thinning {
            threshold: 3.0,
            band: 0.5,
            columns: 100,
        };
        let keep = t.keep(&pts, (0.0, 1000.0));
        let above: Vec<usize> = (0..pts.len()).filter(|&i| pts[i].1 >= 3.0).collect();
        assert!(
            above.len() > 100,
            "the fixture has points above the threshold"
        );
        let kept: std::collections::HashSet<usize> = keep.iter().copied().collect();
        assert!(above.iter().all(|i| kept.contains(i)));
        let below = keep.len() - above.len();
        assert!(below <= 100 * 6, "{below} marks below the threshold");
        // 10^6 points over 100 columns fill every cell of the 6 bands
        assert_eq!(below, 600);
        assert!(keep.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn each_cell_keeps_its_highest_point() {
        let pts = vec![
            (0.1, 0.2),
            (0.2, 0.4),
            (0.3, 0.1),
            (1.5, 2.9),
            (1.6, 2.6),
            (1.7, 7.0),
        ];
        let t = Thinning {
            threshold: 3.0,
            band: 3.0,
            columns: 2,
        };
        // columns: [0, 1) and [1, 2); one band below 3
        assert_eq!(t.keep(&pts, (0.0, 2.0)), vec![1, 3, 5]);
        let t = Thinning {
            threshold: 3.0,
            band: 0.25,
            columns: 2,
        };
        // bands of 0.25: 0.2 and 0.1 share band 0, 0.4 is band 1; 2.9 band 11, 2.6 band 10
        assert_eq!(t.keep(&pts, (0.0, 2.0)), vec![0, 1, 3, 4, 5]);
    }

    #[test]
    fn an_unbounded_threshold_keeps_the_grid_bounded() {
        let pts = vec![(0.5, 1e6), (0.5, 2.0)];
        let t = Thinning {
            threshold: f64::INFINITY,
            band: 0.5,
            columns: 10,
        };
        // 4096 bands of 0.5: the huge value lands in the top band, 2.0 in band 4
        assert_eq!(t.keep(&pts, (0.0, 1.0)), vec![0, 1]);
    }

    #[test]
    fn non_finite_points_are_dropped() {
        let pts = vec![(f64::NAN, 1.0), (0.5, f64::INFINITY), (0.5, 1.0)];
        assert_eq!(Thinning::default().keep(&pts, (0.0, 1.0)), vec![2]);
    }
}
