//! Phenotypes with different missingness patterns in one scan: a pattern that lacks a few of
//! a larger pattern's samples shares that group's pass over the genotypes (tested with the
//! lacking samples removed), one that lacks many gets a group of its own. Either way each
//! phenotype's results must be those of a scan of that phenotype alone (one pattern, one
//! group: the path checked against plink2 in `sim_vs_peers`).

use std::fmt::Write as _;

use super::common::*;

/// A copy of a simulated phenotype with more samples missing, by sample number `i`:
/// `(name, source column, missing when)`.
type Derived = (&'static str, usize, fn(usize) -> bool);

/// The copies added to the simulated phenotypes.
const DERIVED: &[Derived] = &[
    // 2% of the samples: joins the q1/q3 group, as a second pattern beside q2's.
    ("q1a", 0, |i| i % 50 == 7),
    // 20%: too many for the group; a group of its own.
    ("q3b", 2, |i| i % 5 == 0),
    // q3b's samples less 1.3% more: joins q3b's group, not the larger one.
    ("q3c", 2, |i| i % 5 == 0 || i % 75 == 1),
];

#[test]
fn each_phenotype_matches_a_scan_of_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    let source = std::fs::read_to_string(sim_dir().join("sim.pheno")).unwrap();
    let mut pheno = String::new();
    for (i, line) in source.lines().enumerate() {
        let f: Vec<&str> = line.split('\t').collect();
        write!(pheno, "{}", f[..5].join("\t")).unwrap();
        for (name, col, missing) in DERIVED {
            let v = if i == 0 {
                name
            } else if missing(i - 1) {
                "NA"
            } else {
                f[2 + col]
            };
            write!(pheno, "\t{v}").unwrap();
        }
        pheno.push('\n');
    }
    let pheno_path = dir.path().join("patterns.pheno");
    std::fs::write(&pheno_path, pheno).unwrap();
    let names = ["q1", "q2", "q3", "q1a", "q3b", "q3c"];
    let joint = dir.path().join("joint");
    let mut cfg = sim_config(&joint);
    cfg.pheno = pheno_path.clone();
    cfg.pheno_names = names.iter().map(|s| (*s).to_owned()).collect();
    let report = run(&cfg).unwrap();
    // q1, q3 with q2 and q1a removing their few missing samples; q3b with q3c.
    assert_eq!(report.groups, 2);
    let text = ["A1", "OBS_CT", "ERRCODE", "REF", "ALT"];
    let nums = ["A1_FREQ", "BETA", "SE", "T_STAT", "P"];
    for name in names {
        let alone = dir.path().join(format!("alone_{name}"));
        let mut cfg = sim_config(&alone);
        cfg.pheno = pheno_path.clone();
        cfg.pheno_names = vec![name.to_owned()];
        assert_eq!(run(&cfg).unwrap().groups, 1);
        let file = format!("{name}.glm.linear");
        let worst = compare_glm(&joint.join(&file), &alone.join(&file), &text, &nums, 1.0);
        eprintln!("{name}: worst units joint vs alone {worst:?}");
        // Something was tested, with the phenotype's own sample count.
        let (_, rows) = read_table(&joint.join(&file), "ID");
        let summary = report.phenos.iter().find(|p| p.name == name).unwrap();
        assert!(summary.tested > 200, "{name}: {} tested", summary.tested);
        let obs: usize = rows
            .values()
            .map(|r| r["OBS_CT"].parse::<usize>().unwrap())
            .max()
            .unwrap();
        assert!(
            obs <= summary.samples,
            "{name}: OBS_CT {obs} > {}",
            summary.samples
        );
    }
    // The derived phenotypes lack the samples they were made to lack.
    let samples = |name: &str| {
        report
            .phenos
            .iter()
            .find(|p| p.name == name)
            .unwrap()
            .samples
    };
    assert_eq!(samples("q3b"), samples("q3") - 80);
    assert!(samples("q1a") < samples("q1") && samples("q3c") < samples("q3b"));
}
