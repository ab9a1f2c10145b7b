//! The `aiprov` binary: parse, run, map errors to exit codes (0 verified, 1 findings, 2 errors).

fn main() {
    few_heaps();
    let cli = aiprov::cli::parse();
    let out = aiprov::output::Output::new(cli.format, cli.color, cli.quiet, cli.verbose);
    let code = match aiprov::cli::run(cli) {
        Ok(code) => code,
        // Output cut short by a closed pipe (`aiprov report | head`): quiet, like git, and never
        // a success, since the result was not all delivered.
        Err(err) if err.is_broken_pipe() => 141,
        Err(err) => {
            out.print_error(&err.report());
            2
        }
    };
    std::process::exit(code);
}

/// glibc gives each thread that allocates at once a heap ("arena") of its own, up to eight per
/// core, and keeps what each held: on a whole history that was a third of the resident memory.
/// Two are enough for aiprov's threads, which spend their time in git's objects, not in malloc.
fn few_heaps() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called first in main, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
