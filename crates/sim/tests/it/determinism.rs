//! Same seed, same bytes, whatever the number of threads; another seed, other data.

use biomarker_sim::SimConfig;

#[test]
fn same_seed_gives_identical_files_on_one_or_two_threads() {
    let config = SimConfig {
        samples: 40,
        variants: 300,
        seed: 11,
        size: 16,
        ..SimConfig::default()
    };
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| crate::run(&config));
    let two = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap()
        .install(|| crate::run(&config));
    let (a, b) = (crate::all_files(&one.1), crate::all_files(&two.1));
    assert_eq!(
        a.len(),
        9 + 40,
        "files: {:?}",
        a.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((pa, ba), (pb, bb)) in a.iter().zip(&b) {
        assert_eq!(pa, pb);
        assert!(ba == bb, "{} differs between runs", pa.display());
    }
    let other = crate::run(&SimConfig { seed: 12, ..config });
    let bed = |root: &std::path::Path| std::fs::read(root.join("cohort.bed")).unwrap();
    assert_ne!(bed(&one.1), bed(&other.1));
}
