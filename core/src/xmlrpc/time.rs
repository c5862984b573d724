//! time date-times as XML-RPC `dateTime.iso8601` values (the `time` feature).
//!
//! [`DateTime`] converts with `TryFrom` to and from `time::PrimitiveDateTime` and
//! `time::OffsetDateTime`, and both are [`IntoValue`] and [`FromValue`], so they serve
//! directly as typed handler arguments, results and client call types. In a serde type,
//! mark the field with `#[serde(with = "netloom_core::xmlrpc::serde::datetime")]` (or
//! `datetime_option`).
//!
//! - **Sending** writes CPython's `YYYYMMDDTHH:MM:SS`: a `PrimitiveDateTime` as its
//!   wall-clock time, an `OffsetDateTime` as its UTC time, to whole seconds (the format has
//!   no fraction). Years outside `0..=9999` are an error.
//! - **Receiving** keeps the fraction and the offset (an `OffsetDateTime` keeps it; a
//!   zoneless value is taken as UTC); a `PrimitiveDateTime` is the time as written. time
//!   has no leap seconds, so second 60 is an error, as is a date that does not exist.
//!
//! ```
//! use netloom_core::xmlrpc::{DateTime, FromValue, IntoValue, Value};
//! use time::{Date, Month, OffsetDateTime, Time};
//!
//! let t = Date::from_calendar_date(2024, Month::February, 29).unwrap().with_time(Time::MIDNIGHT);
//! assert_eq!(t.into_value(), Ok(Value::DateTime(DateTime::parse("20240229T00:00:00").unwrap())));
//!
//! let got = Value::DateTime(DateTime::parse("2024-02-29T12:00:00.5-05:00").unwrap());
//! let at = OffsetDateTime::from_value(got).unwrap();
//! assert_eq!((at.hour(), at.millisecond(), at.offset().whole_hours()), (12, 500, -5));
//! ```

use ::time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use super::{ConvertError, DateTime, FromValue, IntoValue, Value};

/// `t`'s fields, to whole seconds.
fn from_primitive(t: &PrimitiveDateTime) -> Result<DateTime, ConvertError> {
    let year = u16::try_from(t.year())
        .ok()
        .filter(|y| *y <= 9999)
        .ok_or_else(|| {
            ConvertError::invalid(format_args!(
                "year {} is outside dateTime.iso8601's 0..=9999",
                t.year()
            ))
        })?;
    DateTime::new(
        year,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    )
    .ok_or_else(|| ConvertError::invalid(format_args!("{t} is not a dateTime.iso8601")))
}

/// The wall-clock time `t` says, with its fraction.
fn to_primitive(t: &DateTime) -> Result<PrimitiveDateTime, ConvertError> {
    let month = Month::try_from(t.month)
        .map_err(|_| ConvertError::invalid(format_args!("{t}: no such month")))?;
    let date = Date::from_calendar_date(t.year.into(), month, t.day)
        .map_err(|_| ConvertError::invalid(format_args!("{t}: no such date")))?;
    let time = Time::from_hms_nano(t.hour, t.minute, t.second, t.nanosecond)
        .map_err(|_| ConvertError::invalid(format_args!("{t}: no such time")))?;
    Ok(PrimitiveDateTime::new(date, time))
}

impl TryFrom<PrimitiveDateTime> for DateTime {
    type Error = ConvertError;
    /// The wall-clock time, to whole seconds.
    fn try_from(t: PrimitiveDateTime) -> Result<Self, ConvertError> {
        from_primitive(&t)
    }
}

impl TryFrom<OffsetDateTime> for DateTime {
    type Error = ConvertError;
    /// The UTC time, zoneless, to whole seconds.
    fn try_from(t: OffsetDateTime) -> Result<Self, ConvertError> {
        let utc = t.to_offset(UtcOffset::UTC);
        from_primitive(&PrimitiveDateTime::new(utc.date(), utc.time()))
    }
}

impl TryFrom<DateTime> for PrimitiveDateTime {
    type Error = ConvertError;
    /// The time as written (an offset, if any, is not applied).
    fn try_from(t: DateTime) -> Result<Self, ConvertError> {
        to_primitive(&t)
    }
}

impl TryFrom<DateTime> for OffsetDateTime {
    type Error = ConvertError;
    /// The time at its offset (UTC for a zoneless value).
    fn try_from(t: DateTime) -> Result<Self, ConvertError> {
        let local = to_primitive(&t)?;
        let seconds = i32::from(t.offset_minutes.unwrap_or(0)) * 60;
        let offset = UtcOffset::from_whole_seconds(seconds)
            .map_err(|_| ConvertError::invalid(format_args!("{t}: offset out of range")))?;
        Ok(local.assume_offset(offset))
    }
}

macro_rules! time_values {
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
time_values!(PrimitiveDateTime, OffsetDateTime);

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(text: &str) -> DateTime {
        DateTime::parse(text).unwrap()
    }

    fn primitive(y: i32, mo: u8, d: u8, h: u8, mi: u8, s: u8, ns: u32) -> PrimitiveDateTime {
        let date = Date::from_calendar_date(y, Month::try_from(mo).unwrap(), d).unwrap();
        PrimitiveDateTime::new(date, Time::from_hms_nano(h, mi, s, ns).unwrap())
    }

    #[test]
    fn sending_writes_cpythons_form_in_utc_to_whole_seconds() {
        let t = primitive(2024, 2, 29, 23, 59, 58, 999_000_000);
        assert_eq!(
            DateTime::try_from(t).unwrap().to_string(),
            "20240229T23:59:58"
        );
        let at = t.assume_offset(UtcOffset::from_hms(1, 0, 0).unwrap());
        assert_eq!(
            DateTime::try_from(at).unwrap().to_string(),
            "20240229T22:59:58"
        );
        assert!(primitive(-1, 1, 1, 0, 0, 0, 0).into_value().is_err());
    }

    #[test]
    fn receiving_keeps_fraction_and_offset() {
        let t = dt("2024-02-29T23:59:58.25+02:00");
        assert_eq!(
            PrimitiveDateTime::try_from(t),
            Ok(primitive(2024, 2, 29, 23, 59, 58, 250_000_000))
        );
        let at = OffsetDateTime::from_value(Value::DateTime(t)).unwrap();
        assert_eq!(at.offset().whole_minutes(), 120);
        assert_eq!(at.to_offset(UtcOffset::UTC).hour(), 21);
        let plain = OffsetDateTime::try_from(dt("20240101T00:00:00")).unwrap();
        assert!(plain.offset().is_utc());
        assert_eq!(
            PrimitiveDateTime::try_from(dt("20161231T23:59:60"))
                .unwrap_err()
                .to_string(),
            "20161231T23:59:60: no such time"
        );
        assert!(PrimitiveDateTime::try_from(dt("20230229T00:00:00")).is_err());
        assert!(OffsetDateTime::from_value(Value::from("x")).is_err());
    }

    #[test]
    fn whole_second_values_round_trip() {
        for t in [
            primitive(1815, 12, 10, 6, 30, 0, 0),
            primitive(0, 1, 1, 0, 0, 0, 0),
            primitive(9999, 12, 31, 23, 59, 59, 0),
        ] {
            let v = t.into_value().unwrap();
            assert_eq!(PrimitiveDateTime::from_value(v.clone()), Ok(t));
            assert_eq!(OffsetDateTime::from_value(v), Ok(t.assume_utc()));
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_fields_with_the_datetime_module() {
        use crate::xmlrpc::serde::{from_value, to_value};
        #[derive(::serde::Serialize, ::serde::Deserialize, Debug, PartialEq)]
        struct Event {
            #[serde(with = "crate::xmlrpc::serde::datetime")]
            at: OffsetDateTime,
        }
        let e = Event {
            at: primitive(2024, 1, 2, 3, 4, 5, 0).assume_utc(),
        };
        let v = to_value(&e).unwrap();
        assert_eq!(v.get("at"), Some(&Value::DateTime(dt("20240102T03:04:05"))));
        assert_eq!(from_value::<Event>(v), Ok(e));
    }
}
