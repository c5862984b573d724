//! HTTP dates (RFC 9110 §5.6.7): written as IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`),
//! read in all three formats a recipient must accept (IMF-fixdate, RFC 850's
//! `Sunday, 06-Nov-94 08:49:37 GMT` and C's asctime `Sun Nov  6 08:49:37 1994`).
//!
//! Pure functions of a [`SystemTime`] given by the caller: the core never reads a clock.
//! Times are whole seconds (HTTP dates have no fraction); times before 1970 are written as
//! 1970-01-01 00:00:00 and years past 9999 as 9999-12-31 23:59:59.
//!
//! ```
//! use std::time::{Duration, SystemTime, UNIX_EPOCH};
//! use netloom_core::http::date;
//!
//! let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
//! assert_eq!(date::format(t), "Sun, 06 Nov 1994 08:49:37 GMT");
//! assert_eq!(date::parse(b"Sunday, 06-Nov-94 08:49:37 GMT"), Some(t));
//! assert_eq!(date::parse(b"Sun Nov  6 08:49:37 1994"), Some(t));
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
const LONG_DAYS: [&[u8]; 7] = [
    b"Monday",
    b"Tuesday",
    b"Wednesday",
    b"Thursday",
    b"Friday",
    b"Saturday",
    b"Sunday",
];
const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Length of an IMF-fixdate.
pub const LEN: usize = 29;

/// Seconds from 1970 to the end of 9999.
const MAX_SECS: u64 = 253_402_300_799;

/// `t` as an IMF-fixdate.
pub fn format(t: SystemTime) -> String {
    let mut out = Vec::with_capacity(LEN);
    write(t, &mut out);
    // Every byte written is ASCII.
    String::from_utf8_lossy(&out).into_owned()
}

/// The IMF-fixdate of the latest second asked for, formatted once per second (a server
/// stamps every response with one).
#[derive(Debug, Clone, Default)]
#[cfg_attr(not(feature = "server"), allow(dead_code))]
pub(crate) struct DateCache {
    /// The second `text` is for, plus one (0: nothing yet).
    secs: u64,
    text: Vec<u8>,
}

#[cfg_attr(not(feature = "server"), allow(dead_code))]
impl DateCache {
    /// `t` as an IMF-fixdate, from the cache when `t` falls in the second it holds.
    pub(crate) fn get(&mut self, t: SystemTime) -> &[u8] {
        let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) + 1;
        if secs != self.secs {
            self.text.clear();
            write(t, &mut self.text);
            self.secs = secs;
        }
        &self.text
    }
}

/// Appends `t` as an IMF-fixdate (29 bytes) to `out`.
pub fn write(t: SystemTime, out: &mut Vec<u8>) {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .min(MAX_SECS);
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days as i64);
    let two = |out: &mut Vec<u8>, n: u64| {
        out.push(b'0' + (n / 10) as u8);
        out.push(b'0' + (n % 10) as u8);
    };
    out.extend_from_slice(DAYS[(days % 7) as usize]);
    out.extend_from_slice(b", ");
    two(out, u64::from(day));
    out.push(b' ');
    out.extend_from_slice(MONTHS[usize::from(month - 1)]);
    out.push(b' ');
    let y = year as u64;
    two(out, y / 100);
    two(out, y % 100);
    out.push(b' ');
    two(out, rem / 3600);
    out.push(b':');
    two(out, rem / 60 % 60);
    out.push(b':');
    two(out, rem % 60);
    out.extend_from_slice(b" GMT");
}

/// Reads an HTTP date in any of the three formats (surrounding whitespace allowed).
/// `None` for anything else, or an impossible date (a 31st of April, a 61st second...).
/// A two-digit RFC 850 year is 19xx from 70 on, else 20xx.
pub fn parse(text: &[u8]) -> Option<SystemTime> {
    let t = text.trim_ascii();
    let (year, month, day, time) = if let Some(rest) = strip_day(t, b", ") {
        imf_fixdate(rest)?
    } else if let Some(rest) = strip_long_day(t) {
        rfc850(rest)?
    } else {
        asctime(strip_day(t, b" ")?)?
    };
    let (h, m, s) = (num(&time[0..2])?, num(&time[2..4])?, num(&time[4..6])?);
    if h > 23 || m > 59 || s > 60 || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day as u8);
    let secs = days * 86_400 + i64::from(h * 3600 + m * 60 + s.min(59));
    let secs = u64::try_from(secs).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

/// Year, month, day and the six digits of the time of a date.
type Parts = (u32, u8, u32, [u8; 6]);

/// IMF-fixdate after the day name: `06 Nov 1994 08:49:37 GMT`.
fn imf_fixdate(rest: &[u8]) -> Option<Parts> {
    match *rest {
        [d1, d2, b' ', m1, m2, m3, b' ', y1, y2, y3, y4, b' ', h1, h2, b':', n1, n2, b':', s1, s2, b' ', b'G', b'M', b'T'] => {
            Some((
                num(&[y1, y2, y3, y4])?,
                month(&[m1, m2, m3])?,
                num(&[d1, d2])?,
                [h1, h2, n1, n2, s1, s2],
            ))
        }
        _ => None,
    }
}

/// RFC 850 after the day name: `06-Nov-94 08:49:37 GMT`.
fn rfc850(rest: &[u8]) -> Option<Parts> {
    match *rest {
        [d1, d2, b'-', m1, m2, m3, b'-', y1, y2, b' ', h1, h2, b':', n1, n2, b':', s1, s2, b' ', b'G', b'M', b'T'] =>
        {
            let yy = num(&[y1, y2])?;
            let year = if yy >= 70 { 1900 + yy } else { 2000 + yy };
            Some((
                year,
                month(&[m1, m2, m3])?,
                num(&[d1, d2])?,
                [h1, h2, n1, n2, s1, s2],
            ))
        }
        _ => None,
    }
}

/// asctime after the day name: `Nov  6 08:49:37 1994` (the day space-padded).
fn asctime(rest: &[u8]) -> Option<Parts> {
    match *rest {
        [m1, m2, m3, b' ', d1, d2, b' ', h1, h2, b':', n1, n2, b':', s1, s2, b' ', y1, y2, y3, y4] =>
        {
            let day = if d1 == b' ' {
                num(&[d2])?
            } else {
                num(&[d1, d2])?
            };
            Some((
                num(&[y1, y2, y3, y4])?,
                month(&[m1, m2, m3])?,
                day,
                [h1, h2, n1, n2, s1, s2],
            ))
        }
        _ => None,
    }
}

/// The text after a three-letter day name and `sep`.
fn strip_day<'a>(t: &'a [u8], sep: &[u8]) -> Option<&'a [u8]> {
    let (day, rest) = t.split_at_checked(3)?;
    if !DAYS.iter().any(|d| d.eq_ignore_ascii_case(day)) {
        return None;
    }
    rest.strip_prefix(sep)
}

/// The text after a full day name and `, ` (RFC 850).
fn strip_long_day(t: &[u8]) -> Option<&[u8]> {
    LONG_DAYS.iter().find_map(|d| {
        let (day, rest) = t.split_at_checked(d.len())?;
        if day.eq_ignore_ascii_case(d) {
            rest.strip_prefix(b", ")
        } else {
            None
        }
    })
}

fn month(m: &[u8]) -> Option<u8> {
    MONTHS
        .iter()
        .position(|name| name.eq_ignore_ascii_case(m))
        .map(|i| i as u8 + 1)
}

fn num(d: &[u8]) -> Option<u32> {
    d.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn days_in_month(year: u32, month: u8) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    /// Known values (checked against `email.utils.formatdate(usegmt=True)` and `date -u`).
    const KNOWN: &[(u64, &str)] = &[
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (1_234_567_890, "Fri, 13 Feb 2009 23:31:30 GMT"),
        (1_709_251_199, "Thu, 29 Feb 2024 23:59:59 GMT"),
        (2_147_483_647, "Tue, 19 Jan 2038 03:14:07 GMT"),
        (4_102_444_800, "Fri, 01 Jan 2100 00:00:00 GMT"),
        (MAX_SECS, "Fri, 31 Dec 9999 23:59:59 GMT"),
    ];

    #[test]
    fn formats_known_values() {
        for &(secs, text) in KNOWN {
            assert_eq!(format(at(secs)), text);
            assert_eq!(parse(text.as_bytes()), Some(at(secs)), "{text}");
        }
        // Fractions are dropped; out-of-range times are clamped.
        assert_eq!(
            format(at(784_111_777) + Duration::from_millis(999)),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(
            format(UNIX_EPOCH - Duration::from_secs(1)),
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
        assert_eq!(format(at(MAX_SECS + 100)), "Fri, 31 Dec 9999 23:59:59 GMT");
        let mut out = b"Date: ".to_vec();
        write(at(0), &mut out);
        assert_eq!(out.len(), 6 + LEN);
    }

    #[test]
    fn the_cache_follows_the_second() {
        let mut cache = DateCache::default();
        assert_eq!(cache.get(at(0)), b"Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            cache.get(at(0) + Duration::from_millis(999)),
            b"Thu, 01 Jan 1970 00:00:00 GMT"
        );
        assert_eq!(cache.get(at(784_111_777)), b"Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(cache.get(at(784_111_778)), b"Sun, 06 Nov 1994 08:49:38 GMT");
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        // Every day from 1970 to 2400 at a varying time of day.
        let mut secs = 0u64;
        while secs < 13_569_465_600 {
            let t = at(secs);
            assert_eq!(parse(format(t).as_bytes()), Some(t), "{}", format(t));
            secs += 86_400 + 3_607;
        }
    }

    #[test]
    fn reads_the_obsolete_formats() {
        let t = at(784_111_777);
        for text in [
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "  sun, 06 nov 1994 08:49:37 GMT ",
        ] {
            assert_eq!(parse(text.as_bytes()), Some(t), "{text}");
        }
        assert_eq!(parse(b"Thursday, 01-Jan-70 00:00:00 GMT"), Some(at(0)));
        assert_eq!(
            parse(b"Sat Feb 29 12:00:00 2020").map(format).as_deref(),
            Some("Sat, 29 Feb 2020 12:00:00 GMT")
        );
        assert_eq!(
            parse(b"Wed Jan 15 10:00:00 2025"),
            parse(b"Wed, 15 Jan 2025 10:00:00 GMT")
        );
    }

    #[test]
    fn refuses_what_is_not_a_date() {
        for bad in [
            "",
            "yesterday",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun, 31 Apr 1994 08:49:37 GMT",
            "Sun, 29 Feb 1900 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1969 23:59:59 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "1994-11-06T08:49:37Z",
        ] {
            assert_eq!(parse(bad.as_bytes()), None, "{bad:?}");
        }
    }
}
