//! The t-SNE view of `encode --tsne`: exact t-SNE costs O(n²) per iteration, so it embeds at
//! most `--tsne-max-subjects` rows per structure, evenly spaced in the table's order (the image
//! manifest's), the same rows on every run; the structures are embedded in parallel (each
//! embedding is deterministic, so the result does not depend on the number of threads).

use biomarker_deep::latent::{tsne_table, TsneOptions};
use biomarker_tables::FeatureTable;
use rayon::prelude::*;

/// The rows of `n` kept when at most `max` may be: all of them, or `max` evenly spaced ones
/// (`⌊k·n/max⌋` for k = 0…max−1, first row included).
pub fn evenly_spaced(n: usize, max: usize) -> Vec<usize> {
    if n <= max {
        return (0..n).collect();
    }
    (0..max).map(|k| k * n / max).collect()
}

/// `table` with at most `max` rows per structure (see [`evenly_spaced`]), and whether any row
/// was left out.
pub fn subsample(table: &FeatureTable, max: usize) -> (FeatureTable, bool) {
    let mut out = FeatureTable::new(table.feature_names.clone());
    out.metadata = table.metadata.clone();
    let d = table.feature_names.len();
    let mut cut = false;
    for structure in table.structure_names() {
        let (samples, values) = table.structure_matrix(&structure);
        let keep = evenly_spaced(samples.len(), max);
        cut |= keep.len() < samples.len();
        for i in keep {
            out.push(
                samples[i].clone(),
                structure.clone(),
                &values[i * d..(i + 1) * d],
            );
        }
    }
    (out, cut)
}

/// The rows of one structure of `table`, as a table of their own.
fn structure_table(table: &FeatureTable, structure: &str) -> FeatureTable {
    let mut out = FeatureTable::new(table.feature_names.clone());
    out.metadata = table.metadata.clone();
    let d = table.feature_names.len();
    let (samples, values) = table.structure_matrix(structure);
    for (i, sample) in samples.into_iter().enumerate() {
        out.push(sample, structure, &values[i * d..(i + 1) * d]);
    }
    out
}

/// The t-SNE view of `table` (see `biomarker_deep::latent::tsne_table`), one structure per
/// thread, rows in the same order as a single call would give.
pub fn tsne_view(
    table: &FeatureTable,
    options: TsneOptions,
) -> biomarker_deep::Result<FeatureTable> {
    let views: Vec<FeatureTable> = table
        .structure_names()
        .par_iter()
        .map(|s| tsne_table(&structure_table(table, s), options))
        .collect::<Result<_, _>>()?;
    let mut out = FeatureTable::new(vec!["tsne_1".into(), "tsne_2".into()]);
    for view in views {
        if out.metadata.is_empty() {
            out.metadata = view.metadata.clone();
        }
        for structure in view.structure_names() {
            let (samples, values) = view.structure_matrix(&structure);
            for (i, sample) in samples.into_iter().enumerate() {
                out.push(sample, structure.clone(), &values[2 * i..2 * i + 2]);
            }
        }
    }
    if out.metadata.is_empty() {
        out.metadata =
            tsne_table(&FeatureTable::new(table.feature_names.clone()), options)?.metadata;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use biomarker_tables::SampleId;

    #[test]
    fn keeps_at_most_max_rows_per_structure_evenly_spaced() {
        assert_eq!(evenly_spaced(3, 5), vec![0, 1, 2]);
        assert_eq!(evenly_spaced(10, 4), vec![0, 2, 5, 7]);
        let mut t = FeatureTable::new(vec!["a".into(), "b".into()]);
        for i in 0..10 {
            t.push(
                SampleId::new(format!("s{i}")),
                "x",
                &[i as f64, -(i as f64)],
            );
            if i < 3 {
                t.push(SampleId::new(format!("s{i}")), "y", &[1.0, 2.0]);
            }
        }
        let (s, cut) = subsample(&t, 4);
        assert!(cut);
        let (ids, values) = s.structure_matrix("x");
        let ids: Vec<&str> = ids.iter().map(|i| i.iid.as_str()).collect();
        assert_eq!(ids, ["s0", "s2", "s5", "s7"]);
        assert_eq!(values, [0.0, -0.0, 2.0, -2.0, 5.0, -5.0, 7.0, -7.0]);
        assert_eq!(s.structure_matrix("y").0.len(), 3);
        assert!(!subsample(&t, 10).1);
    }

    #[test]
    fn parallel_view_equals_one_call() {
        let mut t = FeatureTable::new(vec!["a".into(), "b".into(), "c".into()]);
        t.metadata.insert("layer".into(), "bottleneck".into());
        let mut x = 0.3f64;
        for i in 0..12 {
            for s in ["left", "right", "mid"] {
                x = (x * 3.7 * (1.0 - x)).clamp(0.01, 0.99);
                t.push(
                    SampleId::new(format!("s{i}")),
                    s,
                    &[x, (i % 3) as f64 + x, -x],
                );
            }
        }
        let options = TsneOptions {
            perplexity: 3.0,
            ..TsneOptions::default()
        };
        let one = tsne_table(&t, options).unwrap();
        let par = tsne_view(&t, options).unwrap();
        assert_eq!(par.structure_names(), one.structure_names());
        assert_eq!(par.metadata, one.metadata);
        for s in one.structure_names() {
            assert_eq!(par.structure_matrix(&s), one.structure_matrix(&s));
        }
    }
}
