//! Series for the small-fix limit over a series (`verify::check_series`): which commits of a
//! verification are one series, and holding back the reports that count toward a limit until
//! their series is complete.
//!
//! A range's topics are as `git log --first-parent` shows its history: each merge on the range
//! tip's first-parent line brings one topic, the commits it merges (those of `M^1..M^2`, in the
//! range); the commits made directly on that line between two merges (or in a range without
//! merges, all of them) form one topic. A single revision is a topic of its own.

use std::collections::{HashMap, HashSet, VecDeque};

use super::Error;
use crate::git::{CommitId, Repo, Target};
use crate::model::ChangeReport;
use crate::policy::Policy;

/// The topic of each target of one argument of `verify` (numbered from `first`), in order.
pub fn topics(
    repo: &Repo,
    spec: &str,
    targets: &[Target],
    first: usize,
) -> Result<Vec<usize>, Error> {
    let Some((_, tip)) = spec.split_once("..") else {
        return Ok((first..first + targets.len()).collect());
    };
    let in_range: HashSet<CommitId> = targets.iter().map(|t| t.commit).collect();
    let mut topic_of: HashMap<CommitId, usize> = HashMap::new();
    let mut next = first;
    let mut direct: Option<usize> = None;
    // The first-parent line of the tip, as far as it stays in the range (a commit out of it is
    // reachable from the base, and so are all its ancestors), oldest first.
    let mut chain = Vec::new();
    let mut at = Some(repo.commit_id(if tip.is_empty() { "HEAD" } else { tip })?);
    while let Some(commit) = at.filter(|c| in_range.contains(c)) {
        chain.push(commit);
        at = repo.parents(commit)?.first().copied();
    }
    for commit in chain.into_iter().rev() {
        let parents = repo.parents(commit)?;
        if parents.len() < 2 {
            let topic = *direct.get_or_insert_with(|| {
                next += 1;
                next - 1
            });
            topic_of.insert(commit, topic);
            continue;
        }
        // A merge ends the run of direct commits and brings a topic of its own: the commits
        // its other parents reach that nothing before it brought.
        direct = None;
        let topic = next;
        next += 1;
        topic_of.insert(commit, topic);
        let mut stack: Vec<CommitId> = parents[1..].to_vec();
        while let Some(c) = stack.pop() {
            if !in_range.contains(&c) || topic_of.contains_key(&c) {
                continue;
            }
            topic_of.insert(c, topic);
            stack.extend(repo.parents(c)?);
        }
    }
    // Whatever the first-parent line does not reach (not expected in `A..B`) is one topic.
    let rest = next;
    Ok(targets
        .iter()
        .map(|t| topic_of.get(&t.commit).copied().unwrap_or(rest))
        .collect())
}

/// Hands reports on in order, holding back each one with AI code that counts toward a limit
/// over its series until every report of the series is in; then the series is checked as a
/// whole. A report without such code waits only for those before it. The topics are worked out
/// when the first report with such code comes, so a history without any costs nothing.
pub struct Gate<'p, F> {
    find_topics: Box<dyn FnMut() -> Result<Vec<usize>, Error> + 'p>,
    topic: Option<Vec<usize>>,
    left: HashMap<usize, usize>,
    held: VecDeque<(usize, bool, ChangeReport)>,
    seen: usize,
    policy: &'p dyn Fn(usize) -> &'p Policy,
    emit: F,
}

impl<'p, F: FnMut(ChangeReport) -> Result<(), Error>> Gate<'p, F> {
    /// A gate for reports that come in order; `find_topics` gives the topic of each.
    pub fn new(
        find_topics: impl FnMut() -> Result<Vec<usize>, Error> + 'p,
        policy: &'p dyn Fn(usize) -> &'p Policy,
        emit: F,
    ) -> Self {
        Gate {
            find_topics: Box::new(find_topics),
            topic: None,
            left: HashMap::new(),
            held: VecDeque::new(),
            seen: 0,
            policy,
            emit,
        }
    }

    /// The next report in order.
    pub fn push(&mut self, report: ChangeReport) -> Result<(), Error> {
        let i = self.seen;
        self.seen += 1;
        let rule = (self.policy)(i);
        let counts = report.ai_code.lines > 0 && rule.series_limit && rule.restrict_categories;
        if counts && self.topic.is_none() {
            let topic = (self.find_topics)()?;
            for &t in topic.iter().skip(i) {
                *self.left.entry(t).or_insert(0) += 1;
            }
            self.topic = Some(topic);
        }
        let Some(topics) = &self.topic else {
            return (self.emit)(report);
        };
        let topic = topics.get(i).copied().unwrap_or(usize::MAX);
        self.held.push_back((i, counts, report));
        let left = self.left.entry(topic).or_insert(1);
        *left = left.saturating_sub(1);
        if *left == 0 {
            let mut members: Vec<&mut ChangeReport> = self
                .held
                .iter_mut()
                .filter(|(j, _, _)| topics.get(*j) == Some(&topic))
                .map(|(_, _, r)| r)
                .collect();
            check(&mut members, rule);
        }
        while let Some((j, counts, _)) = self.held.front() {
            let complete = topics
                .get(*j)
                .and_then(|t| self.left.get(t))
                .is_none_or(|&n| n == 0);
            if *counts && !complete {
                break;
            }
            let (_, _, report) = self.held.pop_front().expect("the front exists");
            (self.emit)(report)?;
        }
        Ok(())
    }

    /// Hands on what is still held (a verification that ended early).
    pub fn finish(mut self) -> Result<(), Error> {
        while let Some((_, _, report)) = self.held.pop_front() {
            (self.emit)(report)?;
        }
        Ok(())
    }
}

/// Checks a whole series (a mail series) at once.
pub fn check(series: &mut [&mut ChangeReport], policy: &Policy) {
    crate::verify::check_series(series, policy);
}
