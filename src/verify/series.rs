//! The small-fix limit over a series: the AI-written code of the changes of one series (a mail
//! series, a topic of a range) counted together, so that a fix split into parts that are each
//! under the limit is still judged whole.

use crate::finding::{Code, Finding};
use crate::model::ChangeReport;
use crate::policy::Policy;

/// Adds `policy.fix-too-large`, and `policy.approval-missing` for their files, to each change of
/// `series` that holds AI code, when the policy counts the limit over a series and the changes
/// together are over it. A change over the limit on its own already says so.
pub fn check_series(series: &mut [&mut ChangeReport], policy: &Policy) {
    if !policy.restrict_categories || !policy.series_limit {
        return;
    }
    let parts = series.iter().filter(|r| r.ai_code.lines > 0).count();
    let total: usize = series.iter().map(|r| r.ai_code.lines).sum();
    if parts < 2 || total <= policy.small_fix_limit {
        return;
    }
    for report in series.iter_mut().filter(|r| r.ai_code.lines > 0) {
        let said = |code: Code, file: Option<&str>| {
            report
                .findings
                .iter()
                .any(|f| f.code == code && (file.is_none() || f.file.as_deref() == file))
        };
        if said(Code::FixTooLarge, None) {
            continue;
        }
        let mut found = vec![Finding::new(
            Code::FixTooLarge,
            format!(
                "{} of AI-written code across {parts} changes of this series ({} in this one), over the small-fix limit of {} (tests not counted; splitting a change does not get it under the limit)",
                crate::text::count(total, "changed line", "changed lines"),
                report.ai_code.lines,
                policy.small_fix_limit
            ),
        )];
        let files = report.ai_code.files.clone();
        found.extend(
            files
                .iter()
                .filter(|p| !said(Code::ApprovalMissing, Some(p)))
                .map(|p| {
                    let who = report.ai_code.maintainers.get(p).cloned().flatten();
                    super::policy::approval_missing(p, who.as_deref())
                }),
        );
        super::add_findings(report, found, policy);
    }
}
