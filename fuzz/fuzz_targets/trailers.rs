#![no_main]
//! Fuzz target `trailers`: see `checks::trailers` for what it covers.

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::trailers(data);
});
