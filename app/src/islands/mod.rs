//! The interactive parts of the pages: the only code that ships to the browser.

mod bridge;
mod check_bar;
mod step_navigator;
mod terminal_panel;

pub use step_navigator::StepNavigator;
pub use terminal_panel::TerminalPanel;
