//! Placeholder: replaced by the rolling_sum criterion benches.
fn main() {}
