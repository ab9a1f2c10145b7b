//! git-ai authorship notes (being written on another branch).

use super::{Record, RecordError};

pub fn read(_note: &str, origin: &str) -> Result<Record, RecordError> {
    Err(RecordError {
        origin: origin.into(),
        line: None,
        message: "git-ai notes cannot be read yet".into(),
    })
}
