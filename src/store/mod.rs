//! Persistence. One module API over two engines: SQLite (embedded default) and PostgreSQL
//! (several instances). Both speak the same SQL through sqlx's `Any` driver; the few places
//! where the engines differ (taking the write lock, row locks) are methods of [`Backend`].
//! Each engine has its own migrations under `migrations/`.

pub mod appointments;
pub mod audit;
pub mod bounces;
pub mod deliveries;
pub mod follows;
pub mod installation;
pub mod notices;
pub mod notifications;
pub mod outbox;
pub mod password_resets;
pub mod preferences;
pub mod push;
pub mod reminders;
pub mod sessions;
pub mod slots;
pub mod throttle;
mod types;
pub mod users;
pub mod waitlist;
pub mod webhooks;

use crate::config::DatabaseSettings;
use anyhow::Context;
use secrecy::ExposeSecret;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, Executor, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use sqlx::AnyConnection as Conn;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn from_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            anyhow::bail!("database.url must start with sqlite: or postgres://")
        }
    }

    /// A row lock for a `SELECT` inside a write transaction. SQLite needs none: its write
    /// transactions start with `BEGIN IMMEDIATE` and so already run one at a time.
    pub fn for_update(&self) -> &'static str {
        match self {
            Self::Sqlite => "",
            Self::Postgres => " FOR UPDATE",
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Errors at the storage edge, classified so callers can map them to HTTP statuses.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint or index refused the write: its name, as the database gave it
    /// (callers match on the one they risked; see [`StoreError::violates`]).
    #[error("unique constraint {} violated", .0.as_deref().unwrap_or("(unnamed)"))]
    Conflict(Option<String>),
    /// A foreign key refused the write (the referenced row vanished meanwhile).
    #[error("referenced row does not exist")]
    MissingReference,
    /// A stored value could not be parsed back into its domain type.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => {
                    return Self::Conflict(unique_constraint(db.as_ref()))
                }
                sqlx::error::ErrorKind::ForeignKeyViolation => return Self::MissingReference,
                _ => {}
            }
        }
        Self::Database(e)
    }
}

/// The name of the unique constraint or index a database error names: PostgreSQL gives
/// it; SQLite says `UNIQUE constraint failed: index 'name'` for an index, or
/// `UNIQUE constraint failed: table.column` for a column constraint (then `table.column`).
fn unique_constraint(db: &dyn sqlx::error::DatabaseError) -> Option<String> {
    if let Some(name) = db.constraint() {
        return Some(name.to_owned());
    }
    let message = db.message();
    let detail = message.split("UNIQUE constraint failed: ").nth(1)?;
    Some(match detail.strip_prefix("index '") {
        Some(index) => index.trim_end_matches('\'').to_owned(),
        None => detail.to_owned(),
    })
}

impl StoreError {
    /// Whether this is the unique constraint (or index) `name` refusing a write.
    pub fn violates(&self, name: &str) -> bool {
        matches!(self, Self::Conflict(Some(n)) if n == name)
    }
}

impl From<crate::domain::ParseError> for StoreError {
    fn from(e: crate::domain::ParseError) -> Self {
        Self::Corrupt(e.0)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A statement with its parameters being bound.
pub(crate) type Query<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

/// A write transaction and the engine it runs on.
pub struct Tx {
    inner: Transaction<'static, Any>,
    backend: Backend,
    /// [`sessions::changes`] at `BEGIN`: when it moved, the commit counts once more.
    changes: u64,
    // Dropped after `inner`, so the next writer's turn starts once this one has ended.
    _turn: Option<OwnedMutexGuard<()>>,
}

impl Tx {
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn commit(self) -> StoreResult<()> {
        let done = self.inner.commit().await.map_err(StoreError::from);
        // A session lookup that ran after this transaction's write but before its commit
        // saw the old rows; counting again keeps what it cached from being used.
        if sessions::changes() != self.changes {
            sessions::changed();
        }
        done
    }

    /// Makes transactions that take the same `lock` run one after another, until commit.
    /// On PostgreSQL a transaction-level advisory lock; SQLite's transactions already take
    /// the write lock at `BEGIN IMMEDIATE`.
    pub async fn serialize_on(&mut self, lock: i64) -> StoreResult<()> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(lock)
                .execute(&mut *self.inner)
                .await?;
        }
        Ok(())
    }
}

/// The connection pool and its engine.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite's writers, in the order they asked (see [`Store::begin`]).
    writers: Arc<Mutex<()>>,
    sessions: Arc<sessions::Cache>,
}

/// A pooled connection that holds SQLite's write turn: for single statements that write
/// where writers queue (the dispatcher's claim and lease renewals).
pub struct WriteConn {
    conn: sqlx::pool::PoolConnection<Any>,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl std::ops::Deref for WriteConn {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for WriteConn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

impl Store {
    /// Connects (creating the SQLite file if needed) without migrating.
    pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let url = settings.database_url_for_sqlx();
        let backend = Backend::from_url(&url)?;
        let options = AnyConnectOptions::from_str(&url).context("parsing database.url")?;
        let mut pool = AnyPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Postgres {
            // A last line of defence: a session idle inside a transaction (its client gone)
            // is ended by the server, so its locks never stall the dispatcher for long.
            let ms = settings
                .idle_in_transaction_timeout
                .as_millis()
                .max(1)
                .to_string();
            pool = pool.after_connect(move |conn, _| {
                let ms = ms.clone();
                Box::pin(async move {
                    sqlx::query(
                        "SELECT set_config('idle_in_transaction_session_timeout', $1, false)",
                    )
                    .bind(ms)
                    .execute(&mut *conn)
                    .await?;
                    Ok(())
                })
            });
        }
        if backend == Backend::Sqlite {
            pool = pool.after_connect(|conn, _| {
                Box::pin(async move {
                    // busy_timeout lets a writer wait for the single write lock instead of
                    // failing at once; foreign keys are off per connection by default.
                    conn.execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;")
                        .await?;
                    Ok(())
                })
            });
        }
        let pool = pool
            .connect_with(options)
            .await
            .with_context(|| format!("connecting to the {} database", backend.name()))?;
        if backend == Backend::Sqlite {
            // WAL lets readers proceed while one writer commits; it is stored in the file.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await
                .context("enabling SQLite WAL mode")?;
        }
        Ok(Self {
            pool,
            backend,
            writers: Arc::new(Mutex::new(())),
            sessions: Arc::default(),
        })
    }

    /// Applies the engine's pending migrations.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&self.pool)
            .await
            .context("applying database migrations")
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once, so a
    /// transaction that reads before it writes cannot fail on a stale snapshot.
    ///
    /// SQLite has one write lock, and a writer that finds it taken sleeps in steps of up
    /// to 100 ms before it looks again: under load the unlucky wait far longer than the
    /// work ahead of them. So this process's writers first queue for their turn in the
    /// order they came, and each meets the lock free (another process writing to the
    /// same file still meets the busy timeout).
    pub async fn begin(&self) -> StoreResult<Tx> {
        let turn = self.write_turn().await?;
        let changes = sessions::changes();
        let inner = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(Tx {
            inner,
            backend: self.backend,
            changes,
            _turn: turn,
        })
    }

    /// The live session for `token`, with its user ([`sessions::find`]); one found in the
    /// last second is taken from memory unless a session, user or push subscription was
    /// written here since (see [`sessions::Cache`]).
    pub async fn find_session(
        &self,
        token: &str,
        now: crate::domain::Timestamp,
    ) -> StoreResult<Option<sessions::Session>> {
        let key = sessions::hash_token(token);
        if let Some(hit) = self.sessions.get(&key, now) {
            return Ok(Some(hit));
        }
        let seen = sessions::changes();
        let mut c = self.acquire().await?;
        let found = sessions::find(&mut c, &key, now).await?;
        if let Some(session) = &found {
            self.sessions.put(key, session.clone(), seen);
        }
        Ok(found)
    }

    /// A pooled connection for one writing statement, holding the write turn on SQLite.
    pub async fn acquire_to_write(&self) -> StoreResult<WriteConn> {
        let turn = self.write_turn().await?;
        Ok(WriteConn {
            conn: self.pool.acquire().await?,
            _turn: turn,
        })
    }

    /// This process's turn to write to SQLite, waited for as long as the busy timeout;
    /// none on PostgreSQL, whose writers lock rows, not the database.
    async fn write_turn(&self) -> StoreResult<Option<OwnedMutexGuard<()>>> {
        if self.backend != Backend::Sqlite {
            return Ok(None);
        }
        let wait = tokio::time::timeout(Duration::from_secs(10), self.writers.clone().lock_owned());
        match wait.await {
            Ok(turn) => Ok(Some(turn)),
            Err(_) => Err(StoreError::Database(sqlx::Error::PoolTimedOut)),
        }
    }

    /// A pooled connection for reads and single-statement writes.
    pub async fn acquire(&self) -> StoreResult<sqlx::pool::PoolConnection<Any>> {
        Ok(self.pool.acquire().await?)
    }

    /// Whether every migration this binary knows has been applied.
    pub async fn migrations_current(&self) -> StoreResult<bool> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_all(&self.pool)
                .await?;
        Ok(migrator
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .all(|m| applied.contains(&m.version)))
    }

    /// Answers when the database does.
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl DatabaseSettings {
    /// The URL as sqlx wants it: SQLite files are created when missing.
    fn database_url_for_sqlx(&self) -> String {
        let url = self.url.expose_secret();
        if url.starts_with("sqlite:") && !url.contains("mode=") && !url.contains(":memory:") {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}mode=rwc")
        } else {
            url.to_owned()
        }
    }
}

/// Reads a column, naming it when it is missing or has the wrong type.
pub(crate) fn col<'r, T>(row: &'r sqlx::any::AnyRow, name: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    use sqlx::Row;
    row.try_get(name).map_err(StoreError::from)
}

#[cfg(test)]
mod tests {
    /// A migration with comments and layout removed and PostgreSQL's spellings of the same
    /// column types replaced by SQLite's, so the two folders can be compared. What lies
    /// between `-- engine-specific: begin` and `-- engine-specific: end` (a trigger, say,
    /// which the engines write in their own languages) is left out.
    fn normalised(sql: &str) -> String {
        let mut specific = false;
        let without_comments: String = sql
            .lines()
            .filter(|l| {
                match l.trim() {
                    "-- engine-specific: begin" => specific = true,
                    "-- engine-specific: end" => {
                        specific = false;
                        return false;
                    }
                    _ => {}
                }
                !specific
            })
            .map(|l| l.split("--").next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" ");
        without_comments
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace(
                "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                "INTEGER PRIMARY KEY AUTOINCREMENT",
            )
            .replace("BIGINT", "INTEGER")
    }

    fn folder(engine: &str) -> Vec<(String, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(engine);
        let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| {
                let path = e.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, normalised(&std::fs::read_to_string(&path).unwrap()))
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn the_sqlite_and_postgres_migrations_say_the_same_thing() {
        let (sqlite, postgres) = (folder("sqlite"), folder("postgres"));
        let names = |f: &[(String, String)]| f.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&sqlite),
            names(&postgres),
            "the same migrations, by name"
        );
        for ((name, a), (_, b)) in sqlite.iter().zip(&postgres) {
            assert_eq!(
                a, b,
                "{name} differs between the engines beyond the type names"
            );
        }
    }

    #[test]
    fn the_comparison_notices_a_difference() {
        assert_ne!(
            normalised("CREATE TABLE t (a INTEGER NOT NULL);"),
            normalised("CREATE TABLE t (a BIGINT);")
        );
        assert_ne!(
            normalised("CREATE TABLE t (a TEXT);\n-- engine-specific: begin\nX;\n-- engine-specific: end\nCREATE INDEX i ON t (a);"),
            normalised("CREATE TABLE t (a TEXT);\n-- engine-specific: begin\nY;\n-- engine-specific: end\n"),
            "only the marked block is left out"
        );
        assert_eq!(
            normalised("A;\n-- engine-specific: begin\nX;\n-- engine-specific: end\nB;"),
            normalised("A;\n-- engine-specific: begin\nY; Z;\n-- engine-specific: end\nB;"),
        );
        assert_eq!(
            normalised("-- x\nCREATE TABLE t (\n  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY);"),
            normalised("CREATE TABLE t ( id INTEGER PRIMARY KEY AUTOINCREMENT);")
        );
    }
}
