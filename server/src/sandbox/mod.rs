//! Learners' sandboxes: sets of Docker-in-Docker nodes. For now, the templates lessons
//! declare; provisioning comes with the sandbox engine.

mod template;

pub use template::{Template, TemplateError};
