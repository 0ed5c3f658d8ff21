//! `kill -9` of the server at each stage of a sandbox's start: after a restart on the
//! same database, nothing is left on the engine and nothing stale in the store.

use std::time::Duration;

use serde_json::json;

use slipway::config::Config;

use crate::support::{fixture_lessons, sandboxes_of, EventStream, Learner, ReleaseServer};

#[tokio::test]
async fn a_server_killed_at_each_provisioning_stage_leaves_no_orphans() {
    let mut server = ReleaseServer::start(&fixture_lessons(), 0).await;
    let engine = sandboxes_of(&server.instance, &Config::defaults().node_image).await;
    for stage in ["creating_nodes", "starting_engines", "forming_swarm"] {
        let learner = Learner::default();
        let mut events = EventStream::open(&learner.http, &server.url("/api/me/events")).await;
        let start = {
            let (client, url) = (learner.http.clone(), server.url("/api/sandboxes"));
            let body = json!({ "template": { "kind": "swarm", "managers": 1, "workers": 2 } });
            tokio::spawn(async move { client.post(url).json(&body).send().await })
        };
        events
            .wait_for(stage, "stage", Duration::from_secs(120), |s| {
                s.as_str() == Some(stage)
            })
            .await;
        server.crash_and_restart().await;
        start.abort();
        let left = engine.all_ids().await.expect("the engine answers");
        let store = slipway::store::Store::open(&server.database).await.unwrap();
        let records = store.sandbox_ids().await.unwrap();
        println!(
            "figure: kill -9 during {stage}: {} orphan sandbox(es) on the engine, {} record(s) left after restart",
            left.len(),
            records.len()
        );
        assert!(left.is_empty(), "{left:?}");
        assert!(records.is_empty(), "{records:?}");
    }
    server.stop().await;
}
