//! The scan on AVX2 + FMA intrinsics: 16-bar blocks (four 4-lane vectors)
//! whose local maps are composed off the critical path, leaving one FMA per
//! 16 bars on the loop-carried chain; and the many-series kernels with 4
//! series per register (4×4 transposes) and 2 groups interleaved.
#![cfg(target_arch = "x86_64")]

use core::arch::x86_64::*;

use super::{rsi_seed, rsi_value, seed_mean};
use crate::dispatch::Avx2Fma;
use crate::kernels::nontemporal;

/// Constants of the scan for one multiplier `a`.
#[derive(Clone, Copy)]
struct Scan {
    /// `[0, a, a, a]`: first shift step of the in-vector scan.
    as1: __m256d,
    /// `a²` broadcast: second shift step.
    a2: __m256d,
    /// `p[v] = [a^{4v+1}, …, a^{4v+4}]`: carry weights of vector `v`.
    p: [__m256d; 4],
    /// `a^16` broadcast (equal to lane 3 of `p[3]`).
    a16: __m256d,
}

/// Loads `s[i..i + 4]`.
///
/// # Safety
/// The CPU must support AVX.
#[inline(always)]
unsafe fn ld(s: &[f64], i: usize) -> __m256d {
    let c: &[f64; 4] = s[i..i + 4].try_into().unwrap();
    // SAFETY: `c` is a bounds-checked reference to 4 contiguous f64; AVX
    // is present per this function's contract.
    unsafe { _mm256_loadu_pd(c.as_ptr()) }
}

/// Stores `v` into `s[i..i + 4]`.
///
/// # Safety
/// The CPU must support AVX.
#[inline(always)]
unsafe fn st(s: &mut [f64], i: usize, v: __m256d) {
    let c: &mut [f64; 4] = (&mut s[i..i + 4]).try_into().unwrap();
    // SAFETY: `c` is a bounds-checked exclusive reference to 4 contiguous
    // f64; AVX is present per this function's contract.
    unsafe { _mm256_storeu_pd(c.as_mut_ptr(), v) }
}

/// # Safety
/// The CPU must support AVX2 and FMA.
#[inline(always)]
unsafe fn scan_consts(a: f64) -> Scan {
    let mut pw = [1.0f64; 17];
    for j in 1..17 {
        pw[j] = pw[j - 1] * a;
    }
    // SAFETY: register-only intrinsics; AVX is present per the contract.
    unsafe {
        let pv =
            |v: usize| _mm256_setr_pd(pw[4 * v + 1], pw[4 * v + 2], pw[4 * v + 3], pw[4 * v + 4]);
        Scan {
            as1: _mm256_setr_pd(0.0, a, a, a),
            a2: _mm256_set1_pd(pw[2]),
            p: [pv(0), pv(1), pv(2), pv(3)],
            a16: _mm256_set1_pd(pw[16]),
        }
    }
}

/// Lane 3 of `v` in every lane.
///
/// # Safety
/// The CPU must support AVX2.
#[inline(always)]
unsafe fn bcast3(v: __m256d) -> __m256d {
    // SAFETY: register-only intrinsic; AVX2 is present per the contract.
    unsafe { _mm256_permute4x64_pd::<0xFF>(v) }
}

/// In-vector inclusive scan: `z_j = Σ_{m≤j} a^{j−m} b_m`.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[inline(always)]
unsafe fn local4(k: &Scan, b: __m256d) -> __m256d {
    // SAFETY: register-only intrinsics; AVX2 and FMA are present per the
    // contract.
    unsafe {
        // [b0, b0, b1, b2] · [0, a, a, a] + b
        let s1 = _mm256_permute4x64_pd::<0b10_01_00_00>(b);
        let z = _mm256_fmadd_pd(k.as1, s1, b);
        // [0, 0, z0, z1] · a² + z
        let s2 = _mm256_permute2f128_pd::<0x08>(z, z);
        _mm256_fmadd_pd(k.a2, s2, z)
    }
}

/// One 16-bar block: `b` are the 16 `b_i`, `c` the carry (previous `y`,
/// broadcast). Returns the 16 outputs and updates the carry with one FMA.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[inline(always)]
unsafe fn block16(k: &Scan, b: [__m256d; 4], c: &mut __m256d) -> [__m256d; 4] {
    // SAFETY: register-only intrinsics; AVX2 and FMA are present per the
    // contract (the helpers called have the same contract).
    unsafe {
        let z0 = local4(k, b[0]);
        let z1 = local4(k, b[1]);
        let z2 = local4(k, b[2]);
        let z3 = local4(k, b[3]);
        // Compose the block locally (independent of the carry).
        let w1 = _mm256_fmadd_pd(k.p[0], bcast3(z0), z1);
        let w2 = _mm256_fmadd_pd(k.p[0], bcast3(w1), z2);
        let w3 = _mm256_fmadd_pd(k.p[0], bcast3(w2), z3);
        let cin = *c;
        *c = _mm256_fmadd_pd(k.a16, cin, bcast3(w3));
        [
            _mm256_fmadd_pd(k.p[0], cin, z0),
            _mm256_fmadd_pd(k.p[1], cin, w1),
            _mm256_fmadd_pd(k.p[2], cin, w2),
            _mm256_fmadd_pd(k.p[3], cin, w3),
        ]
    }
}

/// `out[i] = a·out[i−1] + c·x[i]` from `y0`.
pub(crate) fn affine(_t: Avx2Fma, a: f64, c: f64, x: &[f64], y0: f64, out: &mut [f64]) {
    // SAFETY: the token proves AVX2 and FMA; `x.len() == out.len()` (checked
    // by the callers; every access is bounds-checked anyway).
    unsafe { affine_impl(a, c, x, y0, out) }
}

/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
unsafe fn affine_impl(a: f64, c: f64, x: &[f64], y0: f64, out: &mut [f64]) {
    let n = x.len().min(out.len());
    // SAFETY: register-only intrinsics and bounds-checked `ld`/`st`; AVX2 and
    // FMA are enabled on this function.
    unsafe {
        let k = scan_consts(a);
        let cv = _mm256_set1_pd(c);
        let mut carry = _mm256_set1_pd(y0);
        let mut i = 0;
        while i + 16 <= n {
            let b = [
                _mm256_mul_pd(cv, ld(x, i)),
                _mm256_mul_pd(cv, ld(x, i + 4)),
                _mm256_mul_pd(cv, ld(x, i + 8)),
                _mm256_mul_pd(cv, ld(x, i + 12)),
            ];
            let y = block16(&k, b, &mut carry);
            st(out, i, y[0]);
            st(out, i + 4, y[1]);
            st(out, i + 8, y[2]);
            st(out, i + 12, y[3]);
            i += 16;
        }
        let mut y = _mm256_cvtsd_f64(carry);
        while i < n {
            y = a.mul_add(y, c * x[i]);
            out[i] = y;
            i += 1;
        }
    }
}

/// RSI after the seed (see `scalar::rsi_tail`).
pub(crate) fn rsi_tail(_t: Avx2Fma, period: usize, x: &[f64], g0: f64, l0: f64, out: &mut [f64]) {
    // SAFETY: the token proves AVX2 and FMA; accesses are bounds-checked.
    unsafe { rsi_tail_impl(period, x, g0, l0, out) }
}

/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
unsafe fn rsi_tail_impl(period: usize, x: &[f64], g0: f64, l0: f64, out: &mut [f64]) {
    let n = out.len().min(x.len().saturating_sub(1));
    let inv = 1.0 / period as f64;
    let a = (period - 1) as f64 * inv;
    // SAFETY: register-only intrinsics and bounds-checked `ld`/`st`; AVX2 and
    // FMA are enabled on this function.
    unsafe {
        let k = scan_consts(a);
        let iv = _mm256_set1_pd(inv);
        let zero = _mm256_setzero_pd();
        let hundred = _mm256_set1_pd(100.0);
        let mut cg = _mm256_set1_pd(g0);
        let mut cl = _mm256_set1_pd(l0);
        let mut i = 0;
        while i + 16 <= n {
            let mut bg = [zero; 4];
            let mut bl = [zero; 4];
            for v in 0..4 {
                let d = _mm256_sub_pd(ld(x, i + 4 * v + 1), ld(x, i + 4 * v));
                let gain = _mm256_max_pd(d, zero);
                bg[v] = _mm256_mul_pd(gain, iv);
                bl[v] = _mm256_mul_pd(_mm256_sub_pd(gain, d), iv);
            }
            let g = block16(&k, bg, &mut cg);
            let l = block16(&k, bl, &mut cl);
            for v in 0..4 {
                let s = _mm256_add_pd(g[v], l[v]);
                let r = _mm256_mul_pd(hundred, _mm256_div_pd(g[v], s));
                let m = _mm256_cmp_pd::<_CMP_GT_OQ>(s, zero);
                st(out, i + 4 * v, _mm256_and_pd(m, r));
            }
            i += 16;
        }
        let mut g = _mm256_cvtsd_f64(cg);
        let mut l = _mm256_cvtsd_f64(cl);
        while i < n {
            let d = x[i + 1] - x[i];
            let gd = if d > 0.0 { d } else { 0.0 };
            g = a.mul_add(g, gd * inv);
            l = a.mul_add(l, (gd - d) * inv);
            out[i] = rsi_value(g, l);
            i += 1;
        }
    }
}

/// True range of 4 bars at `i`.
///
/// # Safety
/// The CPU must support AVX2.
#[inline(always)]
unsafe fn tr4(h: &[f64], l: &[f64], c: &[f64], i: usize) -> __m256d {
    // SAFETY: register-only intrinsics and bounds-checked `ld`; AVX is
    // present per the contract.
    unsafe {
        let sign = _mm256_set1_pd(-0.0);
        let (hv, lv, cv) = (ld(h, i), ld(l, i), ld(c, i));
        let hl = _mm256_sub_pd(hv, lv);
        let hc = _mm256_andnot_pd(sign, _mm256_sub_pd(hv, cv));
        let lc = _mm256_andnot_pd(sign, _mm256_sub_pd(lv, cv));
        _mm256_max_pd(_mm256_max_pd(hl, hc), lc)
    }
}

/// True range (see `scalar::trange`).
pub(crate) fn trange(_t: Avx2Fma, h: &[f64], l: &[f64], c: &[f64], out: &mut [f64]) {
    // SAFETY: the token proves AVX2 and FMA; accesses are bounds-checked.
    unsafe { trange_impl(h, l, c, out) }
}

/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
unsafe fn trange_impl(h: &[f64], l: &[f64], c: &[f64], out: &mut [f64]) {
    let n = out.len();
    let mut i = 0;
    while i + 4 <= n {
        // SAFETY: bounds-checked `tr4`/`st`; AVX2 is enabled here.
        unsafe { st(out, i, tr4(h, l, c, i)) };
        i += 4;
    }
    super::scalar::trange(&h[i..], &l[i..], &c[i..], &mut out[i..]);
}

/// ATR after the seed (see `scalar::atr_tail`).
pub(crate) fn atr_tail(
    _t: Avx2Fma,
    period: usize,
    h: &[f64],
    l: &[f64],
    c: &[f64],
    y0: f64,
    out: &mut [f64],
) {
    // SAFETY: the token proves AVX2 and FMA; accesses are bounds-checked.
    unsafe { atr_tail_impl(period, h, l, c, y0, out) }
}

/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
unsafe fn atr_tail_impl(period: usize, h: &[f64], l: &[f64], c: &[f64], y0: f64, out: &mut [f64]) {
    let n = out.len();
    let inv = 1.0 / period as f64;
    let a = (period - 1) as f64 / period as f64;
    // SAFETY: register-only intrinsics and bounds-checked `ld`/`st`/`tr4`;
    // AVX2 and FMA are enabled on this function.
    unsafe {
        let k = scan_consts(a);
        let iv = _mm256_set1_pd(inv);
        let mut carry = _mm256_set1_pd(y0);
        let mut i = 0;
        while i + 16 <= n {
            let b = [
                _mm256_mul_pd(tr4(h, l, c, i), iv),
                _mm256_mul_pd(tr4(h, l, c, i + 4), iv),
                _mm256_mul_pd(tr4(h, l, c, i + 8), iv),
                _mm256_mul_pd(tr4(h, l, c, i + 12), iv),
            ];
            let y = block16(&k, b, &mut carry);
            for (v, yv) in y.into_iter().enumerate() {
                st(out, i + 4 * v, yv);
            }
            i += 16;
        }
        let mut y = _mm256_cvtsd_f64(carry);
        while i < n {
            let cp = c[i];
            let tr = (h[i] - l[i]).max((h[i] - cp).abs()).max((l[i] - cp).abs());
            y = a.mul_add(y, tr * inv);
            out[i] = y;
            i += 1;
        }
    }
}

/// 4×4 transpose: rows (series) ↔ columns (bars).
///
/// # Safety
/// The CPU must support AVX.
#[inline(always)]
unsafe fn transpose(r: [__m256d; 4]) -> [__m256d; 4] {
    // SAFETY: register-only intrinsics; AVX is present per the contract.
    unsafe {
        let t0 = _mm256_unpacklo_pd(r[0], r[1]);
        let t1 = _mm256_unpackhi_pd(r[0], r[1]);
        let t2 = _mm256_unpacklo_pd(r[2], r[3]);
        let t3 = _mm256_unpackhi_pd(r[2], r[3]);
        [
            _mm256_permute2f128_pd::<0x20>(t0, t2),
            _mm256_permute2f128_pd::<0x20>(t1, t3),
            _mm256_permute2f128_pd::<0x31>(t0, t2),
            _mm256_permute2f128_pd::<0x31>(t1, t3),
        ]
    }
}

/// Lanes of `v` as an array.
///
/// # Safety
/// The CPU must support AVX.
#[inline(always)]
unsafe fn lanes(v: __m256d) -> [f64; 4] {
    let mut a = [0.0; 4];
    // SAFETY: `a` holds 4 f64; AVX is present per the contract.
    unsafe { _mm256_storeu_pd(a.as_mut_ptr(), v) };
    a
}

/// EMA of 8 series (2 interleaved groups of 4), then 4, then one by one.
/// `n >= period >= 2`; all lengths equal (checked by the caller).
/// A call whose outputs total more than
/// [`STREAM_MIN_BYTES`](crate::kernels::nontemporal::STREAM_MIN_BYTES)
/// writes them with non-temporal stores (same values, less memory traffic).
pub(crate) fn ema_many(t: Avx2Fma, xs: &[&[f64]], period: usize, outs: &mut [&mut [f64]]) {
    let n = xs.first().map_or(0, |x| x.len());
    let stream = nontemporal::worth_streaming(n.saturating_mul(xs.len()));
    let mut j = 0;
    while j + 8 <= xs.len() {
        // SAFETY: the token proves AVX2 and FMA; accesses are bounds-checked.
        unsafe { ema_lanes::<2>(&xs[j..j + 8], period, &mut outs[j..j + 8], stream) };
        j += 8;
    }
    if j + 4 <= xs.len() {
        // SAFETY: as above.
        unsafe { ema_lanes::<1>(&xs[j..j + 4], period, &mut outs[j..j + 4], stream) };
        j += 4;
    }
    if stream {
        nontemporal::fence();
    }
    for (x, o) in xs[j..].iter().zip(outs[j..].iter_mut()) {
        super::ema_run(super::Be::Avx2(t), x, period, o);
    }
}

/// With `stream`, the vector loop starts where the first output is 32-byte
/// aligned (the bars before it take the scalar step, which computes the
/// same bits as a lane) and stores non-temporally to every output aligned
/// like it (normal stores to the others); the caller then fences.
///
/// # Safety
/// The CPU must support AVX2 and FMA; `xs` and `outs` hold `4·G` slices.
#[target_feature(enable = "avx2,fma")]
unsafe fn ema_lanes<const G: usize>(
    xs: &[&[f64]],
    period: usize,
    outs: &mut [&mut [f64]],
    stream: bool,
) {
    let n = xs[0].len();
    let k = 2.0 / (period + 1) as f64;
    let a = 1.0 - k;
    let mut y = [[0.0f64; 4]; G];
    for (s, (x, o)) in xs.iter().zip(outs.iter_mut()).enumerate() {
        let seed = seed_mean(&x[..period]);
        o[..period - 1].fill(f64::NAN);
        o[period - 1] = seed;
        y[s / 4][s % 4] = seed;
    }
    let start = if stream {
        (period + nontemporal::to_boundary(outs[0], period)).min(n)
    } else {
        period
    };
    for (s, (x, o)) in xs.iter().zip(outs.iter_mut()).enumerate() {
        let v = &mut y[s / 4][s % 4];
        for i in period..start {
            *v = a.mul_add(*v, k * x[i]);
            o[i] = *v;
        }
    }
    // SAFETY: register-only intrinsics and bounds-checked `ld`/`st`; AVX2 and
    // FMA are enabled on this function.
    unsafe {
        let (av, kv) = (_mm256_set1_pd(a), _mm256_set1_pd(k));
        let mut yv = [_mm256_setzero_pd(); G];
        for g in 0..G {
            yv[g] = _mm256_loadu_pd(y[g].as_ptr());
        }
        let mut t = start;
        while t + 4 <= n {
            let mut cols = [[_mm256_setzero_pd(); 4]; G];
            for g in 0..G {
                let r = [
                    ld(xs[4 * g], t),
                    ld(xs[4 * g + 1], t),
                    ld(xs[4 * g + 2], t),
                    ld(xs[4 * g + 3], t),
                ];
                cols[g] = transpose(r);
            }
            let mut res = [[_mm256_setzero_pd(); 4]; G];
            for s in 0..4 {
                for g in 0..G {
                    yv[g] = _mm256_fmadd_pd(av, yv[g], _mm256_mul_pd(kv, cols[g][s]));
                    res[g][s] = yv[g];
                }
            }
            for g in 0..G {
                let r = transpose(res[g]);
                for (q, rq) in r.into_iter().enumerate() {
                    nontemporal::store(outs[4 * g + q], t, rq, stream);
                }
            }
            t += 4;
        }
        for g in 0..G {
            y[g] = lanes(yv[g]);
        }
    }
    let tail = n - (n - start) % 4;
    for (s, (x, o)) in xs.iter().zip(outs.iter_mut()).enumerate() {
        let mut v = y[s / 4][s % 4];
        for i in tail..n {
            v = a.mul_add(v, k * x[i]);
            o[i] = v;
        }
    }
}

/// RSI of 8 series (2 interleaved groups of 4), then 4, then one by one.
/// `n > period >= 2`; all lengths equal (checked by the caller).
pub(crate) fn rsi_many(t: Avx2Fma, xs: &[&[f64]], period: usize, outs: &mut [&mut [f64]]) {
    let mut j = 0;
    while j + 8 <= xs.len() {
        // SAFETY: the token proves AVX2 and FMA; accesses are bounds-checked.
        unsafe { rsi_lanes::<2>(&xs[j..j + 8], period, &mut outs[j..j + 8]) };
        j += 8;
    }
    if j + 4 <= xs.len() {
        // SAFETY: as above.
        unsafe { rsi_lanes::<1>(&xs[j..j + 4], period, &mut outs[j..j + 4]) };
        j += 4;
    }
    for (x, o) in xs[j..].iter().zip(outs[j..].iter_mut()) {
        super::rsi_run(super::Be::Avx2(t), x, period, o);
    }
}

/// # Safety
/// The CPU must support AVX2 and FMA; `xs` and `outs` hold `4·G` slices.
#[target_feature(enable = "avx2,fma")]
unsafe fn rsi_lanes<const G: usize>(xs: &[&[f64]], period: usize, outs: &mut [&mut [f64]]) {
    let n = xs[0].len();
    let inv = 1.0 / period as f64;
    let a = (period - 1) as f64 * inv;
    let mut gs = [[0.0f64; 4]; G];
    let mut ls = [[0.0f64; 4]; G];
    let mut ps = [[0.0f64; 4]; G];
    for (s, (x, o)) in xs.iter().zip(outs.iter_mut()).enumerate() {
        let (g, l) = rsi_seed(x, period);
        o[..period].fill(f64::NAN);
        o[period] = rsi_value(g, l);
        gs[s / 4][s % 4] = g;
        ls[s / 4][s % 4] = l;
        ps[s / 4][s % 4] = x[period];
    }
    let start = period + 1;
    // SAFETY: register-only intrinsics and bounds-checked `ld`/`st`; AVX2 and
    // FMA are enabled on this function.
    unsafe {
        let (av, iv) = (_mm256_set1_pd(a), _mm256_set1_pd(inv));
        let zero = _mm256_setzero_pd();
        let hundred = _mm256_set1_pd(100.0);
        let mut gv = [zero; G];
        let mut lv = [zero; G];
        let mut pv = [zero; G];
        for g in 0..G {
            gv[g] = _mm256_loadu_pd(gs[g].as_ptr());
            lv[g] = _mm256_loadu_pd(ls[g].as_ptr());
            pv[g] = _mm256_loadu_pd(ps[g].as_ptr());
        }
        let mut t = start;
        while t + 4 <= n {
            let mut cols = [[zero; 4]; G];
            for g in 0..G {
                let r = [
                    ld(xs[4 * g], t),
                    ld(xs[4 * g + 1], t),
                    ld(xs[4 * g + 2], t),
                    ld(xs[4 * g + 3], t),
                ];
                cols[g] = transpose(r);
            }
            let mut res = [[zero; 4]; G];
            for s in 0..4 {
                for g in 0..G {
                    let d = _mm256_sub_pd(cols[g][s], pv[g]);
                    pv[g] = cols[g][s];
                    let gain = _mm256_max_pd(d, zero);
                    let loss = _mm256_sub_pd(gain, d);
                    gv[g] = _mm256_fmadd_pd(av, gv[g], _mm256_mul_pd(gain, iv));
                    lv[g] = _mm256_fmadd_pd(av, lv[g], _mm256_mul_pd(loss, iv));
                    let sum = _mm256_add_pd(gv[g], lv[g]);
                    let r = _mm256_mul_pd(hundred, _mm256_div_pd(gv[g], sum));
                    let m = _mm256_cmp_pd::<_CMP_GT_OQ>(sum, zero);
                    res[g][s] = _mm256_and_pd(m, r);
                }
            }
            for g in 0..G {
                let r = transpose(res[g]);
                for (q, rq) in r.into_iter().enumerate() {
                    st(outs[4 * g + q], t, rq);
                }
            }
            t += 4;
        }
        for g in 0..G {
            gs[g] = lanes(gv[g]);
            ls[g] = lanes(lv[g]);
        }
    }
    for (s, (x, o)) in xs.iter().zip(outs.iter_mut()).enumerate() {
        let (mut g, mut l) = (gs[s / 4][s % 4], ls[s / 4][s % 4]);
        for i in n - (n - start) % 4..n {
            let d = x[i] - x[i - 1];
            let gd = if d > 0.0 { d } else { 0.0 };
            g = a.mul_add(g, gd * inv);
            l = a.mul_add(l, (gd - d) * inv);
            o[i] = rsi_value(g, l);
        }
    }
}

/// MACD after the signal seed (see `scalar::macd_tail`): the fast, slow
/// and signal EMAs in one pass, each as a stride-4 recurrence on whole
/// vectors (see [`macd_tail_impl`]).
pub(crate) fn macd_tail(
    _t: Avx2Fma,
    k: [f64; 3],
    x: &[f64],
    y: [f64; 3],
    m: &mut [f64],
    s: &mut [f64],
    h: &mut [f64],
) {
    assert!(m.len() == x.len() && s.len() == x.len() && h.len() == x.len());
    // SAFETY: the token proves AVX2 and FMA; the four slices were just
    // checked to have one length.
    unsafe { macd_tail_impl(k, x, y, m, s, h) }
}

/// One serial MACD step from `(ef, es, eg)`: the same operations as a
/// lane of the vector loop's scalar head and tail.
#[inline(always)]
fn macd_step(k: [f64; 3], a: [f64; 3], e: &mut [f64; 3], x: f64) -> (f64, f64) {
    e[0] = a[0].mul_add(e[0], k[0] * x);
    e[1] = a[1].mul_add(e[1], k[1] * x);
    let v = e[0] - e[1];
    e[2] = a[2].mul_add(e[2], k[2] * v);
    (v, e[2])
}

/// `x0 + a·(x1 + a·(x2 + a·x3))` by Horner's rule.
///
/// # Safety
/// The CPU must support FMA.
#[inline(always)]
unsafe fn horner(a: __m256d, x3: __m256d, x2: __m256d, x1: __m256d, x0: __m256d) -> __m256d {
    // SAFETY: register-only intrinsics; FMA is present per the contract.
    unsafe { _mm256_fmadd_pd(a, _mm256_fmadd_pd(a, _mm256_fmadd_pd(a, x3, x2), x1), x0) }
}

/// Lane 3 of `v`.
///
/// # Safety
/// The CPU must support AVX2.
#[inline(always)]
unsafe fn lane3(v: __m256d) -> f64 {
    // SAFETY: register-only intrinsics; AVX2 is present per the contract.
    unsafe { _mm256_cvtsd_f64(bcast3(v)) }
}

/// The three EMAs with no in-register scan: unrolled four times,
/// `y_i = a⁴·y_{i−4} + k·(x_i + a·x_{i−1} + a²·x_{i−2} + a³·x_{i−3})`, so a
/// vector of bars `i..i+4` follows from the vector of bars `i−4..i` with
/// one FMA, and the bracket (a 4-tap filter, Horner's rule) comes from
/// unaligned loads of `x` at `i−3..=i`. The signal line filters the MACD
/// line the same way; its shifted copies come from the previous MACD
/// vector with one cross-lane and two in-lane shuffles. Per 4 bars that is
/// 15 multiplies/FMAs, 2 subtractions and 3 shuffles (the 16-bar block
/// scan needs the same multiplies plus 36 shuffles, which bound it), and
/// the loop-carried chains are one FMA per 4 bars each. The first four
/// bars (which give the first vectors) and the last `< 4` run serially.
///
/// # Safety
/// The CPU must support AVX2 and FMA; `m`, `s` and `h` have `x`'s length.
#[target_feature(enable = "avx2,fma")]
unsafe fn macd_tail_impl(
    k: [f64; 3],
    x: &[f64],
    y: [f64; 3],
    m: &mut [f64],
    s: &mut [f64],
    h: &mut [f64],
) {
    let n = x.len();
    let a = [1.0 - k[0], 1.0 - k[1], 1.0 - k[2]];
    let mut e = y;
    let head = n.min(4);
    let (mut hf, mut hs, mut hg, mut hm) = ([0.0; 4], [0.0; 4], [0.0; 4], [0.0; 4]);
    for i in 0..head {
        let (v, g) = macd_step(k, a, &mut e, x[i]);
        (hf[i], hs[i], hg[i], hm[i]) = (e[0], e[1], g, v);
        m[i] = v;
        s[i] = g;
        h[i] = v - g;
    }
    let mut i = head;
    if n >= 8 {
        let (xp, mp, sp, hp) = (x.as_ptr(), m.as_mut_ptr(), s.as_mut_ptr(), h.as_mut_ptr());
        // SAFETY: register-only intrinsics, plus loads and stores at
        // `i − 3 ..= i + 3` with `4 <= i` and `i + 4 <= n` (the loop
        // condition), inside `x`, `m`, `s` and `h` (all of length `n`);
        // AVX2 and FMA are enabled on this function.
        unsafe {
            let [a4f, a4s, a4g] = a.map(|v| (v * v) * (v * v));
            let (af, as_, ag) = (
                _mm256_set1_pd(a[0]),
                _mm256_set1_pd(a[1]),
                _mm256_set1_pd(a[2]),
            );
            let (af4, as4, ag4) = (
                _mm256_set1_pd(a4f),
                _mm256_set1_pd(a4s),
                _mm256_set1_pd(a4g),
            );
            let (kf, ks, kg) = (
                _mm256_set1_pd(k[0]),
                _mm256_set1_pd(k[1]),
                _mm256_set1_pd(k[2]),
            );
            let mut fv = _mm256_loadu_pd(hf.as_ptr());
            let mut sv = _mm256_loadu_pd(hs.as_ptr());
            let mut gv = _mm256_loadu_pd(hg.as_ptr());
            let mut mprev = _mm256_loadu_pd(hm.as_ptr());
            while i + 4 <= n {
                let x0 = _mm256_loadu_pd(xp.add(i));
                let x1 = _mm256_loadu_pd(xp.add(i - 1));
                let x2 = _mm256_loadu_pd(xp.add(i - 2));
                let x3 = _mm256_loadu_pd(xp.add(i - 3));
                let cf = horner(af, x3, x2, x1, x0);
                let cs = horner(as_, x3, x2, x1, x0);
                fv = _mm256_fmadd_pd(af4, fv, _mm256_mul_pd(kf, cf));
                sv = _mm256_fmadd_pd(as4, sv, _mm256_mul_pd(ks, cs));
                let mv = _mm256_sub_pd(fv, sv);
                // The MACD line shifted by 2, 1 and 3 bars.
                let m2 = _mm256_permute2f128_pd::<0x21>(mprev, mv);
                let m1 = _mm256_shuffle_pd::<0b0101>(m2, mv);
                let m3 = _mm256_shuffle_pd::<0b0101>(mprev, m2);
                let cg = horner(ag, m3, m2, m1, mv);
                gv = _mm256_fmadd_pd(ag4, gv, _mm256_mul_pd(kg, cg));
                _mm256_storeu_pd(mp.add(i), mv);
                _mm256_storeu_pd(sp.add(i), gv);
                _mm256_storeu_pd(hp.add(i), _mm256_sub_pd(mv, gv));
                mprev = mv;
                i += 4;
            }
            e = [lane3(fv), lane3(sv), lane3(gv)];
        }
    }
    while i < n {
        let (v, g) = macd_step(k, a, &mut e, x[i]);
        m[i] = v;
        s[i] = g;
        h[i] = v - g;
        i += 1;
    }
}
