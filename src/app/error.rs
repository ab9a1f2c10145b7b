//! The command line's error: a cause chain and an optional hint, printed as `error:`,
//! `caused by:`, `hint:` (or as JSON with `--format json`); always exit code 2.

use std::fmt::Display;

use crate::keyring::KeyringError;
use crate::policy::PolicyError;

/// An error that ends the command with exit code 2.
#[derive(Debug)]
pub struct Error {
    pub error: anyhow::Error,
    pub hint: Option<String>,
}

impl Error {
    pub fn msg(message: impl Display + std::fmt::Debug + Send + Sync + 'static) -> Error {
        Error {
            error: anyhow::Error::msg(message),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Error {
        self.hint = Some(hint.into());
        self
    }

    /// Whether writing the output failed because its reader went away.
    pub fn is_broken_pipe(&self) -> bool {
        let broken = Some(std::io::ErrorKind::BrokenPipe);
        self.error.chain().any(|e| {
            e.downcast_ref::<std::io::Error>().map(|e| e.kind()) == broken
                || e.downcast_ref::<serde_json::Error>()
                    .and_then(|e| e.io_error_kind())
                    == broken
        })
    }

    /// What the command line prints of it: the message and causes, the place in a file a
    /// cause points at (a policy or keyring mistake), the hint.
    pub fn report(&self) -> crate::output::ErrorReport {
        crate::output::ErrorReport {
            chain: self.chain(),
            at: self.error.chain().find_map(|e| {
                if let Some(PolicyError {
                    origin,
                    at: Some(at),
                    ..
                }) = e.downcast_ref::<PolicyError>()
                {
                    return Some((origin.clone(), at.clone()));
                }
                match e.downcast_ref::<KeyringError>() {
                    Some(KeyringError::At { origin, at, .. }) => Some((origin.clone(), at.clone())),
                    _ => None,
                }
            }),
            hint: self.hint.clone(),
        }
    }

    /// The error in one line, for a hook that must not say more: the message and its causes,
    /// then the hint.
    pub fn one_line(&self) -> String {
        let mut line = self.chain().join(": ");
        if let Some(hint) = &self.hint {
            line.push_str(&format!(" (hint: {hint})"));
        }
        line.replace('\n', " ")
    }

    /// The message and its causes, outermost first. A cause that says what the one before it
    /// said (an error that repeats its source's message) is said once.
    pub fn chain(&self) -> Vec<String> {
        let mut chain: Vec<String> = self.error.chain().map(|e| e.to_string()).collect();
        chain.dedup();
        chain
    }
}

impl<E: Into<anyhow::Error>> From<E> for Error {
    fn from(e: E) -> Error {
        Error {
            error: e.into(),
            hint: None,
        }
    }
}

/// Adds a hint to an error on its way out.
pub trait WithHint<T> {
    fn hint(self, hint: impl Into<String>) -> Result<T, Error>;
}

impl<T, E: Into<Error>> WithHint<T> for Result<T, E> {
    fn hint(self, hint: impl Into<String>) -> Result<T, Error> {
        self.map_err(|e| e.into().hint(hint))
    }
}
