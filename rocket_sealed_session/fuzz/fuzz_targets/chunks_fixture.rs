//! The fixed key and sessions of the `chunks` fuzz target, shared with the
//! example that writes its seeds (`cargo run --example chunk_seeds`).
#![allow(dead_code)]

use rocket_sealed_session::sealing::{KeyRing, Sealer};
use rocket_sealed_session::Secret;

/// The fuzz key: random-looking (so the fairing accepts it as
/// `session.secret`), and public, like every key in a test.
pub const SECRET: &str = "pvkoM0zg9AN8GE+eq8Xs0G2KFrCV2pacJLKFrNDGFnk=";
/// The cookie name; the pieces are `sid`, `sid.1`, ... `sid.15`.
pub const NAME: &str = "sid";
/// When the seeds' sessions were issued (they live a day from then).
pub const ISSUED: u64 = 1_700_000_000;

/// The sealer of `SECRET` for `NAME`.
pub fn sealer() -> Sealer {
    let secret = Secret::from_base64(SECRET).expect("the fuzz secret is accepted");
    Sealer::new(KeyRing::new(&secret, &[]).unwrap(), NAME)
}

/// A v1 envelope issued at `ISSUED` for a day, with `data` (JSON) as payload.
pub fn envelope(data: &str) -> String {
    let exp = ISSUED + 86_400;
    format!(
        r#"{{"id":"ZnV6ei1jaHVua3Mtc2VlZA","iat":{ISSUED},"exp":{exp},"seen":{ISSUED},"data":{data}}}"#
    )
}

/// The name of piece `index`.
pub fn piece_name(index: usize) -> String {
    match index {
        0 => NAME.to_owned(),
        index => format!("{NAME}.{index}"),
    }
}

/// `value` cut into `pieces` consecutive pieces of near-equal length, as
/// the fairing cuts (`chunks::cut`); by bytes, so it never splits inside a
/// character of a non-ASCII text (each piece is converted lossily).
pub fn cut(value: &[u8], pieces: usize) -> Vec<String> {
    let size = value.len().div_ceil(pieces.max(1));
    (0..pieces)
        .map(|i| {
            let piece = &value[(i * size).min(value.len())..((i + 1) * size).min(value.len())];
            String::from_utf8_lossy(piece).into_owned()
        })
        .collect()
}
