//! Email: SMTP through lettre's client on carebell's own pool (TLS verified), or `.eml` files in an outbox folder
//! when no relay is configured.

use super::policy::Failure;
use super::read_secret;
use super::smtp_pool::{Security, SmtpPool};
use crate::config::{EmailSettings, SmtpSecurity};
use anyhow::Context;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::Message;
use std::path::PathBuf;
use std::str::FromStr;

/// Where email goes.
pub enum Mailer {
    Smtp(SmtpPool),
    Outbox(PathBuf),
}

/// What the server said when it took the message.
pub struct Accepted {
    pub code: String,
    pub reply: String,
}

impl Mailer {
    /// Builds the transport described by the settings (the SMTP pool connects lazily).
    pub fn from_settings(s: &EmailSettings) -> anyhow::Result<Self> {
        let Some(host) = s.smtp.host.as_deref() else {
            std::fs::create_dir_all(&s.outbox_dir)
                .with_context(|| format!("creating email.outbox_dir {}", s.outbox_dir.display()))?;
            return Ok(Self::Outbox(s.outbox_dir.clone()));
        };
        let smtp = &s.smtp;
        let (security, default_port) = match smtp.security {
            SmtpSecurity::Tls => (Security::Tls, 465),
            SmtpSecurity::Starttls => (Security::Starttls, 587),
            SmtpSecurity::None => (Security::None, 25),
        };
        let credentials = match &smtp.username {
            Some(user) => {
                let password = read_secret(
                    smtp.password.as_ref(),
                    smtp.password_file.as_deref(),
                    "email.smtp.password",
                )?
                .context(
                    "email.smtp.username is set but no password (email.smtp.password or password_file)",
                )?;
                Some(Credentials::new(user.clone(), password))
            }
            None => None,
        };
        Ok(Self::Smtp(SmtpPool::new(
            host.to_owned(),
            smtp.port.unwrap_or(default_port),
            security,
            credentials,
            smtp.timeout,
            smtp.pool_size as usize,
        )))
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Smtp(_) => "SMTP relay".into(),
            Self::Outbox(dir) => format!("outbox folder {}", dir.display()),
        }
    }

    /// Sends one message; `file_stem` names the outbox file (stable per message, so a
    /// second send of the same message replaces it).
    pub async fn send(&self, message: Message, file_stem: &str) -> Result<Accepted, Failure> {
        match self {
            Self::Smtp(pool) => {
                let response = pool.send(message.envelope(), &message.formatted()).await?;
                Ok(Accepted {
                    code: response.code().to_string(),
                    reply: response.message().collect::<Vec<_>>().join(" "),
                })
            }
            Self::Outbox(dir) => {
                let path = dir.join(format!("{file_stem}.eml"));
                let tmp = dir.join(format!(".{file_stem}.eml.tmp"));
                let bytes = message.formatted();
                let written = async {
                    tokio::fs::write(&tmp, &bytes).await?;
                    tokio::fs::rename(&tmp, &path).await
                };
                match written.await {
                    Ok(()) => Ok(Accepted {
                        code: "file".into(),
                        reply: format!("written to {}", path.display()),
                    }),
                    Err(e) => Err(Failure::transient(
                        None,
                        format!("writing {}: {e}", path.display()),
                    )),
                }
            }
        }
    }
}

/// Parses a mailbox; a bad address is a permanent failure of that message.
pub fn mailbox(name: &str, address: &str) -> Result<Mailbox, Failure> {
    let address = lettre::Address::from_str(address)
        .map_err(|e| Failure::permanent(None, format!("invalid address: {e}")))?;
    Ok(Mailbox::new(Some(name.to_owned()), address))
}
