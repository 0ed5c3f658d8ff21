//! The interactive parts of the pages: the only code that ships to the browser.

mod check_bar;
mod editor;
mod instructor;
mod join_card;
mod replay;
mod room;
mod shared;
mod step_navigator;
mod terminal;
mod terminal_panel;
mod workshop;

pub use instructor::{Dashboard, LoginForm};
pub use join_card::JoinCardView;
pub use room::Room;
pub use shared::LessonSandbox;
pub use step_navigator::StepNavigator;
pub use terminal_panel::TerminalPanel;
pub use workshop::{JoinForm, WorkshopNews};
