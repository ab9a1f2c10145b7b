#![no_main]
//! Fuzz target `mail`: see `checks::mail` for what it covers.

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::mail(data);
});
