//! Python's `+`, `-`, `*` and `//` on XML-RPC values, as CPython's `SimpleXMLRPCServer` would
//! compute them for `def add(x, y): return x + y` and friends: ints and floats mix, `bool`
//! counts as an int, `str` and `list` concatenate and repeat, and everything else is the
//! `TypeError` Python raises, word for word.

use netloom_core::xmlrpc::{Fault, Value};

/// Most bytes a `str` or `list` repetition may build; Python would try, and run out of memory.
const MAX_REPEAT: usize = 16 << 20;

/// One operand, as Python sees it.
enum Operand<'a> {
    Int(i64),
    Float(f64),
    Str(&'a str),
    List(&'a [Value]),
    Other,
}

fn operand(v: &Value) -> Operand<'_> {
    match v {
        Value::Int(i) => Operand::Int(i64::from(*i)),
        Value::I8(i) => Operand::Int(*i),
        Value::Bool(b) => Operand::Int(i64::from(*b)),
        Value::Double(f) => Operand::Float(*f),
        Value::String(s) => Operand::Str(s),
        Value::Array(a) => Operand::List(a),
        _ => Operand::Other,
    }
}

fn type_error(message: String) -> Fault {
    Fault::exception("TypeError", message)
}

fn unsupported(op: &str, a: &Value, b: &Value) -> Fault {
    type_error(format!(
        "unsupported operand type(s) for {op}: '{}' and '{}'",
        a.python_type(),
        b.python_type()
    ))
}

/// What CPython says when a result cannot be marshalled.
fn overflow() -> Fault {
    Fault::exception("OverflowError", "int exceeds XML-RPC limits")
}

/// An int result: an XML-RPC `int`, or CPython's fault when it does not fit 32 bits.
fn int(result: Option<i64>) -> Result<Value, Fault> {
    result
        .and_then(|n| i32::try_from(n).ok())
        .map(Value::Int)
        .ok_or_else(overflow)
}

/// `a + b`.
pub fn add(a: &Value, b: &Value) -> Result<Value, Fault> {
    match (operand(a), operand(b)) {
        (Operand::Int(x), Operand::Int(y)) => int(x.checked_add(y)),
        (Operand::Int(x), Operand::Float(y)) => Ok(Value::Double(x as f64 + y)),
        (Operand::Float(x), Operand::Int(y)) => Ok(Value::Double(x + y as f64)),
        (Operand::Float(x), Operand::Float(y)) => Ok(Value::Double(x + y)),
        (Operand::Str(x), Operand::Str(y)) => Ok(Value::String(format!("{x}{y}"))),
        (Operand::List(x), Operand::List(y)) => Ok(Value::Array([x, y].concat())),
        (Operand::Str(_), _) => Err(type_error(format!(
            "can only concatenate str (not \"{}\") to str",
            b.python_type()
        ))),
        (Operand::List(_), _) => Err(type_error(format!(
            "can only concatenate list (not \"{}\") to list",
            b.python_type()
        ))),
        _ => Err(unsupported("+", a, b)),
    }
}

/// `a - b`.
pub fn subtract(a: &Value, b: &Value) -> Result<Value, Fault> {
    match (operand(a), operand(b)) {
        (Operand::Int(x), Operand::Int(y)) => int(x.checked_sub(y)),
        (Operand::Int(x), Operand::Float(y)) => Ok(Value::Double(x as f64 - y)),
        (Operand::Float(x), Operand::Int(y)) => Ok(Value::Double(x - y as f64)),
        (Operand::Float(x), Operand::Float(y)) => Ok(Value::Double(x - y)),
        _ => Err(unsupported("-", a, b)),
    }
}

/// `a * b`.
pub fn multiply(a: &Value, b: &Value) -> Result<Value, Fault> {
    match (operand(a), operand(b)) {
        (Operand::Int(x), Operand::Int(y)) => int(x.checked_mul(y)),
        (Operand::Int(x), Operand::Float(y)) => Ok(Value::Double(x as f64 * y)),
        (Operand::Float(x), Operand::Int(y)) => Ok(Value::Double(x * y as f64)),
        (Operand::Float(x), Operand::Float(y)) => Ok(Value::Double(x * y)),
        (Operand::Str(s), Operand::Int(n)) | (Operand::Int(n), Operand::Str(s)) => {
            Ok(Value::String(s.repeat(repeats(s.len(), n)?)))
        }
        (Operand::List(l), Operand::Int(n)) | (Operand::Int(n), Operand::List(l)) => {
            let n = repeats(l.iter().map(Value::size_hint).sum(), n)?;
            Ok(Value::Array(
                l.iter().cycle().take(l.len() * n).cloned().collect(),
            ))
        }
        (Operand::Str(_) | Operand::List(_), _) => Err(non_int_repeat(b)),
        (_, Operand::Str(_) | Operand::List(_)) => Err(non_int_repeat(a)),
        _ => Err(unsupported("*", a, b)),
    }
}

fn non_int_repeat(count: &Value) -> Fault {
    type_error(format!(
        "can't multiply sequence by non-int of type '{}'",
        count.python_type()
    ))
}

/// How many copies of a sequence of `size` bytes `n` asks for (none when negative), refused
/// when the result would be absurdly large.
fn repeats(size: usize, n: i64) -> Result<usize, Fault> {
    let n = usize::try_from(n).unwrap_or(0);
    match size.checked_mul(n) {
        Some(total) if total <= MAX_REPEAT => Ok(n),
        _ => Err(Fault::exception("MemoryError", "")),
    }
}

/// `a // b`.
pub fn floor_divide(a: &Value, b: &Value) -> Result<Value, Fault> {
    match (operand(a), operand(b)) {
        (Operand::Int(x), Operand::Int(y)) => {
            if y == 0 {
                return Err(Fault::exception(
                    "ZeroDivisionError",
                    "integer division or modulo by zero",
                ));
            }
            int(floor_div(x, y))
        }
        (Operand::Int(x), Operand::Float(y)) => float_floor_div(x as f64, y),
        (Operand::Float(x), Operand::Int(y)) => float_floor_div(x, y as f64),
        (Operand::Float(x), Operand::Float(y)) => float_floor_div(x, y),
        _ => Err(unsupported("//", a, b)),
    }
}

/// Python's `a // b` on ints: the quotient rounded toward negative infinity (`None` on
/// overflow or division by zero).
pub fn floor_div(a: i64, b: i64) -> Option<i64> {
    let q = a.checked_div(b)?;
    if a % b != 0 && ((a < 0) != (b < 0)) {
        Some(q - 1)
    } else {
        Some(q)
    }
}

/// Python's `a // b` on floats, step for step as CPython's `float_floor_div` (so the rounding
/// and the sign of a zero match).
fn float_floor_div(a: f64, b: f64) -> Result<Value, Fault> {
    if b == 0.0 {
        return Err(Fault::exception(
            "ZeroDivisionError",
            "float floor division by zero",
        ));
    }
    let m = a % b; // C's fmod
    let mut div = (a - m) / b;
    if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
        div -= 1.0;
    }
    let q = if div != 0.0 {
        let f = div.floor();
        if div - f > 0.5 {
            f + 1.0
        } else {
            f
        }
    } else {
        (0.0f64).copysign(a / b)
    };
    Ok(Value::Double(q))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_division_matches_python() {
        assert_eq!(floor_div(7, 3), Some(2));
        assert_eq!(floor_div(-7, 3), Some(-3));
        assert_eq!(floor_div(7, -3), Some(-3));
        assert_eq!(floor_div(-7, -3), Some(2));
        assert_eq!(floor_div(6, -3), Some(-2));
        assert_eq!(floor_div(1, 0), None);
        assert_eq!(floor_div(i64::MIN, -1), None);
        let f = |a: f64, b: f64| match float_floor_div(a, b) {
            Ok(Value::Double(q)) => q,
            other => panic!("{other:?}"),
        };
        assert_eq!(f(7.5, 2.0), 3.0);
        assert_eq!(f(-7.5, 2.0), -4.0);
        assert_eq!(f(7.5, -2.0), -4.0);
        assert!(f(-0.5, 2.0) == -1.0);
        assert!(f(0.5, -2.0) == -1.0);
        assert!(f(0.0, -2.0).is_sign_negative());
    }

    #[test]
    fn repetition_is_bounded() {
        let big = Value::String("x".repeat(1024));
        let fault = multiply(&big, &Value::I8(1 << 40)).unwrap_err();
        assert!(fault.string.contains("MemoryError"), "{fault:?}");
        assert_eq!(
            multiply(&Value::from("ab"), &Value::Int(-2)),
            Ok(Value::String(String::new()))
        );
    }
}
