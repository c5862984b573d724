//! chrono date-times as XML-RPC `dateTime.iso8601` values (the `chrono` feature).
//!
//! [`DateTime`] converts with `TryFrom` to and from `chrono::NaiveDateTime`,
//! `chrono::DateTime<Utc>` and `chrono::DateTime<FixedOffset>`, and those three types are
//! [`IntoValue`] and [`FromValue`], so they serve directly as typed handler arguments,
//! results and client call types. In a serde type, mark the field with
//! `#[serde(with = "netloom_core::xmlrpc::serde::datetime")]` (or `datetime_option`);
//! chrono's own `Serialize` writes an RFC 3339 string instead.
//!
//! - **Sending** writes what every XML-RPC peer reads, CPython's `YYYYMMDDTHH:MM:SS`:
//!   a `NaiveDateTime` as its wall-clock time, a `DateTime<Tz>` as its UTC time. The
//!   fraction of a second is dropped, as the format has none (build a [`DateTime`] with
//!   [`with_nanosecond`](DateTime::with_nanosecond) to send one anyway). Years outside
//!   `0..=9999` are an error.
//! - **Receiving** keeps what the peer sent: the fraction, and an offset, which a
//!   `DateTime<FixedOffset>` keeps and a `DateTime<Utc>` applies. A zoneless value (plain
//!   XML-RPC) is taken as UTC for those two; a `NaiveDateTime` is the time as written,
//!   offset or not. Second 60 is chrono's leap second; a date that does not exist (Feb 30)
//!   is an error.
//!
//! ```
//! use chrono::{DateTime, NaiveDate, Utc};
//! use netloom_core::xmlrpc::{Dispatcher, Value};
//!
//! let mut d = Dispatcher::new();
//! d.register("later", |t: DateTime<Utc>| t + chrono::Duration::hours(1));
//!
//! let noon = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap().and_hms_opt(12, 0, 0).unwrap();
//! let sent = netloom_core::xmlrpc::DateTime::try_from(noon).unwrap();
//! assert_eq!(sent.to_string(), "20240229T12:00:00");
//! let got = d.dispatch("later", vec![Value::DateTime(sent)]).unwrap();
//! assert_eq!(got, Value::DateTime(netloom_core::xmlrpc::DateTime::parse("20240229T13:00:00").unwrap()));
//! ```

use ::chrono::{
    DateTime as ChronoDateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime,
    TimeZone, Timelike, Utc,
};

use super::{ConvertError, DateTime, FromValue, IntoValue, Value};

/// `t`'s fields, to whole seconds (chrono's leap second is second 60).
fn from_naive(t: &NaiveDateTime) -> Result<DateTime, ConvertError> {
    let year = u16::try_from(t.year())
        .ok()
        .filter(|y| *y <= 9999)
        .ok_or_else(|| {
            ConvertError::invalid(format_args!(
                "year {} is outside dateTime.iso8601's 0..=9999",
                t.year()
            ))
        })?;
    let second = if t.nanosecond() >= 1_000_000_000 {
        60
    } else {
        t.second() as u8
    };
    DateTime::new(
        year,
        t.month() as u8,
        t.day() as u8,
        t.hour() as u8,
        t.minute() as u8,
        second,
    )
    .ok_or_else(|| ConvertError::invalid(format_args!("{t} is not a dateTime.iso8601")))
}

/// The wall-clock time `t` says, with its fraction.
fn to_naive(t: &DateTime) -> Result<NaiveDateTime, ConvertError> {
    let date = NaiveDate::from_ymd_opt(t.year.into(), t.month.into(), t.day.into())
        .ok_or_else(|| ConvertError::invalid(format_args!("{t}: no such date")))?;
    let (second, leap) = match t.second {
        60 => (59, 1_000_000_000),
        s => (u32::from(s), 0),
    };
    let time =
        NaiveTime::from_hms_nano_opt(t.hour.into(), t.minute.into(), second, t.nanosecond + leap)
            .ok_or_else(|| ConvertError::invalid(format_args!("{t}: no such time")))?;
    Ok(date.and_time(time))
}

impl TryFrom<NaiveDateTime> for DateTime {
    type Error = ConvertError;
    /// The wall-clock time, to whole seconds.
    fn try_from(t: NaiveDateTime) -> Result<Self, ConvertError> {
        from_naive(&t)
    }
}

impl<Tz: TimeZone> TryFrom<ChronoDateTime<Tz>> for DateTime {
    type Error = ConvertError;
    /// The UTC time, zoneless, to whole seconds.
    fn try_from(t: ChronoDateTime<Tz>) -> Result<Self, ConvertError> {
        from_naive(&t.naive_utc())
    }
}

impl TryFrom<DateTime> for NaiveDateTime {
    type Error = ConvertError;
    /// The time as written (an offset, if any, is not applied).
    fn try_from(t: DateTime) -> Result<Self, ConvertError> {
        to_naive(&t)
    }
}

impl TryFrom<DateTime> for ChronoDateTime<FixedOffset> {
    type Error = ConvertError;
    /// The time at its offset (`+00:00` for a zoneless value).
    fn try_from(t: DateTime) -> Result<Self, ConvertError> {
        let naive = to_naive(&t)?;
        let seconds = i32::from(t.offset_minutes.unwrap_or(0)) * 60;
        let offset = FixedOffset::east_opt(seconds)
            .ok_or_else(|| ConvertError::invalid(format_args!("{t}: offset out of range")))?;
        offset
            .from_local_datetime(&naive)
            .single()
            .ok_or_else(|| ConvertError::invalid(format_args!("{t}: no such time")))
    }
}

impl TryFrom<DateTime> for ChronoDateTime<Utc> {
    type Error = ConvertError;
    /// The instant in UTC (a zoneless value is taken as UTC).
    fn try_from(t: DateTime) -> Result<Self, ConvertError> {
        ChronoDateTime::<FixedOffset>::try_from(t).map(|t| t.with_timezone(&Utc))
    }
}

macro_rules! chrono_values {
    ($($t:ty),*) => {$(
        impl IntoValue for $t {
            fn into_value(self) -> Result<Value, ConvertError> {
                DateTime::try_from(self).map(Value::DateTime)
            }
        }
        impl FromValue for $t {
            fn from_value(value: Value) -> Result<Self, ConvertError> {
                match value {
                    Value::DateTime(t) => <$t>::try_from(t),
                    v => Err(ConvertError::type_mismatch("dateTime.iso8601", &v)),
                }
            }
        }
    )*};
}
chrono_values!(
    NaiveDateTime,
    ChronoDateTime<Utc>,
    ChronoDateTime<FixedOffset>
);

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(text: &str) -> DateTime {
        DateTime::parse(text).unwrap()
    }

    fn naive(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, ns: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_nano_opt(h, mi, s, ns)
            .unwrap()
    }

    #[test]
    fn sending_writes_cpythons_form_in_utc_to_whole_seconds() {
        let t = naive(2024, 2, 29, 23, 59, 58, 999_000_000);
        assert_eq!(
            DateTime::try_from(t).unwrap().to_string(),
            "20240229T23:59:58"
        );
        let paris = FixedOffset::east_opt(3600).unwrap();
        let at = paris.from_local_datetime(&t).unwrap();
        assert_eq!(
            DateTime::try_from(at).unwrap().to_string(),
            "20240229T22:59:58"
        );
        let leap = naive(2016, 12, 31, 23, 59, 59, 1_500_000_000);
        assert_eq!(
            DateTime::try_from(leap).unwrap().to_string(),
            "20161231T23:59:60"
        );
        let far = naive(10_000, 1, 1, 0, 0, 0, 0);
        assert!(DateTime::try_from(far).is_err());
        assert!(naive(-1, 1, 1, 0, 0, 0, 0).into_value().is_err());
    }

    #[test]
    fn receiving_keeps_fraction_and_offset() {
        let t = dt("2024-02-29T23:59:58.25+02:00");
        assert_eq!(
            NaiveDateTime::try_from(t),
            Ok(naive(2024, 2, 29, 23, 59, 58, 250_000_000))
        );
        let fixed = ChronoDateTime::<FixedOffset>::try_from(t).unwrap();
        assert_eq!(fixed.offset().local_minus_utc(), 7200);
        assert_eq!(
            fixed.naive_local(),
            naive(2024, 2, 29, 23, 59, 58, 250_000_000)
        );
        let utc = ChronoDateTime::<Utc>::from_value(Value::DateTime(t)).unwrap();
        assert_eq!(utc.naive_utc(), naive(2024, 2, 29, 21, 59, 58, 250_000_000));
        // Zoneless is UTC; second 60 is a leap second; Feb 30 does not exist.
        let plain = ChronoDateTime::<FixedOffset>::try_from(dt("20240101T00:00:00")).unwrap();
        assert_eq!(plain.offset().local_minus_utc(), 0);
        assert_eq!(plain.naive_utc(), naive(2024, 1, 1, 0, 0, 0, 0));
        let leap = NaiveDateTime::try_from(dt("20161231T23:59:60")).unwrap();
        assert_eq!(leap.nanosecond(), 1_000_000_000);
        let e = NaiveDateTime::try_from(dt("20240230T00:00:00")).unwrap_err();
        assert_eq!(e.to_string(), "20240230T00:00:00: no such date");
        assert_eq!(
            NaiveDateTime::from_value(Value::Int(1))
                .unwrap_err()
                .to_string(),
            "expected dateTime.iso8601, got int"
        );
    }

    #[test]
    fn whole_second_values_round_trip() {
        for t in [
            naive(1815, 12, 10, 6, 30, 0, 0),
            naive(0, 1, 1, 0, 0, 0, 0),
            naive(9999, 12, 31, 23, 59, 59, 0),
        ] {
            let v = t.into_value().unwrap();
            assert_eq!(NaiveDateTime::from_value(v.clone()), Ok(t));
            let utc = Utc.from_utc_datetime(&t);
            assert_eq!(ChronoDateTime::<Utc>::from_value(v), Ok(utc));
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_fields_with_the_datetime_module() {
        use crate::xmlrpc::serde::{from_value, to_value};
        #[derive(::serde::Serialize, ::serde::Deserialize, Debug, PartialEq)]
        struct Event {
            #[serde(with = "crate::xmlrpc::serde::datetime")]
            at: NaiveDateTime,
            #[serde(with = "crate::xmlrpc::serde::datetime_option", default)]
            until: Option<ChronoDateTime<Utc>>,
        }
        let e = Event {
            at: naive(2024, 1, 2, 3, 4, 5, 0),
            until: Some(Utc.from_utc_datetime(&naive(2024, 1, 3, 0, 0, 0, 0))),
        };
        let v = to_value(&e).unwrap();
        assert_eq!(v.get("at"), Some(&Value::DateTime(dt("20240102T03:04:05"))));
        assert_eq!(
            v.get("until"),
            Some(&Value::DateTime(dt("20240103T00:00:00")))
        );
        assert_eq!(from_value::<Event>(v), Ok(e));
        let v = Value::Struct(vec![(
            "at".into(),
            Value::DateTime(dt("20240102T03:04:05")),
        )]);
        assert_eq!(from_value::<Event>(v).unwrap().until, None);
        let v = Value::Struct(vec![(
            "at".into(),
            Value::DateTime(dt("20240230T00:00:00")),
        )]);
        assert_eq!(
            from_value::<Event>(v).unwrap_err().to_string(),
            "at: 20240230T00:00:00: no such date"
        );
    }
}
