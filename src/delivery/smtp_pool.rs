//! A pool of SMTP connections that carebell keeps itself, on top of lettre's SMTP client.
//!
//! lettre's own pool caps only the idle connections: a burst of sends opens a connection
//! per message, and its sockets leave Nagle's algorithm on, so the end of every message
//! (`\r\n.\r\n`, written on its own) waits ~40 ms for the relay's delayed ACK. Here the
//! number of connections is capped (`email.smtp.pool_size`: at most that many sends at
//! once, each on a connection of its own, reused), and every socket has `TCP_NODELAY`.

use super::policy::Failure;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_util::compat::{Compat, FuturesAsyncReadCompatExt};

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain TCP (a relay on the same host or network).
    None,
    /// `STARTTLS` after the greeting; refused if the relay does not offer it.
    Starttls,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
}

/// An idle connection this long is closed rather than reused (relays drop idle clients).
const IDLE_LIMIT: Duration = Duration::from_secs(60);
/// An idle connection this long is checked with `NOOP` before it carries a message, so a
/// connection the relay closed meanwhile costs a reconnect, not a failed send.
const CHECK_AFTER: Duration = Duration::from_secs(2);

pub struct SmtpPool {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
    timeout: Duration,
    hello: ClientId,
    /// One permit per connection: idle + in use never exceeds the pool's size.
    permits: Semaphore,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl SmtpPool {
    pub fn new(
        host: String,
        port: u16,
        security: Security,
        credentials: Option<Credentials>,
        timeout: Duration,
        size: usize,
    ) -> Self {
        Self {
            host,
            port,
            security,
            credentials,
            timeout,
            hello: ClientId::default(),
            permits: Semaphore::new(size),
            idle: Mutex::new(Vec::with_capacity(size)),
        }
    }

    /// Sends one message on a pooled connection (waiting for one to be free).
    pub async fn send(&self, envelope: &Envelope, body: &[u8]) -> Result<Response, Failure> {
        let Ok(_permit) = self.permits.acquire().await else {
            return Err(Failure::transient(None, "the SMTP pool is closed"));
        };
        if let Some(conn) = self.reuse().await {
            match self.send_on(conn, envelope, body).await {
                // The relay dropped a kept connection (restart, its own idle limit): the
                // message goes once more on a new one. Had the relay taken it before it
                // dropped, the repeat is the same one a later retry would make.
                Err(Failed::Dropped(_)) => {}
                done => return done.map_err(Failed::into_failure),
            }
        }
        let conn = self.open().await?;
        self.send_on(conn, envelope, body)
            .await
            .map_err(Failed::into_failure)
    }

    async fn send_on(
        &self,
        mut conn: AsyncSmtpConnection,
        envelope: &Envelope,
        body: &[u8],
    ) -> Result<Response, Failed> {
        let sent = tokio::time::timeout(self.timeout, conn.send(envelope, body)).await;
        match sent {
            Ok(Ok(response)) => {
                self.give_back(conn);
                Ok(response)
            }
            Ok(Err(e)) => {
                // lettre quits the connection after any failed command, a 5yz to RCPT
                // included; only its own refusals before the first command (an address
                // needing SMTPUTF8 the relay lacks) leave it usable.
                if !conn.has_broken() {
                    self.give_back(conn);
                }
                // A closed connection reads as an "incomplete response" (no reply code).
                let dropped =
                    e.status().is_none() && !(e.is_client() || e.is_tls() || e.is_timeout());
                Err(if dropped {
                    Failed::Dropped(classify(&e))
                } else {
                    Failed::Final(classify(&e))
                })
            }
            Err(_) => Err(Failed::Final(Failure::transient(
                None,
                format!("the SMTP exchange took longer than {:?}", self.timeout),
            ))),
        }
    }

    /// An idle connection that is still good, if there is one.
    async fn reuse(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let (mut conn, since) = self.idle.lock().expect("SMTP pool lock").pop()?;
            let idle = since.elapsed();
            if idle >= IDLE_LIMIT || conn.has_broken() {
                let _ = tokio::time::timeout(self.timeout, conn.quit()).await;
                continue;
            }
            if idle < CHECK_AFTER {
                return Some(conn);
            }
            let alive = tokio::time::timeout(self.timeout, conn.test_connected()).await;
            if matches!(alive, Ok(true)) {
                return Some(conn);
            }
        }
    }

    fn give_back(&self, conn: AsyncSmtpConnection) {
        self.idle
            .lock()
            .expect("SMTP pool lock")
            .push((conn, Instant::now()));
    }

    /// Opens, greets, secures and authenticates a new connection.
    async fn open(&self) -> Result<AsyncSmtpConnection, Failure> {
        let opened = tokio::time::timeout(self.timeout, async {
            let tcp = TcpStream::connect((self.host.as_str(), self.port))
                .await
                .map_err(|e| {
                    Failure::transient(None, format!("connecting to {}: {e}", self.host))
                })?;
            tcp.set_nodelay(true)
                .map_err(|e| Failure::transient(None, format!("TCP_NODELAY: {e}")))?;
            let stream: Box<dyn AsyncTokioStream> = match self.security {
                Security::Tls => Box::new(Encrypted::wrap(tcp, self.tls()?).await?),
                Security::None | Security::Starttls => Box::new(tcp),
            };
            let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &self.hello)
                .await
                .map_err(|e| classify(&e))?;
            if self.security == Security::Starttls {
                conn.starttls(self.tls()?, &self.hello)
                    .await
                    .map_err(|e| classify(&e))?;
            }
            if let Some(credentials) = &self.credentials {
                conn.auth(DEFAULT_MECHANISMS, credentials)
                    .await
                    .map_err(|e| classify(&e))?;
            }
            Ok(conn)
        })
        .await;
        opened.unwrap_or_else(|_| {
            Err(Failure::transient(
                None,
                format!(
                    "connecting to {} took longer than {:?}",
                    self.host, self.timeout
                ),
            ))
        })
    }

    fn tls(&self) -> Result<TlsParameters, Failure> {
        TlsParameters::new(self.host.clone())
            .map_err(|e| Failure::permanent(None, format!("TLS set-up for {}: {e}", self.host)))
    }
}

/// How one exchange on one connection failed.
enum Failed {
    /// The connection broke (reset, closed): worth one more try on a new connection.
    Dropped(Failure),
    /// The relay answered no, or took too long: the message's outcome.
    Final(Failure),
}

impl Failed {
    fn into_failure(self) -> Failure {
        match self {
            Self::Dropped(f) | Self::Final(f) => f,
        }
    }
}

/// SMTP 5yz and client-side refusals are permanent; 4yz, connection and TLS trouble and
/// time-outs are transient.
pub fn classify(e: &lettre::transport::smtp::Error) -> Failure {
    let code = e.status().map(|c| c.to_string());
    let reply = e.to_string();
    if e.is_permanent() || e.is_client() {
        Failure::permanent(code, reply)
    } else {
        Failure::transient(code, reply)
    }
}

/// A TCP stream already inside TLS (implicit TLS), handed to lettre as its transport:
/// lettre upgrades only sockets it opened itself or plain ones, through `STARTTLS`.
#[allow(deprecated)]
type TlsStream = Compat<lettre::transport::smtp::client::AsyncNetworkStream>;

#[derive(Debug)]
struct Encrypted(TlsStream);

impl Encrypted {
    #[allow(deprecated)]
    async fn wrap(tcp: TcpStream, tls: TlsParameters) -> Result<Self, Failure> {
        let mut stream =
            lettre::transport::smtp::client::AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
        stream.upgrade_tls(tls).await.map_err(|e| classify(&e))?;
        Ok(Self(stream.compat()))
    }
}

impl AsyncTokioStream for Encrypted {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.get_ref().peer_addr()
    }
}

impl AsyncRead for Encrypted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Encrypted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
