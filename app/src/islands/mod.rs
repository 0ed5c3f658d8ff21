//! The interactive parts of the pages: the only code that ships to the browser.

mod step_navigator;

pub use step_navigator::StepNavigator;
