//! Agent Trace records (being written on another branch).

use super::{Record, RecordError};

pub fn read(
    _text: &str,
    origin: &str,
    _commit: &str,
    _parent: Option<&str>,
) -> Result<Option<Record>, RecordError> {
    Err(RecordError {
        origin: origin.into(),
        line: None,
        message: "Agent Trace records cannot be read yet".into(),
    })
}
