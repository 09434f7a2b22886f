//! Placeholder: replaced by the cross criterion benches.
fn main() {}
