//! Who commits, and when: the author and committer as git itself resolves them,
//! from the environment before the configuration.

use git2::{Signature, Time};

use super::Git;
use super::error::CommitError;

impl Git {
    /// Whether git can tell who is committing (from the environment or config).
    pub fn has_identity(&self) -> bool {
        self.identity(Role::Author).is_ok()
    }

    /// The author or committer, as git itself would resolve it: `GIT_AUTHOR_NAME`,
    /// `GIT_AUTHOR_EMAIL` and `GIT_AUTHOR_DATE` (or the committer's) before
    /// `user.name` and `user.email`.
    pub(super) fn identity(&self, role: Role) -> Result<Signature<'static>, CommitError> {
        let prefix = match role {
            Role::Author => "GIT_AUTHOR",
            Role::Committer => "GIT_COMMITTER",
        };
        let config = self.repo.config().ok();
        let lookup = |env: &str, key: &str| {
            std::env::var(format!("{prefix}_{env}"))
                .ok()
                .filter(|v| !v.is_empty())
                .or_else(|| config.as_ref().and_then(|c| c.get_string(key).ok()))
        };
        let name = lookup("NAME", "user.name")
            .ok_or_else(|| CommitError::NoIdentity("no user.name".to_owned()))?;
        let email = lookup("EMAIL", "user.email")
            .ok_or_else(|| CommitError::NoIdentity("no user.email".to_owned()))?;
        let time = match std::env::var(format!("{prefix}_DATE")) {
            Ok(date) if !date.is_empty() => parse_git_date(&date).ok_or_else(|| {
                CommitError::NoIdentity(format!(
                    "{prefix}_DATE `{date}` is not a date git understands"
                ))
            })?,
            _ => now(),
        };
        Signature::new(&name, &email, &time)
            .map_err(|error| CommitError::NoIdentity(error.message().to_owned()))
    }

    /// The identity commits will carry, or why there is none, checked before any
    /// work is done.
    pub fn require_identity(&self) -> Result<(), CommitError> {
        self.identity(Role::Author)?;
        self.identity(Role::Committer)?;
        Ok(())
    }
}

#[derive(Clone, Copy)]
pub(super) enum Role {
    Author,
    Committer,
}

fn now() -> Time {
    let now = jiff::Zoned::now();
    let offset_minutes = now.offset().seconds() / 60;
    Time::new(now.timestamp().as_second(), offset_minutes)
}

/// Parses the date formats git accepts in `GIT_AUTHOR_DATE`: its internal
/// `<seconds> <+hhmm>` (optionally with a leading `@`) and RFC 3339.
fn parse_git_date(text: &str) -> Option<Time> {
    let text = text.trim();
    if let Some((seconds, zone)) = text.trim_start_matches('@').split_once(' ') {
        let seconds: i64 = seconds.parse().ok()?;
        let (sign, digits) = if let Some(digits) = zone.strip_prefix('+') {
            (1, digits)
        } else if let Some(digits) = zone.strip_prefix('-') {
            (-1, digits)
        } else {
            return None;
        };
        if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (hours, minutes) = digits.split_at_checked(2)?;
        let hours: i32 = hours.parse().ok()?;
        let minutes: i32 = minutes.parse().ok()?;
        let offset = hours
            .checked_mul(60)?
            .checked_add(minutes)?
            .checked_mul(sign)?;
        return Some(Time::new(seconds, offset));
    }
    let timestamp: jiff::Timestamp = text.parse().ok()?;
    let zoned: jiff::fmt::temporal::Pieces<'_> = jiff::fmt::temporal::Pieces::parse(text).ok()?;
    let offset_minutes = match zoned.offset() {
        Some(jiff::fmt::temporal::PiecesOffset::Numeric(numeric)) => {
            numeric.offset().seconds() / 60
        }
        _ => 0,
    };
    Some(Time::new(timestamp.as_second(), offset_minutes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_dates() {
        let cases = [
            ("1700000000 +0100", Some((1_700_000_000, 60))),
            ("@1700000000 -0530", Some((1_700_000_000, -330))),
            ("2023-11-14T22:13:20Z", Some((1_700_000_000, 0))),
            ("2023-11-14T23:13:20+01:00", Some((1_700_000_000, 60))),
            ("yesterday", None),
            ("1700000000 0100", None),
        ];
        for (text, expected) in cases {
            let parsed = parse_git_date(text).map(|t| (t.seconds(), t.offset_minutes()));
            assert_eq!(parsed, expected, "{text}");
        }
    }
}
