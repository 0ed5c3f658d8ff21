//! Instructor accounts: a name and a password, stored as an argon2 hash. Created on the
//! command line (`slipway instructor add NAME`); an instructor signs in on
//! `/instructor/login` and is then known by a signed cookie.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::store::{Store, StoreError};

/// Passwords shorter than this are refused: a room's wifi is not a safe place.
pub const MIN_PASSWORD_CHARS: usize = 10;

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
        let salt = SaltString::generate(&mut OsRng);
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| InstructorError::Hash(e.to_string()))?
            .to_string();
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
        let Some((id, hash)) = self.store.instructor_by_name(name).await? else {
            // Spend the same effort as for a real account, so timing does not tell
            // which names exist.
            let _ = Argon2::default()
                .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng));
            return Err(InstructorError::WrongLogin);
        };
        let parsed = PasswordHash::new(&hash).map_err(|e| InstructorError::Hash(e.to_string()))?;
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .map_err(|_| InstructorError::WrongLogin)?;
        Ok(Instructor {
            id,
            name: name.to_string(),
        })
    }

    /// The instructor a session cookie names, if the account still exists.
    pub async fn get(&self, id: &str) -> Result<Option<Instructor>, InstructorError> {
        Ok(self.store.instructor(id).await?.map(|name| Instructor {
            id: id.to_string(),
            name,
        }))
    }
}
