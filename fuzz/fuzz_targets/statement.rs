#![no_main]
//! Fuzz target `statement`: see `checks::statement` for what it covers.

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::statement(data);
});
