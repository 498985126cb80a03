//! Seal and open through our [`Sealer`] next to the floor: the same bytes
//! through raw XAES-256-GCM and raw AES-256-GCM (both in place, fixed nonce,
//! same associated data), for payloads of 64 B, 512 B, 2 KiB and 3.5 KiB.
//!
//! `cargo bench --bench seal`; after criterion's own output a markdown table
//! gives ns/op and the ratio to each floor (see docs/PERFORMANCE.md).
//!
//! What the Sealer adds over raw XAES: a fresh random nonce, the header,
//! the buffer allocation and base64url (seal); base64 decoding, the key-id
//! lookup and the buffer (open). 3.5 KiB seals to more than a browser keeps
//! (4096 bytes for name and value); the fairing refuses that, the Sealer
//! itself does not, so it is measured here as the upper end.
//!
//! `nonce/*` prices the randomness of one seal: 24 bytes from the kernel
//! (`getrandom`, what the Sealer does: fork-safe by construction) next to
//! 24 bytes from rand's user-space thread RNG (ChaCha12, which rand 0.9 no
//! longer reseeds after `fork()`, so a forked worker could repeat nonces).

mod common;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput};
use rocket_sealed_session::sealing::{KeyRing, Sealer};
use rocket_sealed_session::Secret;
use xaes_256_gcm::aead::{AeadInOut, Key, KeyInit, Nonce};
use xaes_256_gcm::aes_gcm::Aes256Gcm;
use xaes_256_gcm::Xaes256Gcm;

/// Payload sizes in bytes.
const SIZES: [usize; 4] = [64, 512, 2048, 3584];

/// The associated data our cookies carry: version, key id, cookie name.
const AAD: &[u8] = b"\x01\x00\x00\x00\x00sid";

fn payload(len: usize) -> Vec<u8> {
    // JSON-ish printable bytes, like a real envelope.
    (0..len).map(|i| b'a' + (i % 26) as u8).collect()
}

fn sealer() -> Sealer {
    let ring = KeyRing::new(&Secret::generate(), &[]).expect("a fresh secret makes a key ring");
    Sealer::new(ring, "sid")
}

fn bench_seal(c: &mut Criterion) {
    let sealer = sealer();
    let xaes = Xaes256Gcm::new(&Key::<Xaes256Gcm>::from([0x42; 32]));
    let aes = Aes256Gcm::new(&Key::<Aes256Gcm>::from([0x42; 32]));
    let xnonce = Nonce::<Xaes256Gcm>::from([7u8; 24]);
    let anonce = Nonce::<Aes256Gcm>::from([7u8; 12]);
    let mut group = c.benchmark_group("seal");
    for size in SIZES {
        let plain = payload(size);
        let mut buf = vec![0u8; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("sealer", size), &plain, |b, plain| {
            b.iter(|| black_box(sealer.seal(black_box(plain))))
        });
        group.bench_with_input(BenchmarkId::new("xaes256gcm", size), &plain, |b, plain| {
            b.iter(|| {
                buf.copy_from_slice(black_box(plain));
                let tag = xaes
                    .encrypt_inout_detached(&xnonce, AAD, buf.as_mut_slice().into())
                    .expect("a small buffer always seals");
                black_box(tag)
            })
        });
        group.bench_with_input(BenchmarkId::new("aes256gcm", size), &plain, |b, plain| {
            b.iter(|| {
                buf.copy_from_slice(black_box(plain));
                let tag = aes
                    .encrypt_inout_detached(&anonce, AAD, buf.as_mut_slice().into())
                    .expect("a small buffer always seals");
                black_box(tag)
            })
        });
    }
    group.finish();
}

fn bench_open(c: &mut Criterion) {
    let sealer = sealer();
    let xaes = Xaes256Gcm::new(&Key::<Xaes256Gcm>::from([0x42; 32]));
    let aes = Aes256Gcm::new(&Key::<Aes256Gcm>::from([0x42; 32]));
    let xnonce = Nonce::<Xaes256Gcm>::from([7u8; 24]);
    let anonce = Nonce::<Aes256Gcm>::from([7u8; 12]);
    let mut group = c.benchmark_group("open");
    for size in SIZES {
        let plain = payload(size);
        let value = sealer.seal(&plain);
        let mut xsealed = plain.clone();
        let xtag = xaes
            .encrypt_inout_detached(&xnonce, AAD, xsealed.as_mut_slice().into())
            .expect("a small buffer always seals");
        let mut asealed = plain.clone();
        let atag = aes
            .encrypt_inout_detached(&anonce, AAD, asealed.as_mut_slice().into())
            .expect("a small buffer always seals");
        let mut buf = vec![0u8; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("sealer", size), &value, |b, value| {
            b.iter(|| {
                let opened = sealer.open(black_box(value)).expect("our own cookie opens");
                black_box(opened.plaintext().len())
            })
        });
        group.bench_with_input(BenchmarkId::new("xaes256gcm", size), &xsealed, |b, sealed| {
            b.iter(|| {
                buf.copy_from_slice(black_box(sealed));
                xaes.decrypt_inout_detached(&xnonce, AAD, buf.as_mut_slice().into(), &xtag)
                    .expect("the genuine ciphertext opens");
                black_box(buf[0])
            })
        });
        group.bench_with_input(BenchmarkId::new("aes256gcm", size), &asealed, |b, sealed| {
            b.iter(|| {
                buf.copy_from_slice(black_box(sealed));
                aes.decrypt_inout_detached(&anonce, AAD, buf.as_mut_slice().into(), &atag)
                    .expect("the genuine ciphertext opens");
                black_box(buf[0])
            })
        });
    }
    group.finish();
}

fn bench_nonce(c: &mut Criterion) {
    use rand::rngs::OsRng;
    use rand::{RngCore, TryRngCore};
    let mut group = c.benchmark_group("nonce");
    let mut nonce = [0u8; 24];
    group.bench_function("os_getrandom", |b| {
        b.iter(|| OsRng.try_fill_bytes(black_box(&mut nonce)).expect("the OS RNG works"))
    });
    let mut thread_rng = rand::rng();
    group.bench_function("thread_rng", |b| b.iter(|| thread_rng.fill_bytes(black_box(&mut nonce))));
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_seal(&mut c);
    bench_open(&mut c);
    bench_nonce(&mut c);
    c.final_summary();
    for op in ["seal", "open"] {
        let mut rows = Vec::new();
        for size in SIZES {
            for floor in ["xaes256gcm", "aes256gcm"] {
                rows.push((format!("{op}/sealer/{size}"), format!("{op}/{floor}/{size}")));
            }
            rows.push((format!("{op}/xaes256gcm/{size}"), format!("{op}/aes256gcm/{size}")));
        }
        common::print_table(&format!("{op}: ns/op and ratio to the floor"), &rows);
    }
    let rows = [("nonce/os_getrandom".to_owned(), "nonce/thread_rng".to_owned())];
    common::print_table("nonce: 24 random bytes, kernel vs user space", &rows);
}
