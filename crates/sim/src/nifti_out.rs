//! Writing label maps as gzipped NIfTI-1 with a proper RAS affine (sform and qform, mm
//! units), atomically: the image is written under a temporary name and renamed when complete.

use std::path::Path;

use ndarray::Array3;
use nifti::writer::WriterOptions;
use nifti::NiftiHeader;

use crate::anatomy::Grid;
use crate::SimError;

/// NIFTI_XFORM_ALIGNED_ANAT: coordinates aligned to an anatomical space.
const XFORM_ALIGNED_ANAT: i16 = 2;
/// NIFTI_UNITS_MM.
const UNITS_MM: u8 = 2;

/// The header every simulated label map carries.
pub fn label_map_header(grid: Grid) -> NiftiHeader {
    let v = grid.voxel_mm() as f32;
    let affine = grid.affine();
    let row = |r: [f64; 4]| r.map(|x| x as f32);
    let mut header = NiftiHeader {
        pixdim: [1.0, v, v, v, 1.0, 1.0, 1.0, 1.0],
        xyzt_units: UNITS_MM,
        qform_code: XFORM_ALIGNED_ANAT,
        sform_code: XFORM_ALIGNED_ANAT,
        quatern_b: 0.0,
        quatern_c: 0.0,
        quatern_d: 0.0,
        quatern_x: affine[0][3] as f32,
        quatern_y: affine[1][3] as f32,
        quatern_z: affine[2][3] as f32,
        srow_x: row(affine[0]),
        srow_y: row(affine[1]),
        srow_z: row(affine[2]),
        ..NiftiHeader::default()
    };
    header
        .set_description_str("biomarker-gwas synthetic label map")
        .expect("short description");
    header
}

/// Writes `map` to `path` (ending in .nii.gz) atomically.
pub fn write_label_map(
    path: &Path,
    map: &Array3<u8>,
    header: &NiftiHeader,
) -> Result<(), SimError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.partial.nii.gz"));
    let fail = |e: &dyn std::fmt::Display| SimError::Nifti {
        path: path.into(),
        message: e.to_string(),
    };
    WriterOptions::new(&temp)
        .reference_header(header)
        .write_nifti(map)
        .map_err(|e| fail(&e))?;
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        fail(&e)
    })
}
