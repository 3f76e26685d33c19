//! The subjects of the t-SNE view: exact t-SNE costs O(n²) per iteration, so `encode --tsne`
//! embeds at most `--tsne-max-subjects` rows per structure, evenly spaced in the table's order
//! (the image manifest's), the same rows on every run.

use biomarker_tables::FeatureTable;

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
}
