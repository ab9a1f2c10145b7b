//! The git processes aiprov runs, all made by [`git_command`].

/// A `git` command that reads the same history as libgit2 does here: replace refs
/// (`refs/replace/`, which `git clone --mirror` copies) and the grafts file are ignored. libgit2
/// knows no replace refs, so a `git rev-list` that followed one would list commits whose diffs
/// libgit2 reads from other parents. Every git process aiprov runs is made here.
pub fn git_command() -> std::process::Command {
    let mut c = std::process::Command::new("git");
    c.env("GIT_NO_REPLACE_OBJECTS", "1")
        .env("GIT_GRAFT_FILE", "/nonexistent/aiprov-ignores-grafts");
    c
}

/// Runs `command` with `input` on its standard input and collects its standard output and error.
/// The input is written from another thread: git answers while it reads, and a pipe full both
/// ways would stop both.
pub fn output_with_input(
    command: &mut std::process::Command,
    input: &[u8],
) -> std::io::Result<std::process::Output> {
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    std::thread::scope(|scope| {
        scope.spawn(move || std::io::Write::write_all(&mut stdin, input));
        child.wait_with_output()
    })
}
