//! The data loader on tiny NIfTI label maps written here: crops around the population
//! centroid, resampling of large structures, volumes from pixdim, caching, errors.

use std::path::{Path, PathBuf};

use biomarker_deep::data::cache::load_or_build;
use biomarker_deep::data::inputs::{read_labels, read_manifest};
use biomarker_deep::data::prep::read_label_map;
use ndarray::Array3;
use nifti::writer::WriterOptions;
use nifti::NiftiHeader;

/// Writes a 20³ label map: label 1 = ball of radius `r` at (6, 10, 10), label 2 = slab
/// x 1..=18, y 5..=7, z 5..=7 (too wide for a 16³ crop), voxels 2×1×1 mm.
fn write_map(path: &Path, r: f64) -> usize {
    let mut a = Array3::<f32>::zeros((20, 20, 20));
    let mut ball = 0;
    for x in 0..20 {
        for y in 0..20 {
            for z in 0..20 {
                let d2 = (x as f64 - 6.0).powi(2)
                    + (y as f64 - 10.0).powi(2)
                    + (z as f64 - 10.0).powi(2);
                if d2 <= r * r {
                    a[[x, y, z]] = 1.0;
                    ball += 1;
                } else if (1..=18).contains(&x) && (5..=7).contains(&y) && (5..=7).contains(&z) {
                    a[[x, y, z]] = 2.0;
                }
            }
        }
    }
    let h = NiftiHeader {
        pixdim: [1.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        ..NiftiHeader::default()
    };
    WriterOptions::new(path)
        .reference_header(&h)
        .write_nifti(&a)
        .unwrap();
    ball
}

fn cohort(dir: &Path) -> (PathBuf, PathBuf, Vec<usize>) {
    std::fs::create_dir_all(dir.join("img")).unwrap();
    let mut manifest = String::from("IID\tpath\n");
    let mut balls = Vec::new();
    for (i, r) in [2.0, 3.0, 4.0].iter().enumerate() {
        balls.push(write_map(&dir.join(format!("img/s{i}.nii.gz")), *r));
        manifest.push_str(&format!("S{i}\timg/s{i}.nii.gz\n"));
    }
    std::fs::write(dir.join("images.tsv"), manifest).unwrap();
    std::fs::write(dir.join("labels.tsv"), "label\tname\n1\tball\n2\tslab\n").unwrap();
    (dir.join("images.tsv"), dir.join("labels.tsv"), balls)
}

#[test]
fn masks_volumes_and_cache_from_nifti() {
    let dir = tempfile::tempdir().unwrap();
    let (m, l, balls) = cohort(dir.path());
    let images = read_manifest(&m).unwrap();
    let labels = read_labels(&l).unwrap();
    let map = read_label_map(&images[0].path).unwrap();
    assert_eq!(map.dims, [20, 20, 20]);
    assert_eq!(map.voxel_mm3, 2.0);
    let mut calls = 0;
    let (ds, hit) = load_or_build(
        &images,
        &labels,
        16,
        None,
        &dir.path().join("cache"),
        || calls += 1,
    )
    .unwrap();
    assert!(!hit);
    assert_eq!(calls, 6, "two passes over three images");
    assert_eq!(ds.len(), 6);
    assert_eq!(ds.structures, vec!["ball", "slab"]);
    let slab_voxels = 18 * 3 * 3;
    for (s, &ball_voxels) in balls.iter().enumerate() {
        let (ball, slab) = (2 * s, 2 * s + 1);
        assert_eq!(ds.item_volume[ball], 2.0 * ball_voxels as f64);
        // The whole ball lies inside the crop: the mask holds every voxel of it.
        assert_eq!(
            ds.mask(ball).iter().map(|&v| v as usize).sum::<usize>(),
            ball_voxels
        );
        // Centroid (6, 10, 10) sits at the box centre (8, 8, 8); layout is [z][y][x].
        assert_eq!(ds.mask(ball)[(8 * 16 + 8) * 16 + 8], 1);
        assert_eq!(ds.item_volume[slab], 2.0 * slab_voxels as f64);
        // The slab (18 wide) does not fit a 16³ crop: its 18³ bounding cube is resampled.
        let n = ds.mask(slab).iter().filter(|&&v| v == 1).count();
        assert!(n > 0 && n < slab_voxels, "resampled slab has {n} voxels");
    }
    // Fixed boxes (a trained model's) are used as given: shifting the ball's box by one voxel
    // in x shifts its mask.
    let mut shifted = ds.boxes.clone();
    shifted[0].origin[0] += 1;
    let moved = load_or_build(
        &images[..1],
        &labels,
        16,
        Some(&shifted),
        &dir.path().join("cache"),
        || {},
    )
    .unwrap()
    .0;
    assert_eq!(moved.mask(0)[(8 * 16 + 8) * 16 + 7], 1);
    assert!(
        moved.mask(0)[..ds.voxels() - 1] == ds.mask(0)[1..],
        "shifted box gives the shifted mask"
    );
    let (again, hit) = load_or_build(
        &images,
        &labels,
        16,
        None,
        &dir.path().join("cache"),
        || panic!("cache miss"),
    )
    .unwrap();
    assert!(hit);
    assert_eq!(again.masks, ds.masks);
    assert_eq!(again.item_volume, ds.item_volume);
}

/// A lopsided structure (a 3³ block at x 1..=3 with a one-voxel tail to x = 15): centring
/// the 16³ box on its centroid (x ≈ 3) would cut the tail off; the box is shifted so that the
/// whole structure is inside and the mask's voxel count is the volume.
#[test]
fn crop_keeps_a_lopsided_structure_whole() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("img")).unwrap();
    let mut manifest = String::from("IID\tpath\n");
    let mut counts = Vec::new();
    for (i, tail) in [10usize, 15].iter().enumerate() {
        let mut a = Array3::<f32>::zeros((20, 20, 20));
        let mut n = 0;
        for x in 1..=3 {
            for y in 8..=10 {
                for z in 8..=10 {
                    a[[x, y, z]] = 1.0;
                    n += 1;
                }
            }
        }
        for x in 4..=*tail {
            a[[x, 9, 9]] = 1.0;
            n += 1;
        }
        counts.push(n);
        let path = dir.path().join(format!("img/s{i}.nii.gz"));
        WriterOptions::new(&path).write_nifti(&a).unwrap();
        manifest.push_str(&format!("S{i}\timg/s{i}.nii.gz\n"));
    }
    std::fs::write(dir.path().join("images.tsv"), manifest).unwrap();
    std::fs::write(dir.path().join("labels.tsv"), "1\tlopsided\n").unwrap();
    let images = read_manifest(&dir.path().join("images.tsv")).unwrap();
    let labels = read_labels(&dir.path().join("labels.tsv")).unwrap();
    let (ds, _) = load_or_build(&images, &labels, 16, None, &dir.path().join("c"), || {}).unwrap();
    assert_eq!(ds.boxes[0].side, 16, "cropped, not resampled");
    for (i, &n) in counts.iter().enumerate() {
        assert_eq!(ds.item_volume[i], n as f64);
        let in_mask = ds.mask(i).iter().map(|&v| usize::from(v)).sum::<usize>();
        assert_eq!(
            in_mask, n,
            "subject {i}: the mask holds the whole structure"
        );
    }
}

#[test]
fn bad_images_are_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.nii.gz"), b"not a nifti file").unwrap();
    let err = read_label_map(&dir.path().join("x.nii.gz"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("x.nii.gz") && err.contains("NIfTI"), "{err}");
    let (m, l, _) = cohort(dir.path());
    let images = read_manifest(&m).unwrap();
    let mut labels = read_labels(&l).unwrap();
    labels.push(biomarker_deep::data::inputs::LabelEntry {
        label: 9,
        name: "absent".into(),
    });
    let err = load_or_build(&images, &labels, 16, None, &dir.path().join("cache"), || {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("absent") && err.contains("no image"), "{err}");
}

#[test]
fn split_is_seeded_and_subject_level() {
    let ds = crate::common::toy_dataset(20, 1);
    let a = ds.split(0.2, 0.2, 3).unwrap();
    assert_eq!(a, ds.split(0.2, 0.2, 3).unwrap());
    assert_ne!(a, ds.split(0.2, 0.2, 4).unwrap());
    use biomarker_deep::data::Split;
    assert_eq!(a.iter().filter(|s| **s == Split::Test).count(), 4);
    assert_eq!(a.iter().filter(|s| **s == Split::Val).count(), 4);
    // Items follow their subject.
    for part in [Split::Train, Split::Val, Split::Test] {
        for i in ds.items_in(&a, part) {
            assert_eq!(a[ds.item_subject[i]], part);
        }
    }
    assert!(ds.split(0.6, 0.5, 1).is_err());
}
