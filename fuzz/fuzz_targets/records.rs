#![no_main]
//! Fuzz target `records`: see `checks::records` for what it covers.

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::records(data);
});
