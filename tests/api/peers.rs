//! Real peers for delivery tests: an SMTP server process (aiosmtpd) and an HTTP server
//! playing an SMS provider.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// An aiosmtpd server on loopback that stores what it accepts (see tests/smtp_peer.py).
pub struct SmtpPeer {
    pub port: u16,
    pub dir: PathBuf,
    child: Option<Child>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpPeer {
    pub async fn start() -> Self {
        let mut peer = Self {
            port: free_port(),
            dir: crate::helpers::scratch_dir("smtp"),
            child: None,
        };
        peer.up().await;
        peer
    }

    /// Starts (again) on the same port and folder.
    pub async fn up(&mut self) {
        let python = std::env::var("CAREBELL_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_peer.py");
        let mut child = Command::new(&python)
            .arg(script)
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("starting the SMTP peer with {python} (scripts/test installs aiosmtpd): {e}")
            });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await;
        match ready {
            Ok(Ok(Some(line))) if line.starts_with("READY") => {}
            other => panic!("the SMTP peer did not start (is aiosmtpd installed?): {other:?}"),
        }
        self.child = Some(child);
    }

    /// Stops the server: connections are refused until [`SmtpPeer::up`].
    pub async fn down(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Every message received so far, in order, as raw bytes.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        self.files()
            .iter()
            .map(|p| std::fs::read(p).unwrap())
            .collect()
    }

    /// The files of the messages received so far, in order.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut files: Vec<_> = std::fs::read_dir(&self.dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
    }
}

/// What the fake SMS provider received.
#[derive(Debug, Clone)]
pub struct SmsRequest {
    pub path: String,
    pub headers: HeaderMap,
    pub body: String,
}

/// An HTTP server on loopback answering SMS requests with the status encoded in the last
/// three digits of the destination number (…200, …429, …500, …400).
pub struct SmsPeer {
    pub base_url: String,
    pub received: Arc<Mutex<Vec<SmsRequest>>>,
}

impl SmsPeer {
    pub async fn start() -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        async fn handle(
            State(log): State<Arc<Mutex<Vec<SmsRequest>>>>,
            uri: axum::http::Uri,
            headers: HeaderMap,
            body: String,
        ) -> (StatusCode, Json<serde_json::Value>) {
            // The answer is chosen by the last three digits of the recipient's number (the
            // first `+` or form-encoded `%2B` followed by at least eight digits).
            let status = body
                .replace("%2B", "+")
                .split('+')
                .skip(1)
                .map(|rest| {
                    rest.chars()
                        .take_while(char::is_ascii_digit)
                        .collect::<String>()
                })
                .filter(|d| d.len() >= 8)
                .find_map(|d| d[d.len() - 3..].parse::<u16>().ok())
                .and_then(|code| StatusCode::from_u16(code).ok())
                .unwrap_or(StatusCode::OK);
            let n = {
                let mut log = log.lock().unwrap();
                log.push(SmsRequest {
                    path: uri.path().to_owned(),
                    headers,
                    body,
                });
                log.len()
            };
            (
                status,
                Json(serde_json::json!({ "sid": format!("SM{n}"), "status": status.as_u16() })),
            )
        }
        let app = Router::new()
            .route("/{*path}", post(handle))
            .with_state(received.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { base_url, received }
    }

    pub fn requests(&self) -> Vec<SmsRequest> {
        self.received.lock().unwrap().clone()
    }
}

/// One request an [`HttpPeer`] received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// What a provider answers, by the kind of peer it plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plays {
    /// An integrator's webhook receiver: `200 ok`.
    WebhookReceiver,
    /// A browser's push service: `201`.
    PushService,
    /// The WhatsApp Cloud API: `200` with the message's `wamid`.
    WhatsApp,
}

#[derive(Default)]
struct PeerState {
    received: Vec<Received>,
    /// Statuses to answer next, in order; then the peer's usual one.
    next: std::collections::VecDeque<u16>,
    /// Answer every request with this status (a receiver that is broken for days).
    always: Option<u16>,
}

/// An HTTP server on loopback playing a provider, recording every request. It can be
/// taken down (connections refused) and brought up again on the same port.
pub struct HttpPeer {
    pub base_url: String,
    pub port: u16,
    plays: Plays,
    state: Arc<Mutex<PeerState>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl HttpPeer {
    pub async fn start(plays: Plays) -> Self {
        let mut peer = Self {
            base_url: String::new(),
            port: free_port(),
            plays,
            state: Arc::new(Mutex::new(PeerState::default())),
            server: None,
        };
        peer.base_url = format!("http://127.0.0.1:{}", peer.port);
        peer.up().await;
        peer
    }

    pub async fn up(&mut self) {
        async fn handle(
            State((plays, state)): State<(Plays, Arc<Mutex<PeerState>>)>,
            uri: axum::http::Uri,
            headers: HeaderMap,
            body: axum::body::Bytes,
        ) -> axum::response::Response {
            use axum::response::IntoResponse;
            let (status, n) = {
                let mut s = state.lock().unwrap();
                s.received.push(Received {
                    path: uri.path().to_owned(),
                    headers,
                    body: body.to_vec(),
                });
                let status = s.next.pop_front().or(s.always);
                (status, s.received.len())
            };
            let usual = match plays {
                Plays::WebhookReceiver | Plays::WhatsApp => 200,
                Plays::PushService => 201,
            };
            let status = StatusCode::from_u16(status.unwrap_or(usual)).unwrap();
            match plays {
                Plays::WhatsApp if status.is_success() => (
                    status,
                    Json(serde_json::json!({
                        "messaging_product": "whatsapp",
                        "messages": [{"id": format!("wamid.TEST{n}")}],
                    })),
                )
                    .into_response(),
                _ => (status, "ok").into_response(),
            }
        }
        let app = Router::new()
            .route("/", post(handle))
            .route("/{*path}", post(handle))
            .with_state((self.plays, self.state.clone()));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .unwrap();
        self.server = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }));
    }

    /// Stops answering: connections are refused until [`HttpPeer::up`].
    pub async fn down(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
            let _ = server.await;
        }
    }

    /// The next requests get these statuses, in order.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.state.lock().unwrap().next.extend(statuses);
    }

    /// Every request from now on gets this status (`None`: the usual one again).
    pub fn answer_always(&self, status: Option<u16>) {
        self.state.lock().unwrap().always = status;
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }
}

impl Drop for HttpPeer {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}
