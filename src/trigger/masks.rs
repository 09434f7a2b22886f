//! `held` and `within` as word operations on bit masks.
//!
//! `held(c, n)` at bar i is the AND of `c` at bars i−n+1 ..= i (false
//! when fewer than n bars exist); `within(c, n)` is the OR (over the bars
//! that exist). Both combine shifted copies of the mask; by doubling
//! (`a_{2k} = a_k ∘ (a_k shifted by k)`) and one final overlapping
//! combination, a window of n bars costs O(log n) passes over the words.

use crate::BitMask;

/// `m` with bit i moved to i + k (bits shifted past the end drop; the low
/// k bits become 0).
fn shifted(m: &BitMask, k: usize) -> BitMask {
    let n = m.len();
    let mut out = BitMask::zeros(n);
    if k >= n {
        return out;
    }
    let src = m.words();
    let (word_shift, bit_shift) = (k / 64, k % 64);
    let dst = out.words_mut();
    for i in word_shift..dst.len() {
        let mut w = src[i - word_shift] << bit_shift;
        if bit_shift > 0 && i > word_shift {
            w |= src[i - word_shift - 1] >> (64 - bit_shift);
        }
        dst[i] = w;
    }
    out.clear_tail();
    out
}

fn combine(m: &BitMask, n: usize, and: bool) -> BitMask {
    if n <= 1 {
        return m.clone();
    }
    // acc covers windows of `span` bars.
    let mut acc = m.clone();
    let mut span = 1;
    while span * 2 <= n {
        let s = shifted(&acc, span);
        if and {
            acc &= &s;
        } else {
            acc |= &s;
        }
        span *= 2;
    }
    if span < n {
        let s = shifted(&acc, n - span);
        if and {
            acc &= &s;
        } else {
            acc |= &s;
        }
    }
    acc
}

/// Bit i set iff `m` is set at each of bars i−n+1 ..= i (n ≥ 1; false for
/// i < n − 1).
pub(crate) fn held(m: &BitMask, n: usize) -> BitMask {
    combine(m, n.max(1), true)
}

/// Bit i set iff `m` is set at any of bars max(0, i−n+1) ..= i (n ≥ 1).
pub(crate) fn within(m: &BitMask, n: usize) -> BitMask {
    combine(m, n.max(1), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(bits: &[bool], n: usize, and: bool) -> Vec<bool> {
        (0..bits.len())
            .map(|i| {
                if and {
                    i + 1 >= n && (i + 1 - n..=i).all(|j| bits[j])
                } else {
                    (i.saturating_sub(n - 1)..=i).any(|j| bits[j])
                }
            })
            .collect()
    }

    #[test]
    fn held_and_within_match_naive() {
        let mut s = 12345u64;
        for len in [0usize, 1, 5, 63, 64, 65, 130, 300] {
            for density in [2u64, 4, 16] {
                let bits: Vec<bool> = (0..len)
                    .map(|_| {
                        s ^= s << 13;
                        s ^= s >> 7;
                        s ^= s << 17;
                        !s.is_multiple_of(density)
                    })
                    .collect();
                let m = BitMask::from_bools(&bits);
                for n in [1usize, 2, 3, 5, 8, 63, 64, 65, 100, 400] {
                    assert_eq!(
                        held(&m, n).to_bools(),
                        naive(&bits, n, true),
                        "held len {len} n {n}"
                    );
                    assert_eq!(
                        within(&m, n).to_bools(),
                        naive(&bits, n, false),
                        "within len {len} n {n}"
                    );
                }
            }
        }
    }
}
