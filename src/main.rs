//! The `aiprov` binary: parse, run, map errors to exit codes (0 verified, 1 findings, 2 errors).

fn main() {
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
