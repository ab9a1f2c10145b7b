#![no_main]
//! Fuzz target `policy`: see `checks::policy` for what it covers.

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::policy(data);
});
