//! What the post-commit and post-rewrite hooks do (`aiprov hook`): attest each new commit from
//! the AI tools' records, and attest again the commits `git commit --amend` and `git rebase`
//! rewrote whose note no longer declares them, so that a rewritten commit's declaration never
//! says less than its old one did.
//!
//! git runs post-commit for an amend and for each commit a rebase makes, before it copies the
//! old commit's note (`notes.rewriteRef`) and runs post-rewrite. Attesting those in post-commit
//! from the records alone could narrow a declaration made with `--ai` rules, so post-commit
//! attests new commits only and post-rewrite, which sees the old commit's note, does the rest.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use super::attest::{attest, Attested, Options as AttestOptions, RecordSource};
use super::trust::load_rev_policy;
use super::Error;
use crate::attest::{check_declaration, Plan, PlannedFile, Rule};
use crate::change::Change;
use crate::dsse::Envelope;
use crate::git::{notes, CommitId, Repo};
use crate::model::{AiUsageStatement, AiUse, Tool};
use crate::output::Output;
use crate::policy::Policy;
use crate::trailers::MessageTrailers;
use crate::verify::{parse_statement, ParsedStatement};

/// What the hooks sign with, and where the notes are.
pub struct Options<'a> {
    /// `--key`, else the key `attest` would use.
    pub key: Option<&'a Path>,
    pub notes_ref: &'a str,
}

/// The git command that rewrote commits: the post-rewrite hook's first argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewrite {
    Amend,
    Rebase,
}

/// What a hook did about one commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Attested: a new commit, or an amended one whose old commit had no attestation.
    Attested,
    /// Attested again, declaring at least what the old commit's attestation declared.
    Reattested,
    /// Its note already declares its change and what the old one declared: git carried the
    /// old note over, or one was written for it.
    Kept,
    /// Nothing for this hook to do.
    Skipped,
    /// It could not be attested.
    Failed,
}

/// One commit a hook looked at.
pub struct Outcome {
    pub commit: CommitId,
    /// Its title, where known.
    pub title: String,
    /// The commits it was rewritten from (post-rewrite).
    pub rewritten_from: Vec<CommitId>,
    pub action: Action,
    /// Why, in a few words; for [`Action::Failed`], the error in one line.
    pub reason: String,
    /// The attestation signed and stored, if one was.
    pub attested: Option<Attested>,
}

/// The post-commit hook: attests HEAD from the AI tools' records (`--from auto`, its trailer
/// where there is no record) when it is a new commit. A commit `git commit --amend` or a rebase
/// made is left to post-rewrite, told by HEAD's newest reflog entry (`commit (amend): ...`,
/// `rebase (pick): ...`, and the other actions a rebase names), which git writes before it runs
/// the hook; without one (no reflog) HEAD is taken for new, and post-rewrite widens what was
/// signed if it must. A failure to attest is an outcome, not an error: the hook says it in one
/// line.
pub fn post_commit(repo: &Repo, options: &Options<'_>, ui: &Output) -> Result<Outcome, Error> {
    let head = repo.commit_id("HEAD")?;
    let entry = repo.head_reflog()?.filter(|e| e.new == head);
    let title = entry
        .as_ref()
        .and_then(|e| e.message.split_once(": "))
        .map(|(_, title)| title.to_string())
        .unwrap_or_default();
    let mut outcome = Outcome {
        commit: head,
        title,
        rewritten_from: Vec::new(),
        action: Action::Skipped,
        reason: String::new(),
        attested: None,
    };
    if let Some(by) = entry.as_ref().and_then(|e| made_by_rewrite(&e.message)) {
        outcome.reason = format!("made by {by}: the post-rewrite hook attests it");
        return Ok(outcome);
    }
    match sign(repo, head, None, options, ui, true) {
        Ok(done) => {
            outcome.title = done.title.clone();
            outcome.action = Action::Attested;
            outcome.reason = "a new commit".into();
            outcome.attested = Some(done);
        }
        Err(e) => {
            outcome.action = Action::Failed;
            outcome.reason = e.one_line();
        }
    }
    Ok(outcome)
}

/// The git command a reflog message of HEAD says rewrote a commit, if one did: `git commit
/// --amend` (`commit (amend)`) or `git rebase` (every message of the sequencer's commits starts
/// with `rebase`: `rebase (pick)`, `rebase (reword)`, `rebase (squash)`, older gits' `rebase -i
/// (pick)`, and `rebase` for a commit that ends a stopped pick).
fn made_by_rewrite(message: &str) -> Option<&'static str> {
    if message.starts_with("commit (amend)") {
        Some("git commit --amend")
    } else if message.starts_with("rebase") {
        Some("git rebase")
    } else {
        None
    }
}

/// The post-rewrite hook: for each commit git rewrote (`pairs`: `OLD NEW`, as git lists them;
/// a squash lists several OLDs for one NEW), NEW keeps its note when that note declares NEW's
/// change, at least the AI use the old attestations declared for its files, and what NEW's
/// trailers say; else NEW is attested again from the records, with the old per-file AI use
/// added where the records say less. An amended commit whose old commit had no attestation is
/// attested as post-commit would have; a rebased one is left as it was. Everything signed is
/// stored in one notes commit, each line added beside the lines of others (a line by the same
/// signer replaced); a commit that cannot be attested is an outcome, the others go on.
pub fn post_rewrite(
    repo: &Repo,
    options: &Options<'_>,
    rewrite: Rewrite,
    pairs: &[(CommitId, CommitId)],
    ui: &Output,
) -> Result<Vec<Outcome>, Error> {
    let rewritten = Rewritten {
        repo,
        options,
        rewrite,
        notes: notes::Reader::new(repo, options.notes_ref)?,
        // Within a rebase, an amend's old commit is one the rebase has just made, whose note git
        // copies only when the rebase ends: its declaration is that of the commit it was made
        // from.
        in_rebase: match rewrite {
            Rewrite::Amend if repo.rebase_in_progress() => repo.rebase_rewritten()?,
            _ => Vec::new(),
        },
        ui,
    };
    let mut outcomes = Vec::new();
    for (new, olds) in by_new(pairs) {
        let mut outcome = Outcome {
            commit: new,
            title: String::new(),
            rewritten_from: olds.clone(),
            action: Action::Skipped,
            reason: "unchanged".into(),
            attested: None,
        };
        if olds != [new] {
            if let Err(e) = rewritten.decide(&mut outcome) {
                outcome.action = Action::Failed;
                outcome.reason = e.one_line();
            }
        }
        outcomes.push(outcome);
    }
    drop(rewritten);
    store(repo, options.notes_ref, &outcomes)?;
    Ok(outcomes)
}

/// The pairs grouped by their new commit, in the order git made them.
fn by_new(pairs: &[(CommitId, CommitId)]) -> Vec<(CommitId, Vec<CommitId>)> {
    let mut groups: Vec<(CommitId, Vec<CommitId>)> = Vec::new();
    for &(old, new) in pairs {
        match groups.iter_mut().find(|(n, _)| *n == new) {
            Some((_, olds)) if !olds.contains(&old) => olds.push(old),
            Some(_) => {}
            None => groups.push((new, vec![old])),
        }
    }
    groups
}

/// One run of the post-rewrite hook: what it reads, once.
struct Rewritten<'a> {
    repo: &'a Repo,
    options: &'a Options<'a>,
    rewrite: Rewrite,
    notes: notes::Reader<'a>,
    /// The rebase under way's `OLD NEW` pairs so far, for an amend within it.
    in_rebase: Vec<(CommitId, CommitId)>,
    ui: &'a Output,
}

impl Rewritten<'_> {
    /// Decides about `outcome.commit`, rewritten from `outcome.rewritten_from`, and signs what
    /// it must: fills in its title, action, why, and what was signed (stored by the caller).
    fn decide(&self, outcome: &mut Outcome) -> Result<(), Error> {
        let new = outcome.commit;
        let olds = &outcome.rewritten_from;
        let change = self.repo.change(new, |_| true)?;
        outcome.title = change.title();
        let mut before = Vec::new();
        for &id in olds {
            before.extend(self.declarations(id)?);
        }
        if before.is_empty() {
            for &(origin, made) in &self.in_rebase {
                if olds.contains(&made) {
                    before.extend(self.declarations(origin)?);
                }
            }
        }
        if before.is_empty() {
            if self.rewrite == Rewrite::Amend {
                outcome.attested = Some(self.sign(new, None)?);
                outcome.action = Action::Attested;
                outcome.reason = "amended, and the commit it amends had no attestation".into();
            } else {
                outcome.reason = "its old commit had no attestation".into();
            }
            return Ok(());
        }
        let paths: BTreeSet<&str> = change.files.iter().map(|f| f.path.as_str()).collect();
        let mut owed = Declaration::default();
        for statement in &before {
            owed.add(&Declaration::of(statement));
        }
        owed.files.retain(|path, _| paths.contains(path.as_str()));
        let trailers = MessageTrailers::from_message(&change.message);
        // The convention of the policy it will be verified by: its parent's.
        let convention = match &change.parent {
            Some(parent) => load_rev_policy(self.repo, self.repo.commit_id(parent)?)?.convention,
            None => Policy::default().convention,
        };
        let holds = |statement: &AiUsageStatement| {
            declares_change(statement, &change)
                && Declaration::of(statement).covers(&owed)
                && check_declaration(&trailers, &plan_of(statement), convention).is_ok()
        };
        if self.declarations(new)?.iter().any(holds) {
            outcome.action = Action::Kept;
            outcome.reason =
                "its note declares its change and what the old attestation declared".into();
            return Ok(());
        }
        // What the records (or the trailer) say of the new commit, and the old use on top
        // where they say less (a category, an explanation, a tool).
        let fresh = self.sign(new, None)?;
        let signed = Declaration::of(&statement_of(&fresh)?);
        let mut wider = owed;
        wider.add(&signed);
        outcome.action = Action::Reattested;
        if wider == signed {
            outcome.attested = Some(fresh);
            outcome.reason = "its change or trailers differ from the old attestation's".into();
        } else {
            outcome.attested = Some(self.sign(new, Some((&wider, &change)))?);
            outcome.reason =
                "its change or trailers differ from the old attestation's; its AI use carried over"
                    .into();
        }
        Ok(())
    }

    /// The AI-usage statements of `commit`'s note, signatures unchecked: they only ever widen
    /// what is declared again, and a line that cannot be read is passed over (and kept in the
    /// note).
    fn declarations(&self, commit: CommitId) -> Result<Vec<AiUsageStatement>, Error> {
        let note = self.notes.read(commit)?.unwrap_or_default();
        Ok(crate::note::lines(&note)
            .into_iter()
            .filter_map(|line| Envelope::of_line(line).ok())
            .filter_map(|envelope| match parse_statement(&envelope.payload) {
                Ok(ParsedStatement::AiUsage { statement, .. }) => Some(*statement),
                _ => None,
            })
            .collect())
    }

    /// [`sign`], returned to be stored with the others.
    fn sign(
        &self,
        commit: CommitId,
        declared: Option<(&Declaration, &Change)>,
    ) -> Result<Attested, Error> {
        sign(self.repo, commit, declared, self.options, self.ui, false)
    }
}

/// Signs an attestation of `commit`: from the records (`--from auto`), or declaring exactly
/// `declared` for each file of `change`. Stored at once (`store`), or returned for one notes
/// commit of all.
fn sign(
    repo: &Repo,
    commit: CommitId,
    declared: Option<(&Declaration, &Change)>,
    options: &Options<'_>,
    ui: &Output,
    store: bool,
) -> Result<Attested, Error> {
    let revs = [commit.to_string()];
    let (rules, from, research, tools) = match declared {
        Some((declaration, change)) => {
            let rules = change
                .files
                .iter()
                .map(|f| Rule::for_path(&f.path, declaration.files.get(&f.path).cloned()))
                .collect();
            let tools = declaration.tools.clone();
            (rules, Vec::new(), declaration.research, tools)
        }
        None => (Vec::new(), vec![RecordSource::Auto], false, Vec::new()),
    };
    let outcome = attest(
        repo,
        AttestOptions {
            revs: &revs,
            key: options.key,
            rules,
            from,
            strict: false,
            research,
            tools,
            fix_trailer: false,
            to_stdout: !store,
            keyless: None,
            yes: true,
            notes_ref: options.notes_ref,
            jobs: 1,
            sign_as: None,
        },
        ui,
    )?;
    let done = outcome.attested.into_iter().next();
    done.ok_or_else(|| Error::msg(format!("{} was not attested", commit.short())))
}

/// Stores what [`post_rewrite`] signed, all in one notes commit.
fn store(repo: &Repo, notes_ref: &str, outcomes: &[Outcome]) -> Result<(), Error> {
    let mut lines = HashMap::new();
    for outcome in outcomes {
        if let Some(done) = &outcome.attested {
            let payload = Envelope::of_line(done.line.as_bytes())?.payload;
            lines.insert(outcome.commit, (done.line.as_bytes(), payload));
        }
    }
    if lines.is_empty() {
        return Ok(());
    }
    let ids: Vec<CommitId> = outcomes
        .iter()
        .filter(|o| lines.contains_key(&o.commit))
        .map(|o| o.commit)
        .collect();
    notes::update_notes(
        repo,
        notes_ref,
        &ids,
        "aiprov hook post-rewrite",
        |id, old| {
            let (line, payload) = &lines[&id];
            crate::note::with_line(old, line, payload)
        },
    )?;
    Ok(())
}

/// The statement an attestation just signed holds.
fn statement_of(done: &Attested) -> Result<AiUsageStatement, Error> {
    let envelope = Envelope::of_line(done.line.as_bytes())?;
    match parse_statement(&envelope.payload) {
        Ok(ParsedStatement::AiUsage { statement, .. }) => Ok(*statement),
        _ => Err(Error::msg("aiprov attest signed no AI-usage statement")),
    }
}

/// Whether `statement` was made for exactly the file changes of `change` (its paths and
/// file-change digests), as verification's coverage check will find.
fn declares_change(statement: &AiUsageStatement, change: &Change) -> bool {
    let signed: BTreeSet<(&str, &str)> = statement
        .predicate
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.digest.as_str()))
        .collect();
    let made: BTreeSet<(&str, &str)> = change
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.digest.as_deref().unwrap_or_default()))
        .collect();
    signed == made
}

/// What `statement` declares, as the plan it was signed from.
fn plan_of(statement: &AiUsageStatement) -> Plan {
    Plan {
        files: statement
            .predicate
            .files
            .iter()
            .map(|f| PlannedFile {
                path: f.path.clone(),
                ai: f.ai.clone(),
                source: f.source,
                ai_lines: f.lines.and_then(|l| l.added_by_ai),
            })
            .collect(),
        research: statement.predicate.research,
        ..Plan::default()
    }
}

/// AI use declared, file by file, and for the change as a whole.
#[derive(Debug, Default, Clone, PartialEq)]
struct Declaration {
    /// The files with AI use, by path.
    files: BTreeMap<String, AiUse>,
    research: bool,
    tools: Vec<Tool>,
}

impl Declaration {
    fn of(statement: &AiUsageStatement) -> Declaration {
        let p = &statement.predicate;
        Declaration {
            files: p
                .files
                .iter()
                .filter_map(|f| Some((f.path.clone(), f.ai.clone()?)))
                .collect(),
            research: p.research,
            tools: p.tools.clone(),
        }
    }

    /// Adds `other`'s AI use to this one's: the categories of both, this one's explanation
    /// where it has one.
    fn add(&mut self, other: &Declaration) {
        for (path, use_) in &other.files {
            match self.files.get_mut(path) {
                Some(mine) => {
                    mine.categories.extend(use_.categories.iter().copied());
                    if mine.explanation.is_none() {
                        mine.explanation = use_.explanation.clone();
                    }
                }
                None => {
                    self.files.insert(path.clone(), use_.clone());
                }
            }
        }
        self.research |= other.research;
        for tool in &other.tools {
            if !self.tools.contains(tool) {
                self.tools.push(tool.clone());
            }
        }
    }

    /// Whether this declares at least `owed`: every category of every file, and research.
    fn covers(&self, owed: &Declaration) -> bool {
        (self.research || !owed.research)
            && owed.files.iter().all(|(path, use_)| {
                self.files
                    .get(path)
                    .is_some_and(|mine| mine.categories.is_superset(&use_.categories))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trailers::Category;

    fn declaring(files: &[(&str, &[Category])]) -> Declaration {
        Declaration {
            files: files
                .iter()
                .map(|(path, categories)| {
                    let use_ = AiUse {
                        categories: categories.iter().copied().collect(),
                        explanation: None,
                    };
                    (path.to_string(), use_)
                })
                .collect(),
            research: false,
            tools: Vec::new(),
        }
    }

    #[test]
    fn a_declaration_covers_what_declares_no_more_than_it() {
        use Category::{Code, Tests};
        let wide = declaring(&[("a.c", &[Code, Tests]), ("b.c", &[Code])]);
        assert!(wide.covers(&declaring(&[("a.c", &[Code])])));
        assert!(wide.covers(&Declaration::default()));
        assert!(
            !wide.covers(&declaring(&[("c.c", &[Code])])),
            "another file"
        );
        assert!(!declaring(&[("a.c", &[Code])]).covers(&declaring(&[("a.c", &[Tests])])));
        let research = Declaration {
            research: true,
            ..Declaration::default()
        };
        assert!(!wide.covers(&research));
    }

    #[test]
    fn adding_joins_categories_and_keeps_the_first_explanation() {
        use Category::{Code, Docs};
        let mut mine = declaring(&[("a.c", &[Code])]);
        mine.files.get_mut("a.c").unwrap().explanation = Some("refactoring".into());
        let mut theirs = declaring(&[("a.c", &[Docs]), ("b.md", &[Docs])]);
        theirs.files.get_mut("a.c").unwrap().explanation = Some("comments".into());
        theirs.research = true;
        mine.add(&theirs);
        assert_eq!(
            mine.files["a.c"],
            AiUse {
                categories: [Code, Docs].into(),
                explanation: Some("refactoring".into())
            }
        );
        assert!(mine.files.contains_key("b.md") && mine.research);
    }

    #[test]
    fn pairs_are_grouped_by_their_new_commit_in_order() {
        let id = |c: char| c.to_string().repeat(40).parse::<CommitId>().unwrap();
        let pairs = [(id('1'), id('a')), (id('2'), id('b')), (id('3'), id('a'))];
        assert_eq!(
            by_new(&pairs),
            vec![(id('a'), vec![id('1'), id('3')]), (id('b'), vec![id('2')])]
        );
    }

    #[test]
    fn the_reflog_tells_a_rewrite_from_a_new_commit() {
        assert_eq!(made_by_rewrite("commit: Add a"), None);
        assert_eq!(made_by_rewrite("commit (initial): Add a"), None);
        assert_eq!(made_by_rewrite("commit (merge): Merge b"), None);
        assert_eq!(made_by_rewrite("cherry-pick: Add a"), None);
        assert_eq!(
            made_by_rewrite("commit (amend): Add a"),
            Some("git commit --amend")
        );
        for message in [
            "rebase (pick): Add a",
            "rebase (reword): Add a",
            "rebase (squash): Add a",
            "rebase -i (pick): Add a",
            "rebase: Add a",
        ] {
            assert_eq!(made_by_rewrite(message), Some("git rebase"), "{message}");
        }
    }
}
