//! The workspace's own stylesheet and script, embedded in the binary and
//! served under content-hashed names with a year's cache lifetime: a new
//! build changes the name, so no browser keeps a stale copy.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

struct Asset {
    /// `workspace.<hash>.css`
    name: String,
    content_type: &'static str,
    body: &'static [u8],
}

fn hashed(stem: &str, extension: &str, content_type: &'static str, body: &'static [u8]) -> Asset {
    let digest = Sha256::digest(body);
    let hash = hex::encode(&digest[..6]);
    Asset {
        name: format!("{stem}.{hash}.{extension}"),
        content_type,
        body,
    }
}

static ASSETS: LazyLock<[Asset; 3]> = LazyLock::new(|| {
    [
        hashed(
            "workspace",
            "css",
            "text/css; charset=utf-8",
            include_bytes!("../assets/workspace.css"),
        ),
        hashed(
            "workspace",
            "js",
            "text/javascript; charset=utf-8",
            include_bytes!("../assets/workspace.js"),
        ),
        hashed(
            "print",
            "css",
            "text/css; charset=utf-8",
            include_bytes!("../assets/print.css"),
        ),
    ]
});

pub fn stylesheet() -> String {
    format!("/assets/{}", ASSETS[0].name)
}

pub fn script() -> String {
    format!("/assets/{}", ASSETS[1].name)
}

pub fn print_stylesheet() -> String {
    format!("/assets/{}", ASSETS[2].name)
}

pub async fn serve(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            asset.body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
