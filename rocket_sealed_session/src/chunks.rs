//! How a sealed session is laid out over cookies: one cookie when it fits
//! (wire format v1), else up to `max_chunks` numbered cookies that carry
//! one chunked seal (see `seal.rs`), within what a browser keeps per cookie
//! and what servers accept in one `Cookie` request header.

use super::cookie::{CookieWriter, COOKIE_BUDGET};
use super::error::Error;
use super::seal::MAX_CHUNKS;

/// The most bytes our cookies may add to one `Cookie` request header when a
/// session is cut into several: nginx reads 8 KiB per header line by
/// default, and the line also holds `Cookie: ` and the app's other cookies.
pub const REQUEST_BUDGET: usize = 7 * 1024;

/// How many cookies a sealed value of `value_len` characters needs, checked
/// against every budget: 1 when its `Set-Cookie` fits in [`COOKIE_BUDGET`];
/// otherwise the fewest pieces whose `Set-Cookie`s each fit, at most
/// `max_chunks`, whose `name.N=value` pairs together fit [`REQUEST_BUDGET`].
///
/// # Errors
///
/// [`Error::TooLarge`] naming the budget the session does not fit.
pub(crate) fn pieces_needed(
    cookie: &CookieWriter,
    value_len: usize,
    max_age: u64,
    max_chunks: usize,
) -> Result<usize, Error> {
    let single = cookie.chunk_overhead(0, max_age) + value_len;
    if single <= COOKIE_BUDGET {
        return Ok(1);
    }
    let max_chunks = max_chunks.min(MAX_CHUNKS);
    if max_chunks <= 1 {
        return Err(Error::TooLarge { needed: single, budget: COOKIE_BUDGET });
    }
    // Every piece gets the room of the longest name, so the count is exact.
    let room = COOKIE_BUDGET.saturating_sub(cookie.chunk_overhead(max_chunks - 1, max_age));
    let pieces = value_len.div_ceil(room.max(1)).max(2);
    if pieces > max_chunks {
        let budget = room * max_chunks;
        return Err(Error::TooLarge { needed: value_len, budget });
    }
    let request_bytes = request_bytes(cookie, value_len, pieces);
    if request_bytes > REQUEST_BUDGET {
        return Err(Error::TooLarge { needed: request_bytes, budget: REQUEST_BUDGET });
    }
    Ok(pieces)
}

/// Bytes the `name.N=value` pairs of `pieces` cookies add to a `Cookie`
/// header, with their `; ` separators.
fn request_bytes(cookie: &CookieWriter, value_len: usize, pieces: usize) -> usize {
    let names: usize = (0..pieces).map(|index| cookie.chunk_name(index).len() + 1).sum();
    names + value_len + 2 * (pieces - 1)
}

/// `value` cut into `pieces` consecutive pieces of near-equal length.
pub(crate) fn cut(value: &str, pieces: usize) -> impl Iterator<Item = &str> {
    let size = value.len().div_ceil(pieces.max(1));
    (0..pieces).map(move |i| &value[(i * size).min(value.len())..((i + 1) * size).min(value.len())])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SessionConfig;
    use rocket::figment::providers::Serialized;
    use rocket::figment::Figment;

    fn writer() -> CookieWriter {
        let figment =
            Figment::from(Serialized::defaults(rocket::Config::debug_default())).select("debug");
        CookieWriter::new(&SessionConfig::from_figment(&figment).unwrap())
    }

    #[test]
    fn one_cookie_while_it_fits_then_the_fewest_pieces() {
        let w = writer();
        let room_one = COOKIE_BUDGET - w.chunk_overhead(0, 60);
        assert_eq!(pieces_needed(&w, room_one, 60, 4), Ok(1));
        assert_eq!(pieces_needed(&w, room_one + 1, 60, 4), Ok(2));
        assert!(matches!(
            pieces_needed(&w, room_one + 1, 60, 1),
            Err(Error::TooLarge { budget: COOKIE_BUDGET, .. })
        ));
    }

    #[test]
    fn the_request_header_budget_caps_a_chunked_session() {
        let w = writer();
        let fits = REQUEST_BUDGET - request_bytes(&w, 0, 2);
        assert_eq!(pieces_needed(&w, fits, 60, 4), Ok(2));
        assert!(matches!(
            pieces_needed(&w, fits + 1, 60, 4),
            Err(Error::TooLarge { budget: REQUEST_BUDGET, .. })
        ));
    }

    #[test]
    fn pieces_are_consecutive_and_whole() {
        let value = "abcdefghij";
        for pieces in 1..=4 {
            let cut: Vec<&str> = cut(value, pieces).collect();
            assert_eq!(cut.len(), pieces);
            assert_eq!(cut.concat(), value);
        }
    }
}
