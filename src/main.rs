//! The `carebell` command line.

use anyhow::Context;
use carebell::accounts::{create_account, NewAccount};
use carebell::clock::{Clock, SystemClock};
use carebell::config::Settings;
use carebell::domain::Channel;
use carebell::lifecycle::Lifecycle;
use carebell::startup::{build_dispatcher, cancel_on_signal, open_store, Application};
use carebell::store::deliveries::{self, JobFilter, JobState};
use carebell::store::reminders;
use carebell::{demo, telemetry};
use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Appointment lifecycle and durable notifications for clinics.
#[derive(Parser)]
#[command(name = "carebell", version, about)]
struct Cli {
    /// Configuration file (default: ./carebell.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API (migrations are applied first).
    Serve {
        /// Address to listen on (overrides server.listen).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
        #[command(flatten)]
        db: DbArgs,
        /// Load the demo clinic before serving, and print how to sign in.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Load (or refresh) the demo clinic, print how to sign in, and exit.
    Demo {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Run only the dispatcher (for a separate worker process; set delivery.enabled =
    /// false on the API servers then).
    Worker {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Show reminders due within the horizon; without --dry-run, also send every delivery
    /// already due (through the same leased claims as the server, so never twice). The
    /// server sends reminders by itself; this is for operators, and accepts the old
    /// system's cron lines (`send_appointment_reminders --hours=24`) unchanged.
    #[command(
        alias = "send_appointment_reminders",
        alias = "send-appointment-reminders"
    )]
    Reminders {
        #[command(flatten)]
        db: DbArgs,
        /// Horizon in hours from now.
        #[arg(long, default_value_t = 24)]
        hours: u32,
        /// Only list, send nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// List delivery jobs, newest first, as GET /api/v1/admin/deliveries does.
    Deliveries {
        #[command(flatten)]
        db: DbArgs,
        /// pending, sending, sent, dead or voided.
        #[arg(long)]
        state: Option<String>,
        /// email or sms.
        #[arg(long)]
        channel: Option<String>,
        #[arg(long)]
        appointment_id: Option<i64>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Create an account, e.g. the first admin. The password is read from
    /// CAREBELL_NEW_USER_PASSWORD, or from the first line of standard input.
    UserAdd {
        #[command(flatten)]
        db: DbArgs,
        /// patient, practitioner or admin.
        #[arg(long)]
        role: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// In international form (+33 6 12 34 56 78).
        #[arg(long)]
        phone: Option<String>,
        /// IANA time zone (default UTC).
        #[arg(long)]
        time_zone: Option<String>,
        /// en, fr or ar (default en).
        #[arg(long)]
        language: Option<String>,
    },
    /// Set an account's password (from CAREBELL_NEW_USER_PASSWORD or standard input), e.g.
    /// for accounts brought in by `import`.
    SetPassword {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        email: String,
    },
    /// Import users, slots and appointments from the system being replaced: CSV files (one
    /// kind each, told apart by their header) or a JSON document. Idempotent; one
    /// transaction; rejected rows are listed with their line and reason (exit status 2).
    Import {
        #[command(flatten)]
        db: DbArgs,
        /// Check everything and report, but write nothing.
        #[arg(long)]
        dry_run: bool,
        /// The files, users first when they are separate.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// Print the OpenAPI 3.1 document of the JSON API (the one served at
    /// /api/v1/openapi.json) and exit.
    Openapi,
}

#[derive(Args)]
struct DbArgs {
    /// Database URL, sqlite://… or postgres://… (overrides database.url).
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

fn main() -> ExitCode {
    carebell::auth::passwords::return_large_blocks_to_the_system();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let db_args = match &cli.command {
        Command::Serve { db, .. }
        | Command::Migrate { db }
        | Command::Demo { db }
        | Command::UserAdd { db, .. }
        | Command::SetPassword { db, .. }
        | Command::Import { db, .. }
        | Command::Worker { db }
        | Command::Reminders { db, .. }
        | Command::Deliveries { db, .. } => db,
        // Needs neither settings nor a database.
        Command::Openapi => {
            println!("{}", carebell::http::openapi_document().to_pretty_json()?);
            return Ok(());
        }
    };
    let mut settings = Settings::load(cli.config.as_deref())?;
    if let Some(url) = &db_args.database_url {
        settings.database.url = SecretString::from(url.clone());
    }
    if let Command::Serve {
        listen: Some(addr), ..
    } = &cli.command
    {
        settings.server.listen = *addr;
    }
    settings.validate()?;
    telemetry::init(&settings.log);

    match cli.command {
        Command::Openapi => {} // answered above
        Command::Migrate { .. } => {
            let mut s = settings.clone();
            s.database.migrate_on_start = true;
            let store = open_store(&s).await?;
            store.close().await;
            println!("migrations applied ({})", store.backend().name());
        }
        Command::Demo { .. } => {
            let store = open_store(&settings).await?;
            let lifecycle = Lifecycle::new(
                store.clone(),
                Arc::new(SystemClock),
                settings.lifecycle.clone(),
            );
            print_demo(&demo::load(&lifecycle).await?, &settings.server.public_url);
            store.close().await;
        }
        Command::SetPassword { email, .. } => {
            let password = read_new_password()?;
            let store = open_store(&settings).await?;
            carebell::accounts::set_password(&store, &email, password).await?;
            store.close().await;
            println!("password set for {email}");
        }
        Command::Import { dry_run, files, .. } => {
            let file = carebell::lifecycle::import::ImportFile::read(&files)?;
            let store = open_store(&settings).await?;
            let lifecycle = Lifecycle::new(
                store.clone(),
                Arc::new(SystemClock),
                settings.lifecycle.clone(),
            )
            .with_reminder_offsets(settings.reminders.offsets.clone())
            .with_choice_rules(carebell::notify::choices::Rules::from_settings(&settings));
            let report = lifecycle
                .import(file, dry_run)
                .await
                .map_err(|e| anyhow::anyhow!("import stopped, nothing was written: {e}"))?;
            store.close().await;
            let verb = if dry_run { "would import" } else { "imported" };
            println!(
                "{verb}: {} user(s), {} slot(s), {} appointment(s) ({} reminder(s) planned)",
                report.users_created,
                report.slots_created,
                report.appointments_created,
                report.reminders_planned
            );
            println!(
                "already present: {} user(s), {} slot(s), {} appointment(s)",
                report.users_present, report.slots_present, report.appointments_present
            );
            if report.users_created > 0 && !dry_run {
                println!("new accounts have no known password: set one with `carebell set-password --email …`");
            }
            if !report.rejected.is_empty() {
                println!("rejected: {} row(s)", report.rejected.len());
                for r in &report.rejected {
                    println!("  {}: {}", r.at, r.reason);
                }
                std::process::exit(2);
            }
        }
        Command::UserAdd {
            role,
            name,
            email,
            phone,
            time_zone,
            language,
            ..
        } => {
            let password = read_new_password()?;
            let request = NewAccount {
                role,
                name,
                email,
                phone,
                time_zone,
                language,
                password,
            };
            let store = open_store(&settings).await?;
            let user = create_account(&store, request, SystemClock.now()).await?;
            store.close().await;
            println!("created {} {} (id {})", user.role, user.email, user.id);
        }
        Command::Worker { .. } => {
            let store = open_store(&settings).await?;
            let clock: carebell::clock::SharedClock = Arc::new(SystemClock);
            let dispatcher =
                build_dispatcher(&settings, &store, &clock, Default::default()).await?;
            let shutdown = CancellationToken::new();
            cancel_on_signal(shutdown.clone());
            dispatcher.run(shutdown).await;
            store.close().await;
        }
        Command::Reminders { hours, dry_run, .. } => {
            let store = open_store(&settings).await?;
            let now = SystemClock.now();
            let until = now.plus(std::time::Duration::from_secs(u64::from(hours) * 3600));
            let mut c = store.acquire().await?;
            let due = reminders::due_before(&mut c, until, 10_000).await?;
            drop(c);
            println!("{} reminder(s) due before {until}:", due.len());
            for r in &due {
                println!(
                    "  due {}  {}h before {}  appointment {}  {} with {}  [{}]{}",
                    r.due_at,
                    r.offset_s / 3600,
                    r.starts_at,
                    r.appointment_id,
                    r.patient,
                    r.practitioner,
                    r.channels.join(", "),
                    if r.due_at <= now { "  (due now)" } else { "" }
                );
            }
            if !dry_run {
                let clock: carebell::clock::SharedClock = Arc::new(SystemClock);
                let dispatcher =
                    build_dispatcher(&settings, &store, &clock, Default::default()).await?;
                let mut total = carebell::delivery::Tick::default();
                loop {
                    let tick = dispatcher.dispatch_once().await?;
                    if tick.is_idle() {
                        break;
                    }
                    total.add(tick);
                }
                println!(
                    "sent {} message(s), delivered {} in-app, dropped {}, retrying {}, dead {}",
                    total.sent, total.in_app, total.dropped, total.retrying, total.dead
                );
            }
            store.close().await;
        }
        Command::Deliveries {
            state,
            channel,
            appointment_id,
            limit,
            ..
        } => {
            let filter = JobFilter {
                state: state
                    .as_deref()
                    .map(JobState::parse)
                    .transpose()
                    .map_err(|e| anyhow::anyhow!(e.0))?,
                channel: channel
                    .as_deref()
                    .map(Channel::parse)
                    .transpose()
                    .map_err(|e| anyhow::anyhow!(e.0))?,
                appointment_id,
                limit: limit.clamp(1, 10_000),
                ..JobFilter::default()
            };
            let store = open_store(&settings).await?;
            let mut c = store.acquire().await?;
            let jobs = deliveries::list(&mut c, &filter).await?;
            println!(
                "{:>7}  {:<8} {:<6} {:<24} {:>9} {:>8}  {:<20}  last error",
                "id", "state", "chan", "kind", "recipient", "attempts", "due"
            );
            for j in &jobs {
                println!(
                    "{:>7}  {:<8} {:<6} {:<24} {:>9} {:>8}  {:<20}  {}",
                    j.id,
                    j.state.as_str(),
                    j.channel.as_str(),
                    j.kind,
                    j.recipient_id
                        .map(|r| r.to_string())
                        .unwrap_or_else(|| format!("hook {}", j.endpoint_id.unwrap_or_default())),
                    j.attempts,
                    j.due_at.to_string(),
                    j.last_error.as_deref().unwrap_or("")
                );
            }
            println!("{} deliveries", jobs.len());
            drop(c);
            store.close().await;
        }
        Command::Serve { demo, .. } => {
            let mut settings = settings.clone();
            if demo {
                demo::brand(&mut settings.clinic);
            }
            let app = Application::build(settings).await?;
            if demo {
                let report = demo::load(&app.state().lifecycle)
                    .await
                    .context("loading the demo clinic")?;
                print_demo(&report, &format!("http://{}", app.addr()));
            }
            let shutdown = CancellationToken::new();
            cancel_on_signal(shutdown.clone());
            app.run_until_stopped(shutdown).await?;
        }
    }
    Ok(())
}

/// A new password from `CAREBELL_NEW_USER_PASSWORD`, else the first line of standard
/// input (never a command-line argument, which other users could read).
fn read_new_password() -> anyhow::Result<String> {
    match std::env::var("CAREBELL_NEW_USER_PASSWORD") {
        Ok(p) if !p.is_empty() => Ok(p),
        _ => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the password from standard input")?;
            Ok(line.trim_end_matches(['\r', '\n']).to_owned())
        }
    }
}

fn print_demo(report: &demo::DemoReport, base: &str) {
    println!("Demo clinic loaded ({} new slots).", report.slots_added);
    println!("Every demo account has the password: {}", report.password);
    for (role, name, email) in &report.accounts {
        println!("  {:<13} {:<18} {}", role.as_str(), name, email);
    }
    println!("Dashboard: {base}/sign-in");
    println!("Sign in:  curl -c jar -X POST {base}/api/v1/auth/sign-in -H 'content-type: application/json' \\");
    println!(
        "            -d '{{\"email\":\"lucie.martin@patient.example\",\"password\":\"{}\"}}'",
        report.password
    );
    println!("API token: POST {base}/api/v1/auth/tokens with the same body; API document: {base}/api/v1/openapi.json");
}
