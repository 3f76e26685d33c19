//! PLINK file sets: write, read back, decode; malformed files get errors naming the file and
//! what is wrong; plink2 reads what we write and counts the same alleles.

use std::path::Path;
use std::process::Command;

use biomarker_tables::plink::{
    decode_alt_counts, fileset_paths, read_bim, read_fam, write_bim, write_fam, BedWriter,
    BimReader, BimRecord, FamRecord, Fileset,
};

fn write_set(prefix: &Path, genotypes: &[Vec<i8>]) {
    let n = genotypes[0].len();
    let fam: Vec<FamRecord> = (0..n)
        .map(|i| FamRecord {
            fid: format!("f{i}"),
            iid: format!("s{i}"),
            father: "0".into(),
            mother: "0".into(),
            sex: (i % 2 + 1) as u8,
            phenotype: None,
        })
        .collect();
    let bim: Vec<BimRecord> = (0..genotypes.len())
        .map(|v| BimRecord {
            chrom: "1".into(),
            id: format!("v{v}"),
            cm: 0.0,
            pos: 1000 * (v as i64 + 1),
            alt: "A".into(),
            reference: "G".into(),
        })
        .collect();
    let [bed, bim_path, fam_path] = fileset_paths(prefix);
    let mut w = BedWriter::create(&bed, n).unwrap();
    for g in genotypes {
        w.write_variant(g).unwrap();
    }
    w.finish().unwrap();
    write_bim(&bim_path, &bim).unwrap();
    write_fam(&fam_path, &fam).unwrap();
}

fn genotypes() -> Vec<Vec<i8>> {
    // 7 samples (not a multiple of 4, so the last byte is padded) × 5 variants.
    vec![
        vec![0, 1, 2, -1, 0, 1, 2],
        vec![2, 2, 2, 2, 2, 2, 2],
        vec![-1, -1, 0, 0, 1, 1, 0],
        vec![1, 0, 0, 0, 0, 0, 0],
        vec![0, 0, 0, 0, 0, 0, 0],
    ]
}

#[test]
fn written_sets_read_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("c");
    write_set(&prefix, &genotypes());
    let set = Fileset::open(&prefix).unwrap();
    assert_eq!(set.samples.len(), 7);
    assert_eq!(set.n_variants(), 5);
    assert_eq!(set.read_variants().unwrap()[2].pos, 3000);
    let mut packed = Vec::new();
    set.bed.read_packed(0, 5, &mut packed).unwrap();
    assert_eq!(packed.len(), 10);
    for (v, want) in genotypes().iter().enumerate() {
        let mut got = vec![0i8; 7];
        decode_alt_counts(&packed[v * 2..v * 2 + 2], &mut got);
        assert_eq!(&got, want, "variant {v}");
    }
    // Byte-level check of the first variant: codes 11 10 00 01 | 11 10 00 (low bits first).
    assert_eq!(packed[0], 0b01_00_10_11);
    assert_eq!(packed[1], 0b00_00_10_11);
}

#[test]
fn malformed_sets_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("c");
    write_set(&prefix, &genotypes());
    let [bed, bim, fam] = fileset_paths(&prefix);
    let original = std::fs::read(&bed).unwrap();

    std::fs::write(&bed, &original[..original.len() - 1]).unwrap();
    let err = Fileset::open(&prefix).err().unwrap().to_string();
    assert!(err.ends_with("c.bed: 12 bytes, but 7 samples (.fam) × 5 variants (.bim) need 13 (3 + 5 × 2): the .bed is truncated or does not belong to this .bim/.fam"), "{err}");

    let mut wrong = original.clone();
    wrong[2] = 0x00;
    std::fs::write(&bed, &wrong).unwrap();
    let err = Fileset::open(&prefix).err().unwrap().to_string();
    assert!(
        err.contains("not a variant-major PLINK .bed: magic bytes [6c, 1b, 00]"),
        "{err}"
    );
    std::fs::write(&bed, &original).unwrap();

    let fam_text = std::fs::read_to_string(&fam).unwrap();
    std::fs::write(&fam, fam_text.replacen(" 0 0 1 -9", " 0 1 -9", 1)).unwrap();
    let err = read_fam(&fam).unwrap_err().to_string();
    assert!(
        err.ends_with(
            "c.fam: line 1: expected 6 fields (FID IID father mother sex phenotype), found 5"
        ),
        "{err}"
    );
    std::fs::write(&fam, &fam_text).unwrap();

    let bim_text = std::fs::read_to_string(&bim).unwrap();
    std::fs::write(&bim, bim_text.replace("\t3000\t", "\tthree\t")).unwrap();
    let err = read_bim(&bim).unwrap_err().to_string();
    assert!(
        err.ends_with(
            "c.bim: line 3, column \"position\": expected a non-negative integer (found \"three\")"
        ),
        "{err}"
    );

    // A .bim with a row fewer than the .bed holds.
    std::fs::write(
        &bim,
        bim_text
            .lines()
            .take(4)
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    )
    .unwrap();
    let err = Fileset::open(&prefix).err().unwrap().to_string();
    assert!(
        err.contains("13 bytes, but 7 samples (.fam) × 4 variants (.bim) need 11"),
        "{err}"
    );
}

#[test]
fn the_bim_streams_with_line_numbers_and_the_same_errors() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("c");
    write_set(&prefix, &genotypes());
    let [_, bim, _] = fileset_paths(&prefix);
    let text = std::fs::read_to_string(&bim).unwrap();
    // Blank lines are skipped but counted: records keep their file line numbers.
    let lines: Vec<&str> = text.lines().collect();
    let with_blanks = format!(
        "{}\n\n  \n{}\n",
        lines[..2].join("\n"),
        lines[2..].join("\n")
    );
    std::fs::write(&bim, &with_blanks).unwrap();
    let read: Vec<(usize, BimRecord)> = BimReader::open(&bim)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        read.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        vec![1, 2, 5, 6, 7]
    );
    assert_eq!(
        read.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(),
        read_bim(&bim).unwrap()
    );
    assert_eq!(read[2].1.id, "v2");
    assert_eq!(read[2].1.pos, 3000);
    // read_into reuses one record and counts what it read.
    let mut reader = BimReader::open(&bim).unwrap();
    let mut rec = BimRecord::default();
    assert_eq!(reader.read_into(&mut rec).unwrap(), Some(1));
    assert_eq!(reader.read_into(&mut rec).unwrap(), Some(2));
    assert_eq!((rec.id.as_str(), reader.records_read()), ("v1", 2));
    // Opening validates every line though it keeps none of them.
    let set = Fileset::open(&prefix).unwrap();
    assert_eq!(set.n_variants(), 5);
    assert_eq!(set.bim().unwrap().count().unwrap(), 5);

    // A bad value after good lines: the streaming reader stops there, with the same error
    // as reading the whole file, and the set does not open.
    std::fs::write(&bim, with_blanks.replace("\tv3\t0\t", "\tv3\tnear\t")).unwrap();
    let mut reader = BimReader::open(&bim).unwrap();
    for _ in 0..3 {
        reader.next().unwrap().unwrap();
    }
    let err = reader.next().unwrap().unwrap_err().to_string();
    assert!(
        err.ends_with("c.bim: line 6, column \"cM\": expected a number (found \"near\")"),
        "{err}"
    );
    assert_eq!(read_bim(&bim).unwrap_err().to_string(), err);
    assert_eq!(Fileset::open(&prefix).err().unwrap().to_string(), err);
    // A line with too few fields.
    std::fs::write(&bim, text.replace("\tv4\t", "\t")).unwrap();
    let err = Fileset::open(&prefix).err().unwrap().to_string();
    assert!(
        err.ends_with("c.bim: line 5: expected 6 fields (chrom ID cM position ALT REF), found 5"),
        "{err}"
    );

    // A .bim that changes after opening is noticed by read_variants.
    std::fs::write(&bim, &text).unwrap();
    let set = Fileset::open(&prefix).unwrap();
    std::fs::write(&bim, text.lines().take(3).collect::<Vec<_>>().join("\n")).unwrap();
    let err = set.read_variants().unwrap_err().to_string();
    assert!(
        err.ends_with("c.bim: now has 3 variants, 5 when the file set was opened"),
        "{err}"
    );
}

#[test]
fn plink2_counts_the_same_alleles() {
    let Some(plink2) = crate::peer_tool("plink2") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("c");
    write_set(&prefix, &genotypes());
    let out = dir.path().join("freq");
    let status = Command::new(plink2)
        .args([
            "--bfile",
            prefix.to_str().unwrap(),
            "--freq",
            "counts",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("freq.acount")).unwrap();
    // Columns: #CHROM ID REF ALT [PROVISIONAL_REF?] ALT_CTS OBS_CT
    let header: Vec<&str> = text.lines().next().unwrap().split('\t').collect();
    let alt_col = header.iter().position(|h| *h == "ALT_CTS").unwrap();
    let obs_col = header.iter().position(|h| *h == "OBS_CT").unwrap();
    for (line, g) in text.lines().skip(1).zip(genotypes()) {
        let f: Vec<&str> = line.split('\t').collect();
        let alt: i64 = g.iter().filter(|&&x| x >= 0).map(|&x| x as i64).sum();
        let obs: i64 = 2 * g.iter().filter(|&&x| x >= 0).count() as i64;
        assert_eq!(f[3], "A", "plink2's ALT is .bim column 5");
        assert_eq!(
            (
                f[alt_col].parse::<i64>().unwrap(),
                f[obs_col].parse::<i64>().unwrap()
            ),
            (alt, obs),
            "{line}"
        );
    }
}
