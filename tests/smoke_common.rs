//! Runs the test kit's own unit tests (fsum exactness).
mod common;
