//! Signatures: the unsubscribe links carebell puts in emails (HMAC-SHA256 with this
//! installation's key, bound to user, category and channel), the password reset links
//! (bound to the reset and its user), and the signatures providers
//! put on what they post to us: Twilio's `X-Twilio-Signature` (HMAC-SHA1 over the URL and
//! the sorted form parameters, base64) and the webhook provider's
//! `X-Carebell-Signature: sha256=<hex>` over the body.

use super::constant_time_eq;
use crate::domain::{Category, Channel};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};

type HmacSha256 = Hmac<sha2::Sha256>;
type HmacSha1 = Hmac<sha1::Sha1>;

fn sha256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC takes a key of any length.
    let mut mac = HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable_key());
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

#[cold]
fn unreachable_key() -> HmacSha256 {
    // `new_from_slice` only fails for fixed-size keys; HMAC has none. Keep a valid value.
    <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default())
}

/// A link token: `<user>.<category>.<channel>.<signature>`, all URL-safe.
pub fn unsubscribe_token(key: &[u8], user_id: i64, category: Category, channel: Channel) -> String {
    let body = format!("{user_id}.{}.{}", category.as_str(), channel.as_str());
    let sig = sha256(key, &[b"unsubscribe:", body.as_bytes()]);
    format!("{body}.{}", URL_SAFE_NO_PAD.encode(&sig[..20]))
}

/// What a token is for, if carebell made it.
pub fn verify_unsubscribe(key: &[u8], token: &str) -> Option<(i64, Category, Channel)> {
    let (body, sig) = token.rsplit_once('.')?;
    let mut parts = body.splitn(3, '.');
    let user_id: i64 = parts.next()?.parse().ok()?;
    let category = Category::parse(parts.next()?).ok()?;
    let channel = Channel::parse(parts.next()?).ok()?;
    let expected = unsubscribe_token(key, user_id, category, channel);
    let expected_sig = expected.rsplit_once('.')?.1;
    constant_time_eq(sig.as_bytes(), expected_sig.as_bytes())
        .then_some((user_id, category, channel))
}

/// A password reset link's token: `<reset id>.<user id>.<signature>`, URL-safe. Nothing
/// of it is stored: the reset row says whether it is still unused and unexpired.
pub fn reset_token(key: &[u8], reset_id: i64, user_id: i64) -> String {
    let body = format!("{reset_id}.{user_id}");
    let sig = sha256(key, &[b"password-reset:", body.as_bytes()]);
    format!("{body}.{}", URL_SAFE_NO_PAD.encode(sig))
}

/// The reset and user a token names, if carebell signed it.
pub fn verify_reset(key: &[u8], token: &str) -> Option<(i64, i64)> {
    let (body, sig) = token.trim().rsplit_once('.')?;
    let (reset, user) = body.split_once('.')?;
    let (reset_id, user_id): (i64, i64) = (reset.parse().ok()?, user.parse().ok()?);
    let expected = reset_token(key, reset_id, user_id);
    let expected_sig = expected.rsplit_once('.')?.1;
    constant_time_eq(sig.as_bytes(), expected_sig.as_bytes()).then_some((reset_id, user_id))
}

/// A new webhook endpoint's secret, as Standard Webhooks writes it: `whsec_` and the
/// base64 of 32 random bytes.
pub fn new_webhook_secret() -> String {
    use rand::RngCore;
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    format!("whsec_{}", STANDARD.encode(key))
}

/// The key bytes of a `whsec_…` secret.
pub fn webhook_secret_bytes(secret: &str) -> Option<Vec<u8>> {
    STANDARD.decode(secret.strip_prefix("whsec_")?).ok()
}

/// The `webhook-signature` header of a message (Standard Webhooks): `v1,<base64 of
/// HMAC-SHA256 over "<id>.<timestamp>.<body>">` for each secret, space-separated (two
/// while a rotated secret overlaps the new one).
pub fn webhook_signature(secrets: &[Vec<u8>], id: &str, timestamp: i64, body: &str) -> String {
    let stamp = timestamp.to_string();
    secrets
        .iter()
        .map(|key| {
            let mac = sha256(
                key,
                &[id.as_bytes(), b".", stamp.as_bytes(), b".", body.as_bytes()],
            );
            format!("v1,{}", STANDARD.encode(mac))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// WhatsApp's (Meta's) `X-Hub-Signature-256`: `sha256=<hex HMAC-SHA256(app secret, body)>`.
pub fn verify_hub_signature(app_secret: &[u8], body: &[u8], sent: &str) -> bool {
    verify_body(app_secret, body, sent)
}

/// Twilio's signature of a form POST: base64(HMAC-SHA1(auth token, URL followed by every
/// parameter name and value, sorted by name)).
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = HmacSha1::new_from_slice(auth_token.as_bytes())
        .unwrap_or_else(|_| <HmacSha1 as hmac::digest::KeyInit>::new(&Default::default()));
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    STANDARD.encode(mac.finalize().into_bytes())
}

pub fn verify_twilio(auth_token: &str, url: &str, params: &[(String, String)], sent: &str) -> bool {
    constant_time_eq(
        twilio_signature(auth_token, url, params).as_bytes(),
        sent.trim().as_bytes(),
    )
}

/// `sha256=<hex of HMAC-SHA256(secret, body)>`.
pub fn body_signature(secret: &[u8], body: &[u8]) -> String {
    format!("sha256={}", hex::encode(sha256(secret, &[body])))
}

pub fn verify_body(secret: &[u8], body: &[u8], sent: &str) -> bool {
    constant_time_eq(
        body_signature(secret, body).as_bytes(),
        sent.trim().as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unsubscribe_token_is_bound_to_its_user_category_and_channel() {
        let key = b"0123456789abcdef0123456789abcdef";
        let t = unsubscribe_token(key, 42, Category::Availability, Channel::Email);
        assert_eq!(
            verify_unsubscribe(key, &t),
            Some((42, Category::Availability, Channel::Email))
        );
        let forged = t.replacen("42.", "43.", 1);
        assert_eq!(verify_unsubscribe(key, &forged), None);
        let other_category = t.replace("availability", "notices");
        assert_eq!(verify_unsubscribe(key, &other_category), None);
        assert_eq!(verify_unsubscribe(b"another key", &t), None);
        assert_eq!(verify_unsubscribe(key, "garbage"), None);
    }

    #[test]
    fn a_reset_token_is_bound_to_its_reset_and_user_and_key() {
        let key = b"0123456789abcdef0123456789abcdef";
        let t = reset_token(key, 7, 42);
        assert_eq!(verify_reset(key, &t), Some((7, 42)));
        assert_eq!(verify_reset(key, &t.replacen("7.", "8.", 1)), None);
        assert_eq!(verify_reset(key, &t.replacen(".42.", ".43.", 1)), None);
        assert_eq!(verify_reset(b"another key", &t), None);
        assert_eq!(verify_reset(key, "7.42"), None);
        assert_eq!(verify_reset(key, ""), None);
        assert!(t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)));
    }

    /// The example in the Standard Webhooks specification's reference implementations.
    #[test]
    fn webhook_signatures_match_the_specification_example() {
        let key = webhook_secret_bytes("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            webhook_signature(
                std::slice::from_ref(&key),
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                body
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        let other = webhook_secret_bytes(&new_webhook_secret()).unwrap();
        assert_eq!(other.len(), 32);
        let both = webhook_signature(&[key, other], "msg_1", 1, body);
        assert_eq!(both.split(' ').count(), 2);
        assert!(webhook_secret_bytes("no prefix").is_none());
    }

    /// The example in Twilio's documentation of request validation (its code samples).
    #[test]
    fn twilio_signatures_match_the_documented_example() {
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675310"),
            ("Digits", "1234"),
            ("From", "+14158675310"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(
            twilio_signature("12345", url, &params),
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        );
        assert!(verify_twilio(
            "12345",
            url,
            &params,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
        assert!(!verify_twilio(
            "12346",
            url,
            &params,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
    }
}
