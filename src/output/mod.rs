//! Rendering for people and machines: human text with optional colour, or JSON. Results go to
//! stdout, diagnostics to stderr.

pub mod archive;
pub mod report;

pub use report::write_report;

use std::io::Write;

use anstyle::{AnsiColor, Style};

use crate::cli::{CliError, ColorWhen, Format};

/// Where and how a command writes.
pub struct Output {
    pub format: Format,
    pub quiet: bool,
    pub verbose: u8,
    color: anstream::ColorChoice,
}

pub const ERROR: Style = AnsiColor::Red.on_default().bold();
pub const WARNING: Style = AnsiColor::Yellow.on_default().bold();
pub const GOOD: Style = AnsiColor::Green.on_default().bold();
pub const DIM: Style = Style::new().dimmed();
pub const BOLD: Style = Style::new().bold();

impl Output {
    pub fn new(format: Format, color: ColorWhen, quiet: bool, verbose: u8) -> Output {
        let color = match color {
            ColorWhen::Auto => anstream::ColorChoice::Auto,
            ColorWhen::Always => anstream::ColorChoice::Always,
            ColorWhen::Never => anstream::ColorChoice::Never,
        };
        Output {
            format,
            quiet,
            verbose,
            color,
        }
    }

    pub fn json(&self) -> bool {
        self.format == Format::Json
    }

    /// Standard output, stripping colour codes when colour is off.
    pub fn stdout(&self) -> anstream::AutoStream<std::io::Stdout> {
        anstream::AutoStream::new(std::io::stdout(), self.color)
    }

    /// Standard error, stripping colour codes when colour is off.
    pub fn stderr(&self) -> anstream::AutoStream<std::io::Stderr> {
        anstream::AutoStream::new(std::io::stderr(), self.color)
    }

    /// A progress or status line on stderr, unless quiet or JSON.
    pub fn status(&self, message: impl std::fmt::Display) {
        if !self.quiet && !self.json() {
            let _ = writeln!(self.stderr(), "{message}");
        }
    }

    /// A warning on stderr, unless quiet.
    pub fn warn(&self, message: impl std::fmt::Display) {
        if !self.quiet {
            let _ = writeln!(self.stderr(), "{WARNING}warning:{WARNING:#} {message}");
        }
    }

    /// A JSON document on stdout.
    pub fn print_json(&self, value: &impl serde::Serialize) -> Result<(), CliError> {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, value)?;
        writeln!(out)?;
        Ok(())
    }

    /// Prints an error the way the command line reports them.
    pub fn print_error(&self, err: &CliError) {
        let chain = err.chain();
        if self.json() {
            let doc = serde_json::json!({
                "error": {
                    "message": chain.first(),
                    "causes": &chain[1.min(chain.len())..],
                    "hint": err.hint,
                }
            });
            let _ = writeln!(std::io::stdout(), "{doc:#}");
            return;
        }
        let mut e = self.stderr();
        let mut lines = chain.iter();
        if let Some(first) = lines.next() {
            let _ = writeln!(e, "{ERROR}error:{ERROR:#} {first}");
        }
        for cause in lines {
            let _ = writeln!(e, "{BOLD}caused by:{BOLD:#} {cause}");
        }
        if let Some(hint) = &err.hint {
            let _ = writeln!(e, "{GOOD}hint:{GOOD:#} {hint}");
        }
    }
}
