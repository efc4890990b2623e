//! Contact addresses, parsed once at the boundary.

use super::ParseError;
use serde::{Serialize, Serializer};
use std::fmt;

/// A syntactically valid email address (`local@domain`), stored lower-cased in the domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses an address. Deliberately stricter than RFC 5322: no quoted local parts, no
    /// comments, no IP-literal domains, which no patient address needs and which are
    /// classic injection vectors.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        if s.is_empty() || s.len() > 254 {
            return Err(ParseError::new("email must be 1 to 254 characters"));
        }
        let (local, domain) = s
            .rsplit_once('@')
            .ok_or_else(|| ParseError::new("email must contain '@'"))?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        if !local_ok {
            return Err(ParseError::new("email has an invalid part before '@'"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !domain_ok {
            return Err(ParseError::new("email has an invalid domain"));
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Email {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// A phone number in E.164 form (`+` and 8 to 15 digits, no leading zero).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Accepts the usual human separators (spaces, dashes, dots, parentheses) and a
    /// leading `00` international prefix; anything else must already be E.164.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        let rest = if let Some(r) = s.strip_prefix('+') {
            r
        } else if let Some(r) = s.strip_prefix("00") {
            r
        } else {
            return Err(ParseError::new(
                "phone must be in international form, starting with '+' and the country code",
            ));
        };
        let mut digits = String::with_capacity(16);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => {
                    return Err(ParseError::new(
                        "phone may contain only digits and separators",
                    ))
                }
            }
        }
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(ParseError::new(
                "phone must have 8 to 15 digits and a country code not starting with 0",
            ));
        }
        Ok(Self(format!("+{digits}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn email_accepts_ordinary_addresses_and_lowercases_the_domain() {
        assert_eq!(
            Email::parse(" Jane.Doe+x@Clinic.Example ")
                .unwrap()
                .as_str(),
            "Jane.Doe+x@clinic.example"
        );
    }

    #[test]
    fn email_refuses_malformed_addresses() {
        for bad in [
            "",
            "plain",
            "@x.org",
            "a@",
            "a@localhost",
            "a..b@x.org",
            "a@-x.org",
            "a b@x.org",
            "a@x.org\r\nBcc: e@vil.org",
            "\"q\"@x.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn phone_normalises_to_e164() {
        assert_eq!(
            PhoneNumber::parse("+33 6 12-34.56 78").unwrap().as_str(),
            "+33612345678"
        );
        assert_eq!(
            PhoneNumber::parse("0044 (20) 7946 0958").unwrap().as_str(),
            "+442079460958"
        );
    }

    #[test]
    fn phone_refuses_local_or_malformed_numbers() {
        for bad in [
            "0612345678",
            "+0612345678",
            "+12",
            "+1234567890123456",
            "+33 6x12",
            "",
        ] {
            assert!(
                PhoneNumber::parse(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    proptest! {
        #[test]
        fn parsed_email_never_contains_whitespace_or_control(s in "\\PC{0,40}") {
            if let Ok(e) = Email::parse(&s) {
                prop_assert!(!e.as_str().chars().any(|c| c.is_whitespace() || c.is_control()));
                prop_assert_eq!(e.as_str().matches('@').count(), 1);
            }
        }

        #[test]
        fn parsed_phone_is_always_e164(s in "[+0-9 ()\\-.a-z]{0,24}") {
            if let Ok(p) = PhoneNumber::parse(&s) {
                let digits = &p.as_str()[1..];
                prop_assert!(p.as_str().starts_with('+'));
                prop_assert!((8..=15).contains(&digits.len()));
                prop_assert!(digits.chars().all(|c| c.is_ascii_digit()));
                prop_assert!(!digits.starts_with('0'));
            }
        }

        #[test]
        fn phone_parse_is_idempotent(d in "[1-9][0-9]{7,14}") {
            let p = PhoneNumber::parse(&format!("+{d}")).unwrap();
            prop_assert_eq!(PhoneNumber::parse(p.as_str()).unwrap(), p);
        }
    }
}
