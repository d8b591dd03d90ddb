//! RFC 3339 date-times: the one reader of every time berth is given.
//!
//! Objects' timestamps (`created_at`, `effective_at`, events' `at`, version maps'
//! `resolved_at`) and the command line's `--at` and `--effective-at` are read
//! here, so that what the validator accepts in a file and what a command accepts
//! on the command line are the same language.
//!
//! jiff's own parser reads Temporal's ISO 8601 superset: offsets up to ±25:59:59,
//! offsets without minutes, basic formats without separators, bracketed time
//! zones, a comma before the fraction. Those are other spellings of an instant, or
//! no instant RFC 3339 knows, so the text is checked against RFC 3339's grammar
//! (section 5.6) first and only then handed to jiff, which knows the calendar
//! (February 30th is no date). Two choices where RFC 3339 leaves room:
//!
//! - A leap second (`:60`) is refused. RFC 3339 allows it only at the instants
//!   the IERS announced, which berth cannot know, and jiff reads it as `:59`:
//!   two texts would name one instant, and rules that need times to strictly
//!   increase would judge them wrongly.
//! - `T` and `Z` may be lower case (RFC 3339 says so); a space for the `T`, which
//!   RFC 3339 only mentions as a readability choice, is refused, as the schemas'
//!   pattern refuses it.
//!
//! And the clock: [`Clock`], the time berth writes into what it makes.

use std::sync::OnceLock;

use jiff::Timestamp;

/// Why a text is not an RFC 3339 date-time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct NotAnInstant {
    /// What is wrong, in a phrase.
    pub reason: String,
}

impl NotAnInstant {
    fn new(reason: impl Into<String>) -> NotAnInstant {
        NotAnInstant {
            reason: reason.into(),
        }
    }
}

/// Reads an RFC 3339 date-time with an offset (`2025-05-01T12:00:00Z`,
/// `2025-05-01T14:00:00.5+02:00`) as the instant it names.
pub fn parse(text: &str) -> Result<Timestamp, NotAnInstant> {
    check_grammar(text)?;
    text.parse::<Timestamp>()
        .map_err(|error| NotAnInstant::new(error.to_string()))
}

/// `full-date "T" partial-time time-offset`, field by field, with each field's
/// range where RFC 3339 gives one without a calendar.
fn check_grammar(text: &str) -> Result<(), NotAnInstant> {
    let bytes = text.as_bytes();
    let expected = || {
        NotAnInstant::new(
            "expected an RFC 3339 date-time with an offset, such as 2025-05-01T12:00:00Z",
        )
    };
    // YYYY-MM-DDTHH:MM:SS is 19 bytes; everything after is the fraction and the
    // offset.
    if bytes.len() < 19 || !text.is_ascii() {
        return Err(expected());
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let field = text.get(range)?;
        if !field.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        field.parse().ok()
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators
        .iter()
        .any(|&(at, byte)| bytes.get(at) != Some(&byte))
        || !matches!(bytes.get(10), Some(b'T' | b't'))
    {
        return Err(expected());
    }
    let (Some(_year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
        digits(17..19),
    ) else {
        return Err(expected());
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(NotAnInstant::new(format!(
            "{:02}-{:02} is not a month and day",
            month, day
        )));
    }
    if hour > 23 || minute > 59 {
        return Err(NotAnInstant::new(format!(
            "{hour:02}:{minute:02} is not a time of day"
        )));
    }
    if second == 60 {
        return Err(NotAnInstant::new(
            "a leap second (:60) is not accepted: berth cannot tell it from a mistake, and would read it as :59",
        ));
    }
    if second > 59 {
        return Err(NotAnInstant::new(format!(
            "second {second} is out of range"
        )));
    }
    let mut rest = text.get(19..).unwrap_or_default();
    if let Some(fraction) = rest.strip_prefix('.') {
        let length = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if length == 0 {
            return Err(NotAnInstant::new("a `.` must be followed by digits"));
        }
        rest = fraction.get(length..).unwrap_or_default();
    }
    check_offset(rest)
}

/// `Z`, or `+HH:MM` / `-HH:MM` with HH at most 23 and MM at most 59.
fn check_offset(offset: &str) -> Result<(), NotAnInstant> {
    if offset == "Z" || offset == "z" {
        return Ok(());
    }
    let bytes = offset.as_bytes();
    let well_formed = matches!(
        *bytes,
        [b'+' | b'-', h1, h2, b':', m1, m2] if [h1, h2, m1, m2].iter().all(u8::is_ascii_digit)
    );
    if !well_formed {
        return Err(NotAnInstant::new(if offset.is_empty() {
            "the offset is missing: end with Z or ±HH:MM".to_owned()
        } else {
            "the offset is not Z or ±HH:MM".to_owned()
        }));
    }
    // Both fields are two ASCII digits, checked above.
    let field = |at| {
        offset
            .get(at)
            .and_then(|digits: &str| digits.parse::<u32>().ok())
    };
    let (Some(hours), Some(minutes)) = (field(1..3), field(4..6)) else {
        return Err(NotAnInstant::new("the offset is not Z or ±HH:MM"));
    };
    if hours > 23 || minutes > 59 {
        return Err(NotAnInstant::new(format!(
            "the offset {offset} is out of range: RFC 3339 offsets are at most ±23:59"
        )));
    }
    Ok(())
}

/// `SOURCE_DATE_EPOCH` that is not a time in seconds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("SOURCE_DATE_EPOCH is `{value}`, not a number of seconds since 1970 that is a date")]
#[diagnostic(
    code("berth::bad-source-date-epoch"),
    help(
        "set it to whole seconds (`date +%s`), not milliseconds, or unset it to use the current time"
    )
)]
pub struct BadEpoch {
    /// What it says.
    pub value: String,
}

/// berth's "now": the system's clock, or a fixed instant.
///
/// `SOURCE_DATE_EPOCH` (the reproducible-builds convention) fixes it, so that
/// scripted runs make the same objects; a program using the library fixes it with
/// [`Clock::fixed`], so that what depends on the time can be tested without the
/// process environment. The variable is read once, when the clock is first
/// asked: a command that never needs the time never fails on a bad value.
///
/// Commits are not stamped by this clock: their dates are git's, from
/// `GIT_AUTHOR_DATE` and `GIT_COMMITTER_DATE` or else the system's clock, as git
/// itself dates them (`repo`).
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// The fixed instant, once read: `None` for the system's clock.
    fixed: OnceLock<Result<Option<Timestamp>, BadEpoch>>,
}

impl Clock {
    /// The process's clock: `SOURCE_DATE_EPOCH` when it is set, else the
    /// system's.
    pub fn from_env() -> Clock {
        Clock::default()
    }

    /// A clock that always says `at`.
    pub fn fixed(at: Timestamp) -> Clock {
        Clock {
            fixed: OnceLock::from(Ok(Some(at))),
        }
    }

    /// Now, to the millisecond: two config versions written within one second
    /// still take effect one after the other.
    pub fn now(&self) -> Result<Timestamp, BadEpoch> {
        let fixed = self.fixed.get_or_init(source_date_epoch).clone()?;
        Ok(fixed.unwrap_or_else(|| {
            let now = Timestamp::now();
            Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now)
        }))
    }

    /// Now, to the second: the time berth writes into the objects it makes.
    pub fn now_to_the_second(&self) -> Result<Timestamp, BadEpoch> {
        let now = self.now()?;
        Timestamp::from_second(now.as_second()).map_err(|_| BadEpoch {
            value: now.as_second().to_string(),
        })
    }
}

/// `SOURCE_DATE_EPOCH`, if set: a value that is not a time is an error, never a
/// silent 1970 or a silent now.
fn source_date_epoch() -> Result<Option<Timestamp>, BadEpoch> {
    let value = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) => value,
        Err(std::env::VarError::NotPresent) => return Ok(None),
        Err(std::env::VarError::NotUnicode(value)) => {
            return Err(BadEpoch {
                value: value.to_string_lossy().into_owned(),
            });
        }
    };
    value
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|seconds| Timestamp::from_second(seconds).ok())
        .map(Some)
        .ok_or(BadEpoch { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted() {
        let cases = [
            ("2025-05-01T12:00:00Z", 1_746_100_800),
            ("2025-05-01t12:00:00z", 1_746_100_800),
            ("2025-05-01T14:00:00+02:00", 1_746_100_800),
            ("2025-05-01T12:00:00-00:00", 1_746_100_800),
            ("2025-05-01T12:00:00.999999999Z", 1_746_100_800),
            ("2025-05-01T12:00:00.5Z", 1_746_100_800),
            ("2025-05-02T11:59:00+23:59", 1_746_100_800),
            ("2025-04-30T12:01:00-23:59", 1_746_100_800),
            ("2024-02-29T00:00:00Z", 1_709_164_800),
            ("0000-01-01T00:00:00Z", -62_167_219_200),
            ("9999-12-30T00:00:00Z", 253_402_128_000),
        ];
        for (text, seconds) in cases {
            let parsed = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(parsed.as_second(), seconds, "{text}");
        }
    }

    #[test]
    fn refused() {
        let cases = [
            // Offsets beyond ±23:59, which jiff alone accepts.
            "2025-05-01T12:00:00+25:00",
            "2025-05-01T12:00:00-24:00",
            "2025-05-01T12:00:00+23:60",
            "2025-05-01T12:00:00+99:99",
            // Spellings of ISO 8601 and Temporal that are not RFC 3339.
            "2025-05-01T12:00:00+0200",
            "2025-05-01T12:00:00+02",
            "2025-05-01T12:00:00+02:00:00",
            "2025-05-01T12:00:00",
            "2025-05-01T12:00Z",
            "2025-05-01 12:00:00Z",
            "20250501T120000Z",
            "2025-05-01T12:00:00,5Z",
            "2025-05-01T12:00:00.Z",
            "2025-05-01T12:00:00Z[UTC]",
            "2025-05-01T12:00:00[UTC]",
            "+002025-05-01T12:00:00Z",
            "2025-05-01",
            "",
            "tomorrow",
            "２０２５-05-01T12:00:00Z",
            // Fields out of range, and days that are no dates.
            "2025-13-01T12:00:00Z",
            "2025-00-01T12:00:00Z",
            "2025-05-00T12:00:00Z",
            "2025-05-32T12:00:00Z",
            "2025-02-30T12:00:00Z",
            "2025-02-29T12:00:00Z",
            "2025-05-01T24:00:00Z",
            "2025-05-01T12:60:00Z",
            "2025-05-01T12:00:61Z",
            // A leap second: see the module's documentation.
            "2016-12-31T23:59:60Z",
            // Beyond nanoseconds, and beyond the last instant jiff holds.
            "2025-05-01T12:00:00.1234567891Z",
            "9999-12-31T23:59:59Z",
        ];
        for text in cases {
            assert!(parse(text).is_err(), "{text} was accepted");
        }
    }

    #[test]
    fn reasons_name_the_fault() {
        let reason = |text: &str| parse(text).unwrap_err().reason;
        assert!(reason("2025-05-01T12:00:00+25:00").contains("at most ±23:59"));
        assert!(reason("2016-12-31T23:59:60Z").contains("leap second"));
        assert!(reason("2025-05-01T12:00:00").contains("offset is missing"));
    }

    #[test]
    fn a_fixed_clock_keeps_its_instant_and_rounds_down_to_the_second_for_objects() {
        let cases = [
            (
                "2025-05-01T12:00:00Z",
                "2025-05-01T12:00:00Z",
                "2025-05-01T12:00:00Z",
            ),
            (
                "2025-05-01T12:00:00.25Z",
                "2025-05-01T12:00:00.25Z",
                "2025-05-01T12:00:00Z",
            ),
            (
                "2025-05-01T12:00:00.999Z",
                "2025-05-01T12:00:00.999Z",
                "2025-05-01T12:00:00Z",
            ),
        ];
        for (at, now, to_the_second) in cases {
            let clock = Clock::fixed(parse(at).unwrap());
            assert_eq!(clock.now().unwrap().to_string(), now, "{at}");
            assert_eq!(
                clock.now_to_the_second().unwrap().to_string(),
                to_the_second,
                "{at}"
            );
        }
    }
}
