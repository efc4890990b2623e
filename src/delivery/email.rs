//! Email: SMTP through lettre (pooled, TLS verified), or `.eml` files in an outbox folder
//! when no relay is configured.

use super::policy::Failure;
use super::read_secret;
use crate::config::{EmailSettings, SmtpSecurity};
use anyhow::Context;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use std::str::FromStr;

/// Where email goes.
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
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
        let mut builder = match smtp.security {
            SmtpSecurity::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(host).context("email.smtp.host")?
            }
            SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .context("email.smtp.host")?,
            SmtpSecurity::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(25)
            }
        };
        if let Some(port) = smtp.port {
            builder = builder.port(port);
        }
        if let Some(user) = &smtp.username {
            let password = read_secret(
                smtp.password.as_ref(),
                smtp.password_file.as_deref(),
                "email.smtp.password",
            )?
            .context(
                "email.smtp.username is set but no password (email.smtp.password or password_file)",
            )?;
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        let transport = builder
            .timeout(Some(smtp.timeout))
            .pool_config(PoolConfig::new().max_size(smtp.pool_size))
            .build();
        Ok(Self::Smtp(transport))
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
            Self::Smtp(transport) => match transport.send(message).await {
                Ok(response) => Ok(Accepted {
                    code: response.code().to_string(),
                    reply: response.message().collect::<Vec<_>>().join(" "),
                }),
                Err(e) => Err(classify(&e)),
            },
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

/// SMTP 5yz and client-side refusals are permanent; 4yz, connection and TLS trouble and
/// time-outs are transient.
fn classify(e: &lettre::transport::smtp::Error) -> Failure {
    let code = e.status().map(|c| c.to_string());
    let reply = e.to_string();
    if e.is_permanent() || e.is_client() {
        Failure::permanent(code, reply)
    } else {
        Failure::transient(code, reply)
    }
}

/// Parses a mailbox; a bad address is a permanent failure of that message.
pub fn mailbox(name: &str, address: &str) -> Result<Mailbox, Failure> {
    let address = lettre::Address::from_str(address)
        .map_err(|e| Failure::permanent(None, format!("invalid address: {e}")))?;
    Ok(Mailbox::new(Some(name.to_owned()), address))
}
