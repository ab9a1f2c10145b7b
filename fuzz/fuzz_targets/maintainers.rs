#![no_main]
//! Fuzz target `maintainers`: see `checks::maintainers` for what it covers.

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::maintainers(data);
});
