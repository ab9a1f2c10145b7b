//! Merge bases as git computes them, read from the commit-graph git maintains (dates and parents
//! without opening a commit object). libgit2's own search opens every commit it passes and, on a
//! history like git's, takes up to a second per merge; this takes about a millisecond.

use std::collections::{BinaryHeap, HashMap};

use git2::Oid;
use gix_commitgraph::{Graph, Position};

use super::{read, Repo, Result};

/// Painted from the first commit.
const ONE: u8 = 1;
/// Painted from the second commit.
const TWO: u8 = 2;
/// Reachable from a common ancestor already found: no longer a candidate.
const STALE: u8 = 4;
/// Already in the result.
const RESULT: u8 = 8;

impl Repo {
    /// The merge bases of two commits (`git merge-base --all`), possibly with redundant ones
    /// when there are several: callers only trust a single base.
    pub(super) fn merge_bases(&self, one: Oid, two: Oid) -> Result<Vec<Oid>> {
        let what = || format!("the merge bases of {one} and {two}");
        match self.commit_graph() {
            Some(graph) if one != two => Walk::new(&self.inner, graph)
                .merge_bases(one, two)
                .map_err(read(what())),
            Some(_) => Ok(vec![one]),
            None => match self.inner.merge_bases(one, two) {
                Ok(bases) => Ok(bases.iter().copied().collect()),
                // Unrelated histories: no base, as with the commit-graph.
                Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(Vec::new()),
                Err(e) => Err(read(what())(e)),
            },
        }
    }

    /// The parents of `id` as the commit-graph records them, when it has the commit (no object
    /// is read or parsed).
    pub(super) fn parents_in_graph(&self, id: Oid) -> Option<Vec<Oid>> {
        let graph = self.commit_graph()?;
        let at = graph.lookup(gix_hash::oid::try_from_bytes(id.as_bytes()).ok()?)?;
        graph
            .commit_at(at)
            .iter_parents()
            .map(|p| Oid::from_bytes(graph.id_at(p.ok()?).as_bytes()).ok())
            .collect()
    }

    /// Whether `id` has more than one parent, read from the commit-graph when it has the commit,
    /// else from the commit.
    pub(super) fn has_parents_to_merge(&self, id: Oid) -> bool {
        match self.parents_in_graph(id) {
            Some(parents) => parents.len() > 1,
            None => self
                .inner
                .find_commit(id)
                .is_ok_and(|c| c.parent_count() > 1),
        }
    }

    /// The commit-graph, when the repository has one it can be read with. A shallow clone's is
    /// not used (git writes none there).
    fn commit_graph(&self) -> Option<&Graph> {
        self.graph
            .get_or_init(|| {
                if !self.shallow.is_empty() {
                    return None;
                }
                let info = self.inner.commondir().join("objects/info");
                Graph::from_info_dir(&info, gix_hash::Kind::Sha1).ok()
            })
            .as_ref()
    }
}

/// A commit in the walk: in the commit-graph, or written since (read from its object).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Node {
    Graph(Position),
    Loose(Oid),
}

/// git's paint-down-to-common: both histories are walked newest first (by corrected commit
/// date, else generation; a commit the graph does not have yet comes before all others, as in
/// git); a commit painted from both sides is a base, and whatever it reaches is stale.
///
/// The walk ends as soon as no queued commit that is not stale carries both paints between
/// them. Where the order is topological (every commit after its children), a commit once taken
/// from the queue is never painted again, so nothing new can then become a base, and no base is
/// an ancestor of another (its descendant base, taken first, paints it stale before it is
/// taken). git walks on until every queued commit is stale, which on a merge of an unrelated
/// history (a subtree merge) means walking all of it.
struct Walk<'r> {
    repo: &'r git2::Repository,
    graph: &'r Graph,
    in_graph: Vec<u8>,
    loose: HashMap<Oid, u8>,
    /// (order, commit)
    queue: BinaryHeap<(u64, Node)>,
    /// Whether the order is topological: corrected commit dates, or generations none of which
    /// is zero (an old git wrote zeros).
    topological: bool,
}

impl<'r> Walk<'r> {
    fn new(repo: &'r git2::Repository, graph: &'r Graph) -> Self {
        Walk {
            repo,
            graph,
            in_graph: vec![0; graph.num_commits() as usize],
            loose: HashMap::new(),
            queue: BinaryHeap::new(),
            topological: true,
        }
    }

    fn merge_bases(mut self, one: Oid, two: Oid) -> std::result::Result<Vec<Oid>, git2::Error> {
        let (one, two) = (self.node(one), self.node(two));
        self.paint(one, ONE)?;
        self.paint(two, TWO)?;
        let mut bases = Vec::new();
        while self.can_find_more() {
            let Some((_, node)) = self.queue.pop() else {
                break;
            };
            let flags = *self.flags(node);
            let mut paint = flags & (ONE | TWO | STALE);
            if paint == ONE | TWO {
                if flags & RESULT == 0 {
                    *self.flags(node) |= RESULT;
                    bases.push(node);
                }
                paint |= STALE;
            }
            for parent in self.parents(node)? {
                if *self.flags(parent) & paint != paint {
                    self.paint(parent, paint)?;
                }
            }
        }
        bases.retain(|&b| *self.flags(b) & STALE == 0);
        bases.into_iter().map(|b| self.id(b)).collect()
    }

    /// Whether a base can still be found: some queued commit that is not stale is painted from
    /// the first side and some from the second (or one from both). Until the order is known to
    /// be topological from here on (commits not in the graph are all taken first, in no
    /// particular order), only an all-stale queue ends the walk.
    fn can_find_more(&self) -> bool {
        let flags = |node: &Node| match node {
            Node::Graph(at) => self.in_graph[at.0 as usize],
            Node::Loose(id) => self.loose[id],
        };
        let live = self
            .queue
            .iter()
            .map(|(_, n)| flags(n))
            .filter(|f| f & STALE == 0);
        let sides = live.fold(0, |sides, f| sides | (f & (ONE | TWO)));
        let ordered = self.topological && self.queue.peek().is_none_or(|(o, _)| *o != u64::MAX);
        if ordered {
            sides == ONE | TWO
        } else {
            sides != 0
        }
    }

    fn node(&self, id: Oid) -> Node {
        gix_hash::oid::try_from_bytes(id.as_bytes())
            .ok()
            .and_then(|oid| self.graph.lookup(oid))
            .map_or(Node::Loose(id), Node::Graph)
    }

    fn id(&self, node: Node) -> std::result::Result<Oid, git2::Error> {
        match node {
            Node::Graph(at) => Oid::from_bytes(self.graph.id_at(at).as_bytes()),
            Node::Loose(id) => Ok(id),
        }
    }

    fn flags(&mut self, node: Node) -> &mut u8 {
        match node {
            Node::Graph(at) => &mut self.in_graph[at.0 as usize],
            Node::Loose(id) => self.loose.entry(id).or_insert(0),
        }
    }

    fn paint(&mut self, node: Node, paint: u8) -> std::result::Result<(), git2::Error> {
        *self.flags(node) |= paint;
        let (order, topological) = self.order(node)?;
        self.topological &= topological;
        self.queue.push((order, node));
        Ok(())
    }

    /// Where a commit comes in the walk, and whether that order is known to be topological.
    fn order(&self, node: Node) -> std::result::Result<(u64, bool), git2::Error> {
        let Node::Graph(at) = node else {
            return Ok((u64::MAX, true));
        };
        let commit = self.graph.commit_at(at);
        Ok(match commit.corrected_commit_date().map_err(graph_error)? {
            Some(date) => (date, true),
            None => (u64::from(commit.generation()), commit.generation() != 0),
        })
    }

    fn parents(&self, node: Node) -> std::result::Result<Vec<Node>, git2::Error> {
        match node {
            Node::Graph(at) => self
                .graph
                .commit_at(at)
                .iter_parents()
                .map(|p| p.map(Node::Graph).map_err(graph_error))
                .collect(),
            Node::Loose(id) => Ok(self
                .repo
                .find_commit(id)?
                .parent_ids()
                .map(|p| self.node(p))
                .collect()),
        }
    }
}

fn graph_error(e: impl std::fmt::Display) -> git2::Error {
    git2::Error::from_str(&format!("commit-graph: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn git(dir: &Path, args: &[&str], date: u64) -> String {
        let out = crate::git::git_command()
            .current_dir(dir)
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "A")
            .env("GIT_AUTHOR_EMAIL", "a@example.org")
            .env("GIT_COMMITTER_NAME", "A")
            .env("GIT_COMMITTER_EMAIL", "a@example.org")
            .env("GIT_AUTHOR_DATE", format!("@{date} +0000"))
            .env("GIT_COMMITTER_DATE", format!("@{date} +0000"))
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// A history with criss-cross merges, an unrelated history merged in, and clock skew, as
    /// commits made by `git commit-tree`: a deterministic random walk of branches and merges.
    /// The commit-graph is written after 200 commits: the last 100 are not in it.
    fn history(dir: &Path, generation_version: &str) -> Vec<String> {
        git(dir, &["init", "-q", "--bare"], 0);
        let tree = git(dir, &["mktree"], 0);
        let mut seed = 7u64;
        let mut random = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        let mut commits: Vec<String> = Vec::new();
        let mut tips: Vec<String> = Vec::new();
        for i in 0..300u64 {
            if i == 200 {
                for (n, tip) in tips.iter().enumerate() {
                    git(dir, &["update-ref", &format!("refs/heads/b{n}"), tip], 0);
                }
                let config = format!("commitGraph.generationVersion={generation_version}");
                git(
                    dir,
                    &["-c", &config, "commit-graph", "write", "--reachable"],
                    0,
                );
            }
            // Clock skew: now and then a commit is dated a day before its parents.
            let date = 1_700_000_000 + i * 600 - if random(10) == 0 { 86_400 } else { 0 };
            let message = format!("c{i}");
            let mut args = vec!["commit-tree", tree.as_str(), "-m", message.as_str()];
            let parents: Vec<String> = match (tips.len(), random(6)) {
                // A new root now and then: an unrelated history, merged in later.
                (0, _) | (_, 0) if i % 50 == 0 => vec![],
                (n, 1 | 2) if n > 1 => {
                    let (a, b) = (random(n), random(n));
                    if a == b {
                        vec![tips[a].clone()]
                    } else {
                        vec![tips[a].clone(), tips[b].clone()]
                    }
                }
                (n, _) if n > 0 => vec![tips[random(n)].clone()],
                _ => vec![],
            };
            for p in &parents {
                args.extend(["-p", p.as_str()]);
            }
            let id = git(dir, &args, date);
            // The new commit replaces a parent among the tips, or is a new tip.
            match tips.iter().position(|t| parents.first() == Some(t)) {
                Some(at) if random(4) != 0 => tips[at] = id.clone(),
                _ => tips.push(id.clone()),
            }
            commits.push(id);
        }
        commits
    }

    fn agrees_with_git(generation_version: &str) {
        let dir = tempfile::tempdir().unwrap();
        let commits = history(dir.path(), generation_version);
        let repo = Repo::discover(dir.path()).unwrap();
        assert!(repo.commit_graph().is_some());
        let (mut compared, mut multiple) = (0, 0);
        for (i, one) in commits.iter().enumerate().step_by(7) {
            for two in commits.iter().skip(i + 1).step_by(5) {
                let mut ours: Vec<String> = repo
                    .merge_bases(Oid::from_str(one).unwrap(), Oid::from_str(two).unwrap())
                    .unwrap()
                    .iter()
                    .map(Oid::to_string)
                    .collect();
                ours.sort();
                let out = crate::git::git_command()
                    .current_dir(dir.path())
                    .args(["merge-base", "--all", one, two])
                    .output()
                    .unwrap();
                let mut theirs: Vec<String> = String::from_utf8(out.stdout)
                    .unwrap()
                    .lines()
                    .map(str::to_string)
                    .collect();
                theirs.sort();
                assert_eq!(ours, theirs, "merge bases of {one} and {two}");
                compared += 1;
                multiple += usize::from(theirs.len() > 1);
            }
        }
        assert!(compared > 1000, "{compared} pairs");
        assert!(multiple > 100, "{multiple} pairs with several bases");
    }

    #[test]
    fn merge_bases_agree_with_git_with_corrected_dates() {
        agrees_with_git("2");
    }

    #[test]
    fn merge_bases_agree_with_git_with_generations_only() {
        agrees_with_git("1");
    }
}
