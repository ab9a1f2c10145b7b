//! The `aiprov` binary: parse, run, map errors to exit codes (0 verified, 1 findings, 2 errors).

use clap::Parser;

fn main() {
    let cli = aiprov::cli::Cli::parse();
    let out = aiprov::output::Output::new(cli.format, cli.color, cli.quiet, cli.verbose);
    let code = match aiprov::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            out.print_error(&err);
            2
        }
    };
    std::process::exit(code);
}
