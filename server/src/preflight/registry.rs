//! What the room's registry holds.

use std::net::SocketAddr;
use std::time::Duration;

/// Whether the registry at `address` serves `image` (by the registry API's manifest
/// lookup, the way a node's pull asks for it).
pub async fn registry_has(address: SocketAddr, image: &str) -> Result<bool, String> {
    let (repository, tag) = crate::sandbox::served_as(image);
    let url = format!("http://{address}/v2/{repository}/manifests/{tag}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let response = client
        .head(&url)
        .header(
            reqwest::header::ACCEPT,
            "application/vnd.docker.distribution.manifest.list.v2+json, \
             application/vnd.oci.image.index.v1+json, \
             application/vnd.docker.distribution.manifest.v2+json, \
             application/vnd.oci.image.manifest.v1+json",
        )
        .send()
        .await
        .map_err(|e| e.to_string())?;
    match response.status().as_u16() {
        200 => Ok(true),
        404 => Ok(false),
        other => Err(format!("it answered {other} for {url}")),
    }
}
