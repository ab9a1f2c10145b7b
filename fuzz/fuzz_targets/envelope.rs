#![no_main]
//! Fuzz target `envelope`: see `checks::envelope` for what it covers.

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::envelope(data);
});
