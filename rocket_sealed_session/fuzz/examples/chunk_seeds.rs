//! Writes the genuine seeds of the `chunks` fuzz target into `seeds/chunks/`:
//! sessions sealed with the fixed fuzz key as several cookies, one piece
//! value per line. Each run seals with fresh nonces (the files change, and
//! stay genuine); the target reads the files at build time as its list of
//! the only piece sets that may open.
//!
//! ```sh
//! cd rocket_sealed_session/fuzz && cargo run --example chunk_seeds
//! ```

#[path = "../fuzz_targets/chunks_fixture.rs"]
mod fixture;

use std::path::Path;

fn main() {
    let sealer = fixture::sealer();
    let note = |i: usize| format!(r#""{i:04}-{}""#, "x".repeat(95));
    let notes: Vec<String> = (0..45).map(note).collect();
    let cart: Vec<String> = (0..12).map(|i| format!(r#"{{"sku":"item-{i}","qty":{i}}}"#)).collect();
    // (file, payload, pieces, cut points: None for the fairing's equal cuts)
    let seeds: [(&str, String, usize, Option<&[usize]>); 4] = [
        // As the fairing seals a session past one cookie: two ~3 KB pieces.
        ("genuine_2", format!(r#"{{"notes":[{}]}}"#, notes.join(",")), 2, None),
        ("genuine_3", r#"{"views":1}"#.to_owned(), 3, None),
        // Unequal cut points open too (only the text and the count are sealed).
        ("genuine_3_uneven", r#"{"views":2}"#.to_owned(), 3, Some(&[9, 100])),
        ("genuine_16", format!(r#"{{"cart":[{}]}}"#, cart.join(",")), 16, None),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/chunks");
    std::fs::create_dir_all(&dir).unwrap();
    for (file, data, pieces, points) in seeds {
        let envelope = fixture::envelope(&data);
        let write = |buf: &mut Vec<u8>| {
            buf.extend_from_slice(envelope.as_bytes());
            Ok::<(), ()>(())
        };
        let (value, count) = sealer.seal_chunked(write, |_| Ok(pieces as u8)).unwrap();
        let cut = match points {
            None => fixture::cut(value.as_bytes(), usize::from(count)),
            Some(points) => {
                let mut bounds = vec![0];
                bounds.extend_from_slice(points);
                bounds.push(value.len());
                bounds.windows(2).map(|w| value[w[0]..w[1]].to_owned()).collect()
            }
        };
        let refs: Vec<&str> = cut.iter().map(String::as_str).collect();
        let opened = sealer.open_chunked(&refs).expect("a genuine seed opens");
        assert_eq!(opened.plaintext(), envelope.as_bytes());
        std::fs::write(dir.join(file), cut.join("\n")).unwrap();
        println!("{file}: {} pieces, {} characters", cut.len(), value.len());
    }
}
