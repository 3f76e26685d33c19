//! Number formatting as PLINK 2 prints it: 6 significant digits in C's `%g` style
//! (exponent with at least two digits, trailing zeros dropped), and p-values printed from
//! their logarithm so that values below the double range print as e.g. `1.86532e-559`
//! instead of 0.

use std::f64::consts::LN_10;

/// `%g` with 6 significant digits; `NA` for NaN.
pub fn g6(x: f64) -> String {
    let mut out = Vec::with_capacity(14);
    push_g6(&mut out, x);
    String::from_utf8(out).expect("ASCII")
}

/// Appends `%g` with 6 significant digits (`NA` for NaN) to the ASCII text `out` without
/// allocating.
///
/// Digits come from one scaled multiplication; when the scaled value sits within rounding
/// noise of a tie the exact (slower) formatter decides, so the output always equals C's.
/// Millions of numbers go through here in a genome scan, so the decimal exponent comes from
/// the binary one and the powers of ten from a table rather than `log10`/`powi`, and
/// rounding is integer conversion (the baseline x86-64 target has no rounding instruction).
pub fn push_g6(out: &mut Vec<u8>, x: f64) {
    if x.is_nan() {
        return out.extend_from_slice(b"NA");
    }
    if x.is_infinite() {
        return out.extend_from_slice(if x > 0.0 { b"inf" } else { b"-inf" });
    }
    if x == 0.0 {
        return out.push(b'0');
    }
    let a = x.abs();
    let binary_exp = ((a.to_bits() >> 52) & 0x7ff) as i64 - 1023;
    if binary_exp == -1023 {
        // Subnormal: rare enough for the exact path.
        return out.extend_from_slice(g6_exact(x).as_bytes());
    }
    // ⌊b·log10 2⌋ (log10 2 to 2⁻³² is exact enough for every binary exponent), which is
    // ⌊log10 a⌋ or one less.
    let mut e = ((binary_exp * 1_292_913_986) >> 32) as i32;
    let mut m = scale(a, 5 - e);
    // m ≥ 0 is far below 2⁵², so adding ½ is exact and truncation rounds half up.
    let round = |m: f64| (m + 0.5) as u64;
    if round(m) >= 1_000_000 {
        e += 1;
        m = scale(a, 5 - e);
    } else if m < 1e5 - 0.5 {
        e -= 1;
        m = scale(a, 5 - e);
    }
    let frac = m - (m as u64) as f64;
    if !m.is_finite() || (frac - 0.5).abs() < 1e-6 {
        return out.extend_from_slice(g6_exact(x).as_bytes());
    }
    let digits = round(m);
    if !(100_000..1_000_000).contains(&digits) {
        return out.extend_from_slice(g6_exact(x).as_bytes());
    }
    // The six digits as bytes of one word, the most significant lowest (the order they are
    // printed in), and how many remain once trailing zeros go.
    let (hi, lo) = (digits / 1000, digits % 1000);
    let d = u64::from(THREE_DIGITS[hi as usize]) | u64::from(THREE_DIGITS[lo as usize]) << 24;
    let len = 6 - (d.leading_zeros() / 8 - 2) as usize;
    let ascii = d | 0x0000_3030_3030_3030;
    // The whole number is assembled with stores of fixed size (no copy of variable length,
    // which would call memcpy) and appended at once.
    let mut buf = [b'0'; 32];
    let mut n = 0;
    if x < 0.0 {
        buf[0] = b'-';
        n = 1;
    }
    let store = |buf: &mut [u8; 32], at: usize, word: u64| {
        buf[at..at + 8].copy_from_slice(&word.to_le_bytes());
    };
    if !(-4..6).contains(&e) {
        // d.ddddde±XX
        store(&mut buf, n, ascii);
        store(&mut buf, n + 2, ascii >> 8);
        buf[n + 1] = b'.';
        n += if len > 1 { len + 1 } else { 1 };
        let abs = e.unsigned_abs() as usize;
        buf[n] = b'e';
        buf[n + 1] = if e < 0 { b'-' } else { b'+' };
        if abs < 100 {
            buf[n + 2] = b'0' + (abs / 10) as u8;
            buf[n + 3] = b'0' + (abs % 10) as u8;
            n += 4;
        } else {
            let three = (THREE_DIGITS[abs] | 0x30_3030).to_le_bytes();
            buf[n + 2..n + 5].copy_from_slice(&three[..3]);
            n += 5;
        }
    } else if e >= 0 {
        // The integer digits, then the fraction's after a point.
        let int = e as usize + 1;
        store(&mut buf, n, ascii);
        if len > int {
            store(&mut buf, n + int + 1, ascii >> (8 * int));
            buf[n + int] = b'.';
            n += len + 1;
        } else {
            n += int;
        }
    } else {
        // 0.000ddd: the zeros are already in the buffer.
        let zeros = (-e - 1) as usize;
        buf[n + 1] = b'.';
        store(&mut buf, n + 2 + zeros, ascii);
        n += 2 + zeros + len;
    }
    let start = out.len();
    out.extend_from_slice(&buf);
    out.truncate(start + n);
}

/// The decimal digits of 0 to 999, most significant in the lowest byte, as values 0 to 9
/// (`| b'0'` per byte makes them ASCII).
static THREE_DIGITS: [u32; 1000] = {
    let mut t = [0u32; 1000];
    let mut i = 0;
    while i < 1000 {
        t[i] = (i / 100) as u32 | ((i / 10 % 10) as u32) << 8 | ((i % 10) as u32) << 16;
        i += 1;
    }
    t
};

/// Appends an integer in decimal.
pub fn push_int(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    let mut buf = [0u8; 20];
    out.extend_from_slice(decimal(v.unsigned_abs(), &mut buf));
}

/// The decimal digits of `v`, written at the end of `buf`.
fn decimal(mut v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            return &buf[i..];
        }
    }
}

/// `a × 10^k` without overflow for |k| up to ~640: one multiplication by a tabulated power
/// where |k| ≤ 300.
fn scale(a: f64, k: i32) -> f64 {
    if k.abs() <= 300 {
        a * pow10(k)
    } else {
        a * 10f64.powi(k / 2) * 10f64.powi(k - k / 2)
    }
}

/// `10^k` for |k| ≤ 300, correctly rounded (parsed once).
fn pow10(k: i32) -> f64 {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        (-300..=300)
            .map(|k| format!("1e{k}").parse().expect("a power of ten"))
            .collect()
    });
    table[(k + 300) as usize]
}

/// `%g` with 6 significant digits through Rust's exact decimal conversion.
fn g6_exact(x: f64) -> String {
    let sci = format!("{x:.5e}");
    let (mant, exp) = sci.split_once('e').expect("exponent");
    let exp: i32 = exp.parse().expect("integer exponent");
    if !(-4..6).contains(&exp) {
        scientific(mant, exp)
    } else {
        let s = format!("{:.*}", (5 - exp) as usize, x);
        trim_zeros(&s).to_owned()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

fn scientific(mant: &str, exp: i32) -> String {
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{}e{sign}{:02}", trim_zeros(mant), exp.abs())
}

/// A p-value given as `ln p`, with 6 significant digits, never 0; `NA` for NaN.
pub fn p_from_ln(ln_p: f64) -> String {
    let mut out = Vec::with_capacity(14);
    push_p_from_ln(&mut out, ln_p, ln_p.exp());
    String::from_utf8(out).expect("ASCII")
}

/// Appends [`p_from_ln`]'s text to `out`; `p` is `exp(ln_p)`, which the caller has at hand.
pub fn push_p_from_ln(out: &mut Vec<u8>, ln_p: f64, p: f64) {
    if ln_p.is_nan() {
        return out.extend_from_slice(b"NA");
    }
    if ln_p > -700.0 {
        return push_g6(out, p);
    }
    let l10 = ln_p / LN_10;
    let mut e = l10.floor();
    let mut mant = 10f64.powf(l10 - e);
    if format!("{mant:.5}").starts_with("10") {
        mant /= 10.0;
        e += 1.0;
    }
    out.extend_from_slice(scientific(&format!("{mant:.5}"), e as i32).as_bytes());
}

/// `−log10 p` from `ln p`.
pub fn log10p(ln_p: f64) -> f64 {
    -ln_p / LN_10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_plink2_printing() {
        assert_eq!(g6(0.0708702), "0.0708702");
        assert_eq!(g6(-0.86854), "-0.86854");
        assert_eq!(g6(5.935781e-5), "5.93578e-05");
        assert_eq!(g6(1.273149e-122), "1.27315e-122");
        assert_eq!(g6(0.5), "0.5");
        assert_eq!(g6(123456.7), "123457");
        assert_eq!(g6(1234567.0), "1.23457e+06");
        assert_eq!(g6(0.0001), "0.0001");
        assert_eq!(g6(f64::NAN), "NA");
        assert_eq!(g6(-2.92522e-7), "-2.92522e-07");
        assert_eq!(g6(999999.6), "1e+06");
        assert_eq!(g6(0.5078125), "0.507812"); // an exact tie rounds to even, as printf
        assert_eq!(g6(4.9e-324), "4.94066e-324");
        // The fast path agrees with the exact formatter across magnitudes.
        let mut x = 1.234_567_891e-300f64;
        while x < 1e300 {
            for v in [x, -x, x * 3.7, x * 9.999_996] {
                assert_eq!(g6(v), g6_exact(v), "{v:e}");
            }
            x *= 13.7;
        }
        // Random bit patterns over the whole range, and values a hair either side of the
        // six-digit ties, where a scaling error of one ulp would show.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let v = f64::from_bits(state);
            if v.is_finite() {
                assert_eq!(g6(v), g6_exact(v), "{v:e}");
            }
            let digits = (state % 900_000 + 100_000) as f64 + 0.5;
            let e = (state >> 40) as i32 % 600 - 300;
            let tie = digits * 10f64.powi(e);
            for v in [tie, tie.next_up(), tie.next_down(), -tie] {
                assert_eq!(g6(v), g6_exact(v), "{v:e}");
            }
        }
        for v in [i64::MIN, -1, 0, 7, 4975, i64::MAX] {
            let mut s = Vec::new();
            push_int(&mut s, v);
            assert_eq!(s, v.to_string().as_bytes());
        }
        assert_eq!(p_from_ln((1.27315e-122f64).ln()), "1.27315e-122");
        assert_eq!(p_from_ln(-559.0 * LN_10 + 1.865f64.ln()), "1.865e-559");
        assert_eq!(p_from_ln(-1000.0 * LN_10 + 9.999999f64.ln()), "1e-999");
    }
}
