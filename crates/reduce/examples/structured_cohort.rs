//! Writes the structured test cohort as PLINK files, for comparisons with plink2 and for the
//! benchmark: `cargo run --release -p biomarker-reduce --example structured_cohort --
//! PREFIX SAMPLES VARIANTS MISSING SEED`.

#[path = "../tests/it/cohort.rs"]
mod cohort;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 6 {
        eprintln!("usage: structured_cohort PREFIX SAMPLES VARIANTS MISSING SEED");
        std::process::exit(2);
    }
    let parse = |i: usize| {
        args[i]
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("argument {i}: not a number: {}", args[i]))
    };
    let cohort = cohort::Cohort::structured(
        parse(2) as usize,
        parse(3) as usize,
        parse(4),
        parse(5) as u64,
    );
    cohort.write(std::path::Path::new(&args[1]));
}
