//! The clean three-way merge of a file's contents, without a diff, when the two sides changed
//! parts of it far enough apart that every diff algorithm merges them alike (git's histogram
//! and libgit2's Myers): most files that both sides of a merge touched. Anything closer is left
//! to a real merge.

/// A text's lines as xdiff splits them: each with its newline, the last one perhaps without.
fn lines(text: &[u8]) -> Vec<&[u8]> {
    text.split_inclusive(|&b| b == b'\n').collect()
}

/// What a side changed of the base, as a diff that first sets aside the common beginning and
/// end of the two texts sees it (xdiff does): the base's lines `start..end` became the side's
/// lines `start..side_end`.
struct Changed {
    start: usize,
    end: usize,
    side_end: usize,
}

impl Changed {
    fn of(base: &[&[u8]], side: &[&[u8]]) -> Changed {
        let start = base.iter().zip(side).take_while(|(b, s)| b == s).count();
        let end = base[start..]
            .iter()
            .rev()
            .zip(side[start..].iter().rev())
            .take_while(|(b, s)| b == s)
            .count();
        Changed {
            start,
            end: base.len() - end,
            side_end: side.len() - end,
        }
    }

    /// Whether `line` is one of the changed lines, removed or added: a diff may slide a change
    /// through a neighbouring line only when the change has that line too.
    fn has(&self, base: &[&[u8]], side: &[&[u8]], line: &[u8]) -> bool {
        base[self.start..self.end].contains(&line)
            || side[self.start..self.side_end].contains(&line)
    }
}

/// The clean three-way merge of `ours` and `theirs` from `base` when what each side changed is
/// apart from the other's: at least one unchanged base line between them (xdiff's rule for
/// changes that do not conflict), and neither change can slide onto it (the line is none of that
/// change's lines), so that any diff of either side keeps the changes apart. `None` otherwise,
/// or when a text is binary.
pub(super) fn clean_merge(base: &[u8], ours: &[u8], theirs: &[u8]) -> Option<Vec<u8>> {
    // Binary files are not merged line by line.
    if [base, ours, theirs]
        .iter()
        .any(|t| super::diff::looks_binary(t))
    {
        return None;
    }
    let (b, o, t) = (lines(base), lines(ours), lines(theirs));
    let (by_ours, by_theirs) = (Changed::of(&b, &o), Changed::of(&b, &t));
    let ((first, by_first), (second, by_second)) = if by_ours.end < by_theirs.start {
        ((&o, by_ours), (&t, by_theirs))
    } else if by_theirs.end < by_ours.start {
        ((&t, by_theirs), (&o, by_ours))
    } else {
        return None;
    };
    if by_first.has(&b, first, b[by_first.end]) || by_second.has(&b, second, b[by_second.start - 1])
    {
        return None;
    }
    // The first side up to the end of its change, the base between, the second side from the
    // start of its change.
    let mut merged = Vec::with_capacity(ours.len() + theirs.len());
    first[..by_first.side_end]
        .iter()
        .chain(&b[by_first.end..by_second.start])
        .chain(&second[by_second.start..])
        .for_each(|line| merged.extend_from_slice(line));
    Some(merged)
}

#[cfg(test)]
mod tests {
    use super::clean_merge;

    /// `git merge-file -p` with Myers' diff, libgit2's: the merged text when it is clean.
    fn git_merge_file(base: &[u8], ours: &[u8], theirs: &[u8]) -> Option<Vec<u8>> {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let write = |name: &str, data: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, data).expect("a file in the temporary directory");
            path
        };
        let (b, o, t) = (write("b", base), write("o", ours), write("t", theirs));
        let out = std::process::Command::new("git")
            .args(["merge-file", "-p", "--diff-algorithm", "myers"])
            .args([&o, &b, &t])
            .output()
            .expect("git merge-file runs");
        out.status.success().then_some(out.stdout)
    }

    fn text(lines: &[u8]) -> Vec<u8> {
        lines.iter().flat_map(|&l| [b'a' + l, b'\n']).collect()
    }

    #[test]
    fn changes_far_apart_are_merged_and_close_ones_left() {
        let base = text(&[0, 1, 2, 3, 4, 5, 6]);
        let ours = text(&[9, 1, 2, 3, 4, 5, 6]);
        let theirs = text(&[0, 1, 2, 3, 4, 5, 8]);
        assert_eq!(
            clean_merge(&base, &ours, &theirs),
            Some(text(&[9, 1, 2, 3, 4, 5, 8]))
        );
        // Adjacent changes conflict in xdiff: left to a real merge.
        let theirs = text(&[0, 8, 2, 3, 4, 5, 6]);
        assert_eq!(clean_merge(&base, &ours, &theirs), None);
        // An insertion into repeated lines may slide next to the other side's change.
        let base = text(&[0, 1, 1, 2]);
        let ours = text(&[0, 1, 1, 1, 2]);
        let theirs = text(&[7, 1, 1, 2]);
        assert_eq!(clean_merge(&base, &ours, &theirs), None);
        assert_eq!(
            clean_merge(b"a\0\nb\nc\nd\n", b"x\0\nb\nc\nd\n", b"a\0\nb\nc\ny\n"),
            None
        );
    }

    /// Whatever this merges, a merge with Myers' diff (libgit2's, which it stands in for) merges
    /// alike: clean, and the same text. Random small texts of few distinct lines, so that
    /// changes repeat lines and land close together; a fifth without a newline at the end.
    #[test]
    fn agrees_with_git_merge_file() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let (mut merged, mut left) = (0, 0);
        for _ in 0..3000 {
            let base: Vec<u8> = (0..next(16)).map(|_| next(4) as u8).collect();
            let mut edit = || {
                let mut lines = base.clone();
                for _ in 0..1 + next(2) {
                    let at = next(lines.len() + 1);
                    let end = (at + next(3)).min(lines.len());
                    let new: Vec<u8> = (0..next(3)).map(|_| next(5) as u8).collect();
                    lines.splice(at..end, new);
                }
                lines
            };
            let (o, t) = (edit(), edit());
            let cut = next(5) == 0;
            let finish = |lines: &[u8]| {
                let mut t = text(lines);
                if cut {
                    t.pop();
                }
                t
            };
            let (b, o, t) = (finish(&base), finish(&o), finish(&t));
            let Some(ours) = clean_merge(&b, &o, &t) else {
                left += 1;
                continue;
            };
            merged += 1;
            let git = git_merge_file(&b, &o, &t);
            assert_eq!(git.as_ref(), Some(&ours), "{b:?} {o:?} {t:?}");
        }
        // Both outcomes are exercised.
        assert!(merged > 60 && left > 60, "{merged} merged, {left} left");
    }
}
