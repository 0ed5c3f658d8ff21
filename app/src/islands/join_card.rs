//! The join card: the workshop's code and link in letters the back row can read, and a
//! QR code for phones; on paper, only the card prints.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::client;
use crate::model::JoinCard;

#[island]
pub fn JoinCardView(workshop: String) -> impl IntoView {
    let card = RwSignal::new(None::<Result<JoinCard, client::Reason>>);
    let workshop = StoredValue::new(workshop);
    Effect::new(move |_| {
        spawn_local(async move { card.set(Some(client::join_card(&workshop.get_value()).await)) });
    });
    move || {
        match card.get() {
        None => view! { <p class="muted" role="status">"Making the card…"</p> }.into_any(),
        Some(Err(reason)) => view! { <p class="failed" role="alert">{reason}</p> }.into_any(),
        Some(Ok(card)) => view! {
            <article class="join-card" data-ready="true">
                <div class="join-text">
                    <h1>{card.title}</h1>
                    <p class="join-how">"Join at"</p>
                    <p class="join-url">{card.join_url.clone()}</p>
                    <p class="join-how">"with the code"</p>
                    <p class="join-code-big">{card.join_code}</p>
                </div>
                <div class="join-qr" aria-label=format!("QR code for {}", card.join_url) inner_html=card.qr_svg></div>
                {card.warning.map(|warning| view! { <p class="join-warning" role="alert">{warning}</p> })}
                <button type="button" class="button print" onclick="window.print()">"Print"</button>
            </article>
        }
        .into_any(),
    }
    }
}
