//! Instructor accounts: a name and a password, stored as an argon2 hash. Created on the
//! command line (`slipway instructor add NAME`); an instructor signs in on
//! `/instructor/login` and is then known by a session the server keeps: the cookie holds
//! its random token, the store its hash, and signing out or expiry ends it for every
//! copy of the cookie.
//!
//! Argon2 is deliberately slow (tens of milliseconds of one core): it runs on the
//! blocking pool, never on the async executor, so a burst of logins cannot stall the
//! terminals; the HTTP layer also limits how often one address may try.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::store::{Store, StoreError};

/// Passwords shorter than this are refused: a room's wifi is not a safe place.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// How long a sign-in lasts: a long workshop day.
pub const SESSION_HOURS: u32 = 12;

#[derive(Debug, thiserror::Error)]
pub enum InstructorError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("an instructor's name is 1 to 64 letters, digits, dots, dashes or underscores")]
    BadName,
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    #[error("there is already an instructor called {0}")]
    Taken(String),
    #[error("wrong name or password")]
    WrongLogin,
    #[error("could not hash the password: {0}")]
    Hash(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instructor {
    pub id: String,
    pub name: String,
}

pub struct Instructors {
    store: Store,
}

impl Instructors {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// A new instructor account.
    pub async fn add(&self, name: &str, password: &str) -> Result<Instructor, InstructorError> {
        let valid_name = (1..=64).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !valid_name {
            return Err(InstructorError::BadName);
        }
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(InstructorError::WeakPassword);
        }
        let hash = off_executor(password, |password| {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|e| InstructorError::Hash(e.to_string()))
        })
        .await?;
        let id = crate::random_token();
        if !self.store.insert_instructor(&id, name, &hash).await? {
            return Err(InstructorError::Taken(name.to_string()));
        }
        Ok(Instructor {
            id,
            name: name.to_string(),
        })
    }

    /// The instructor with this name and password.
    pub async fn login(&self, name: &str, password: &str) -> Result<Instructor, InstructorError> {
        let found = self.store.instructor_by_name(name).await?;
        let (id, hash) = found.clone().unzip();
        off_executor(password, move |password| match hash {
            Some(hash) => {
                let parsed =
                    PasswordHash::new(&hash).map_err(|e| InstructorError::Hash(e.to_string()))?;
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .map_err(|_| InstructorError::WrongLogin)
            }
            None => {
                // Spend the same effort as for a real account, so timing does not tell
                // which names exist.
                let _ = Argon2::default()
                    .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng));
                Err(InstructorError::WrongLogin)
            }
        })
        .await?;
        Ok(Instructor {
            id: id.ok_or(InstructorError::WrongLogin)?,
            name: name.to_string(),
        })
    }

    /// Starts a sign-in for the instructor; returns the token their cookie carries.
    pub async fn open_session(&self, instructor: &Instructor) -> Result<String, InstructorError> {
        let token = format!("{}{}", crate::random_token(), crate::random_token());
        self.store
            .insert_instructor_session(&token_hash(&token), &instructor.id, SESSION_HOURS)
            .await?;
        Ok(token)
    }

    /// The instructor signed in with this token, while the sign-in lasts.
    pub async fn session(&self, token: &str) -> Result<Option<Instructor>, InstructorError> {
        Ok(self
            .store
            .instructor_of_session(&token_hash(token))
            .await?
            .map(|(id, name)| Instructor { id, name }))
    }

    /// Ends the sign-in: the token opens nothing from now on, wherever it was copied.
    pub async fn close_session(&self, token: &str) -> Result<(), InstructorError> {
        Ok(self
            .store
            .delete_instructor_session(&token_hash(token))
            .await?)
    }
}

fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Runs password hashing on the blocking pool, away from the tasks serving terminals.
async fn off_executor<T: Send + 'static>(
    password: &str,
    work: impl FnOnce(String) -> Result<T, InstructorError> + Send + 'static,
) -> Result<T, InstructorError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || work(password))
        .await
        .map_err(|e| InstructorError::Hash(e.to_string()))?
}
