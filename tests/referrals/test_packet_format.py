"""docs/PACKET.md is enough to open a packet: RFC 9180 base-mode Open, rebuilt here from
X25519, HMAC-SHA256 and AES-GCM alone (no hpke module), opens what ``crypto.seal`` sealed."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from referrals import crypto

DOC = Path(__file__).resolve().parents[2] / "docs" / "PACKET.md"
INFO_TEMPLATE = "haven/packet/v1|<referral uuid>|<recipient organisation uuid>|<key id>"
XWING_LABEL = bytes.fromhex("5c2e2f2f5e5c")  # X-Wing's combiner label, ASCII "\.//^\"
ITEMS = {"name": "Marisol Quintanilla-Obregón", "contact": "+1 214 555 0199", "notes": "ok"}


def i2osp(value: int, length: int) -> bytes:
    return value.to_bytes(length, "big")


def labeled_extract(suite_id: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt, b"HPKE-v1" + suite_id + label + ikm, hashlib.sha256).digest()


def labeled_expand(suite_id: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    labeled_info = i2osp(length, 2) + b"HPKE-v1" + suite_id + label + info
    output, block, counter = b"", b"", 1
    while len(output) < length:  # HKDF-Expand (RFC 5869)
        block = hmac.new(prk, block + labeled_info + bytes([counter]), hashlib.sha256).digest()
        output, counter = output + block, counter + 1
    return output[:length]


def dhkem_x25519_decap(enc: bytes, private: bytes) -> bytes:
    """RFC 9180 §4.1 Decap for DHKEM(X25519, HKDF-SHA256)."""
    suite_id = b"KEM" + i2osp(0x0020, 2)
    secret_key = x25519.X25519PrivateKey.from_private_bytes(private)
    dh = secret_key.exchange(x25519.X25519PublicKey.from_public_bytes(enc))
    kem_context = enc + secret_key.public_key().public_bytes_raw()
    eae_prk = labeled_extract(suite_id, b"", b"eae_prk", dh)
    return labeled_expand(suite_id, eae_prk, b"shared_secret", kem_context, 32)


def open_base(kem_id: int, shared_secret: bytes, ciphertext: bytes, info: bytes) -> bytes:
    """RFC 9180 §5.1 KeySchedule (mode_base, HKDF-SHA256, AES-256-GCM), then Open at seq 0."""
    suite_id = b"HPKE" + i2osp(kem_id, 2) + i2osp(0x0001, 2) + i2osp(0x0002, 2)
    psk_id_hash = labeled_extract(suite_id, b"", b"psk_id_hash", b"")
    info_hash = labeled_extract(suite_id, b"", b"info_hash", info)
    context = i2osp(0, 1) + psk_id_hash + info_hash
    secret = labeled_extract(suite_id, shared_secret, b"secret", b"")
    key = labeled_expand(suite_id, secret, b"key", context, 32)
    base_nonce = labeled_expand(suite_id, secret, b"base_nonce", context, 12)
    nonce = bytes(a ^ b for a, b in zip(base_nonce, i2osp(0, 12), strict=True))
    return AESGCM(key).decrypt(nonce, ciphertext, b"")


def a_packet(suite: str) -> tuple[crypto.KeyPair, bytes, bytes, bytes]:
    pair = crypto.keypair_generate(suite)
    info = crypto.packet_info(
        referral=str(uuid.uuid4()), recipient=str(uuid.uuid4()), kid=crypto.key_id(pair.public)
    )
    plaintext = crypto.canonical_padded(ITEMS)
    sealed = crypto.seal(plaintext, suite=suite, public=pair.public, info=info)
    return pair, info, plaintext, sealed


def test_an_x25519_packet_opens_with_rfc_9180_built_from_primitives():
    pair, info, plaintext, sealed = a_packet("x25519")
    assert len(plaintext) % 1024 == 0
    assert len(sealed) == 32 + len(plaintext) + 16  # enc || ciphertext with the GCM tag
    enc, ciphertext = sealed[:32], sealed[32:]
    opened = open_base(0x0020, dhkem_x25519_decap(enc, pair.private), ciphertext, info)
    assert opened == plaintext
    assert json.loads(opened.decode("utf-8")) == ITEMS


def test_a_hybrid_packet_opens_as_documented():
    """enc = ML-KEM-768 ciphertext || X25519 ephemeral key; the X-Wing combiner."""
    pair, info, plaintext, sealed = a_packet("mlkem768-x25519")
    enc, ciphertext = sealed[:1120], sealed[1120:]
    ct_m, ct_x = enc[:1088], enc[1088:]
    ss_m = mlkem.MLKEM768PrivateKey.from_seed_bytes(pair.private[:64]).decapsulate(ct_m)
    ss_x = x25519.X25519PrivateKey.from_private_bytes(pair.private[64:]).exchange(
        x25519.X25519PublicKey.from_public_bytes(ct_x)
    )
    pk_x = pair.public[1184:]
    shared_secret = hashlib.sha3_256(ss_m + ss_x + ct_x + pk_x + XWING_LABEL).digest()
    assert open_base(0x647A, shared_secret, ciphertext, info) == plaintext


def test_the_documented_info_string_is_what_packets_are_sealed_with():
    assert INFO_TEMPLATE in DOC.read_text(encoding="utf-8")
    referral, organization = uuid.uuid4(), uuid.uuid4()
    kid = crypto.key_id(crypto.keypair_generate("x25519").public)
    documented = (
        INFO_TEMPLATE.replace("<referral uuid>", str(referral))
        .replace("<recipient organisation uuid>", str(organization))
        .replace("<key id>", kid)
    )
    info = crypto.packet_info(referral=str(referral), recipient=str(organization), kid=kid)
    assert info == documented.encode("utf-8")
    uuid_pattern = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    assert re.fullmatch(
        rf"haven/packet/v1\|{uuid_pattern}\|{uuid_pattern}\|[0-9a-f]{{16}}", info.decode()
    )
