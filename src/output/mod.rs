//! Rendering for people and machines: human text with optional colour, or JSON. Results go to
//! stdout, diagnostics to stderr.

pub mod am;
pub mod archive;
pub mod forge;
pub mod hook;
pub mod report;
pub mod setup;
pub mod show;
pub mod signed;
pub mod sync;
mod terminal;

pub use report::write_report;
pub use terminal::{Captured, Terminal};

use std::io::Write;
use std::sync::Arc;

use anstyle::{AnsiColor, Style};

/// An error as the command line reports it: the message and its causes (outermost first), the
/// place in a file it points at, and a hint.
#[derive(Debug, Clone, Default)]
pub struct ErrorReport {
    pub chain: Vec<String>,
    /// The file (as the error names it) and the place in it.
    pub at: Option<(String, crate::text::Location)>,
    pub hint: Option<String>,
}

/// A command's result: one JSON document with `--format json`, else text for people.
pub trait Results: serde::Serialize {
    /// Writes the result for people: results on stdout, what was done as status on stderr.
    fn human(&self, out: &Output) -> std::io::Result<()>;
}

/// Output format of results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    // `aiprov report`'s Markdown; other commands print for people as with `human`.
    Markdown,
    // `aiprov verify`'s reports for forges (`output::forge`, docs/ci.md): SARIF 2.1.0 for GitHub
    // code scanning, GitLab Code Quality, JUnit XML, GitHub Actions workflow commands.
    Sarif,
    Codequality,
    Junit,
    Github,
    // `aiprov report`'s supply-chain documents: SLSA verification summaries (JSON Lines), a
    // CycloneDX BOM and an SPDX document of the AI tools and models used; nothing else has them.
    Vsa,
    Cyclonedx,
    Spdx,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

/// The user interface of a command: where and how it writes (human text with colour, or JSON),
/// its progress bars and its questions. The terminal behind it is the process's own, or one a
/// test captures ([`Captured`]).
#[derive(Clone)]
pub struct Output {
    pub format: Format,
    pub quiet: bool,
    pub verbose: u8,
    terminal: Arc<dyn Terminal>,
    stdout_color: anstream::ColorChoice,
    stderr_color: anstream::ColorChoice,
}

pub const ERROR: Style = AnsiColor::Red.on_default().bold();
pub const WARNING: Style = AnsiColor::Yellow.on_default().bold();
pub const GOOD: Style = AnsiColor::Green.on_default().bold();
pub const DIM: Style = Style::new().dimmed();
pub const BOLD: Style = Style::new().bold();

impl Output {
    /// Output to the process's standard output and error.
    pub fn new(format: Format, color: ColorWhen, quiet: bool, verbose: u8) -> Output {
        Output::on(Arc::new(terminal::Std), format, color, quiet, verbose)
    }

    /// Output to `terminal`; with `ColorWhen::Auto`, colour where it is a terminal and
    /// `NO_COLOR` is unset.
    pub fn on(
        terminal: Arc<dyn Terminal>,
        format: Format,
        color: ColorWhen,
        quiet: bool,
        verbose: u8,
    ) -> Output {
        use anstream::ColorChoice;
        let choice = |is_terminal: bool| match color {
            ColorWhen::Always => ColorChoice::Always,
            ColorWhen::Never => ColorChoice::Never,
            ColorWhen::Auto if is_terminal && std::env::var_os("NO_COLOR").is_none() => {
                ColorChoice::Always
            }
            ColorWhen::Auto => ColorChoice::Never,
        };
        Output {
            format,
            quiet,
            verbose,
            stdout_color: choice(terminal.stdout_is_terminal()),
            stderr_color: choice(terminal.stderr_is_terminal()),
            terminal,
        }
    }

    pub fn json(&self) -> bool {
        self.format == Format::Json
    }

    /// Standard output, stripping colour codes when colour is off.
    pub fn stdout(&self) -> anstream::AutoStream<Box<dyn Write + Send>> {
        anstream::AutoStream::new(self.terminal.stdout(), self.stdout_color)
    }

    /// Standard error, stripping colour codes when colour is off.
    pub fn stderr(&self) -> anstream::AutoStream<Box<dyn Write + Send>> {
        anstream::AutoStream::new(self.terminal.stderr(), self.stderr_color)
    }

    /// Whether a person can answer questions: standard input and error are a terminal.
    pub fn interactive(&self) -> bool {
        self.terminal.stdin_is_terminal() && self.terminal.stderr_is_terminal()
    }

    /// Asks a yes/no question on a terminal (yes by default); `None` where nobody can answer
    /// (standard input or error is not a terminal).
    pub fn confirm(&self, question: &str) -> std::io::Result<Option<bool>> {
        if !self.interactive() {
            return Ok(None);
        }
        let mut e = self.stderr();
        write!(e, "{question} [Y/n] ")?;
        e.flush()?;
        let answer = self.terminal.read_line()?;
        Ok(Some(matches!(
            answer.trim().to_ascii_lowercase().as_str(),
            "" | "y" | "yes"
        )))
    }

    /// Asks a yes/no question on a terminal, no by default (`[y/N]`): for what should not happen
    /// by pressing return. `None` where nobody can answer.
    pub fn confirm_default_no(&self, question: &str) -> std::io::Result<Option<bool>> {
        if !self.interactive() {
            return Ok(None);
        }
        let mut e = self.stderr();
        write!(e, "{question} [y/N] ")?;
        e.flush()?;
        let answer = self.terminal.read_line()?;
        Ok(Some(matches!(
            answer.trim().to_ascii_lowercase().as_str(),
            "y" | "yes"
        )))
    }

    /// Asks for a secret (a passphrase) on a terminal, without echoing it; `None` where nobody
    /// can answer.
    pub fn ask_secret(&self, question: &str) -> std::io::Result<Option<String>> {
        if !self.interactive() {
            return Ok(None);
        }
        let mut e = self.stderr();
        write!(e, "{question} ")?;
        e.flush()?;
        let answer = self.terminal.read_secret()?;
        Ok(Some(answer.trim_end_matches(['\r', '\n']).to_string()))
    }

    /// A progress bar on stderr for long runs, only on a terminal and never with JSON or `-q`.
    pub fn progress(&self, len: usize, what: &str) -> indicatif::ProgressBar {
        if self.json() || self.quiet || !self.terminal.stderr_is_terminal() || len < 2 {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::new(len as u64);
        let style = indicatif::ProgressStyle::with_template(&format!(
            "{what} {{bar:40}} {{pos}}/{{len}} {{eta}}"
        ))
        .expect("a valid progress template");
        bar.set_style(style);
        bar
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

    /// A command's result, as JSON or for people.
    pub fn result(&self, result: &impl Results) -> std::io::Result<()> {
        if self.json() {
            self.print_json(result)
        } else {
            result.human(self)
        }
    }

    /// A JSON document on stdout.
    pub fn print_json(&self, value: &impl serde::Serialize) -> std::io::Result<()> {
        let mut out = self.terminal.stdout();
        serde_json::to_writer_pretty(&mut out, value)?;
        writeln!(out)?;
        out.flush()
    }

    /// Prints an error the way the command line reports them: its message and causes,
    /// outermost first, the place in a file it points at (the line, a caret under the place),
    /// and a hint; with JSON, one document on stdout (`schema/error.schema.json`).
    pub fn print_error(&self, error: &ErrorReport) {
        let chain = &error.chain;
        if self.json() {
            let mut doc = serde_json::json!({
                "message": chain.first(),
                "causes": &chain[1.min(chain.len())..],
                "hint": error.hint,
            });
            if let Some((file, at)) = &error.at {
                doc["at"] = serde_json::json!({"file": file, "line": at.line, "column": at.column});
            }
            let _ = writeln!(
                self.terminal.stdout(),
                "{:#}",
                serde_json::json!({ "error": doc })
            );
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
        if let Some((_, at)) = &error.at {
            let _ = writeln!(e, "{}", at.excerpt());
        }
        if let Some(hint) = &error.hint {
            let _ = writeln!(e, "{GOOD}hint:{GOOD:#} {hint}");
        }
    }
}
