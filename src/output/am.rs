//! What `aiprov am` did with a series: applied or refused, the commits it made, and the
//! verification report of its patches; for people or as JSON (`schema/am.schema.json`).

use serde::Serialize;

use super::{Output, Results};
use crate::model::Report;
use crate::text::count;

/// A series applied, or refused.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Applied {
    pub schema_version: u32,
    /// Whether the series was applied (the branch moved, the notes attached).
    pub applied: bool,
    pub notes_ref: String,
    /// The commits git am made, in order (none when refused).
    pub commits: Vec<String>,
    /// The verification of the patches (`schema/report.schema.json`).
    pub report: Report,
    /// Patches that failed verification, of how many.
    #[serde(skip)]
    pub failed: usize,
    #[serde(skip)]
    pub patches: usize,
}

impl Results for Applied {
    fn human(&self, out: &Output) -> std::io::Result<()> {
        if self.applied {
            out.status(format!(
                "applied {}; their attestations are notes in {}",
                count(self.commits.len(), "patch", "patches"),
                self.notes_ref
            ));
        } else {
            out.warn(format!(
                "not applying: {} of {} failed verification (use --softfail to apply anyway)",
                self.failed,
                count(self.patches, "patch", "patches")
            ));
        }
        Ok(())
    }
}
