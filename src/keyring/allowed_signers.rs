//! git's SSH `allowed_signers` file (`gpg.ssh.allowedSignersFile`, ssh-keygen's ALLOWED SIGNERS
//! format): `principals [options] keytype base64 [comment]`, one per line.

use jiff::Timestamp;

use super::{KeyringError, TrustedKey};
use crate::signing::PublicKey;

/// Parses the Ed25519 entries of an allowed_signers file. Entries of other key types and
/// `cert-authority` entries are skipped (aiprov signs with Ed25519 keys only).
pub fn parse(content: &[u8], origin: &str) -> Result<Vec<TrustedKey>, KeyringError> {
    let text = String::from_utf8_lossy(content);
    let mut keys = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let invalid = |message: String| KeyringError::Invalid {
            origin: format!("{origin}:{}", n + 1),
            message,
        };
        let fields = split_fields(line);
        let [principals, rest @ ..] = fields.as_slice() else {
            continue;
        };
        let (options, key_fields) = if rest.first().is_some_and(|f| is_key_type(f)) {
            (None, rest)
        } else {
            match rest {
                [opts, key @ ..] => (Some(opts.as_str()), key),
                [] => return Err(invalid("missing key".into())),
            }
        };
        let mut valid_after = None;
        let mut valid_before = None;
        let mut skip = false;
        for opt in options.map(split_options).unwrap_or_default() {
            let (name, value) = opt.split_once('=').unwrap_or((opt.as_str(), ""));
            let value = unquote(value);
            match name.to_ascii_lowercase().as_str() {
                // A CA accepts certificates only, never the CA key's own signatures (as
                // `ssh-keygen -Y verify` does), and aiprov verifies no certificates: the line
                // trusts nothing here.
                "cert-authority" => skip = true,
                // aiprov's attestations are not SSH signatures and have no namespace of their
                // own: a line counts where it accepts git's namespace (commit signing) or `aiprov`.
                "namespaces" => {
                    skip |= !["git", "aiprov"]
                        .iter()
                        .any(|n| super::pattern_list_matches(value, n, true));
                }
                "valid-after" => valid_after = Some(parse_time(value).map_err(invalid)?),
                // "valid at or before": exclusive one second later, as times are in seconds.
                "valid-before" => {
                    let t = parse_time(value).map_err(invalid)?;
                    valid_before = Some(t + jiff::SignedDuration::from_secs(1));
                }
                _ => return Err(invalid(format!("unknown option '{name}'"))),
            }
        }
        match key_fields {
            [kind, ..] if kind != "ssh-ed25519" => continue,
            [kind, blob, ..] if !skip => {
                let key = PublicKey::from_openssh(&format!("{kind} {blob}"))
                    .map_err(|e| invalid(e.to_string()))?;
                keys.push(TrustedKey {
                    principals: vec![unquote(principals).to_string()],
                    case_sensitive: true,
                    key,
                    valid_after,
                    valid_before,
                    origin: format!("{origin}:{}", n + 1),
                });
            }
            [_, _, ..] => continue,
            _ => return Err(invalid("missing key".into())),
        }
    }
    Ok(keys)
}

fn is_key_type(field: &str) -> bool {
    field.starts_with("ssh-") || field.starts_with("ecdsa-") || field.starts_with("sk-")
}

/// Splits on spaces outside double quotes.
fn split_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ' ' | '\t' if !quoted => {
                if !cur.is_empty() {
                    fields.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        fields.push(cur);
    }
    fields
}

/// Splits an options field on commas outside double quotes.
fn split_options(field: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in field.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// A field without the double quotes around it.
fn unquote(field: &str) -> &str {
    field
        .strip_prefix('"')
        .and_then(|f| f.strip_suffix('"'))
        .unwrap_or(field)
}

/// `YYYYMMDD[HHMM[SS]][Z]`: UTC with the `Z`, else the system's time zone, as ssh-keygen reads it.
fn parse_time(value: &str) -> Result<Timestamp, String> {
    let digits = value.strip_suffix(['Z', 'z']).unwrap_or(value);
    let bad = || format!("invalid time '{value}' (expected YYYYMMDD[HHMM[SS]][Z])");
    if !matches!(digits.len(), 8 | 12 | 14) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| digits.get(r).and_then(|s| s.parse::<i16>().ok());
    let year = num(0..4).ok_or_else(bad)?;
    let month = num(4..6).ok_or_else(bad)? as i8;
    let day = num(6..8).ok_or_else(bad)? as i8;
    let hour = num(8..10).unwrap_or(0) as i8;
    let minute = num(10..12).unwrap_or(0) as i8;
    let second = num(12..14).unwrap_or(0) as i8;
    let zone = if digits.len() < value.len() {
        jiff::tz::TimeZone::UTC
    } else {
        jiff::tz::TimeZone::system()
    };
    jiff::civil::DateTime::new(year, month, day, hour, minute, second, 0)
        .and_then(|dt| dt.to_zoned(zone))
        .map(|z| z.timestamp())
        .map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_utc() {
        assert_eq!(
            parse_time("20260131Z").map(|t| t.to_string()),
            Ok("2026-01-31T00:00:00Z".into())
        );
        assert_eq!(
            parse_time("202601311230Z").map(|t| t.to_string()),
            Ok("2026-01-31T12:30:00Z".into())
        );
        assert!(parse_time("2026013").is_err());
        assert!(parse_time("20261331").is_err());
    }

    #[test]
    fn options_and_quotes_split() {
        assert_eq!(
            split_fields(r#"a@x,b@y namespaces="git,file" ssh-ed25519 AAAA c"#),
            vec![
                "a@x,b@y",
                r#"namespaces="git,file""#,
                "ssh-ed25519",
                "AAAA",
                "c"
            ]
        );
        assert_eq!(
            split_options(r#"namespaces="git,file",valid-after="20240101""#),
            vec![r#"namespaces="git,file""#, r#"valid-after="20240101""#]
        );
    }
}
