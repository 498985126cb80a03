#!/usr/bin/env python3
"""Recomputes tests/vectors/v1_cookie.txt from the spec alone, with the
`cryptography` package (independent of our Rust code):
HKDF-SHA256 key derivation, C2SP XAES-256-GCM, wire format v1."""
import base64
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def hkdf(secret, info, length):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(secret)


def xaes_256_gcm_seal(key, nonce, plaintext, aad):
    aes = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    l = int.from_bytes(aes.update(bytes(16)), "big")
    k1 = ((l << 1) & ((1 << 128) - 1)) ^ (0x87 if l >> 127 else 0)
    def block(i):
        m = bytes([0, i, 0x58, 0]) + nonce[:12]
        return aes.update((int.from_bytes(m, "big") ^ k1).to_bytes(16, "big"))
    return AESGCM(block(1) + block(2)).encrypt(nonce[12:], plaintext, aad)


# The C2SP vector first, to prove the XAES code above.
assert xaes_256_gcm_seal(bytes([1]) * 32, b"ABCDEFGHIJKLMNOPQRSTUVWX", b"XAES-256-GCM", b"").hex() \
    == "ce546ef63c9cc60765923609b33a9a1974e96e52daf2fcf7075e2271"

secret = bytes(range(32))
key = hkdf(secret, b"sealed-session v1 xaes-256-gcm key", 32)
key_id = hkdf(secret, b"sealed-session v1 key id", 4)
nonce = bytes(range(24))
envelope = (b'{"id":"AAAAAAAAAAAAAAAAAAAAAA","iat":1700000000,"exp":1700086400,'
            b'"seen":1700000000,"data":{"views":1}}')
header = b"\x01" + key_id
sealed = xaes_256_gcm_seal(key, nonce, envelope, header + b"sid")
print(base64.urlsafe_b64encode(header + nonce + sealed).rstrip(b"=").decode())
