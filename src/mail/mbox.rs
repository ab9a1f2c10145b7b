//! Splitting an mbox (or a single `.patch` file) into messages with `git mailsplit` itself, as
//! `git am` does: whatever git takes for a separator line is one here, whatever trails it.

use super::MailError;

/// The largest mbox aiprov reads.
pub const MAX_MBOX_BYTES: usize = 256 << 20;

/// Splits an mbox into messages (each starting with its separator line, if any, as `git am`
/// hands them to `git mailinfo`; CRLF line ends made LF) with
/// `git mailsplit -b`, the way `git am` runs it: input that does not start with a separator is
/// one message.
pub fn split(data: &[u8]) -> Result<Vec<Vec<u8>>, MailError> {
    let io = |e: std::io::Error| MailError::Git(format!("git mailsplit: {e}"));
    let dir = tempfile::Builder::new()
        .prefix("aiprov-mailsplit-")
        .tempdir()
        .map_err(io)?;
    let input = dir.path().join("mbox");
    std::fs::write(&input, data).map_err(io)?;
    let out_dir = dir.path().join("mails");
    std::fs::create_dir(&out_dir).map_err(io)?;
    let out = crate::git::git_command()
        .arg("mailsplit")
        .arg(format!("-o{}", out_dir.display()))
        .args(["-b", "--"])
        .arg(&input)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(io)?;
    if !out.status.success() {
        return Err(MailError::Git(format!(
            "git mailsplit: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let mut names: Vec<_> = std::fs::read_dir(&out_dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    names.sort();
    names.iter().map(|p| std::fs::read(p).map_err(io)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_format_patch_output_and_single_files() {
        let mbox = b"From 1234 Mon Sep 17 00:00:00 2001\r\nSubject: a\r\n\r\nbody a\r\n>From the start\r\n\r\nFrom 5678 Mon Sep 17 00:00:00 2001\nSubject: b\n\nbody b\n";
        let msgs = split(mbox).unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!(
            msgs[0],
            b"From 1234 Mon Sep 17 00:00:00 2001\nSubject: a\n\nbody a\n>From the start\n\n"
                .to_vec()
        );
        assert_eq!(
            msgs[1],
            b"From 5678 Mon Sep 17 00:00:00 2001\nSubject: b\n\nbody b\n".to_vec()
        );
        assert_eq!(
            split(b"Subject: c\n\nbody\n").unwrap(),
            vec![b"Subject: c\n\nbody\n".to_vec()]
        );
    }

    #[test]
    fn separators_are_what_git_takes_for_one() {
        let mbox = b"From 1 Mon Sep 17 00:00:00 2001\nSubject: a\n\nFrom: someone\nFrom here on\n";
        assert_eq!(split(mbox).unwrap().len(), 1);
        // Trailing text after the year, and a long year: git splits there, so aiprov does.
        for sep in [
            "From x Mon Sep 17 00:00:00 2001 trailing",
            "From x Mon Sep 17 00:00:00 20011",
        ] {
            let mbox = format!(
                "From 1 Mon Sep 17 00:00:00 2001\nSubject: a\n\na\n{sep}\nSubject: b\n\nb\n"
            );
            assert_eq!(split(mbox.as_bytes()).unwrap().len(), 2, "{sep}");
        }
    }
}
