//! git's allowed-signers file (`gpg.ssh.allowedSignersFile`), read as
//! `ssh-keygen -Y verify` reads it (see `ssh-keygen(1)`, ALLOWED SIGNERS): one
//! signer a line, `principals [options] keytype base64 [comment]`, blank lines
//! and `#` comments skipped. The principals are a comma-separated list of
//! patterns, quoted when they hold spaces; the options are `cert-authority`,
//! `namespaces="<patterns>"`, `valid-after="<time>"` and `valid-before="<time>"`,
//! a time being `YYYYMMDD[HHMM[SS]]`, in UTC with a final `Z` and otherwise in
//! the local time zone, as ssh-keygen reads it.

use std::ops::Range;

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use ssh_key::PublicKey;
use ssh_key::public::KeyData;

/// An allowed-signers file, every line read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedSigners {
    /// The signers, in the file's order.
    pub entries: Vec<Entry>,
}

/// One line of the file: who may sign with a key, for what and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The line's number, from 1.
    pub line: usize,
    /// The principals: patterns (`*`, `?`, a leading `!` negates), as listed.
    pub principals: Vec<String>,
    /// `cert-authority`: the key is a certificate authority, and signatures by
    /// certificates it issued are accepted.
    pub cert_authority: bool,
    /// `namespaces="..."`: the namespaces the key may sign in, as patterns;
    /// `None` for any.
    pub namespaces: Option<Vec<String>>,
    /// `valid-after`: seconds since the Unix epoch.
    pub valid_after: Option<i64>,
    /// `valid-before`: seconds since the Unix epoch.
    pub valid_before: Option<i64>,
    /// The public key.
    pub key: KeyData,
}

/// A line that does not read as a signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// The line's number, from 1.
    pub line: usize,
    /// The bytes of the file the problem is at.
    pub span: Range<usize>,
    /// What is wrong.
    pub message: String,
}

impl AllowedSigners {
    /// Reads a file's text: every signer, and every line that is none.
    pub fn parse(text: &str) -> (AllowedSigners, Vec<LineError>) {
        let mut signers = AllowedSigners::default();
        let mut errors = Vec::new();
        let mut start = 0usize;
        for (index, raw) in text.split_inclusive('\n').enumerate() {
            let line_number = index.saturating_add(1);
            let line = raw.trim_end_matches(['\n', '\r']);
            let offset = start;
            start = start.saturating_add(raw.len());
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let lead = line.len().saturating_sub(trimmed.len());
            let at = offset.saturating_add(lead);
            match parse_line(trimmed) {
                Ok(mut entry) => {
                    entry.line = line_number;
                    signers.entries.push(entry);
                }
                Err((span, message)) => errors.push(LineError {
                    line: line_number,
                    span: at.saturating_add(span.start)..at.saturating_add(span.end),
                    message,
                }),
            }
        }
        (signers, errors)
    }
}

type Problem = (Range<usize>, String);

/// Reads one line, without leading whitespace: spans are in the line.
fn parse_line(line: &str) -> Result<Entry, Problem> {
    let (principals, after) = token(line)
        .map_err(|span| (span, "the principals' closing quote is missing".to_owned()))?;
    let principals_span = 0..after;
    let principals: Vec<String> = principals
        .split(',')
        .filter(|principal| !principal.is_empty())
        .map(str::to_owned)
        .collect();
    if principals.is_empty() {
        return Err((principals_span, "no principal is named".to_owned()));
    }
    let rest_start = skip_space(line, after);
    let rest = line.get(rest_start..).unwrap_or_default();
    if rest.is_empty() {
        return Err((
            principals_span,
            "the principals are followed by no key".to_owned(),
        ));
    }
    let mut options = Options::default();
    let first = rest.split_whitespace().next().unwrap_or_default();
    let key_start = if is_key_type(first) {
        rest_start
    } else {
        let end = options_end(rest);
        let options_text = rest.get(..end).unwrap_or_default();
        parse_options(options_text, &mut options)
            .map_err(|(span, message)| (shift(span, rest_start), message))?;
        skip_space(line, rest_start.saturating_add(end))
    };
    let key_text = line.get(key_start..).unwrap_or_default();
    let key_span = key_start..line.len();
    if key_text.is_empty() {
        return Err((key_span, "the options are followed by no key".to_owned()));
    }
    let key = PublicKey::from_openssh(key_text).map_err(|error| {
        (
            key_span,
            format!("not a public key (`<type> <base64> [comment]`): {error}"),
        )
    })?;
    Ok(Entry {
        line: 0,
        principals,
        cert_authority: options.cert_authority,
        namespaces: options.namespaces,
        valid_after: options.valid_after,
        valid_before: options.valid_before,
        key: key.key_data().clone(),
    })
}

/// Whether a token names a key type (`ssh-ed25519`, `ecdsa-sha2-nistp256`,
/// `sk-ssh-ed25519@openssh.com`, ...) rather than starting the options.
fn is_key_type(token: &str) -> bool {
    !token.contains('=')
        && ["ssh-", "ecdsa-sha2-", "sk-", "rsa-"]
            .iter()
            .any(|prefix| token.starts_with(prefix))
}

/// A line's options.
#[derive(Default)]
struct Options {
    cert_authority: bool,
    namespaces: Option<Vec<String>>,
    valid_after: Option<i64>,
    valid_before: Option<i64>,
}

fn shift(span: Range<usize>, by: usize) -> Range<usize> {
    span.start.saturating_add(by)..span.end.saturating_add(by)
}

fn skip_space(line: &str, from: usize) -> usize {
    let rest = line.get(from..).unwrap_or_default();
    from.saturating_add(rest.len().saturating_sub(rest.trim_start().len()))
}

/// The first token of `line`: up to whitespace, or between double quotes.
/// Returns it and where it ends, or the span of an unclosed quote.
fn token(line: &str) -> Result<(&str, usize), Range<usize>> {
    if let Some(quoted) = line.strip_prefix('"') {
        return match quoted.find('"') {
            Some(end) => Ok((quoted.get(..end).unwrap_or_default(), end.saturating_add(2))),
            None => Err(0..line.len()),
        };
    }
    let end = line.find(char::is_whitespace).unwrap_or(line.len());
    Ok((line.get(..end).unwrap_or_default(), end))
}

/// Where the options end: the first whitespace outside double quotes.
fn options_end(text: &str) -> usize {
    let mut quoted = false;
    for (at, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => return at,
            _ => {}
        }
    }
    text.len()
}

/// Reads `cert-authority,namespaces="git",valid-before="20260101Z"` into the entry.
fn parse_options(options: &str, entry: &mut Options) -> Result<(), Problem> {
    let mut start = 0usize;
    let mut seen: Vec<String> = Vec::new();
    for option in split_outside_quotes(options) {
        let span = start..start.saturating_add(option.len());
        start = span.end.saturating_add(1);
        let (name, value) = match option.split_once('=') {
            Some((name, value)) => {
                let Some(value) = value
                    .strip_prefix('"')
                    .and_then(|value| value.strip_suffix('"'))
                else {
                    return Err((
                        span,
                        format!("the value of option `{name}` must be in double quotes"),
                    ));
                };
                (name.to_ascii_lowercase(), Some(value))
            }
            None => (option.to_ascii_lowercase(), None),
        };
        if seen.contains(&name) {
            return Err((span, format!("option `{name}` is given twice")));
        }
        seen.push(name.clone());
        match (name.as_str(), value) {
            ("cert-authority", None) => entry.cert_authority = true,
            ("namespaces", Some(value)) => {
                entry.namespaces = Some(value.split(',').map(str::to_owned).collect());
            }
            ("valid-after", Some(value)) => {
                entry.valid_after = Some(parse_time(value).map_err(|message| (span, message))?);
            }
            ("valid-before", Some(value)) => {
                entry.valid_before = Some(parse_time(value).map_err(|message| (span, message))?);
            }
            ("cert-authority", Some(_)) => {
                return Err((span, "option `cert-authority` takes no value".to_owned()));
            }
            ("namespaces" | "valid-after" | "valid-before", None) => {
                return Err((span, format!("option `{name}` needs a value")));
            }
            _ => {
                return Err((
                    span,
                    format!(
                        "unknown option `{name}` (allowed signers take `cert-authority`, `namespaces`, `valid-after` and `valid-before`)"
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn split_outside_quotes(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = 0usize;
    for (at, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(text.get(start..at).unwrap_or_default());
                start = at.saturating_add(1);
            }
            _ => {}
        }
    }
    parts.push(text.get(start..).unwrap_or_default());
    parts
}

/// `YYYYMMDD[HHMM[SS]][Z]` as seconds since the Unix epoch: in UTC with the `Z`,
/// in the local time zone without, as ssh-keygen reads it.
pub fn parse_time(text: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "`{text}` is not a time as allowed signers give it: YYYYMMDD[HHMM[SS]], with a final Z for UTC"
        )
    };
    let (digits, utc) = match text.strip_suffix(['Z', 'z']) {
        Some(digits) => (digits, true),
        None => (text, false),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) || ![8, 12, 14].contains(&digits.len()) {
        return Err(bad());
    }
    let field = |range: Range<usize>| -> Result<i64, String> {
        digits
            .get(range)
            .and_then(|field| field.parse::<i64>().ok())
            .ok_or_else(bad)
    };
    let year = i16::try_from(field(0..4)?).map_err(|_| bad())?;
    let month = i8::try_from(field(4..6)?).map_err(|_| bad())?;
    let day = i8::try_from(field(6..8)?).map_err(|_| bad())?;
    let (hour, minute, second) = match digits.len() {
        8 => (0, 0, 0),
        12 => (field(8..10)?, field(10..12)?, 0),
        _ => (field(8..10)?, field(10..12)?, field(12..14)?),
    };
    let time = DateTime::new(
        year,
        month,
        day,
        i8::try_from(hour).map_err(|_| bad())?,
        i8::try_from(minute).map_err(|_| bad())?,
        i8::try_from(second).map_err(|_| bad())?,
        0,
    )
    .map_err(|_| bad())?;
    let zone = if utc {
        TimeZone::UTC
    } else {
        TimeZone::system()
    };
    let zoned = time.to_zoned(zone).map_err(|_| bad())?;
    Ok(zoned.timestamp().as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILM+rvN+ot98qgEN796jTiQfZfG1KaT0PtFDJ/XFSqti";

    #[test]
    fn lines_read_as_ssh_keygen_reads_them() {
        let text = format!(
            "# the team\n\nalice@example.com {KEY} alice's laptop\n  \"bob smith,carol\" namespaces=\"git,file\",valid-after=\"20250101\",valid-before=\"20260101Z\" {KEY}\n*@example.com cert-authority {KEY}\n"
        );
        let (signers, errors) = AllowedSigners::parse(&text);
        assert_eq!(errors, []);
        let entries = &signers.entries;
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].line, 3);
        assert_eq!(entries[0].principals, ["alice@example.com"]);
        assert_eq!(entries[0].namespaces, None);
        assert_eq!(entries[1].principals, ["bob smith", "carol"]);
        assert_eq!(
            entries[1].namespaces.as_deref(),
            Some(&["git".to_owned(), "file".to_owned()][..])
        );
        assert_eq!(entries[1].valid_before, Some(1_767_225_600));
        assert!(entries[1].valid_after.is_some());
        assert!(entries[2].cert_authority);
        assert_eq!(entries[2].principals, ["*@example.com"]);
    }

    #[test]
    fn bad_lines_are_located() {
        let cases = [
            ("alice", "followed by no key", 0..5),
            (
                "alice namespaces=git ssh-ed25519 AAAA",
                "double quotes",
                6..20,
            ),
            ("alice frobnicate ssh-ed25519 AAAA", "unknown option", 6..16),
            (
                "alice valid-before=\"2026\" ssh-ed25519 AAAA",
                "not a time",
                6..25,
            ),
            ("alice ssh-ed25519 AAAA", "not a public key", 6..22),
            ("\"alice ssh-ed25519 AAAA", "closing quote", 0..23),
        ];
        for (line, message, span) in cases {
            let text = format!("# first\n{line}\n");
            let (signers, errors) = AllowedSigners::parse(&text);
            assert!(signers.entries.is_empty(), "{line}");
            assert_eq!(errors.len(), 1, "{line}");
            assert_eq!(errors[0].line, 2, "{line}");
            assert!(
                errors[0].message.contains(message),
                "{line}: {}",
                errors[0].message
            );
            assert_eq!(errors[0].span, span.start + 8..span.end + 8, "{line}");
        }
    }

    #[test]
    fn times_read_in_utc_with_a_z() {
        assert_eq!(parse_time("19700101Z"), Ok(0));
        assert_eq!(parse_time("197001010001Z"), Ok(60));
        assert_eq!(parse_time("19700101000001Z"), Ok(1));
        assert!(parse_time("19701301Z").is_err());
        assert!(parse_time("1970010Z").is_err());
        assert!(parse_time("").is_err());
    }
}
