//! The panel's text size, for a laptop or a projector: the terminals and the editor
//! follow it, and the browser remembers it for every lesson.

use leptos::prelude::*;

const STORAGE_KEY: &str = "slipway.text-size";

/// The sizes offered, and their pixel sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextSize {
    Normal,
    Large,
    Projector,
}

impl TextSize {
    const ALL: [TextSize; 3] = [TextSize::Normal, TextSize::Large, TextSize::Projector];

    pub fn px(self) -> f64 {
        match self {
            TextSize::Normal => 15.0,
            TextSize::Large => 19.0,
            TextSize::Projector => 24.0,
        }
    }

    fn name(self) -> &'static str {
        match self {
            TextSize::Normal => "normal",
            TextSize::Large => "large",
            TextSize::Projector => "projector",
        }
    }

    fn label(self) -> &'static str {
        match self {
            TextSize::Normal => "Normal text",
            TextSize::Large => "Large text",
            TextSize::Projector => "Projector text",
        }
    }

    /// What this browser chose last; normal at first, and on the server.
    pub fn remembered() -> TextSize {
        let chosen = window()
            .local_storage()
            .ok()
            .flatten()
            .and_then(|storage| storage.get_item(STORAGE_KEY).ok().flatten());
        TextSize::ALL
            .into_iter()
            .find(|size| Some(size.name()) == chosen.as_deref())
            .unwrap_or(TextSize::Normal)
    }

    fn remember(self) {
        // Private browsing may refuse: the size then lasts as long as the page.
        if let Ok(Some(storage)) = window().local_storage() {
            let _ = storage.set_item(STORAGE_KEY, self.name());
        }
    }
}

#[component]
pub fn TextSizeChoice(size: RwSignal<TextSize>) -> impl IntoView {
    let options = TextSize::ALL.map(|choice| {
        view! {
            <option value=choice.name() selected=move || size.get() == choice>{choice.label()}</option>
        }
    });
    view! {
        <select class="text-size" aria-label="Text size" on:change=move |event| {
            let chosen = event_target_value(&event);
            if let Some(choice) = TextSize::ALL.into_iter().find(|c| c.name() == chosen) {
                choice.remember();
                size.set(choice);
            }
        }>
            {options.collect_view()}
        </select>
    }
}
