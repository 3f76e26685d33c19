//! Top loci: the variants with p below a threshold, across all phenotypes, grouped into loci
//! around lead variants. Grouping is greedy from the most significant hit, as PLINK's
//! `--clump` does: the best remaining hit becomes a lead and takes every remaining hit on its
//! chromosome within ±window (default 250 kb), of any phenotype; with genotypes at hand
//! ([`clump`]) a hit joins only when its r² with the lead reaches a threshold too, so an
//! independent signal nearby becomes its own locus.

use std::collections::BTreeSet;

use biomarker_tables::{GwasRecord, GwasTable};

use crate::error::Result;
use crate::genome::{chrom_cmp, record_log10p};

/// A variant × phenotype below the significance threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Phenotype.
    pub pheno: String,
    /// Chromosome code.
    pub chrom: String,
    /// Position.
    pub pos: i64,
    /// Variant ID.
    pub id: String,
    /// Tested allele.
    pub a1: String,
    /// A1 frequency.
    pub a1_freq: Option<f64>,
    /// Effect of A1 (log OR for logistic models).
    pub beta: Option<f64>,
    /// Standard error.
    pub se: Option<f64>,
    /// −log10 p.
    pub log10p: f64,
}

impl Hit {
    fn of(r: &GwasRecord, log10p: f64) -> Self {
        Hit {
            pheno: r.pheno.clone(),
            chrom: r.chrom.clone(),
            pos: r.pos,
            id: r.id.clone(),
            a1: r.a1.clone(),
            a1_freq: r.a1_freq,
            beta: r.beta,
            se: r.se,
            log10p,
        }
    }
}

/// The additive-test hits of the tables with −log10 p ≥ `min_log10p`.
pub fn hits(tables: &[GwasTable], min_log10p: f64) -> Vec<Hit> {
    tables
        .iter()
        .flat_map(|t| t.records.iter())
        .filter(|r| r.test == "ADD")
        .filter_map(|r| {
            record_log10p(r)
                .filter(|l| *l >= min_log10p)
                .map(|l| Hit::of(r, l))
        })
        .collect()
}

/// A group of hits around a lead variant.
#[derive(Debug, Clone, PartialEq)]
pub struct Locus {
    /// The most significant hit.
    pub lead: Hit,
    /// Smallest position among the members.
    pub start: i64,
    /// Largest position among the members.
    pub end: i64,
    /// Number of hits (variant × phenotype) in the locus, the lead included.
    pub n_hits: usize,
    /// Phenotypes with a hit in the locus, the lead's first, then alphabetically.
    pub phenotypes: Vec<String>,
}

/// Groups hits into loci by distance alone (±`window` bp around each lead).
pub fn merge_by_distance(hits: &[Hit], window: i64) -> Vec<Locus> {
    group(hits, window, |_, _| Ok(true)).expect("distance grouping cannot fail")
}

/// Groups hits into loci by distance and LD: a hit joins a lead within ±`window` bp only if
/// `r2(lead, hit)` is at least `min_r2`. A hit of the lead's own variant always joins; a hit
/// whose r² is unknown (None: not genotyped, monomorphic) stays out and leads its own locus.
pub fn clump(
    hits: &[Hit],
    window: i64,
    min_r2: f64,
    mut r2: impl FnMut(&Hit, &Hit) -> Result<Option<f64>>,
) -> Result<Vec<Locus>> {
    group(hits, window, |lead, hit| {
        if lead.id == hit.id && lead.chrom == hit.chrom && lead.pos == hit.pos {
            return Ok(true);
        }
        Ok(r2(lead, hit)?.is_some_and(|r| r >= min_r2))
    })
}

fn group(
    hits: &[Hit],
    window: i64,
    mut joins: impl FnMut(&Hit, &Hit) -> Result<bool>,
) -> Result<Vec<Locus>> {
    // Hits in genome order, to find a lead's neighbours by scanning outwards.
    let mut by_pos: Vec<usize> = (0..hits.len()).collect();
    by_pos.sort_by(|&a, &b| {
        chrom_cmp(&hits[a].chrom, &hits[b].chrom).then(hits[a].pos.cmp(&hits[b].pos))
    });
    let mut rank_of = vec![0usize; hits.len()];
    for (rank, &i) in by_pos.iter().enumerate() {
        rank_of[i] = rank;
    }
    // Leads are taken by significance; ties go to genome order so output is deterministic.
    let mut order: Vec<usize> = (0..hits.len()).collect();
    order.sort_by(|&a, &b| {
        hits[b]
            .log10p
            .total_cmp(&hits[a].log10p)
            .then(rank_of[a].cmp(&rank_of[b]))
    });
    let mut taken = vec![false; hits.len()];
    let mut loci = Vec::new();
    for &lead_i in &order {
        if taken[lead_i] {
            continue;
        }
        taken[lead_i] = true;
        let lead = &hits[lead_i];
        let mut members = vec![lead_i];
        let near =
            |j: usize| hits[j].chrom == lead.chrom && (hits[j].pos - lead.pos).abs() <= window;
        let r = rank_of[lead_i];
        let left = (0..r).rev().map(|k| by_pos[k]).take_while(|&j| near(j));
        let right = (r + 1..by_pos.len())
            .map(|k| by_pos[k])
            .take_while(|&j| near(j));
        let candidates: Vec<usize> = left.chain(right).filter(|&j| !taken[j]).collect();
        for j in candidates {
            if joins(lead, &hits[j])? {
                taken[j] = true;
                members.push(j);
            }
        }
        let start = members
            .iter()
            .map(|&j| hits[j].pos)
            .min()
            .unwrap_or(lead.pos);
        let end = members
            .iter()
            .map(|&j| hits[j].pos)
            .max()
            .unwrap_or(lead.pos);
        let others: BTreeSet<&str> = members
            .iter()
            .map(|&j| hits[j].pheno.as_str())
            .filter(|p| *p != lead.pheno)
            .collect();
        let mut phenotypes = vec![lead.pheno.clone()];
        phenotypes.extend(others.into_iter().map(str::to_owned));
        loci.push(Locus {
            lead: lead.clone(),
            start,
            end,
            n_hits: members.len(),
            phenotypes,
        });
    }
    Ok(loci)
}

/// Formats a p-value given as −log10 p with 3 significant digits, exactly even where p
/// underflows a double (e.g. 559.73 → `1.86e-560`).
pub fn format_p(log10p: f64) -> String {
    if !log10p.is_finite() {
        return "NA".into();
    }
    if log10p < 4.0 {
        return format!("{:.3}", 10f64.powf(-log10p))
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned();
    }
    let exponent = (-log10p).floor();
    let mut mantissa = 10f64.powf(-log10p - exponent);
    let mut exponent = exponent as i64;
    if (mantissa * 100.0).round() >= 1000.0 {
        mantissa /= 10.0;
        exponent += 1;
    }
    format!("{mantissa:.2}e{exponent}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(pheno: &str, chrom: &str, pos: i64, log10p: f64) -> Hit {
        Hit {
            pheno: pheno.into(),
            chrom: chrom.into(),
            pos,
            id: format!("{chrom}:{pos}"),
            a1: "A".into(),
            a1_freq: Some(0.3),
            beta: Some(0.1),
            se: Some(0.01),
            log10p,
        }
    }

    #[test]
    fn distance_merging_is_greedy_from_the_best_hit() {
        let hits = vec![
            hit("a", "1", 1_000_000, 9.0),
            hit("a", "1", 1_200_000, 12.0), // lead of locus 1
            hit("b", "1", 1_450_000, 8.0),  // 250 kb from the lead: joins
            hit("a", "1", 1_460_000, 8.5),  // 260 kb: new locus
            hit("b", "2", 1_200_000, 7.5),  // other chromosome
            hit("a", "1", 950_000, 7.4),    // exactly 250 kb to the left: joins
        ];
        let loci = merge_by_distance(&hits, 250_000);
        assert_eq!(loci.len(), 3);
        assert_eq!(loci[0].lead.pos, 1_200_000);
        assert_eq!(
            (loci[0].start, loci[0].end, loci[0].n_hits),
            (950_000, 1_450_000, 4)
        );
        assert_eq!(loci[0].phenotypes, ["a", "b"]);
        assert_eq!((loci[1].lead.pos, loci[1].n_hits), (1_460_000, 1));
        assert_eq!(
            (loci[2].lead.chrom.as_str(), loci[2].phenotypes.clone()),
            ("2", vec!["b".to_owned()])
        );
    }

    #[test]
    fn clumping_splits_independent_signals_within_the_window() {
        let hits = vec![
            hit("a", "1", 100, 20.0),
            hit("a", "1", 200, 10.0),
            hit("a", "1", 300, 9.0),
            hit("b", "1", 100, 8.0),
        ];
        // 200 is in LD with 100, 300 is not (and 300 would be with 200, but 200 is taken)
        let loci = clump(&hits, 1_000, 0.5, |lead, h| {
            Ok(match (lead.pos, h.pos) {
                (100, 200) => Some(0.8),
                (100, 300) => Some(0.1),
                _ => None,
            })
        })
        .unwrap();
        assert_eq!(loci.len(), 2);
        assert_eq!(
            (loci[0].n_hits, loci[0].phenotypes.clone()),
            (3, vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!((loci[1].lead.pos, loci[1].n_hits), (300, 1));
    }

    #[test]
    fn p_values_format_from_log10p() {
        assert_eq!(format_p(559.7293), "1.87e-560");
        assert_eq!(format_p(8.0), "1.00e-8");
        assert_eq!(format_p(7.30103), "5.00e-8");
        assert_eq!(format_p(1.0), "0.1");
        assert_eq!(format_p(0.0), "1");
    }
}
