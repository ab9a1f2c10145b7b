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
            None => {
                let bases = self.inner.merge_bases(one, two).map_err(read(what()))?;
                Ok(bases.iter().copied().collect())
            }
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
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Node {
    Graph(Position),
    Loose(Oid),
}

/// git's paint-down-to-common: both histories are walked newest first (by corrected commit
/// date; a commit the graph does not have yet comes before all others, as in git); a commit
/// painted from both sides is a base, and whatever it reaches is stale. The walk ends when every
/// queued commit is stale.
struct Walk<'r> {
    repo: &'r git2::Repository,
    graph: &'r Graph,
    in_graph: Vec<u8>,
    loose: HashMap<Oid, u8>,
    /// (date, commit, paint when queued)
    queue: BinaryHeap<(u64, Node, u8)>,
    /// Queued entries that were not stale when queued.
    live: usize,
}

impl<'r> Walk<'r> {
    fn new(repo: &'r git2::Repository, graph: &'r Graph) -> Self {
        Walk {
            repo,
            graph,
            in_graph: vec![0; graph.num_commits() as usize],
            loose: HashMap::new(),
            queue: BinaryHeap::new(),
            live: 0,
        }
    }

    fn merge_bases(mut self, one: Oid, two: Oid) -> std::result::Result<Vec<Oid>, git2::Error> {
        let (one, two) = (self.node(one), self.node(two));
        self.paint(one, ONE)?;
        self.paint(two, TWO)?;
        let mut bases = Vec::new();
        while self.live > 0 {
            let Some((_, node, queued)) = self.queue.pop() else {
                break;
            };
            if queued & STALE == 0 {
                self.live -= 1;
            }
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
        bases.retain(|&b| match b {
            Node::Graph(at) => self.in_graph[at.0 as usize] & STALE == 0,
            Node::Loose(id) => self.loose[&id] & STALE == 0,
        });
        bases.into_iter().map(|b| self.id(b)).collect()
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
        let date = match node {
            Node::Graph(at) => {
                let commit = self.graph.commit_at(at);
                commit
                    .corrected_commit_date()
                    .map_err(graph_error)?
                    .unwrap_or(commit.committer_timestamp())
            }
            Node::Loose(_) => u64::MAX,
        };
        if paint & STALE == 0 {
            self.live += 1;
        }
        self.queue.push((date, node, paint));
        Ok(())
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
