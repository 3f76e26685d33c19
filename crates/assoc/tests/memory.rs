//! The scan's peak heap does not grow with the number of variants: a counting global
//! allocator records the high-water mark of live heap bytes while scans of 40,960 and
//! 139,264 variants run (two phenotypes: both fill whole Parquet row groups, which the
//! writer holds until they close, and end with the same part of one). Anything kept per
//! variant (a .bim record is ~120 bytes) would add megabytes between the two; the limit
//! allows 1.5 MiB. What does grow is 0.34 to 0.82 MiB here (measured, idle and loaded), and
//! further out ~21 KB per 65,536-row group: the Parquet writer's row-group metadata. Its own test binary, so that no other test allocates
//! while it measures. Not timing-based: it counts bytes.

// A global allocator cannot be written without `unsafe`; this one only forwards to the
// system allocator and counts, and it exists in this test binary alone.
#![allow(unsafe_code)]

#[path = "support/scan_sim.rs"]
mod scan_sim;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use biomarker_assoc::scan::{scan, ScanConfig};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Peak heap bytes above the starting level while scanning a simulated set of `variants`.
fn scan_peak(dir: &std::path::Path, variants: usize) -> usize {
    let prefix = dir.join(format!("m{variants}"));
    scan_sim::write_dataset(&prefix, 64, variants, 0.01, 2, 5).unwrap();
    let with = |ext: &str| std::path::PathBuf::from(format!("{}.{ext}", prefix.display()));
    let mut cfg = ScanConfig::new(
        prefix.clone(),
        with("pheno"),
        dir.join(format!("out{variants}")),
    );
    cfg.covar = Some(with("covar"));
    // Small blocks: the results in flight (up to three blocks, whatever the threads' timing)
    // stay far below the limit, so the peak is the same whenever it is reached.
    cfg.block = 256;
    cfg.pheno_names = vec!["q1".into(), "q2".into()];
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let report = scan(&cfg, 2, &|_| {}).unwrap();
    let peak = PEAK.load(Ordering::Relaxed) - base;
    assert_eq!(report.variants_selected, variants);
    assert!(report.variants_tested > variants * 9 / 10);
    peak
}

/// Variants of the two scans: two phenotypes make 2 table rows a variant, so both end with
/// the same 16,384 rows in an unfinished row group (65,536 rows), which the writer holds
/// until the end: 81,920 rows (one row group and that), and 278,528 (four and that).
const SMALL: usize = 40_960;
const LARGE: usize = 139_264;

#[test]
fn peak_heap_does_not_grow_with_the_number_of_variants() {
    let dir = tempfile::tempdir().unwrap();
    // The lower of two runs each: the peak includes what the threads hold at that moment,
    // which varies by a few hundred kilobytes from run to run.
    let small = scan_peak(dir.path(), SMALL).min(scan_peak(dir.path(), SMALL));
    let large = scan_peak(dir.path(), LARGE).min(scan_peak(dir.path(), LARGE));
    let mib = |b: usize| b as f64 / (1 << 20) as f64;
    eprintln!(
        "peak heap: {:.2} MiB at {SMALL} variants, {:.2} MiB at {LARGE}",
        mib(small),
        mib(large)
    );
    assert!(
        large < small + (3 << 19),
        "peak heap grows with the variants: {:.2} MiB at {SMALL}, {:.2} MiB at {LARGE}",
        mib(small),
        mib(large)
    );
}
