"""Sealed packets and organisation keys — the only module that imports ``cryptography``.

A packet is RFC 9180 HPKE in base mode, single shot: ``enc || ciphertext`` exactly as the
RFC produces them, sealed to the receiving organisation's public key with ``info`` binding it
to one referral, one organisation and one key (docs/PACKET.md). Private keys are kept wrapped
with AES-256-GCM under the deployment's key-encryption key (KEK), which is never stored in the
database and is not ``SECRET_KEY``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hpke import (
    AEAD,
    KDF,
    KEM,
    MLKEM768X25519PrivateKey,
    MLKEM768X25519PublicKey,
    Suite,
)
from django.conf import settings

PACKET_VERSION = "v1"
PAD_TO = 1024
KEK_BYTES = 32
NONCE_BYTES = 12
MLKEM768_SEED_BYTES = 64
MLKEM768_PUBLIC_BYTES = 1184
X25519_BYTES = 32


class KeyEncryptionKeyError(Exception):
    """The key-encryption key is missing, malformed, or not the one keys were wrapped with."""


class PacketRefused(Exception):
    """A packet that does not open: tampered, the wrong key, or another referral's."""


@dataclass(frozen=True)
class SuiteSpec:
    """One HPKE cipher suite, with its RFC 9180 / IANA identifiers."""

    name: str
    kem: Any
    kem_id: int
    kdf_id: int
    aead_id: int

    @property
    def suite(self) -> Suite:
        return Suite(self.kem, KDF.HKDF_SHA256, AEAD.AES_256_GCM)

    @property
    def enc_length(self) -> int:
        return int(self.kem.enc_length())


# KDF 0x0001 = HKDF-SHA256, AEAD 0x0002 = AES-256-GCM (RFC 9180 §7). KEM 0x0020 is
# DHKEM(X25519, HKDF-SHA256); 0x647A is the ML-KEM-768 + X25519 hybrid (X-Wing) of the
# IETF post-quantum HPKE drafts.
SUITES = {
    "x25519": SuiteSpec("x25519", KEM.X25519, 0x0020, 0x0001, 0x0002),
    "mlkem768-x25519": SuiteSpec("mlkem768-x25519", KEM.MLKEM768_X25519, 0x647A, 0x0001, 0x0002),
}


def suite_spec(name: str) -> SuiteSpec:
    try:
        return SUITES[name]
    except KeyError:
        raise ValueError(f"unknown packet suite {name!r}; use one of {sorted(SUITES)}") from None


# --- Keys -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyPair:
    suite: str
    public: bytes  # raw, as it is hashed for the key id
    private: bytes  # raw; only ever kept wrapped


def keypair_generate(suite: str) -> KeyPair:
    """A new key pair. Raw forms: X25519 — 32-byte public and private keys; the hybrid —
    public = ML-KEM-768 encapsulation key (1184 bytes) || X25519 public key (32), private =
    ML-KEM-768 seed (64 bytes) || X25519 private key (32)."""
    suite_spec(suite)
    dh = x25519.X25519PrivateKey.generate()
    if suite == "x25519":
        return KeyPair(suite, dh.public_key().public_bytes_raw(), dh.private_bytes_raw())
    kem = mlkem.MLKEM768PrivateKey.generate()
    return KeyPair(
        suite,
        kem.public_key().public_bytes_raw() + dh.public_key().public_bytes_raw(),
        kem.private_bytes_raw() + dh.private_bytes_raw(),
    )


def _public_key(suite: str, raw: bytes) -> Any:
    if suite == "x25519":
        return x25519.X25519PublicKey.from_public_bytes(raw)
    return MLKEM768X25519PublicKey(
        mlkem.MLKEM768PublicKey.from_public_bytes(raw[:MLKEM768_PUBLIC_BYTES]),
        x25519.X25519PublicKey.from_public_bytes(raw[MLKEM768_PUBLIC_BYTES:]),
    )


def _private_key(suite: str, raw: bytes) -> Any:
    if suite == "x25519":
        return x25519.X25519PrivateKey.from_private_bytes(raw)
    return MLKEM768X25519PrivateKey(
        mlkem.MLKEM768PrivateKey.from_seed_bytes(raw[:MLKEM768_SEED_BYTES]),
        x25519.X25519PrivateKey.from_private_bytes(raw[MLKEM768_SEED_BYTES:]),
    )


def key_id(public: bytes) -> str:
    """The first 16 hex digits of SHA-256 of the raw public key."""
    return hashlib.sha256(public).hexdigest()[:16]


def fingerprint(public: bytes) -> str:
    """The whole SHA-256 of the raw public key, in groups of four, to read aloud."""
    digest = hashlib.sha256(public).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


# --- The key-encryption key -----------------------------------------------------------------


def kek_load() -> bytes:
    """The deployment's key-encryption key: ``HAVEN_KEK`` (32 bytes, base64) or the file
    ``HAVEN_KEK_FILE`` holding it. While developing, a missing file is created."""
    value = settings.HAVEN_KEK
    path = settings.HAVEN_KEK_FILE
    if not value and path:
        file = Path(path)
        if not file.exists() and settings.HAVEN_KEK_CREATE:
            file.parent.mkdir(parents=True, exist_ok=True)
            with suppress(FileExistsError):
                fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as handle:
                    handle.write(base64.b64encode(secrets.token_bytes(KEK_BYTES)).decode() + "\n")
        try:
            value = file.read_text().strip()
        except OSError as error:
            raise KeyEncryptionKeyError(f"cannot read HAVEN_KEK_FILE ({error.strerror})") from None
    if not value:
        raise KeyEncryptionKeyError("no key-encryption key: set HAVEN_KEK or HAVEN_KEK_FILE")
    try:
        kek = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise KeyEncryptionKeyError("the key-encryption key is not valid base64") from None
    if len(kek) != KEK_BYTES:
        raise KeyEncryptionKeyError("the key-encryption key must be 32 bytes (base64)")
    return kek


def _wrap_aad(organization: str, kid: str) -> bytes:
    return f"haven/key/v1|{organization}|{kid}".encode()


def private_wrap(private: bytes, *, organization: str, kid: str) -> bytes:
    """nonce (12 bytes) || AES-256-GCM(private), AAD = organisation code + key id."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(kek_load()).encrypt(nonce, private, _wrap_aad(organization, kid))


def private_unwrap(wrapped: bytes, *, organization: str, kid: str) -> bytes:
    try:
        return AESGCM(kek_load()).decrypt(
            wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_aad(organization, kid)
        )
    except InvalidTag:
        raise KeyEncryptionKeyError(
            "the organisation's key does not unwrap: the key-encryption key is not the one "
            "it was wrapped with"
        ) from None


# --- Packets --------------------------------------------------------------------------------


def packet_info(*, referral: str, recipient: str, kid: str) -> bytes:
    return f"haven/packet/{PACKET_VERSION}|{referral}|{recipient}|{kid}".encode()


def canonical_padded(items: dict[str, Any]) -> bytes:
    """Canonical JSON (sorted keys, no spaces, UTF-8) followed by spaces up to a multiple of
    1 KiB, so a packet's size says little about what is in it. Trailing spaces are JSON
    whitespace: any JSON parser reads the padded text as it is."""
    text = json.dumps(items, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return text + b" " * (-len(text) % PAD_TO)


def seal(plaintext: bytes, *, suite: str, public: bytes, info: bytes) -> bytes:
    """HPKE base mode, single shot: returns ``enc || ciphertext``."""
    spec = suite_spec(suite)
    return bytes(spec.suite.encrypt(plaintext, _public_key(suite, public), info=info))


def open_sealed(sealed: bytes, *, suite: str, private: bytes, info: bytes) -> bytes:
    spec = suite_spec(suite)
    try:
        return bytes(spec.suite.decrypt(sealed, _private_key(suite, private), info=info))
    except (InvalidTag, ValueError) as error:
        raise PacketRefused(type(error).__name__) from None


def packet_items(plaintext: bytes) -> dict[str, Any]:
    items = json.loads(plaintext.decode())
    if not isinstance(items, dict):
        raise PacketRefused("not an object")
    return items
