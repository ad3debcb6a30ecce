//! SMPP time strings (SMPP 3.4 §7.1.1) for `schedule_delivery_time`, `validity_period` and
//! `final_date`.
//!
//! Absolute: `YYMMDDhhmmsstnnp`, local time of the sender with `t` tenths of a second and `nn`
//! quarter-hours between that local time and UTC, `p` = `+` (ahead of UTC) or `-`. Relative:
//! `YYMMDDhhmmss000R`, an amount of time from now. The empty string (a lone NUL on the wire) means
//! "not set" and is [`SmppTime::parse_optional`]'s `None`.
//!
//! Kannel writes validity in UTC as `YYMMDDhhmmss000+`, which is what
//! [`AbsoluteTime::from_unix`] with offset 0 produces.
//!
//! # Layout
//!
//! - [`SmppTime`]: either form, with `parse`, `Display`, and `resolve` against a caller's `now`
//!   (no clock is read here).
//! - [`AbsoluteTime`]: from/to unix seconds; [`RelativeTime`]: from/to a `Duration`.
//! - [`TimeError`]: what was expected and what was found.

use std::fmt;
use std::time::Duration;

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TimeError {
    #[error("SMPP time {text:?}: expected 16 characters, found {found}")]
    Length { text: String, found: usize },
    #[error("SMPP time {text:?}: expected a digit at position {position}")]
    NotDigit { text: String, position: usize },
    #[error(
        "SMPP time {text:?}: expected the last character to be '+', '-' or 'R', found {found:?}"
    )]
    Direction { text: String, found: char },
    #[error("SMPP time {text:?}: expected {field} in {min}..={max}, found {found}")]
    OutOfRange {
        text: String,
        field: &'static str,
        min: u32,
        max: u32,
        found: u32,
    },
    #[error("unix time {secs}: expected a time from 2000 to 2099, which two-digit years can say")]
    YearOutOfRange { secs: i64 },
    #[error("UTC offset: expected -48..=48 quarter-hours, found {found}")]
    OffsetOutOfRange { found: i8 },
    #[error("duration of {secs} s: expected at most 99 years, which a relative time can say")]
    DurationTooLong { secs: u64 },
}

/// A point in time as an SMSC writes it: local fields plus their offset from UTC, kept as sent so
/// a parsed value formats back to the same string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AbsoluteTime {
    /// 2000..=2099: SMPP years have two digits, and this gateway does not outlive 2099.
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub tenths: u8,
    /// Quarter-hours local time is ahead of UTC (negative: behind), -48..=48.
    pub utc_offset_quarters: i8,
}

/// An amount of time from "now" (the SMSC's now), field by field as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RelativeTime {
    pub years: u8,
    pub months: u8,
    pub days: u8,
    pub hours: u8,
    pub minutes: u8,
    pub seconds: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SmppTime {
    Absolute(AbsoluteTime),
    Relative(RelativeTime),
}

const SECS_PER_DAY: i64 = 86_400;
/// SMPP does not define a relative month or year; these are the lengths SMSCs commonly assume.
const DAYS_PER_MONTH: u64 = 30;
const DAYS_PER_YEAR: u64 = 365;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

impl AbsoluteTime {
    /// The time `secs` after the epoch, written as local time `utc_offset_quarters` from UTC.
    pub fn from_unix(secs: i64, utc_offset_quarters: i8) -> Result<Self, TimeError> {
        if !(-48..=48).contains(&utc_offset_quarters) {
            return Err(TimeError::OffsetOutOfRange {
                found: utc_offset_quarters,
            });
        }
        let local = secs.saturating_add(i64::from(utc_offset_quarters) * 900);
        let (year, month, day) = civil_from_days(local.div_euclid(SECS_PER_DAY));
        let of_day = local.rem_euclid(SECS_PER_DAY);
        let year = u16::try_from(year)
            .ok()
            .filter(|y| (2000..=2099).contains(y))
            .ok_or(TimeError::YearOutOfRange { secs })?;
        Ok(AbsoluteTime {
            year,
            month,
            day,
            hour: (of_day / 3600) as u8,
            minute: (of_day / 60 % 60) as u8,
            second: (of_day % 60) as u8,
            tenths: 0,
            utc_offset_quarters,
        })
    }

    /// Seconds since the epoch (tenths dropped).
    pub fn to_unix(&self) -> i64 {
        let days = days_from_civil(i64::from(self.year), self.month, self.day);
        days * SECS_PER_DAY
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
            - i64::from(self.utc_offset_quarters) * 900
    }
}

impl RelativeTime {
    /// Days, hours, minutes and seconds exactly while they fit (under 100 days); beyond, whole
    /// 30-day months and 365-day years, rounding down, since the fields have two digits.
    pub fn from_duration(duration: Duration) -> Result<Self, TimeError> {
        let secs = duration.as_secs();
        let too_long = TimeError::DurationTooLong { secs };
        let (mut days, rest) = (secs / 86_400, secs % 86_400);
        let (hours, minutes, seconds) = (rest / 3600, rest / 60 % 60, rest % 60);
        let (mut years, mut months) = (0, 0);
        if days > 99 {
            years = days / DAYS_PER_YEAR;
            days %= DAYS_PER_YEAR;
            months = days / DAYS_PER_MONTH;
            days %= DAYS_PER_MONTH;
        }
        let two_digits = |v: u64| u8::try_from(v).ok().filter(|v| *v <= 99);
        Ok(RelativeTime {
            years: two_digits(years).ok_or(too_long)?,
            months: months as u8,
            days: days as u8,
            hours: hours as u8,
            minutes: minutes as u8,
            seconds: seconds as u8,
        })
    }

    pub fn to_duration(&self) -> Duration {
        let days = u64::from(self.years) * DAYS_PER_YEAR
            + u64::from(self.months) * DAYS_PER_MONTH
            + u64::from(self.days);
        Duration::from_secs(
            days * 86_400
                + u64::from(self.hours) * 3600
                + u64::from(self.minutes) * 60
                + u64::from(self.seconds),
        )
    }
}

impl SmppTime {
    /// Parses a 16-character time (the C-octet string's content, without its NUL).
    pub fn parse(text: &[u8]) -> Result<Self, TimeError> {
        let shown = || String::from_utf8_lossy(text).into_owned();
        let Ok(chars) = <&[u8; 16]>::try_from(text) else {
            return Err(TimeError::Length {
                text: shown(),
                found: text.len(),
            });
        };
        let mut digits = [0u8; 15];
        for (position, (slot, &c)) in digits.iter_mut().zip(chars.iter()).enumerate() {
            if !c.is_ascii_digit() {
                return Err(TimeError::NotDigit {
                    text: shown(),
                    position,
                });
            }
            *slot = c - b'0';
        }
        let [
            y1,
            y2,
            mo1,
            mo2,
            d1,
            d2,
            h1,
            h2,
            mi1,
            mi2,
            s1,
            s2,
            tenths,
            n1,
            n2,
        ] = digits;
        let pair = |a: u8, b: u8| a * 10 + b;
        let (yy, month, day) = (pair(y1, y2), pair(mo1, mo2), pair(d1, d2));
        let (hour, minute, second) = (pair(h1, h2), pair(mi1, mi2), pair(s1, s2));
        let direction = chars[15];
        if direction == b'R' {
            // The tenths and offset digits mean nothing in a relative time; they are ignored.
            return Ok(SmppTime::Relative(RelativeTime {
                years: yy,
                months: month,
                days: day,
                hours: hour,
                minutes: minute,
                seconds: second,
            }));
        }
        let sign: i8 = match direction {
            b'+' => 1,
            b'-' => -1,
            other => {
                return Err(TimeError::Direction {
                    text: shown(),
                    found: char::from(other),
                });
            }
        };
        let year = 2000 + u16::from(yy);
        let check = |field: &'static str, found: u8, min: u8, max: u8| {
            if (min..=max).contains(&found) {
                Ok(())
            } else {
                Err(TimeError::OutOfRange {
                    text: shown(),
                    field,
                    min: min.into(),
                    max: max.into(),
                    found: found.into(),
                })
            }
        };
        check("month", month, 1, 12)?;
        check("day", day, 1, days_in_month(year, month))?;
        check("hour", hour, 0, 23)?;
        check("minute", minute, 0, 59)?;
        check("second", second, 0, 59)?;
        let quarters = pair(n1, n2);
        check("UTC offset in quarter-hours", quarters, 0, 48)?;
        Ok(SmppTime::Absolute(AbsoluteTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            tenths,
            utc_offset_quarters: sign * quarters as i8,
        }))
    }

    /// Like [`SmppTime::parse`], but the empty string is "not set".
    pub fn parse_optional(text: &[u8]) -> Result<Option<Self>, TimeError> {
        if text.is_empty() {
            return Ok(None);
        }
        SmppTime::parse(text).map(Some)
    }

    /// The unix time this denotes, a relative time counting from `now_unix`.
    pub fn resolve(&self, now_unix: i64) -> i64 {
        match self {
            SmppTime::Absolute(t) => t.to_unix(),
            SmppTime::Relative(r) => {
                let secs = i64::try_from(r.to_duration().as_secs()).unwrap_or(i64::MAX);
                now_unix.saturating_add(secs)
            }
        }
    }
}

impl fmt::Display for SmppTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SmppTime::Absolute(t) => write!(
                f,
                "{:02}{:02}{:02}{:02}{:02}{:02}{}{:02}{}",
                t.year % 100,
                t.month,
                t.day,
                t.hour,
                t.minute,
                t.second,
                t.tenths % 10,
                t.utc_offset_quarters.unsigned_abs(),
                if t.utc_offset_quarters < 0 { '-' } else { '+' },
            ),
            SmppTime::Relative(r) => write!(
                f,
                "{:02}{:02}{:02}{:02}{:02}{:02}000R",
                r.years, r.months, r.days, r.hours, r.minutes, r.seconds
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 2026-11-25 19:40:45 UTC, the validity in the Kannel capture.
    const CAPTURE: i64 = 1_795_635_645;

    #[test]
    fn kannel_validity_is_utc_with_a_zero_offset() {
        let t = AbsoluteTime::from_unix(CAPTURE, 0).unwrap();
        assert_eq!(SmppTime::Absolute(t).to_string(), "261125194045000+");
        assert_eq!(
            SmppTime::parse(b"261125194045000+"),
            Ok(SmppTime::Absolute(t))
        );
    }

    #[test]
    fn local_time_with_an_offset_denotes_the_same_instant() {
        // 20:40:45 at UTC+1 (4 quarter-hours) is 19:40:45 UTC.
        let Ok(SmppTime::Absolute(t)) = SmppTime::parse(b"261125204045204+") else {
            panic!("expected an absolute time");
        };
        assert_eq!((t.tenths, t.utc_offset_quarters), (2, 4));
        assert_eq!(t.to_unix(), CAPTURE);
        let behind = SmppTime::parse(b"261125144045020-").unwrap();
        assert_eq!(behind.resolve(0), CAPTURE);
    }

    #[test]
    fn relative_time_counts_from_the_given_now() {
        let r =
            RelativeTime::from_duration(Duration::from_secs(2 * 86_400 + 3 * 3600 + 5)).unwrap();
        let t = SmppTime::Relative(r);
        assert_eq!(t.to_string(), "000002030005000R");
        assert_eq!(SmppTime::parse(b"000002030005000R"), Ok(t));
        assert_eq!(t.resolve(1000), 1000 + 2 * 86_400 + 3 * 3600 + 5);
    }

    #[test]
    fn long_relative_times_use_years_and_months() {
        let r = RelativeTime::from_duration(Duration::from_secs((365 + 61) * 86_400)).unwrap();
        assert_eq!((r.years, r.months, r.days), (1, 2, 1));
        assert!(matches!(
            RelativeTime::from_duration(Duration::from_secs(100 * 365 * 86_400)),
            Err(TimeError::DurationTooLong { .. })
        ));
    }

    #[test]
    fn empty_time_means_not_set() {
        assert_eq!(SmppTime::parse_optional(b""), Ok(None));
    }

    #[test]
    fn malformed_times_say_what_was_expected() {
        assert_eq!(
            SmppTime::parse(b"2611251940").unwrap_err().to_string(),
            "SMPP time \"2611251940\": expected 16 characters, found 10"
        );
        assert_eq!(
            SmppTime::parse(b"261125194045000X")
                .unwrap_err()
                .to_string(),
            "SMPP time \"261125194045000X\": expected the last character to be '+', '-' or 'R', \
             found 'X'"
        );
        assert_eq!(
            SmppTime::parse(b"261131194045000+")
                .unwrap_err()
                .to_string(),
            "SMPP time \"261131194045000+\": expected day in 1..=30, found 31"
        );
        assert!(matches!(
            SmppTime::parse(b"26112519404500a+"),
            Err(TimeError::NotDigit { position: 14, .. })
        ));
        assert!(matches!(
            SmppTime::parse(b"261125194045049+"),
            Err(TimeError::OutOfRange {
                max: 48,
                found: 49,
                ..
            })
        ));
    }

    #[test]
    fn zero_offset_written_with_minus_is_the_same_instant_and_formats_with_plus() {
        let t = SmppTime::parse(b"000101000000000-").unwrap();
        assert_eq!(t.resolve(0), 946_684_800);
        assert_eq!(t.to_string(), "000101000000000+");
    }

    #[test]
    fn leap_days_are_accepted_only_in_leap_years() {
        assert!(SmppTime::parse(b"280229000000000+").is_ok());
        assert!(SmppTime::parse(b"270229000000000+").is_err());
    }

    #[test]
    fn years_outside_two_digits_are_refused() {
        assert_eq!(
            AbsoluteTime::from_unix(0, 0),
            Err(TimeError::YearOutOfRange { secs: 0 })
        );
    }

    proptest! {
        #[test]
        fn any_unix_time_in_range_round_trips(
            secs in 946_684_800i64..4_102_444_800,
            quarters in -48i8..=48,
        ) {
            // Keep local time inside 2000..=2099 too.
            prop_assume!(AbsoluteTime::from_unix(secs, quarters).is_ok());
            let t = AbsoluteTime::from_unix(secs, quarters).unwrap();
            prop_assert_eq!(t.to_unix(), secs);
            let text = SmppTime::Absolute(t).to_string();
            prop_assert_eq!(text.len(), 16);
            prop_assert_eq!(SmppTime::parse(text.as_bytes()), Ok(SmppTime::Absolute(t)));
        }

        #[test]
        fn short_durations_round_trip_exactly(secs in 0u64..100 * 86_400) {
            let r = RelativeTime::from_duration(Duration::from_secs(secs)).unwrap();
            prop_assert_eq!(r.to_duration(), Duration::from_secs(secs));
            let text = SmppTime::Relative(r).to_string();
            prop_assert_eq!(SmppTime::parse(text.as_bytes()), Ok(SmppTime::Relative(r)));
        }

        #[test]
        fn any_bytes_parse_or_fail_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..20)) {
            let _ = SmppTime::parse(&bytes);
        }

        #[test]
        fn any_sixteen_digits_and_direction_parse_or_fail_without_panicking(
            digits in "[0-9]{15}[-+R]",
        ) {
            // A zero offset written "00-" comes back as "00+": the same instant.
            if let Ok(t @ SmppTime::Absolute(_)) = SmppTime::parse(digits.as_bytes()) {
                prop_assert_eq!(t.to_string(), digits.replace("00-", "00+"));
            }
        }
    }
}
