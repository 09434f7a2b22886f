#![no_main]
//! The trigger parser on arbitrary text: never panics; every error's span
//! lies inside the text on character boundaries; whatever parses prints
//! back to text that parses to the same tree.

use libfuzzer_sys::fuzz_target;
use ta_kernels::trigger::{Cond, TriggerSet};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match text.parse::<Cond>() {
        Ok(c) => {
            let printed = c.to_string();
            let back: Cond = printed
                .parse()
                .unwrap_or_else(|e| panic!("{text:?} printed as {printed:?}, which fails: {e}"));
            assert_eq!(back, c, "{text:?} -> {printed:?}");
        }
        Err(e) => {
            assert!(e.span.start <= e.span.end && e.span.end <= text.len(), "{e:?}");
            assert!(text.is_char_boundary(e.span.start) && text.is_char_boundary(e.span.end));
            let _ = e.to_string();
        }
    }
    if let Ok(set) = TriggerSet::parse(&text) {
        assert_eq!(TriggerSet::parse(&set.to_string()).unwrap(), set);
    }
});
