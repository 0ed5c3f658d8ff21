//! How the room's typing feels, as the server timed it over the last minute, and whether
//! a slow echo is Slipway's or the host's: the instructor hears "the terminal is laggy"
//! and can tell at a glance what to do about it. Asked again every [`EVERY`].

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::client;
use crate::model::EchoTimes;

const EVERY: Duration = Duration::from_secs(10);

#[component]
pub fn EchoLine() -> impl IntoView {
    let times = RwSignal::new(None::<Result<EchoTimes, String>>);
    let ask = move || spawn_local(async move { times.set(Some(client::echo_times().await)) });
    Effect::new(move |_| {
        ask();
        let _ = set_interval_with_handle(ask, EVERY);
    });
    let keystrokes = move || {
        times.with(|t| match t {
            Some(Ok(t)) => t.keystrokes.to_string(),
            _ => String::new(),
        })
    };
    view! {
        <p class="room-echo muted" data-keystrokes=keystrokes>
            {move || times.get().map(|t| match t {
                Ok(t) => t.in_words(),
                Err(reason) => format!("Terminal echo: not known ({reason})."),
            })}
        </p>
    }
}
