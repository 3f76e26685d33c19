//! Brain-like anatomy on a voxel grid: a cortical grey-matter shell with folded inner
//! boundary around white matter, lateral ventricles, and left/right thalamus, caudate,
//! putamen, hippocampus and amygdala as smooth bent, tapered ellipsoids placed roughly where
//! they sit in MNI space. Each subject's structures are scaled by its volume factors and
//! deformed by its shape modes (elongation, bend, taper), so shape varies independently of
//! volume. Label numbers follow FreeSurfer's aseg where it has the structure.

use ndarray::Array3;

/// How a structure is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// The cortical shell of the brain ellipsoid.
    Cortex,
    /// The brain ellipsoid inside the folded cortical boundary.
    WhiteMatter,
    /// A deep structure; `mirror` draws it in both hemispheres under one label.
    Deep {
        /// The left-hemisphere template.
        template: Template,
        /// Draw a mirrored copy on the right too (the ventricles).
        mirror: bool,
    },
}

/// A deep structure's average shape (left hemisphere; mm, RAS around the brain centre).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Template {
    /// Centre.
    pub center: [f64; 3],
    /// Semi-axes before rotation (x: width, y: long axis, z: height).
    pub axes: [f64; 3],
    /// Rotation about the z axis (radians).
    pub yaw: f64,
    /// Rotation about the x axis (radians).
    pub pitch: f64,
    /// Curvature of the long axis (mm⁻¹): z shifts by bend·y².
    pub bend: f64,
}

/// One labelled structure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Structure {
    /// Label number in the maps.
    pub label: u8,
    /// Name used in every table.
    pub name: &'static str,
    /// Geometry.
    pub shape: Shape,
    /// Which row of the effect table applies (hemispheres share one).
    pub group: Group,
    /// −1 left, +1 right, 0 midline/both.
    pub side: i8,
}

/// Structures that share biology across hemispheres.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Cortical grey matter.
    GreyMatter,
    /// Cerebral white matter.
    WhiteMatter,
    /// Lateral ventricles.
    Ventricles,
    /// Thalamus.
    Thalamus,
    /// Caudate.
    Caudate,
    /// Putamen.
    Putamen,
    /// Hippocampus.
    Hippocampus,
    /// Amygdala.
    Amygdala,
}

const fn deep(center: [f64; 3], axes: [f64; 3], yaw: f64, pitch: f64, bend: f64) -> Template {
    Template {
        center,
        axes,
        yaw,
        pitch,
        bend,
    }
}

const THALAMUS: Template = deep([-10.0, -18.0, 5.0], [9.0, 16.0, 10.0], 0.2, 0.0, 0.0);
const CAUDATE: Template = deep([-15.0, 8.0, 10.0], [5.0, 20.0, 8.0], -0.15, 0.35, -0.012);
const PUTAMEN: Template = deep([-26.0, 3.0, 0.0], [7.0, 17.0, 10.0], 0.1, 0.0, 0.0);
const HIPPOCAMPUS: Template = deep([-28.0, -24.0, -12.0], [6.5, 20.0, 7.5], 0.35, -0.3, 0.01);
const AMYGDALA: Template = deep([-23.0, -3.0, -19.0], [7.5, 7.5, 6.5], 0.0, 0.0, 0.0);
const VENTRICLE: Template = deep([-6.0, -4.0, 18.0], [5.0, 28.0, 7.0], 0.05, 0.0, -0.01);

/// Every structure, in drawing priority (earlier ones claim shared voxels).
pub const STRUCTURES: [Structure; 13] = [
    Structure {
        label: 4,
        name: "ventricular_csf",
        shape: Shape::Deep {
            template: VENTRICLE,
            mirror: true,
        },
        group: Group::Ventricles,
        side: 0,
    },
    Structure {
        label: 18,
        name: "left_amygdala",
        shape: Shape::Deep {
            template: AMYGDALA,
            mirror: false,
        },
        group: Group::Amygdala,
        side: -1,
    },
    Structure {
        label: 54,
        name: "right_amygdala",
        shape: Shape::Deep {
            template: AMYGDALA,
            mirror: false,
        },
        group: Group::Amygdala,
        side: 1,
    },
    Structure {
        label: 10,
        name: "left_thalamus",
        shape: Shape::Deep {
            template: THALAMUS,
            mirror: false,
        },
        group: Group::Thalamus,
        side: -1,
    },
    Structure {
        label: 49,
        name: "right_thalamus",
        shape: Shape::Deep {
            template: THALAMUS,
            mirror: false,
        },
        group: Group::Thalamus,
        side: 1,
    },
    Structure {
        label: 11,
        name: "left_caudate",
        shape: Shape::Deep {
            template: CAUDATE,
            mirror: false,
        },
        group: Group::Caudate,
        side: -1,
    },
    Structure {
        label: 50,
        name: "right_caudate",
        shape: Shape::Deep {
            template: CAUDATE,
            mirror: false,
        },
        group: Group::Caudate,
        side: 1,
    },
    Structure {
        label: 12,
        name: "left_putamen",
        shape: Shape::Deep {
            template: PUTAMEN,
            mirror: false,
        },
        group: Group::Putamen,
        side: -1,
    },
    Structure {
        label: 51,
        name: "right_putamen",
        shape: Shape::Deep {
            template: PUTAMEN,
            mirror: false,
        },
        group: Group::Putamen,
        side: 1,
    },
    Structure {
        label: 17,
        name: "left_hippocampus",
        shape: Shape::Deep {
            template: HIPPOCAMPUS,
            mirror: false,
        },
        group: Group::Hippocampus,
        side: -1,
    },
    Structure {
        label: 53,
        name: "right_hippocampus",
        shape: Shape::Deep {
            template: HIPPOCAMPUS,
            mirror: false,
        },
        group: Group::Hippocampus,
        side: 1,
    },
    Structure {
        label: 2,
        name: "white_matter",
        shape: Shape::WhiteMatter,
        group: Group::WhiteMatter,
        side: 0,
    },
    Structure {
        label: 3,
        name: "grey_matter",
        shape: Shape::Cortex,
        group: Group::GreyMatter,
        side: 0,
    },
];

/// Brain ellipsoid semi-axes (mm) at volume factor 1.
const BRAIN_AXES: [f64; 3] = [66.0, 82.0, 56.0];
/// Inner (white-matter) radius as a fraction of the brain ellipsoid at factor 1.
const WM_RATIO: f64 = 0.8;
/// Field of view (mm) covered by the grid along each axis.
pub const FIELD_OF_VIEW_MM: f64 = 180.0;

/// One subject's geometry: per structure a log volume factor and three shape modes.
#[derive(Debug, Clone, PartialEq)]
pub struct Geometry {
    /// Natural-log volume factor per structure (index into [`STRUCTURES`]).
    pub log_volume: Vec<f64>,
    /// Shape modes per structure: elongation, bend, taper (standard units).
    pub shape: Vec<[f64; 3]>,
}

/// The voxel grid: `size`³ voxels of `FIELD_OF_VIEW_MM / size` mm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    /// Voxels per edge.
    pub size: usize,
}

impl Grid {
    /// Voxel edge in mm.
    pub fn voxel_mm(&self) -> f64 {
        FIELD_OF_VIEW_MM / self.size as f64
    }

    /// Voxel volume in mm³.
    pub fn voxel_volume(&self) -> f64 {
        self.voxel_mm().powi(3)
    }

    /// World coordinate (mm) of voxel index `i` along an axis: the grid is centred on 0.
    pub fn world(&self, i: usize) -> f64 {
        (i as f64 + 0.5 - self.size as f64 / 2.0) * self.voxel_mm()
    }

    /// The voxel → world affine rows (RAS, mm), as NIfTI's srow_x/y/z.
    pub fn affine(&self) -> [[f64; 4]; 3] {
        let v = self.voxel_mm();
        let o = self.world(0);
        [[v, 0.0, 0.0, o], [0.0, v, 0.0, o], [0.0, 0.0, v, o]]
    }

    fn index_range(&self, lo: f64, hi: f64) -> std::ops::Range<usize> {
        let v = self.voxel_mm();
        let half = self.size as f64 / 2.0;
        let a = ((lo / v + half - 0.5).floor().max(0.0)) as usize;
        let b = ((hi / v + half - 0.5).ceil() + 1.0).clamp(0.0, self.size as f64) as usize;
        a.min(self.size)..b
    }
}

/// A deep structure instance after applying a subject's factors.
struct Placed {
    center: [f64; 3],
    axes: [f64; 3],
    rot: [[f64; 3]; 3],
    bend: f64,
    taper: f64,
}

impl Placed {
    fn new(t: &Template, side: i8, log_volume: f64, modes: [f64; 3]) -> Self {
        let s = (log_volume / 3.0).exp();
        let e = (0.15 * modes[0]).exp();
        let axes = [
            t.axes[0] * s / e.sqrt(),
            t.axes[1] * s * e,
            t.axes[2] * s / e.sqrt(),
        ];
        let (mirror, yaw) = if side > 0 {
            (-1.0, -t.yaw)
        } else {
            (1.0, t.yaw)
        };
        let center = [t.center[0] * mirror, t.center[1], t.center[2]];
        let (cy, sy) = (yaw.cos(), yaw.sin());
        let (cp, sp) = (t.pitch.cos(), t.pitch.sin());
        // local = Rx(pitch)ᵀ · Rz(yaw)ᵀ · (x − c)
        let rz = [[cy, sy, 0.0], [-sy, cy, 0.0], [0.0, 0.0, 1.0]];
        let rx = [[1.0, 0.0, 0.0], [0.0, cp, sp], [0.0, -sp, cp]];
        let mut rot = [[0.0; 3]; 3];
        for i in 0..3 {
            for j in 0..3 {
                rot[i][j] = (0..3).map(|k| rx[i][k] * rz[k][j]).sum();
            }
        }
        Self {
            center,
            axes,
            rot,
            bend: t.bend + 0.012 * modes[1],
            taper: (0.25 * modes[2]).clamp(-0.6, 0.6),
        }
    }

    fn contains(&self, p: [f64; 3]) -> bool {
        let d = [
            p[0] - self.center[0],
            p[1] - self.center[1],
            p[2] - self.center[2],
        ];
        let l: Vec<f64> = (0..3)
            .map(|i| (0..3).map(|k| self.rot[i][k] * d[k]).sum())
            .collect();
        let (x, y) = (l[0], l[1]);
        let z = l[2] - self.bend * y * y;
        let t = (1.0 + self.taper * y / self.axes[1]).max(0.3);
        (x / (self.axes[0] * t)).powi(2)
            + (y / self.axes[1]).powi(2)
            + (z / (self.axes[2] * t)).powi(2)
            <= 1.0
    }

    fn reach(&self) -> f64 {
        let longest = self.axes.iter().cloned().fold(0.0, f64::max);
        longest * 1.7 + self.bend.abs() * longest * longest
    }
}

/// Draws a subject's label map; voxels outside the brain are 0.
pub fn draw(grid: Grid, geometry: &Geometry) -> Array3<u8> {
    let n = grid.size;
    let mut map = Array3::<u8>::zeros((n, n, n));
    let index = |name: &str| {
        STRUCTURES
            .iter()
            .position(|s| s.name == name)
            .expect("known structure")
    };
    let (gm, wm) = (index("grey_matter"), index("white_matter"));
    let lv_gm = geometry.log_volume[gm];
    let lv_wm = geometry.log_volume[wm];
    let outer = ((0.5 * lv_gm + 0.5 * lv_wm) / 3.0).exp();
    let axes = BRAIN_AXES.map(|a| a * outer);
    let wm_ratio = WM_RATIO * ((lv_wm - lv_gm) / 6.0).exp();
    // Brain tissue first, then deep structures overwrite in reverse priority so that the
    // first in STRUCTURES wins where two overlap.
    for i in 0..n {
        let x = grid.world(i);
        for j in 0..n {
            let y = grid.world(j);
            for k in 0..n {
                let z = grid.world(k);
                let rho =
                    ((x / axes[0]).powi(2) + (y / axes[1]).powi(2) + (z / axes[2]).powi(2)).sqrt();
                if rho > 1.0 {
                    continue;
                }
                let theta = y.atan2(x);
                let phi = (z / (x * x + y * y + z * z).sqrt().max(1e-9)).acos();
                let fold = 1.0 + 0.08 * (9.0 * theta).sin() * (11.0 * phi).sin();
                map[[i, j, k]] = if rho < wm_ratio * fold {
                    STRUCTURES[wm].label
                } else {
                    STRUCTURES[gm].label
                };
            }
        }
    }
    for (s, structure) in STRUCTURES.iter().enumerate().rev() {
        let Shape::Deep { template, mirror } = structure.shape else {
            continue;
        };
        let sides: &[i8] = if mirror {
            &[-1, 1]
        } else {
            std::slice::from_ref(&structure.side)
        };
        for &side in sides {
            let placed = Placed::new(&template, side, geometry.log_volume[s], geometry.shape[s]);
            let r = placed.reach();
            let [ri, rj, rk] =
                [0, 1, 2].map(|a| grid.index_range(placed.center[a] - r, placed.center[a] + r));
            for i in ri.clone() {
                for j in rj.clone() {
                    for k in rk.clone() {
                        if placed.contains([grid.world(i), grid.world(j), grid.world(k)]) {
                            map[[i, j, k]] = structure.label;
                        }
                    }
                }
            }
        }
    }
    map
}

/// Voxel counts per structure (index into [`STRUCTURES`]).
pub fn voxel_counts(map: &Array3<u8>) -> Vec<u64> {
    let mut by_label = [0u64; 256];
    for &v in map.iter() {
        by_label[v as usize] += 1;
    }
    STRUCTURES
        .iter()
        .map(|s| by_label[s.label as usize])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn neutral() -> Geometry {
        Geometry {
            log_volume: vec![0.0; STRUCTURES.len()],
            shape: vec![[0.0; 3]; STRUCTURES.len()],
        }
    }

    #[test]
    fn every_structure_is_present_with_a_plausible_volume() {
        let grid = Grid { size: 64 };
        let counts = voxel_counts(&draw(grid, &neutral()));
        // Expected adult volumes (mm³), loosely: the simulated ones must be within a factor 2.
        let expect = [
            ("ventricular_csf", 10_000.0),
            ("left_amygdala", 1_500.0),
            ("left_thalamus", 6_000.0),
            ("left_caudate", 3_300.0),
            ("left_putamen", 5_000.0),
            ("left_hippocampus", 4_000.0),
            ("white_matter", 550_000.0),
            ("grey_matter", 600_000.0),
        ];
        for (name, mm3) in expect {
            let s = STRUCTURES.iter().position(|s| s.name == name).unwrap();
            let v = counts[s] as f64 * grid.voxel_volume();
            assert!(v > mm3 / 2.0 && v < mm3 * 2.0, "{name}: {v} mm³");
        }
    }

    #[test]
    fn hemispheres_mirror_and_shape_modes_keep_volume() {
        let grid = Grid { size: 64 };
        let counts = voxel_counts(&draw(grid, &neutral()));
        let idx = |n: &str| STRUCTURES.iter().position(|s| s.name == n).unwrap();
        let (l, r) = (
            counts[idx("left_putamen")] as f64,
            counts[idx("right_putamen")] as f64,
        );
        assert!((l - r).abs() / l < 0.03, "{l} vs {r}");
        let mut g = neutral();
        g.shape[idx("left_putamen")] = [1.5, 0.0, 0.0];
        let elongated = voxel_counts(&draw(grid, &g))[idx("left_putamen")] as f64;
        assert!((elongated - l).abs() / l < 0.06, "{elongated} vs {l}");
        g.log_volume[idx("left_putamen")] = 0.2;
        let bigger = voxel_counts(&draw(grid, &g))[idx("left_putamen")] as f64;
        assert!(
            (bigger / elongated - 0.2f64.exp()).abs() < 0.06,
            "{bigger} vs {elongated}"
        );
    }
}
