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
    /// The verification of the commits made, or of the patches refused
    /// (`schema/report.schema.json`).
    pub report: Report,
    /// Patches applied by hand that got no note.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unattested: Vec<String>,
    /// A stopped series given up.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub aborted: bool,
    /// Refused when all the patches lack is a maintainer's approval.
    #[serde(skip)]
    pub approvals_only: bool,
    /// Patches that failed verification, of how many.
    #[serde(skip)]
    pub failed: usize,
    #[serde(skip)]
    pub patches: usize,
}

impl Results for Applied {
    fn human(&self, out: &Output) -> std::io::Result<()> {
        if self.aborted {
            out.status("gave up the series; your branch, index and work tree are as they were");
        } else if self.applied {
            let none_for = if self.unattested.is_empty() {
                String::new()
            } else {
                format!(" (none for {})", self.unattested.join(", "))
            };
            out.status(format!(
                "applied {}; their attestations are notes in {}{none_for}",
                count(self.commits.len(), "patch", "patches"),
                self.notes_ref
            ));
        } else {
            let use_ = if self.approvals_only {
                "they lack only a maintainer's approval: `--approvals FILE` attaches approvals, and a maintainer of the files can approve while applying (asked on a terminal, or --approve)"
            } else {
                "use --softfail to apply anyway"
            };
            out.warn(format!(
                "not applying: {} of {} failed verification ({use_})",
                self.failed,
                count(self.patches, "patch", "patches")
            ));
        }
        Ok(())
    }
}
