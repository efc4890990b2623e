//! `spawn_app(engine)`: a carebell on a free port with its own fresh database and a
//! manual clock, plus small helpers that read like the steps of a scenario.

use carebell::clock::ManualClock;
use carebell::config::Settings;
use carebell::domain::{Email, Language, PersonName, Role, TimeZone, Timestamp};
use carebell::startup::Application;
use carebell::store::users::{self, NewUser};
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{json, Value};
use sqlx::Connection;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// 2026-12-01T08:00:00Z, a Tuesday: "now" when each test starts.
pub const T0_MS: i64 = 1_796_112_000_000;
pub const HOUR: Duration = Duration::from_secs(3600);
pub const PASSWORD: &str = "correct horse battery";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub clock: Arc<ManualClock>,
    pub http: reqwest::Client,
    pub admin: TestUser,
    pub engine: Engine,
    pub store: carebell::store::Store,
    pub dispatcher: carebell::delivery::Dispatcher,
    /// The settings the instance was built with (for starting another on the same database).
    pub settings: Settings,
    shutdown: CancellationToken,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    next_user: AtomicU32,
}

#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: i64,
    pub email: String,
    pub token: String,
    pub role: Role,
}

/// The PostgreSQL server the tests use; `scripts/test` makes sure one answers.
fn postgres_admin_url() -> String {
    std::env::var("CAREBELL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn unique_name() -> String {
    format!("carebell_test_{}", uuid::Uuid::new_v4().simple())
}

pub async fn database_url(engine: Engine) -> String {
    match engine {
        Engine::Sqlite => {
            let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-dbs");
            std::fs::create_dir_all(&dir).expect("test database folder");
            format!("sqlite://{}/{}.db", dir.display(), unique_name())
        }
        Engine::Postgres => {
            let admin = postgres_admin_url();
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| {
                    panic!("PostgreSQL at {admin} must be reachable (scripts/test starts one): {e}")
                });
            let name = unique_name();
            sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
                .await
                .expect("create test database");
            let (head, _) = admin.rsplit_once('/').expect("database URL has a path");
            format!("{head}/{name}")
        }
    }
}

pub async fn spawn_app(engine: Engine) -> TestApp {
    spawn_app_with(engine, |_| {}).await
}

/// A folder of its own under the test target directory.
pub fn scratch_dir(what: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(what)
        .join(uuid::Uuid::new_v4().simple().to_string());
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Like [`spawn_app`], with settings adjusted by `configure`. The dispatcher does not run
/// by itself: tests step it with [`TestApp::drain`] while they move the clock.
pub async fn spawn_app_with(engine: Engine, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = Settings::default();
    settings.server.listen = "127.0.0.1:0".parse().unwrap();
    settings.database.url = SecretString::from(database_url(engine).await);
    settings.database.max_connections = 10;
    settings.delivery.enabled = false;
    settings.delivery.retry_jitter = 0.0;
    settings.email.outbox_dir = scratch_dir("mail");
    settings.sms.outbox_dir = scratch_dir("sms");
    // Every test signs its users in from 127.0.0.1; the throttling tests set these back.
    settings.auth.requests_per_minute_per_address = 100_000;
    settings.auth.max_failures_per_address = 100_000;
    configure(&mut settings);
    let kept_settings = settings.clone();
    let clock = ManualClock::new(Timestamp::from_millis(T0_MS));
    let app = Application::build_with_clock(settings, clock.clone())
        .await
        .expect("application builds");
    let base = format!("http://{}", app.addr());

    // The first admin is created directly, as an operator would with the CLI.
    let hash = carebell::auth::passwords::hash_password(PASSWORD.to_owned())
        .await
        .unwrap();
    let admin_email = "admin@clinic.example";
    let mut c = app.state().store.acquire().await.unwrap();
    let new = NewUser {
        role: Role::Admin,
        name: PersonName::parse("Admin").unwrap(),
        email: Email::parse(admin_email).unwrap(),
        phone: None,
        time_zone: TimeZone::parse("Europe/Paris").unwrap(),
        language: Language::En,
        password_hash: hash,
    };
    let admin_id = users::insert(&mut c, &new, Timestamp::from_millis(T0_MS))
        .await
        .unwrap()
        .id;
    drop(c);

    let store = app.state().store.clone();
    let dispatcher = app.dispatcher().clone();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app.run_until_stopped(shutdown.clone()));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut test_app = TestApp {
        base,
        clock,
        http,
        admin: TestUser {
            id: admin_id,
            email: admin_email.into(),
            token: String::new(),
            role: Role::Admin,
        },
        engine,
        store,
        dispatcher,
        settings: kept_settings,
        shutdown,
        server: Some(server),
        next_user: AtomicU32::new(1),
    };
    test_app.admin.token = test_app.token_for(admin_email).await;
    test_app
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl TestApp {
    /// Steps the dispatcher until a step finds nothing to do; returns the summed work.
    pub async fn drain(&self) -> carebell::delivery::Tick {
        let mut total = carebell::delivery::Tick::default();
        for _ in 0..100 {
            let t = self
                .dispatcher
                .dispatch_once()
                .await
                .expect("dispatcher step");
            if t.is_idle() {
                return total;
            }
            total.add(t);
        }
        panic!("the dispatcher never became idle");
    }

    /// Another carebell instance on the same database (as behind a load balancer); returns
    /// its base URL. It stops with this test app.
    pub async fn another_instance(&self) -> String {
        let other = Application::build_with_clock(self.settings.clone(), self.clock.clone())
            .await
            .expect("second instance builds");
        let base = format!("http://{}", other.addr());
        tokio::spawn(other.run_until_stopped(self.shutdown.clone()));
        base
    }

    /// The dispatcher of another instance on the same database, not running: tests step
    /// it by hand beside this one's.
    pub async fn another_dispatcher(&self) -> carebell::delivery::Dispatcher {
        let other = Application::build_with_clock(self.settings.clone(), self.clock.clone())
            .await
            .expect("second instance builds");
        other.dispatcher().clone()
    }

    /// Stops the server as SIGTERM would and waits until it has finished.
    pub async fn stop(&mut self) -> Result<anyhow::Result<()>, tokio::time::error::Elapsed> {
        self.shutdown.cancel();
        let server = self.server.take().expect("the server runs");
        tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .map(|joined| joined.expect("server task"))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn token_for(&self, email: &str) -> String {
        self.token_for_with(email, PASSWORD).await
    }

    pub async fn token_for_with(&self, email: &str, password: &str) -> String {
        let (status, body) = self
            .call(
                None,
                Method::POST,
                "/api/v1/auth/tokens",
                Some(json!({"email": email, "password": password})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// Creates an account through the admin API and signs it in with a bearer token.
    pub async fn user_with(&self, role: Role, extra: Value) -> TestUser {
        let n = self.next_user.fetch_add(1, Ordering::SeqCst);
        let email = format!("{}{n}@clinic.example", role.as_str());
        let mut body = json!({
            "role": role.as_str(), "name": format!("{} {n}", role.as_str()), "email": email,
            "password": PASSWORD, "time_zone": "Europe/Paris", "language": "en",
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let email = body["email"].as_str().unwrap().to_owned();
        let (status, created) = self.post(&self.admin, "/api/v1/admin/users", body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        TestUser {
            id: created["id"].as_i64().unwrap(),
            token: self.token_for(&email).await,
            email,
            role,
        }
    }

    pub async fn user(&self, role: Role) -> TestUser {
        self.user_with(role, json!({})).await
    }

    /// A patient with a phone number, so SMS applies.
    pub async fn patient_with_phone(&self) -> TestUser {
        self.user_with(Role::Patient, json!({"phone": "+33 6 12 34 56 78"}))
            .await
    }

    pub async fn call(
        &self,
        user: Option<&TestUser>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(u) = user {
            req = req.bearer_auth(&u.token);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub async fn get(&self, user: &TestUser, path: &str) -> (StatusCode, Value) {
        self.call(Some(user), Method::GET, path, None).await
    }

    pub async fn delete(&self, user: &TestUser, path: &str) -> (StatusCode, Value) {
        self.call(Some(user), Method::DELETE, path, None).await
    }

    pub async fn post(&self, user: &TestUser, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Some(user), Method::POST, path, Some(body)).await
    }

    /// Adds one-hour slots for the practitioner starting `hours` from now, one per entry.
    pub async fn slots(&self, doctor: &TestUser, hours: &[u64]) -> Vec<i64> {
        let now = self.clock_now();
        let slots: Vec<Value> = hours
            .iter()
            .map(|h| {
                let s = now.plus(HOUR * (*h as u32));
                json!({"starts_at": s.to_string(), "ends_at": s.plus(HOUR).to_string()})
            })
            .collect();
        let (status, body) = self
            .post(
                doctor,
                "/api/v1/slots",
                json!({"slots": slots, "notify_followers": false}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["slots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect()
    }

    pub fn clock_now(&self) -> Timestamp {
        use carebell::clock::Clock;
        self.clock.now()
    }

    /// Books a slot `hours` ahead and has the practitioner accept; returns the appointment.
    pub async fn confirmed(&self, doctor: &TestUser, patient: &TestUser, hours: u64) -> i64 {
        let slot = self.slots(doctor, &[hours]).await[0];
        let id = self.book(patient, slot).await;
        let (status, body) = self
            .post(
                doctor,
                &format!("/api/v1/appointments/{id}/accept"),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        id
    }

    /// Books `slot` as `patient`; returns the appointment id.
    pub async fn book(&self, patient: &TestUser, slot: i64) -> i64 {
        let (status, body) = self
            .post(
                patient,
                "/api/v1/appointments",
                json!({"slot_id": slot, "reason": "back pain"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    }

    /// The user's notifications, newest first.
    pub async fn notifications(&self, user: &TestUser) -> Vec<Value> {
        let (status, body) = self.get(user, "/api/v1/notifications?limit=100").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["notifications"].as_array().unwrap().clone()
    }

    /// Kinds of the user's notifications, newest first.
    pub async fn kinds(&self, user: &TestUser) -> Vec<String> {
        self.notifications(user)
            .await
            .iter()
            .map(|n| n["kind"].as_str().unwrap().to_owned())
            .collect()
    }

    pub async fn unread(&self, user: &TestUser) -> i64 {
        let (_, body) = self.get(user, "/api/v1/notifications/unread-count").await;
        body["unread_count"].as_i64().unwrap()
    }

    /// (kind, channel, state, recipient) of every delivery job of the appointment but its
    /// reminders, oldest first.
    pub async fn jobs(&self, appointment: i64) -> Vec<(String, String, String, i64)> {
        let mut jobs: Vec<_> = self
            .deliveries_of(appointment)
            .await
            .iter()
            .filter(|j| j["kind"] != "appointment_reminder")
            .map(|j| {
                let s = |k: &str| j[k].as_str().unwrap().to_owned();
                (
                    s("kind"),
                    s("channel"),
                    s("state"),
                    j["recipient_id"].as_i64().unwrap(),
                )
            })
            .collect();
        jobs.reverse();
        jobs
    }

    /// Every delivery job of the appointment, as the admin API lists it, newest first.
    pub async fn deliveries_of(&self, appointment: i64) -> Vec<Value> {
        let path = format!("/api/v1/admin/deliveries?appointment_id={appointment}&limit=500");
        let (status, body) = self.get(&self.admin, &path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["deliveries"].as_array().unwrap().clone()
    }
}

/// [`without_quiet_hours`] for a `carebell` process, as environment variables: the
/// processes tests start run on the wall clock, which may be in a recipient's night.
pub const WITHOUT_QUIET_HOURS_ENV: [(&str, &str); 2] = [
    ("CAREBELL__QUIET_HOURS__START", "08:00"),
    (
        "CAREBELL__QUIET_HOURS__START_BETWEEN",
        r#"["08:00", "08:00"]"#,
    ),
];

/// Leaves the test settings as [`spawn_app_with`] makes them.
pub fn as_they_are(_: &mut Settings) {}

/// Turns the clinic's quiet hours off, for scenarios about something else whose clock
/// passes through the night (quiet hours have their own tests).
pub fn without_quiet_hours(s: &mut Settings) {
    s.quiet_hours.start = s.quiet_hours.end;
    s.quiet_hours.start_between = [s.quiet_hours.end; 2];
}

/// Writes each test twice: once on SQLite and once on PostgreSQL. With `configure;`
/// first, the app's settings go through `configure` (see [`spawn_app_with`]).
#[macro_export]
macro_rules! on_both_engines {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        $crate::on_both_engines! { $crate::helpers::as_they_are; $(async fn $name($app) $body)* }
    };
    ($configure:path; $(async fn $name:ident($app:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use $crate::helpers::*;
            async fn scenario($app: $crate::helpers::TestApp) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                scenario($crate::helpers::spawn_app_with($crate::helpers::Engine::Sqlite, $configure).await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                scenario($crate::helpers::spawn_app_with($crate::helpers::Engine::Postgres, $configure).await).await
            }
        }
    )*};
}

/// Like [`on_both_engines!`] for scenarios that build their own app (with
/// [`spawn_app_with`]): each gets only the engine to run on.
#[macro_export]
macro_rules! on_both_engines_by_engine {
    ($(async fn $name:ident($engine:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use $crate::helpers::*;
            async fn scenario($engine: $crate::helpers::Engine) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                scenario($crate::helpers::Engine::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                scenario($crate::helpers::Engine::Postgres).await
            }
        }
    )*};
}

/// The value of a page's hidden `csrf_token` field (the form token its forms post back).
pub fn form_token(html: &str) -> String {
    let field = "name=\"csrf_token\" value=\"";
    let at = html.find(field).expect("a form token") + field.len();
    html[at..at + 64].to_owned()
}

/// Runs `script` with the tests' Python (`CAREBELL_TEST_PYTHON`, which scripts/test
/// provides with aiosmtpd, icalendar and openapi-spec-validator), `input` on its standard
/// input; panics with its error output when it fails, naming `what` it checks.
pub fn python(script: &str, input: &[u8], what: &str) -> Vec<u8> {
    use std::io::Write;
    let python = std::env::var("CAREBELL_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut child = std::process::Command::new(python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the tests' Python (scripts/test installs it)");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{what} refused it: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// An email of the outbox, as a mail program reads it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    /// The text part, decoded.
    pub text: String,
    /// Whether it carries one-click unsubscribe (`List-Unsubscribe`).
    pub unsubscribe: bool,
}

/// Every email in the app's outbox folder, in the order they were written.
pub fn outbox_mails(app: &TestApp) -> Vec<Mail> {
    use mail_parser::MessageParser;
    let mut files: Vec<_> = std::fs::read_dir(&app.settings.email.outbox_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let raw = std::fs::read(path).unwrap();
            let m = MessageParser::default().parse(&raw).unwrap();
            Mail {
                to: m
                    .to()
                    .and_then(|a| a.first())
                    .and_then(|a| a.address())
                    .unwrap_or_default()
                    .to_owned(),
                subject: m.subject().unwrap_or_default().to_owned(),
                text: m.body_text(0).unwrap_or_default().into_owned(),
                unsubscribe: m.header("List-Unsubscribe").is_some(),
            }
        })
        .collect()
}
