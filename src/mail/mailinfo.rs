//! `git mailinfo` itself: the one reader of a mail's author, subject, commit message and patch,
//! for `git am`'s reading of a patch mail and for patatt's canonical form of a signed one.

/// What `git mailinfo` made of one mail.
pub(crate) struct MailInfo {
    /// Its standard output: `Author:`, `Email:`, `Subject:` and `Date:` lines.
    pub info: Vec<u8>,
    /// The commit message (the `msg` file).
    pub msg: Vec<u8>,
    /// Everything from the patch break on (the `patch` file).
    pub patch: Vec<u8>,
    /// The scratch directory the two files were written in, outside any repository: what
    /// reads the patch next (`git apply`) runs there.
    pub dir: tempfile::TempDir,
}

impl MailInfo {
    /// A field of the info: what follows `Name:` on its line.
    pub fn field(&self, name: &str) -> Option<&[u8]> {
        self.info
            .split(|&b| b == b'\n')
            .find_map(|line| line.strip_prefix(name.as_bytes())?.strip_prefix(b":"))
    }
}

/// Runs `git mailinfo OPTIONS msg patch` on a raw mail; errors name git's complaint.
pub(crate) fn git_mailinfo(raw: &[u8], options: &[&str]) -> Result<MailInfo, String> {
    let io = |e: std::io::Error| format!("git mailinfo: {e}");
    let dir = tempfile::Builder::new()
        .prefix("aiprov-mailinfo-")
        .tempdir()
        .map_err(io)?;
    let (msg, patch) = (dir.path().join("msg"), dir.path().join("patch"));
    let mut command = crate::git::git_command();
    command.arg("mailinfo").args(options).arg(&msg).arg(&patch);
    let out = crate::git::output_with_input(&mut command, raw).map_err(io)?;
    if !out.status.success() {
        return Err(format!(
            "git mailinfo: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let read = |p: &std::path::Path| std::fs::read(p).map_err(io);
    Ok(MailInfo {
        info: out.stdout,
        msg: read(&msg)?,
        patch: read(&patch)?,
        dir,
    })
}
