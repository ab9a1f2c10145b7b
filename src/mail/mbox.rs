//! Splitting an mbox (or a single `.patch` file) into raw messages, as `git mailsplit` does:
//! messages start at `From ` separator lines, CRLF line ends become LF.

/// The largest mbox aiprov reads.
pub const MAX_MBOX_BYTES: usize = 256 << 20;

/// Whether a line is an mbox separator, by `git mailsplit`'s rule: `From `, then a time
/// `..d:dd:dd` followed by a year after 1990 (`From <id> Mon Sep 17 00:00:00 2001`).
fn is_separator(line: &[u8]) -> bool {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    if line.len() < 19 || !line.starts_with(b"From ") {
        return false;
    }
    let Some(colon) = line[5..].iter().rposition(|&b| b == b':').map(|p| p + 5) else {
        return false;
    };
    let digit = |i: Option<usize>| i.and_then(|i| line.get(i)).is_some_and(u8::is_ascii_digit);
    let ok = digit(colon.checked_sub(4))
        && digit(colon.checked_sub(2))
        && digit(colon.checked_sub(1))
        && digit(Some(colon + 1))
        && digit(Some(colon + 2));
    let year: String = line
        .get(colon + 3..)
        .unwrap_or_default()
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .map(|&b| b as char)
        .collect();
    ok && year.parse::<u32>().is_ok_and(|y| y > 90)
}

/// Splits an mbox into messages (without their separator lines). Input that does not start with
/// a separator is one message. Like `git am` by default, `>From ` lines are left as they are.
pub fn split(data: &[u8]) -> Vec<Vec<u8>> {
    let mut messages: Vec<Vec<u8>> = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    let mut at_start = true;
    for raw in data.split_inclusive(|&b| b == b'\n') {
        let line = crlf_to_lf(raw);
        if is_separator(&line) {
            if let Some(m) = current.take() {
                messages.push(m);
            }
            current = Some(Vec::new());
            at_start = false;
            continue;
        }
        if at_start && line.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        at_start = false;
        current
            .get_or_insert_with(Vec::new)
            .extend_from_slice(&line);
    }
    if let Some(m) = current.filter(|m| !m.iter().all(|b| b.is_ascii_whitespace())) {
        messages.push(m);
    }
    messages
}

fn crlf_to_lf(line: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    match line.strip_suffix(b"\r\n") {
        Some(body) => {
            let mut v = body.to_vec();
            v.push(b'\n');
            std::borrow::Cow::Owned(v)
        }
        None => std::borrow::Cow::Borrowed(line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_format_patch_output_and_single_files() {
        let mbox = b"From 1234 Mon Sep 17 00:00:00 2001\r\nSubject: a\r\n\r\nbody a\r\n>From the start\r\n\r\nFrom 5678 Mon Sep 17 00:00:00 2001\nSubject: b\n\nbody b\n";
        let msgs = split(mbox);
        assert_eq!(msgs.len(), 2);
        assert_eq!(
            msgs[0],
            b"Subject: a\n\nbody a\n>From the start\n\n".to_vec()
        );
        assert_eq!(msgs[1], b"Subject: b\n\nbody b\n".to_vec());
        assert_eq!(
            split(b"Subject: c\n\nbody\n"),
            vec![b"Subject: c\n\nbody\n".to_vec()]
        );
        assert!(split(b"").is_empty());
    }

    #[test]
    fn a_from_line_inside_a_body_is_not_a_separator() {
        let mbox = b"From 1 Mon Sep 17 00:00:00 2001\nSubject: a\n\nFrom: someone\nFrom here on\n";
        assert_eq!(split(mbox).len(), 1);
    }
}
