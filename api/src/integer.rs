//! Integers as JSON Schema defines them: numbers without a fractional part, so `3.0` is the
//! integer 3. A client that follows the OpenAPI document may send either form.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Unexpected, Visitor};

/// Deserializes an optional count from `3`, `3.0` or `null`.
pub(crate) fn optional_usize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    Option::<Integral>::deserialize(d).map(|n| n.map(|Integral(n)| n))
}

/// A non-negative integer, written with or without a zero fraction.
struct Integral(usize);

impl<'de> Deserialize<'de> for Integral {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IntegralVisitor)
    }
}

struct IntegralVisitor;

impl Visitor<'_> for IntegralVisitor {
    type Value = Integral;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a non-negative integer")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Integral, E> {
        usize::try_from(v)
            .map(Integral)
            .map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Integral, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::invalid_value(Unexpected::Signed(v), &self)),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Integral, E> {
        // 2^64 is the first float beyond u64::MAX.
        if v.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&v) {
            self.visit_u64(v as u64)
        } else {
            Err(E::invalid_value(Unexpected::Float(v), &self))
        }
    }
}

#[cfg(test)]
mod tests {
    #[derive(Debug, serde::Deserialize)]
    struct K {
        #[serde(default, deserialize_with = "super::optional_usize")]
        k: Option<usize>,
    }

    fn check(json: &str, expect: Result<Option<usize>, &str>) {
        let got = serde_json::from_str::<K>(json)
            .map(|k| k.k)
            .map_err(|e| e.to_string());
        match (got, expect) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{json}"),
            (Err(got), Err(want)) => assert!(got.contains(want), "{json}: {got}"),
            (got, want) => panic!("{json}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn integers_with_or_without_a_zero_fraction() {
        check("{}", Ok(None));
        check(r#"{"k": null}"#, Ok(None));
        check(r#"{"k": 7}"#, Ok(Some(7)));
        check(r#"{"k": 7.0}"#, Ok(Some(7)));
        check(r#"{"k": 7e0}"#, Ok(Some(7)));
        check(r#"{"k": 0}"#, Ok(Some(0)));
        check(r#"{"k": -0.0}"#, Ok(Some(0)));
        check(r#"{"k": 7.5}"#, Err("floating point `7.5`"));
        check(r#"{"k": -1}"#, Err("integer `-1`"));
        check(r#"{"k": 1e30}"#, Err("expected a non-negative integer"));
        check(r#"{"k": "7"}"#, Err("expected a non-negative integer"));
    }
}
