//! Placeholder: replaced by the rolling_var criterion benches.
fn main() {}
