//! The terminal a command talks to: the process's standard streams, or a captured one for tests.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};

/// Standard output, standard error and standard input, as a command sees them.
pub trait Terminal: Send + Sync {
    fn stdout(&self) -> Box<dyn Write + Send>;
    fn stderr(&self) -> Box<dyn Write + Send>;
    /// One line of an answer, from standard input.
    fn read_line(&self) -> std::io::Result<String>;
    /// A secret typed at the terminal, not echoed (a passphrase).
    fn read_secret(&self) -> std::io::Result<String>;
    fn stdout_is_terminal(&self) -> bool;
    fn stderr_is_terminal(&self) -> bool;
    fn stdin_is_terminal(&self) -> bool;
}

/// The process's own streams.
pub(super) struct Std;

impl Terminal for Std {
    fn stdout(&self) -> Box<dyn Write + Send> {
        Box::new(std::io::stdout())
    }

    fn stderr(&self) -> Box<dyn Write + Send> {
        Box::new(std::io::stderr())
    }

    fn read_line(&self) -> std::io::Result<String> {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(line)
    }

    fn read_secret(&self) -> std::io::Result<String> {
        rpassword::read_password()
    }

    fn stdout_is_terminal(&self) -> bool {
        std::io::stdout().is_terminal()
    }

    fn stderr_is_terminal(&self) -> bool {
        std::io::stderr().is_terminal()
    }

    fn stdin_is_terminal(&self) -> bool {
        std::io::stdin().is_terminal()
    }
}

/// A terminal that keeps what is written to it, and answers questions from a script: for tests.
/// It is not a terminal unless [`Captured::interactive`] says so.
#[derive(Clone, Default)]
pub struct Captured {
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    answers: Arc<Mutex<Vec<String>>>,
    interactive: bool,
}

impl Captured {
    /// A terminal a person sits at, who answers with `answers` in order.
    pub fn interactive(answers: &[&str]) -> Captured {
        Captured {
            answers: Arc::new(Mutex::new(
                answers.iter().rev().map(|a| a.to_string()).collect(),
            )),
            interactive: true,
            ..Captured::default()
        }
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().expect("not poisoned")).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().expect("not poisoned")).into_owned()
    }
}

/// Appends to a shared buffer.
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Terminal for Captured {
    fn stdout(&self) -> Box<dyn Write + Send> {
        Box::new(Sink(self.stdout.clone()))
    }

    fn stderr(&self) -> Box<dyn Write + Send> {
        Box::new(Sink(self.stderr.clone()))
    }

    fn read_line(&self) -> std::io::Result<String> {
        let answer = self.answers.lock().expect("not poisoned").pop();
        answer.ok_or_else(|| std::io::Error::from(std::io::ErrorKind::UnexpectedEof))
    }

    fn read_secret(&self) -> std::io::Result<String> {
        self.read_line()
    }

    fn stdout_is_terminal(&self) -> bool {
        self.interactive
    }

    fn stderr_is_terminal(&self) -> bool {
        self.interactive
    }

    fn stdin_is_terminal(&self) -> bool {
        self.interactive
    }
}
