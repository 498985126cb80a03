//! Accounts: a name and a password, and "log out everywhere".
//!
//! - The accounts live in a database reached through Rocket's own pools
//!   (`rocket_db_pools`, sqlx): `databases.accounts.url` in Rocket.toml. By
//!   default a SQLite file under `target/`, which appears with its table at
//!   the first launch ([`stage`]). The replicas of a fleet share one
//!   database: on one machine, one SQLite file (in WAL mode, so that they
//!   read while one writes); across machines, a database server (Postgres,
//!   with rocket_db_pools' `sqlx_postgres` feature).
//! - Passwords are kept as Argon2id PHC strings (a random salt from the OS
//!   in each), never in clear. Signing in with a name that has no account
//!   costs the same hash as a wrong password (against a dummy hash), and
//!   gets the same message. Hashing (19 MiB and some 20 ms each) runs on
//!   [`HASHING_THREADS`] threads of their own, off Rocket's async workers,
//!   each with its 19 MiB allocated once and reused: memory stays bounded
//!   (a fresh 19 MiB per hash, freed on whichever thread, left glibc
//!   holding hundreds of MiB after a few dozen sign-ins), and sign-in
//!   storms queue.
//! - Each account has an `epoch`, a counter. A session stores the epoch of
//!   its sign-in ([`super::data::SignedIn`]); "log out everywhere" bumps it,
//!   and [`EpochCheck`], the sessions fairing's revalidation check
//!   ([`super::settings::sessions`]), refuses every session that carries an
//!   older one: on every replica, at the next check of that session, at most
//!   the configured interval later (`demo.revalidate_every`).

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{
    Output, ParamsString, PasswordHash, PasswordVerifier, Salt, SaltString,
};
use argon2::{Argon2, Block, Params, ARGON2ID_IDENT};
use rocket::fairing::{self, AdHoc};
use rocket::figment::Figment;
use rocket::{Build, Request, Rocket};
use rocket_db_pools::sqlx::{self, Row, SqliteConnection, SqlitePool};
use rocket_db_pools::Database;
use rocket_sealed_session::{Meta, Revalidate};

use super::data::DemoSession;

/// The accounts database: the pool of `databases.accounts`.
#[derive(Database)]
#[database("accounts")]
pub struct Accounts(SqlitePool);

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// The longest password accepted, in characters (a bound on the work one
/// request may ask of the hash).
pub const MAX_PASSWORD_CHARS: usize = 200;

/// A few of the most common passwords of 10 characters or more, compared
/// without case: refused at sign-up.
const COMMON_PASSWORDS: &[&str] = &[
    "0123456789",
    "1234567890",
    "12345678910",
    "1234567891",
    "123456789a",
    "1234qwerty",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "abc1234567",
    "abcdefghij",
    "iloveyou12",
    "letmein123",
    "passw0rd12",
    "password12",
    "password123",
    "password1234",
    "qwerty1234",
    "qwerty12345",
    "qwertyuiop",
    "welcome123",
];

/// The table, created at the first launch. `name` is unique without
/// regard to ASCII case ("Ada" and "ada" are one account).
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    epoch INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
)";

/// An account as the session and the pages need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The row id.
    pub id: i64,
    /// The name, as given at sign-up.
    pub name: String,
    /// The "log out everywhere" counter.
    pub epoch: i64,
}

/// Why an account could not be created.
#[derive(Debug)]
pub enum CreateError {
    /// The name belongs to another account.
    Taken,
    /// The database failed.
    Database(sqlx::Error),
}

/// The accounts database, attached at ignite: the SQLite file's directory
/// is created, the pool opened (`Accounts::init`, which creates the file),
/// the table created if it is not there, and the dummy hash computed (so
/// that the first unknown name costs no more than the next).
pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Accounts database", |rocket| async {
        create_directory(rocket.figment());
        rocket.attach(Accounts::init()).attach(AdHoc::try_on_ignite("Accounts table", prepare))
    })
}

/// Creates the directory of a SQLite file named by `databases.accounts.url`
/// (`target/` on a fresh clone). Other URLs are left alone; a failure shows
/// when the pool cannot open the file.
fn create_directory(figment: &Figment) {
    let Ok(url) = figment.extract_inner::<String>("databases.accounts.url") else { return };
    let Some(path) = sqlite_path(&url) else { return };
    if let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(err) = std::fs::create_dir_all(dir) {
            log::error!("cannot create {} for the accounts database: {err}", dir.display());
        }
    }
}

/// The file path of a `sqlite:` URL, if it names a file.
fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.starts_with(':')).then_some(path)
}

/// Prepares the database: WAL mode (several processes on one file) and the
/// table; then the dummy hash.
async fn prepare(rocket: Rocket<Build>) -> fairing::Result {
    let Some(db) = Accounts::fetch(&rocket) else { return Err(rocket) };
    let pool: &SqlitePool = db;
    let prepared = async {
        sqlx::query("PRAGMA journal_mode = WAL").execute(pool).await?;
        sqlx::query(SCHEMA).execute(pool).await
    };
    if let Err(err) = prepared.await {
        log::error!("the accounts database could not be prepared: {err}");
        return Err(rocket);
    }
    let _ = on_a_hashing_thread(|memory| dummy_hash(memory).len()).await;
    Ok(rocket)
}

/// Why `password` may not be used by `name`, if it may not: too short, too
/// long, too common, the name itself, or one character repeated.
pub fn password_problem(name: &str, password: &str) -> Option<&'static str> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Some(
            "That password is too short: use at least 10 characters (a few words make a good one).",
        );
    }
    if chars > MAX_PASSWORD_CHARS {
        return Some("That password is too long (200 characters at most).");
    }
    let lower = password.to_lowercase();
    let mut first = lower.chars();
    let repeated = first.next().is_some_and(|c| first.all(|d| d == c));
    let common = COMMON_PASSWORDS.contains(&lower.as_str());
    if common || repeated || lower == name.to_lowercase() {
        return Some(
            "That password is too easy to guess (one of the most common ones). Please choose another.",
        );
    }
    None
}

/// The hasher: Argon2id, version 19, with the crate's default cost (19 MiB,
/// 2 passes, 1 lane: OWASP's recommended minimum).
fn argon2() -> Argon2<'static> {
    Argon2::default()
}

/// How many threads hash passwords: at most this many hashes at once, and
/// their memory (19 MiB each) reused from one hash to the next.
pub const HASHING_THREADS: usize = 2;

/// A job for the hashing threads, given the thread's Argon2 memory.
type HashingJob = Box<dyn FnOnce(&mut [Block]) + Send>;

/// The queue of the hashing threads, started at the first use.
fn hashing_queue() -> &'static Sender<HashingJob> {
    static QUEUE: OnceLock<Sender<HashingJob>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (queue, jobs) = mpsc::channel::<HashingJob>();
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..HASHING_THREADS {
            let jobs = Arc::clone(&jobs);
            let thread = std::thread::Builder::new().name(format!("password-hash-{n}"));
            let started = thread.spawn(move || {
                // Allocated (and touched) at the first job, then reused.
                let mut memory: Vec<Block> = Vec::new();
                loop {
                    let job = match jobs.lock() {
                        Ok(jobs) => jobs.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else { return };
                    if memory.is_empty() {
                        memory = vec![Block::default(); Params::DEFAULT.block_count()];
                    }
                    // A panic ends the job (its caller sees no answer), not the thread.
                    let memory = &mut memory;
                    drop(std::panic::catch_unwind(AssertUnwindSafe(move || job(memory))));
                }
            });
            if let Err(err) = started {
                log::error!("cannot start a password hashing thread: {err}");
            }
        }
        queue
    })
}

/// Runs `work` on a hashing thread, with its memory; `None` if it could
/// not run.
async fn on_a_hashing_thread<T: Send + 'static>(
    work: impl FnOnce(&mut [Block]) -> T + Send + 'static,
) -> Option<T> {
    let (answer, answered) = rocket::tokio::sync::oneshot::channel();
    let job: HashingJob = Box::new(move |memory| drop(answer.send(work(memory))));
    hashing_queue().send(job).ok()?;
    answered.await.ok()
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) for
/// `password`, with a fresh random salt, made on a hashing thread.
///
/// # Errors
///
/// Only if the hasher or the hashing threads fail.
pub async fn hash_password(password: String) -> Result<String, String> {
    let hashed = on_a_hashing_thread(move |memory| {
        let salt = SaltString::generate(&mut OsRng);
        let hash =
            argon2id(memory, password.as_bytes(), salt.as_salt(), Params::DEFAULT_OUTPUT_LEN);
        hash.map(|hash| hash.to_string())
    });
    match hashed.await {
        Some(Ok(phc)) => Ok(phc),
        Some(Err(err)) => Err(err.to_string()),
        None => Err("the password hashing threads are gone".to_owned()),
    }
}

/// Whether `password` matches `stored`. Without a stored hash (no such
/// account) it is checked against a dummy hash of the same cost and the
/// answer is `false`: the time taken does not tell whether the name exists.
pub async fn verify_password(password: String, stored: Option<String>) -> bool {
    let verified = on_a_hashing_thread(move |memory| {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| dummy_hash(memory).to_owned());
        let matches = match PasswordHash::new(&phc) {
            Ok(hash) => verify(memory, password.as_bytes(), &hash),
            Err(err) => {
                log::error!("an unreadable password hash in the accounts database: {err}");
                false
            }
        };
        known && matches
    });
    verified.await.unwrap_or(false)
}

/// Argon2id of `password` with `salt` and the default cost, in `memory`
/// (a hashing thread's): the PHC hash, as the crate's `PasswordHasher`
/// makes it, without allocating 19 MiB.
fn argon2id<'a>(
    memory: &mut [Block],
    password: &[u8],
    salt: Salt<'a>,
    output_len: usize,
) -> argon2::password_hash::Result<PasswordHash<'a>> {
    let hasher = argon2();
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    let output = Output::init_with(output_len, |out| {
        Ok(hasher.hash_password_into_with_memory(password, salt_bytes, out, &mut *memory)?)
    })?;
    Ok(PasswordHash {
        algorithm: ARGON2ID_IDENT,
        version: Some(argon2::Version::V0x13.into()),
        params: ParamsString::try_from(hasher.params())?,
        salt: Some(salt),
        hash: Some(output),
    })
}

/// Whether `password` matches `stored`, compared in constant time. Hashes
/// of this app's kind (Argon2id, v19, the default cost) are computed in
/// `memory`; any other (a cost changed since) by the crate.
fn verify(memory: &mut [Block], password: &[u8], stored: &PasswordHash<'_>) -> bool {
    let (Some(salt), Some(expected)) = (stored.salt, stored.hash) else { return false };
    let ours = Params::try_from(stored).is_ok_and(|params| {
        let default = Params::DEFAULT;
        (params.m_cost(), params.t_cost(), params.p_cost())
            == (default.m_cost(), default.t_cost(), default.p_cost())
    });
    if stored.algorithm != ARGON2ID_IDENT || stored.version != Some(0x13) || !ours {
        return argon2().verify_password(password, stored).is_ok();
    }
    match argon2id(memory, password, salt, expected.len()) {
        // `Output`'s equality is constant-time.
        Ok(computed) => computed.hash == Some(expected),
        Err(_) => false,
    }
}

/// A hash of a random password, made once per process.
fn dummy_hash(memory: &mut [Block]) -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        let password = SaltString::generate(&mut OsRng);
        let hash = argon2id(memory, password.as_str().as_bytes(), salt.as_salt(), 32);
        // Never an error with the default cost; a hash that cannot be
        // parsed would also answer `false`, only faster.
        hash.map(|hash| hash.to_string()).unwrap_or_default()
    })
}

/// Seconds since the Unix epoch.
fn now() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)).unwrap_or_default()
}

/// Whether an account has the name `name` (without regard to ASCII case).
///
/// # Errors
///
/// The database's.
pub async fn name_taken(db: &mut SqliteConnection, name: &str) -> Result<bool, sqlx::Error> {
    let row =
        sqlx::query("SELECT 1 FROM users WHERE name = ?").bind(name).fetch_optional(db).await?;
    Ok(row.is_some())
}

/// Creates an account with epoch 0.
///
/// # Errors
///
/// [`CreateError::Taken`] when the name belongs to another account (also
/// when another request took it a moment ago); the database's otherwise.
pub async fn create(
    db: &mut SqliteConnection,
    name: &str,
    password_hash: &str,
) -> Result<Account, CreateError> {
    let inserted = sqlx::query(
        "INSERT INTO users (name, password_hash, epoch, created_at) VALUES (?, ?, 0, ?)",
    )
    .bind(name)
    .bind(password_hash)
    .bind(now())
    .execute(db)
    .await;
    match inserted {
        Ok(done) => Ok(Account { id: done.last_insert_rowid(), name: name.to_owned(), epoch: 0 }),
        Err(sqlx::Error::Database(err)) if err.is_unique_violation() => Err(CreateError::Taken),
        Err(err) => Err(CreateError::Database(err)),
    }
}

/// The account named `name` (without regard to ASCII case) and its
/// password hash, if there is one.
///
/// # Errors
///
/// The database's.
pub async fn find(
    db: &mut SqliteConnection,
    name: &str,
) -> Result<Option<(Account, String)>, sqlx::Error> {
    let row = sqlx::query("SELECT id, name, epoch, password_hash FROM users WHERE name = ?")
        .bind(name)
        .fetch_optional(db)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let account = Account { id: row.try_get(0)?, name: row.try_get(1)?, epoch: row.try_get(2)? };
    Ok(Some((account, row.try_get(3)?)))
}

/// "Log out everywhere": bumps the account's epoch, so that every session
/// signed in before fails its next check. `false` if there is no such
/// account (any more).
///
/// # Errors
///
/// The database's.
pub async fn bump_epoch(db: &mut SqliteConnection, id: i64) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE users SET epoch = epoch + 1 WHERE id = ?").bind(id).execute(db).await?;
    Ok(done.rows_affected() == 1)
}

/// The account's epoch now, or `None` if there is no such account.
///
/// # Errors
///
/// The database's.
pub async fn current_epoch(pool: &SqlitePool, id: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT epoch FROM users WHERE id = ?").bind(id).fetch_optional(pool).await
}

/// The sessions' revalidation check: a signed-in session stands while its
/// account exists and still has the epoch of the sign-in. A session without
/// a user stands; one with a user but no account (signed in by name alone,
/// before accounts) does not. It runs through the pool managed by
/// [`Accounts`] (a request guard's `Connection` cannot be had here).
pub struct EpochCheck;

#[rocket::async_trait]
impl Revalidate for EpochCheck {
    type Payload = DemoSession;

    async fn revalidate(
        &self,
        req: &Request<'_>,
        _meta: &Meta,
        data: &DemoSession,
    ) -> Result<bool, String> {
        let Some(signed_in) = &data.account else { return Ok(data.user.is_none()) };
        let Some(db) = Accounts::fetch(req.rocket()) else {
            return Err("the accounts database is not attached".to_owned());
        };
        let epoch = current_epoch(db, signed_in.id).await.map_err(|err| err.to_string())?;
        Ok(epoch == Some(signed_in.epoch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordHasher;

    #[test]
    fn hashes_made_in_the_threads_memory_are_the_crates_and_the_other_way_round() {
        let mut memory = vec![Block::default(); Params::DEFAULT.block_count()];
        let salt = SaltString::generate(&mut OsRng);
        let ours = argon2id(&mut memory, b"correct horse battery", salt.as_salt(), 32);
        let ours = ours.map(|hash| hash.to_string()).unwrap_or_default();
        assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{ours}");
        let parsed = PasswordHash::new(&ours).ok();
        let crate_says =
            parsed.as_ref().map(|h| argon2().verify_password(b"correct horse battery", h));
        assert_eq!(crate_says, Some(Ok(())));

        let theirs = argon2().hash_password(b"correct horse battery", &salt).ok();
        assert_eq!(theirs.as_ref().map(ToString::to_string), Some(ours), "the same salt");
        let other_cost = Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            Params::new(1024, 1, 1, None).unwrap_or_default(),
        );
        let cheap = other_cost.hash_password(b"correct horse battery", &salt).ok();
        for hash in [theirs, cheap].into_iter().flatten() {
            assert!(verify(&mut memory, b"correct horse battery", &hash), "{hash}");
            assert!(!verify(&mut memory, b"correct horse battery!", &hash), "{hash}");
        }
    }

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        assert!(password_problem("ada", "short").unwrap_or_default().contains("too short"));
        assert!(password_problem("ada", "123456789").unwrap_or_default().contains("too short"));
        assert!(password_problem("ada", &"x".repeat(201)).unwrap_or_default().contains("too long"));
        for common in ["Password123", "QWERTYUIOP", "aaaaaaaaaaaa", "Ada Lovelace"] {
            let why = password_problem("ada lovelace", common).unwrap_or_default();
            assert!(why.contains("too easy"), "{common}: {why:?}");
        }
        assert_eq!(password_problem("ada", "correct horse battery"), None);
        assert_eq!(password_problem("ada", &"é".repeat(10).replacen('é', "e", 1)), None);
    }

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(sqlite_path("sqlite://target/a.sqlite?mode=rwc"), Some("target/a.sqlite"));
        assert_eq!(sqlite_path("sqlite:///tmp/a.db"), Some("/tmp/a.db"));
        assert_eq!(sqlite_path("sqlite:a.db"), Some("a.db"));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://db/accounts"), None);
    }
}
