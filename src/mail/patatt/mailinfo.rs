//! The part of `git mailinfo --encoding=utf-8 --no-scissors` that patatt signs: the author, email
//! and cleaned-up subject, and the commit message and patch text. Written after git's documented
//! behaviour and checked against `git mailinfo` in the tests; MIME multipart and format=flowed
//! bodies, and charsets other than UTF-8, US-ASCII and ISO-8859-1, are refused rather than guessed.

/// What `git mailinfo` reports for one mail.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct MailInfo {
    /// `Author` and `Email`, present when the mail has a `From` header.
    pub author: Option<(Vec<u8>, Vec<u8>)>,
    pub subject: Option<Vec<u8>>,
    /// The commit message (`msg` file) followed by the patch (`patch` file).
    pub message: Vec<u8>,
    pub patch: Vec<u8>,
}

/// C's `isspace` in the "C" locale, which is also Python's `\s` on bytes.
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

pub(crate) fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_space(b)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|&b| !is_space(b))
        .map_or(start, |e| e + 1);
    &s[start..end]
}

fn rtrim(s: &mut Vec<u8>) {
    while s.last().is_some_and(|&b| is_space(b)) {
        s.pop();
    }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    None,
    Base64,
    QuotedPrintable,
}

#[derive(Default)]
struct Headers {
    from: Option<Vec<u8>>,
    subject: Option<Vec<u8>>,
    date: Option<Vec<u8>>,
}

struct State {
    charset: Vec<u8>,
    encoding: Encoding,
    top: Headers,
    inbody: Headers,
    header_stage: bool,
    accum: Vec<u8>,
    in_patch: bool,
    patch_lines: usize,
    message: Vec<u8>,
    patch: Vec<u8>,
}

/// Runs the mailinfo emulation on a mail with LF line ends.
pub(crate) fn mailinfo(input: &[u8]) -> Result<MailInfo, String> {
    if input.contains(&0) {
        return Err("the mail contains a NUL byte".into());
    }
    let start = input.iter().position(|&b| !is_space(b));
    let Some(start) = start else {
        return Err("empty mail".into());
    };
    let mut lines = Lines {
        data: input,
        pos: start,
    };
    let mut st = State {
        charset: Vec::new(),
        encoding: Encoding::None,
        top: Headers::default(),
        inbody: Headers::default(),
        header_stage: true,
        accum: Vec::new(),
        in_patch: false,
        patch_lines: 0,
        message: Vec::new(),
        patch: Vec::new(),
    };
    let mut first = Vec::new();
    while let Some(header) = lines.header_line(&mut first) {
        check_header(&mut st, &header, false)?;
    }
    body(&mut st, &mut lines, first)?;

    let pick = |inbody: &Option<Vec<u8>>, top: &Option<Vec<u8>>| {
        if st.patch_lines > 0 && inbody.is_some() {
            inbody.clone()
        } else {
            top.clone()
        }
    };
    let subject =
        pick(&st.inbody.subject, &st.top.subject).map(|s| cleanup_space(&cleanup_subject(&s)));
    let author = pick(&st.inbody.from, &st.top.from).map(|f| handle_from(&cleanup_space(&f)));
    let _ = (&st.top.date, &st.inbody.date);
    Ok(MailInfo {
        author,
        subject,
        message: st.message,
        patch: st.patch,
    })
}

struct Lines<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Lines<'_> {
    /// The next line with its LF (the last may lack one); `None` at the end.
    fn whole(&mut self) -> Option<Vec<u8>> {
        if self.pos >= self.data.len() {
            return None;
        }
        let rest = &self.data[self.pos..];
        let len = rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |i| i + 1);
        self.pos += len;
        Some(rest[..len].to_vec())
    }

    /// One unfolded header line; on the first non-header line, stores it (with LF) in `rest`.
    fn header_line(&mut self, rest: &mut Vec<u8>) -> Option<Vec<u8>> {
        let mut line = self.whole().unwrap_or_default();
        rtrim(&mut line);
        if line.is_empty() || !is_rfc2822_header(&line) {
            line.push(b'\n');
            *rest = line;
            return None;
        }
        while matches!(self.data.get(self.pos), Some(b' ' | b'\t')) {
            let Some(mut cont) = self.whole() else { break };
            cont[0] = b' ';
            rtrim(&mut cont);
            line.extend_from_slice(&cont);
        }
        Some(line)
    }
}

fn is_rfc2822_header(line: &[u8]) -> bool {
    if line.starts_with(b"From ") || line.starts_with(b">From ") {
        return true;
    }
    for &c in line {
        if c == b':' {
            return true;
        }
        if !((33..=57).contains(&c) || (59..=126).contains(&c)) {
            break;
        }
    }
    false
}

/// `Name: ` (case-insensitive, followed by whitespace) starts the line.
fn cmp_header(line: &[u8], name: &str) -> bool {
    let n = name.len();
    line.len() > n
        && line[..n].eq_ignore_ascii_case(name.as_bytes())
        && line[n] == b':'
        && line.get(n + 1).is_some_and(|&b| is_space(b))
}

fn check_header(st: &mut State, line: &[u8], inbody: bool) -> Result<bool, String> {
    let value = |n: &str| line.get(n.len() + 2..).unwrap_or_default().to_vec();
    for name in ["From", "Subject", "Date"] {
        let slot = {
            let set = if inbody { &mut st.inbody } else { &mut st.top };
            match name {
                "From" => &mut set.from,
                "Subject" => &mut set.subject,
                _ => &mut set.date,
            }
        };
        if (slot.is_none() || !inbody) && cmp_header(line, name) {
            *slot = Some(decode_header(&value(name))?);
            return Ok(true);
        }
    }
    if cmp_header(line, "Content-Type") {
        let v = decode_header(&value("Content-Type"))?;
        if find_ci(&v, b"boundary=").is_some() {
            return Err("unsupported: a MIME multipart mail".into());
        }
        if slurp_attr(&v, b"format=").is_some_and(|f| f.eq_ignore_ascii_case(b"flowed")) {
            return Err("unsupported: a format=flowed mail".into());
        }
        st.charset = slurp_attr(&v, b"charset=").unwrap_or_default();
        return Ok(true);
    }
    if cmp_header(line, "Content-Transfer-Encoding") {
        let v = decode_header(&value("Content-Transfer-Encoding"))?;
        st.encoding = if find_ci(&v, b"base64").is_some() {
            Encoding::Base64
        } else if find_ci(&v, b"quoted-printable").is_some() {
            Encoding::QuotedPrintable
        } else {
            Encoding::None
        };
        return Ok(true);
    }
    if cmp_header(line, "Message-Id") {
        decode_header(&value("Message-Id"))?;
        return Ok(true);
    }
    Ok(false)
}

fn slurp_attr(line: &[u8], name: &[u8]) -> Option<Vec<u8>> {
    let at = find_ci(line, name)? + name.len();
    let rest = &line[at..];
    let (rest, ends): (&[u8], &[u8]) = match rest.first() {
        Some(b'"') => (&rest[1..], b"\""),
        _ => (rest, b"; \t"),
    };
    let len = rest
        .iter()
        .position(|b| ends.contains(b))
        .unwrap_or(rest.len());
    Some(rest[..len].to_vec())
}

/// Re-encodes `text` from `charset` to UTF-8, as mailinfo's iconv call would.
fn to_utf8(text: Vec<u8>, charset: &[u8]) -> Result<Vec<u8>, String> {
    let cs = String::from_utf8_lossy(charset).to_ascii_lowercase();
    match cs.as_str() {
        "" | "utf-8" | "utf8" => Ok(text),
        "us-ascii" | "ascii" if text.is_ascii() => Ok(text),
        "iso-8859-1" | "iso8859-1" | "latin1" | "latin-1" => Ok(text
            .iter()
            .map(|&b| b as char)
            .collect::<String>()
            .into_bytes()),
        "us-ascii" | "ascii" => Err(format!("cannot convert from {cs} to utf-8")),
        _ => Err(format!("unsupported: charset {cs}")),
    }
}

fn decode_q(seg: &[u8], rfc2047: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(seg.len());
    let mut i = 0;
    while i < seg.len() {
        let c = seg[i];
        i += 1;
        if c == b'=' {
            match seg.get(i) {
                None | Some(b'\n') => break,
                Some(_) => {
                    if let Some(&[h, l]) = seg.get(i..i + 2) {
                        if let (Some(h), Some(l)) = (hex_value(h), hex_value(l)) {
                            out.push(h << 4 | l);
                            i += 2;
                            continue;
                        }
                    }
                }
            }
        }
        out.push(if rfc2047 && c == b'_' { b' ' } else { c });
    }
    out
}

fn hex_value(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|v| v as u8)
}

fn decode_b(seg: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(seg.len() * 3 / 4);
    let (mut pos, mut acc) = (0, 0u8);
    for &c in seg {
        let v = match c {
            b'+' => 62,
            b'/' => 63,
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            _ => continue,
        };
        match pos {
            0 => acc = v << 2,
            1 => {
                out.push(acc | (v >> 4));
                acc = (v & 15) << 4;
            }
            2 => {
                out.push(acc | (v >> 2));
                acc = (v & 3) << 6;
            }
            _ => out.push(acc | v),
        }
        pos = (pos + 1) % 4;
    }
    out
}

/// RFC 2047 encoded words, the way mailinfo unwraps them (errors where mailinfo fails).
fn decode_header(it: &[u8]) -> Result<Vec<u8>, String> {
    let bad = || Err("malformed encoded word in a header".to_string());
    let mut out = Vec::with_capacity(it.len());
    let mut at = 0;
    while let Some(ep) = find(it, b"=?", at) {
        if at != ep && (at == 0 || !it[at..ep].iter().all(|&b| is_space(b))) {
            out.extend_from_slice(&it[at..ep]);
        }
        let cs_start = ep + 2;
        let Some(cp) = find(it, b"?", cs_start) else {
            return bad();
        };
        if cs_start >= it.len() || cp + 3 > it.len() || it.get(cp + 2) != Some(&b'?') {
            return bad();
        }
        let Some(end) = find(it, b"?=", cp + 3) else {
            return bad();
        };
        let piece = &it[cp + 3..end];
        let dec = match it[cp + 1].to_ascii_lowercase() {
            b'b' => decode_b(piece),
            b'q' => decode_q(piece, true),
            _ => return bad(),
        };
        if dec.contains(&0) {
            return Err("an encoded word decodes to a NUL byte".into());
        }
        out.extend(to_utf8(dec, &it[cs_start..cp])?);
        at = end + 2;
    }
    out.extend_from_slice(&it[at..]);
    Ok(out)
}

fn body(st: &mut State, lines: &mut Lines, first: Vec<u8>) -> Result<(), String> {
    let mut prev: Vec<u8> = Vec::new();
    let mut line = Some(first);
    while let Some(mut l) = line {
        match st.encoding {
            Encoding::None => filter(st, l)?,
            enc => {
                l = if enc == Encoding::Base64 {
                    decode_b(&l)
                } else {
                    decode_q(&l, false)
                };
                if l.contains(&0) {
                    return Err("the body decodes to a NUL byte".into());
                }
                let mut all = std::mem::take(&mut prev);
                all.extend_from_slice(&l);
                let mut rest = &all[..];
                while let Some(i) = rest.iter().position(|&b| b == b'\n') {
                    filter(st, rest[..=i].to_vec())?;
                    rest = &rest[i + 1..];
                }
                prev = rest.to_vec();
            }
        }
        line = lines.whole();
    }
    flush_inbody(st)
}

fn filter(st: &mut State, line: Vec<u8>) -> Result<(), String> {
    if !st.in_patch {
        if !commit_msg(st, &line)? {
            return Ok(());
        }
        st.in_patch = true;
    }
    st.patch.extend_from_slice(&line);
    st.patch_lines += 1;
    Ok(())
}

/// One line of the commit message; true when it starts the patch.
fn commit_msg(st: &mut State, line: &[u8]) -> Result<bool, String> {
    if st.header_stage && (line.is_empty() || line == b"\n") {
        if !st.accum.is_empty() {
            flush_inbody(st)?;
            st.header_stage = false;
        }
        return Ok(false);
    }
    if st.header_stage {
        st.header_stage = inbody_header(st, line)?;
        if st.header_stage {
            return Ok(false);
        }
    }
    let line = to_utf8(line.to_vec(), &st.charset)?;
    if patchbreak(&line) {
        return Ok(true);
    }
    st.message.extend_from_slice(&line);
    Ok(false)
}

fn flush_inbody(st: &mut State) -> Result<(), String> {
    if !st.accum.is_empty() {
        let accum = std::mem::take(&mut st.accum);
        check_header(st, &accum, true)?;
    }
    Ok(())
}

fn inbody_header(st: &mut State, line: &[u8]) -> Result<bool, String> {
    if !st.accum.is_empty() && matches!(line.first(), Some(b' ' | b'\t')) {
        if st.accum.last() == Some(&b'\n') {
            st.accum.pop();
        }
        st.accum.extend_from_slice(line);
        return Ok(true);
    }
    flush_inbody(st)?;
    if line.starts_with(b">From") && line.get(5).is_some_and(|&b| is_space(b)) {
        return Ok(is_format_patch_separator(&line[1..]));
    }
    if line.starts_with(b"[PATCH]") && line.get(7).is_some_and(|&b| is_space(b)) {
        st.inbody.subject = Some(line.to_vec());
        return Ok(true);
    }
    let i = &st.inbody;
    let is_header = (i.from.is_none() && cmp_header(line, "From"))
        || (i.subject.is_none() && cmp_header(line, "Subject"))
        || (i.date.is_none() && cmp_header(line, "Date"));
    if is_header {
        st.accum.extend_from_slice(line);
    }
    Ok(is_header)
}

fn is_format_patch_separator(line: &[u8]) -> bool {
    const TAIL: &[u8] = b" Mon Sep 17 00:00:00 2001\n";
    line.len() == 5 + 40 + TAIL.len()
        && line.starts_with(b"From ")
        && line[5..45]
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
        && &line[45..] == TAIL
}

fn patchbreak(line: &[u8]) -> bool {
    if line.starts_with(b"diff -") || line.starts_with(b"Index: ") {
        return true;
    }
    if line.len() < 4 || !line.starts_with(b"---") {
        return false;
    }
    if line[3] == b' ' && !is_space(line[4]) {
        return true;
    }
    for &c in &line[3..] {
        if c == b'\n' {
            return true;
        }
        if !is_space(c) {
            break;
        }
    }
    false
}

fn cleanup_space(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut in_space = false;
    for &b in s {
        if !is_space(b) {
            out.push(b);
        } else if !in_space {
            out.push(b' ');
        }
        in_space = is_space(b);
    }
    out
}

fn cleanup_subject(s: &[u8]) -> Vec<u8> {
    let mut s = s;
    loop {
        match s.first() {
            Some(b'r' | b'R') if s.len() > 3 && matches!(s[1], b'e' | b'E') && s[2] == b':' => {
                s = &s[3..]
            }
            Some(b' ' | b'\t' | b':') => s = &s[1..],
            Some(b'[') => match s.iter().position(|&b| b == b']') {
                Some(end) => s = &s[end + 1..],
                None => break,
            },
            _ => break,
        }
    }
    trim(s).to_vec()
}

/// Removes `"..."` quoting and backslash escapes; keeps `( ... )` comments with their parentheses.
fn unquote(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        i += 1;
        match c {
            b'"' => {
                while i < s.len() {
                    let c = s[i];
                    i += 1;
                    match c {
                        b'\\' if i < s.len() => {
                            out.push(s[i]);
                            i += 1;
                        }
                        b'\\' => {}
                        b'"' => break,
                        _ => out.push(c),
                    }
                }
            }
            b'(' => i = unquote_comment(s, i, &mut out),
            _ => out.push(c),
        }
    }
    out
}

fn unquote_comment(s: &[u8], mut i: usize, out: &mut Vec<u8>) -> usize {
    out.push(b'(');
    while i < s.len() {
        let c = s[i];
        i += 1;
        match c {
            b'\\' if i < s.len() => {
                out.push(s[i]);
                i += 1;
            }
            b'\\' => {}
            b'(' => i = unquote_comment(s, i, out),
            b')' => {
                out.push(b')');
                return i;
            }
            _ => out.push(c),
        }
    }
    i
}

fn sane_name(name: &[u8], email: &[u8]) -> Vec<u8> {
    if name.is_empty() || name.len() > 60 || name.iter().any(|b| b"@<>".contains(b)) {
        email.to_vec()
    } else {
        name.to_vec()
    }
}

/// Author name and email from a `From` value.
fn handle_from(from: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut f = unquote(from);
    let Some(mut at) = f.iter().position(|&b| b == b'@') else {
        // "Name <local>" without a domain.
        let Some(bra) = from.iter().position(|&b| b == b'<') else {
            return (Vec::new(), Vec::new());
        };
        let Some(ket) = from[bra..].iter().position(|&b| b == b'>') else {
            return (Vec::new(), Vec::new());
        };
        let email = from[bra + 1..bra + ket].to_vec();
        return (sane_name(trim(&from[..bra]), &email), email);
    };
    while at > 0 {
        let c = f[at - 1];
        if is_space(c) {
            break;
        }
        if c == b'<' {
            f[at - 1] = b' ';
            break;
        }
        at -= 1;
    }
    let el = f[at..]
        .iter()
        .position(|b| b" \n\t\r\x0b\x0c>".contains(b))
        .unwrap_or(f.len() - at);
    let email = f[at..at + el].to_vec();
    let cut = el + usize::from(at + el < f.len());
    f.drain(at..at + cut);
    let f = cleanup_space(&f);
    let mut name = trim(&f);
    if name.len() >= 2 && name[0] == b'(' && name[name.len() - 1] == b')' {
        name = &name[1..name.len() - 1];
    }
    (sane_name(name, &email), email)
}
