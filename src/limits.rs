//! Reading within a limit: every file or stream aiprov reads whole (keys, keyrings, trust files,
//! mboxes, archives) is read through here, and refused when it is larger than its limit.

use std::io::Read;
use std::path::Path;

/// All of `reader`, or an error when it holds more than `max` bytes (`what` names it there).
pub fn read_bounded(reader: impl Read, max: usize, what: &str) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(max as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > max {
        return Err(std::io::Error::other(format!(
            "over the limit of {max} bytes for {what}"
        )));
    }
    Ok(bytes)
}

/// [`read_bounded`] of a file.
pub fn read_file_bounded(path: &Path, max: usize, what: &str) -> std::io::Result<Vec<u8>> {
    read_bounded(std::fs::File::open(path)?, max, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_up_to_the_limit_and_refuses_more() {
        assert_eq!(read_bounded(&b"abcd"[..], 4, "x").unwrap(), b"abcd");
        let e = read_bounded(&b"abcde"[..], 4, "a key file").unwrap_err();
        assert_eq!(e.to_string(), "over the limit of 4 bytes for a key file");
    }
}
