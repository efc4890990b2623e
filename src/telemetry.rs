//! Logging set-up. Message bodies and patient data are never put in log fields.

use crate::config::{LogFormat, LogSettings};
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; `RUST_LOG` overrides `log.filter`.
pub fn init(settings: &LogSettings) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match settings.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// This process's metrics, in Prometheus text format at `GET /metrics`. Each application
/// has its own registry (so two in one process, as tests run them, never mix counts).
/// Only routes, methods, statuses, channels and outcomes are labels: never a person, an
/// address or a message.
#[derive(Clone)]
pub struct Metrics {
    recorder: std::sync::Arc<metrics_exporter_prometheus::PrometheusRecorder>,
}

static METADATA: metrics::Metadata<'static> =
    metrics::Metadata::new("carebell", metrics::Level::INFO, None);

/// Latency buckets in seconds, from 1 ms to 30 s.
const SECONDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Lag buckets in seconds, from 1 s to 1 day.
const LAG: &[f64] = &[
    1.0,
    5.0,
    15.0,
    60.0,
    300.0,
    900.0,
    3600.0,
    4.0 * 3600.0,
    86_400.0,
];

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
        let builder = PrometheusBuilder::new();
        let recorder = builder
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full("carebell_reminder_lag_seconds".into()), LAG)
            })
            .map(|b| b.build_recorder())
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let me = Self {
            recorder: std::sync::Arc::new(recorder),
        };
        me.describe();
        me
    }

    fn describe(&self) {
        use metrics::{Recorder, Unit};
        let r = &self.recorder;
        r.describe_counter(
            "carebell_http_requests_total".into(),
            None,
            "HTTP requests answered, by route, method and status".into(),
        );
        r.describe_histogram(
            "carebell_http_request_duration_seconds".into(),
            Some(Unit::Seconds),
            "Time to answer an HTTP request, by route and method".into(),
        );
        r.describe_counter("carebell_delivery_attempts_total".into(), None, "Delivery attempts by channel and outcome (sent, transient, permanent, dropped, suppressed, deferred)".into());
        r.describe_histogram(
            "carebell_delivery_send_seconds".into(),
            Some(Unit::Seconds),
            "Time one send took, by channel".into(),
        );
        r.describe_histogram(
            "carebell_reminder_lag_seconds".into(),
            Some(Unit::Seconds),
            "How long after its due time a reminder went out, by channel".into(),
        );
        r.describe_gauge(
            "carebell_delivery_jobs".into(),
            None,
            "Delivery jobs by state and channel, at the time of the scrape".into(),
        );
        r.describe_gauge(
            "carebell_delivery_oldest_due_seconds".into(),
            Some(Unit::Seconds),
            "Age of the oldest pending job that is due (0 when none)".into(),
        );
        r.describe_counter(
            "carebell_notice_recipients_planned_total".into(),
            None,
            "Notice recipients written by the fan-out".into(),
        );
        r.describe_gauge(
            "carebell_live_streams".into(),
            None,
            "Live notification streams open on this instance".into(),
        );
    }

    fn key(name: &'static str, labels: &[(&'static str, String)]) -> metrics::Key {
        let labels: Vec<metrics::Label> = labels
            .iter()
            .map(|(k, v)| metrics::Label::new(*k, v.clone()))
            .collect();
        metrics::Key::from_parts(name, labels)
    }

    pub fn count(&self, name: &'static str, labels: &[(&'static str, String)]) {
        self.add(name, labels, 1);
    }

    pub fn add(&self, name: &'static str, labels: &[(&'static str, String)], by: u64) {
        use metrics::Recorder;
        self.recorder
            .register_counter(&Self::key(name, labels), &METADATA)
            .increment(by);
    }

    pub fn observe(&self, name: &'static str, labels: &[(&'static str, String)], value: f64) {
        use metrics::Recorder;
        self.recorder
            .register_histogram(&Self::key(name, labels), &METADATA)
            .record(value);
    }

    pub fn set(&self, name: &'static str, labels: &[(&'static str, String)], value: f64) {
        use metrics::Recorder;
        self.recorder
            .register_gauge(&Self::key(name, labels), &METADATA)
            .set(value);
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        self.recorder.handle().render()
    }
}

/// Where the request being handled came from, for the audit log: set around each request
/// by the HTTP layer, absent for the CLI and background work.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub source_ip: String,
    pub request_id: String,
}

tokio::task_local! {
    static REQUEST: RequestContext;
}

/// Runs `work` with `context` as the current request.
pub async fn within<F: std::future::Future>(context: RequestContext, work: F) -> F::Output {
    REQUEST.scope(context, work).await
}

/// The request being handled on this task, if any.
pub fn current_request() -> Option<RequestContext> {
    REQUEST.try_with(Clone::clone).ok()
}
