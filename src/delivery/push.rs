//! Web push: each message is encrypted to the browser's keys (`aes128gcm`, RFC 8291, with
//! the `web-push-native` crate over RustCrypto) and carries a VAPID token (RFC 8292, ES256)
//! that tells the push service who sends it. A 404 or 410 from the push service means the
//! subscription is gone.

use super::policy::Failure;
use anyhow::Context;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::time::Duration;
use web_push_native::jwt_simple::algorithms::{
    ECDSAP256KeyPairLike, ECDSAP256PublicKeyLike, ES256KeyPair,
};
use web_push_native::jwt_simple::claims::Claims;
use web_push_native::{p256, Auth, WebPushBuilder};

pub struct PushSender {
    http: reqwest::Client,
    vapid: ES256KeyPair,
    /// The VAPID `sub`: how the push service can reach the clinic.
    contact: String,
}

/// A subscription to send to.
pub struct Target<'a> {
    pub endpoint: &'a str,
    pub p256dh: &'a str,
    pub auth: &'a str,
}

/// How one push went.
pub enum PushResult {
    Accepted {
        code: String,
    },
    /// The subscription no longer exists (404, 410): forget it.
    Gone {
        code: String,
    },
    Failed(Failure),
}

/// How a push is handled by the push service.
pub struct Delivery<'a> {
    /// How long the push service keeps it for a browser that is offline.
    pub ttl: Duration,
    /// `very-low`, `low`, `normal` or `high` (RFC 8030).
    pub urgency: &'a str,
    /// A newer push with the same topic replaces one still waiting (a retry, say).
    pub topic: &'a str,
}

impl PushSender {
    /// The sender with this installation's VAPID private key (32 bytes).
    pub fn new(private_key: &[u8], contact: String, timeout: Duration) -> anyhow::Result<Self> {
        let vapid = ES256KeyPair::from_bytes(private_key).context("the VAPID key")?;
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(timeout)
                .build()
                .context("building the push HTTP client")?,
            vapid,
            contact,
        })
    }

    /// A fresh VAPID private key, for the first start.
    pub fn new_private_key() -> Vec<u8> {
        ES256KeyPair::generate().to_bytes()
    }

    /// The public key browsers subscribe with (`applicationServerKey`): the uncompressed
    /// P-256 point, base64url.
    pub fn public_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.vapid.public_key().public_key().to_bytes_uncompressed())
    }

    /// The VAPID `Authorization` header for a push service: a JWT for its origin (scheme,
    /// host and port), valid 12 hours, signed with ES256.
    fn authorization(&self, endpoint: &reqwest::Url) -> Result<String, Failure> {
        let audience = endpoint.origin().ascii_serialization();
        let claims = Claims::create(Duration::from_secs(12 * 3600).into())
            .with_audience(audience)
            .with_subject(self.contact.clone());
        let token = self
            .vapid
            .sign(claims)
            .map_err(|e| Failure::permanent(None, format!("signing the VAPID token: {e}")))?;
        Ok(format!("vapid t={token}, k={}", self.public_key()))
    }

    /// Encrypts `payload` to the subscription and posts it. 201 (or any 2xx) is accepted;
    /// 404 and 410 say the subscription is gone; 429 and 5xx are transient; other 4xx
    /// (a payload too large, a key refused) permanent.
    pub async fn send(&self, to: &Target<'_>, payload: &[u8], how: &Delivery<'_>) -> PushResult {
        match self.try_send(to, payload, how).await {
            Ok(result) => result,
            Err(failure) => PushResult::Failed(failure),
        }
    }

    async fn try_send(
        &self,
        to: &Target<'_>,
        payload: &[u8],
        how: &Delivery<'_>,
    ) -> Result<PushResult, Failure> {
        let bad = |what: &str| Failure::permanent(None, format!("the subscription's {what}"));
        let url = reqwest::Url::parse(to.endpoint).map_err(|_| bad("endpoint"))?;
        let key = URL_SAFE_NO_PAD
            .decode(to.p256dh.trim_end_matches('='))
            .ok()
            .and_then(|k| p256::PublicKey::from_sec1_bytes(&k).ok())
            .ok_or_else(|| bad("p256dh key"))?;
        let auth = URL_SAFE_NO_PAD
            .decode(to.auth.trim_end_matches('='))
            .ok()
            .filter(|a| a.len() == 16)
            .ok_or_else(|| bad("auth secret"))?;
        let request = WebPushBuilder::new(
            to.endpoint.parse().map_err(|_| bad("endpoint"))?,
            key,
            Auth::clone_from_slice(&auth),
        )
        .with_valid_duration(how.ttl)
        .build(payload.to_vec())
        .map_err(|e| Failure::permanent(None, format!("encrypting the push: {e}")))?;
        let mut out = self
            .http
            .post(url.clone())
            .header("authorization", self.authorization(&url)?)
            .header("urgency", how.urgency)
            .header("topic", how.topic);
        for (name, value) in request.headers() {
            out = out.header(name.as_str(), value.as_bytes());
        }
        let response = out.body(request.into_body()).send().await.map_err(|e| {
            Failure::transient(None, format!("no answer from the push service: {e}"))
        })?;
        let status = response.status();
        let code = status.as_u16().to_string();
        let reply: String = response
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect();
        Ok(if status.is_success() {
            PushResult::Accepted { code }
        } else if status.as_u16() == 404 || status.as_u16() == 410 {
            PushResult::Gone { code }
        } else if status.as_u16() == 429 || status.is_server_error() {
            PushResult::Failed(Failure::transient(Some(code), reply))
        } else {
            PushResult::Failed(Failure::permanent(Some(code), reply))
        })
    }
}

/// A topic (RFC 8030: at most 32 URL-safe characters) for a job.
pub fn topic_for(job_id: i64) -> String {
    format!("carebell-job-{job_id}")
}
