//! What providers tell us after a message left: delivery receipts (an SMS or a WhatsApp
//! message reached the phone, or did not) and bounces (an email came back for good).
//!
//! - A receipt updates the job it names by the provider's message id: `sent` becomes
//!   `delivered`, or `undelivered` with the provider's code. Integrators hear of it
//!   (`delivery.delivered`, `delivery.failed`).
//! - **Fallback:** when a reminder's SMS comes back undelivered, its email is written, due
//!   at once, unless the reminder already has one (with `reminders.email = always` it went
//!   with the SMS); the email then follows the recipient's choices like any other (it is
//!   held back if they turned reminder emails off).
//! - A bounce (RFC 3464: a recipient whose `Action` is `failed` with a `5.x.x` status)
//!   marks the address as bouncing: later email to it is suppressed until the account's
//!   address changes.

use crate::app::{ApiError, ApiResult, AppState};
use crate::domain::Channel;
use crate::store::bounces::{self, Source};
use crate::store::{audit, deliveries};
use mail_parser::MimeHeaders;

/// What a receipt says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    Delivered,
    Undelivered,
}

/// Applies a provider's receipt for its message `provider_id` on `channel`. Returns whether
/// it named one of our messages (an unknown id is ignored: providers retry otherwise).
pub async fn apply(
    state: &AppState,
    channel: Channel,
    provider_id: &str,
    receipt: Receipt,
    code: Option<&str>,
) -> ApiResult<bool> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let status = match receipt {
        Receipt::Delivered => "delivered",
        Receipt::Undelivered => "undelivered",
    };
    let Some(job_id) =
        deliveries::record_receipt(tx.conn(), channel, provider_id, status, code, now).await?
    else {
        return Ok(false);
    };
    let mut fallback = false;
    if receipt == Receipt::Undelivered && channel == Channel::Sms {
        fallback = deliveries::write_fallback_email(tx.conn(), job_id, now).await?;
    }
    let event = match receipt {
        Receipt::Delivered => "delivery.delivered",
        Receipt::Undelivered => "delivery.failed",
    };
    crate::delivery::delivery_event(&mut tx, job_id, event, now).await?;
    tx.commit().await?;
    if fallback {
        tracing::info!(job_id, "reminder SMS undelivered: its email goes instead");
    }
    state.lifecycle.wake_dispatcher();
    Ok(true)
}

/// One recipient of a delivery-status notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounced {
    pub email: String,
    pub status: String,
    pub diagnostic: Option<String>,
}

/// The recipients an RFC 3464 delivery-status notification reports as failed for good
/// (`Action: failed` with a `5.x.x` status). A message without a delivery-status part is
/// refused.
pub fn parse_dsn(raw: &[u8]) -> Result<Vec<Bounced>, String> {
    let message = mail_parser::MessageParser::default()
        .parse(raw)
        .ok_or("not a mail message")?;
    let report = message
        .parts
        .iter()
        .find(|p| {
            p.content_type().is_some_and(|ct| {
                ct.ctype().eq_ignore_ascii_case("message")
                    && ct
                        .subtype()
                        .is_some_and(|s| s.eq_ignore_ascii_case("delivery-status"))
            })
        })
        .ok_or("no message/delivery-status part (RFC 3464)")?;
    let text = String::from_utf8_lossy(report.contents()).replace("\r\n", "\n");
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let fields = dsn_fields(block);
        let field = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let Some(recipient) = field("Final-Recipient").or(field("Original-Recipient")) else {
            continue;
        };
        let failed = field("Action").is_some_and(|a| a.eq_ignore_ascii_case("failed"));
        let status = field("Status").unwrap_or_default();
        if !(failed && status.starts_with('5')) {
            continue;
        }
        // `rfc822; someone@example.org`
        let email = recipient
            .split_once(';')
            .map(|(_, a)| a)
            .unwrap_or(recipient)
            .trim()
            .trim_matches(['<', '>'])
            .to_owned();
        out.push(Bounced {
            email,
            status: status.to_owned(),
            diagnostic: field("Diagnostic-Code").map(str::to_owned),
        });
    }
    Ok(out)
}

/// The `Name: value` fields of a DSN block, continuation lines folded in.
fn dsn_fields(block: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in block.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    out
}

/// Marks every address a delivery-status notification reports as failed for good.
/// Returns how many.
pub async fn bounce(state: &AppState, raw: &[u8]) -> ApiResult<usize> {
    let bounced = parse_dsn(raw).map_err(|e| ApiError::unprocessable(format!("body: {e}")))?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    for b in &bounced {
        bounces::mark(
            tx.conn(),
            &b.email,
            Some(&b.status),
            b.diagnostic.as_deref(),
            Source::Dsn,
            now,
        )
        .await?;
    }
    if !bounced.is_empty() {
        let event = audit::NewEvent {
            action: "email.bounced",
            target: Some(format!("{} addresses", bounced.len())),
            ..Default::default()
        };
        audit::append(tx.conn(), &event, now).await?;
    }
    tx.commit().await?;
    Ok(bounced.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DSN as RFC 3464's own example lays it out: one recipient failed, one delayed.
    const DSN: &str = "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>\r
To: no-reply@clinic.example\r
Subject: Returned mail\r
MIME-Version: 1.0\r
Content-Type: multipart/report; report-type=delivery-status; boundary=\"RAA14128\"\r
\r
--RAA14128\r
Content-Type: text/plain\r
\r
Your message could not be delivered.\r
--RAA14128\r
Content-Type: message/delivery-status\r
\r
Reporting-MTA: dns; mx.example.org\r
Arrival-Date: Thu, 3 Dec 2026 08:00:00 +0000\r
\r
Final-Recipient: rfc822; Lucie@Example.org\r
Action: failed\r
Status: 5.1.1\r
Diagnostic-Code: smtp; 550 5.1.1 <lucie@example.org>:\r
 Recipient address rejected: User unknown\r
\r
Final-Recipient: rfc822; sam@example.org\r
Action: delayed\r
Status: 4.4.1\r
\r
--RAA14128--\r
";

    #[test]
    fn a_dsn_names_the_recipients_that_failed_for_good() {
        let found = parse_dsn(DSN.as_bytes()).unwrap();
        assert_eq!(
            found,
            vec![Bounced {
                email: "Lucie@Example.org".into(),
                status: "5.1.1".into(),
                diagnostic: Some(
                    "smtp; 550 5.1.1 <lucie@example.org>: Recipient address rejected: User unknown"
                        .into()
                ),
            }]
        );
        assert!(parse_dsn(b"Subject: hello\r\n\r\nnot a report\r\n").is_err());
    }
}
