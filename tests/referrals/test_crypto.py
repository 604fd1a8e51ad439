"""Sealed packets: RFC 9180 round trips for both suites, and every way a packet must not open."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referrals import crypto

SUITES = sorted(crypto.SUITES)
KEYS = {suite: crypto.keypair_generate(suite) for suite in SUITES}
OTHER_KEYS = {suite: crypto.keypair_generate(suite) for suite in SUITES}
INFO = crypto.packet_info(referral="r-1", recipient="o-1", kid="0123456789abcdef")

items_strategy = st.dictionaries(
    st.sampled_from(["name", "contact", "age", "notes"]), st.text(max_size=1500), min_size=1
)


@pytest.mark.parametrize("suite", SUITES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=items_strategy)
def test_a_packet_opens_to_exactly_what_was_sealed(suite, items):
    plaintext = crypto.canonical_padded(items)
    assert len(plaintext) % crypto.PAD_TO == 0
    sealed = crypto.seal(plaintext, suite=suite, public=KEYS[suite].public, info=INFO)
    enc_length = crypto.SUITES[suite].enc_length
    assert len(sealed) == enc_length + len(plaintext) + 16  # enc || ct, with the GCM tag
    opened = crypto.open_sealed(sealed, suite=suite, private=KEYS[suite].private, info=INFO)
    assert crypto.packet_items(opened) == items
    assert json.loads(opened) == items  # the padding is JSON whitespace


@pytest.mark.parametrize("suite", SUITES)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_packet_changed_in_any_byte_does_not_open(suite, data):
    sealed = bytearray(
        crypto.seal(b"{}" + b" " * 1022, suite=suite, public=KEYS[suite].public, info=INFO)
    )
    position = data.draw(st.integers(0, len(sealed) - 1))
    sealed[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(crypto.PacketRefused):
        crypto.open_sealed(bytes(sealed), suite=suite, private=KEYS[suite].private, info=INFO)


@pytest.mark.parametrize("suite", SUITES)
def test_a_packet_does_not_open_with_another_key_or_another_referrals_info(suite):
    sealed = crypto.seal(b"{}", suite=suite, public=KEYS[suite].public, info=INFO)
    with pytest.raises(crypto.PacketRefused):
        crypto.open_sealed(sealed, suite=suite, private=OTHER_KEYS[suite].private, info=INFO)
    other_info = crypto.packet_info(referral="r-2", recipient="o-1", kid="0123456789abcdef")
    with pytest.raises(crypto.PacketRefused):
        crypto.open_sealed(sealed, suite=suite, private=KEYS[suite].private, info=other_info)
    with pytest.raises(crypto.PacketRefused):
        crypto.open_sealed(sealed[:20], suite=suite, private=KEYS[suite].private, info=INFO)


@settings(max_examples=25, deadline=None)
@given(info_a=st.binary(max_size=64), info_b=st.binary(max_size=64))
def test_info_binds_the_packet(info_a, info_b):
    key = KEYS["x25519"]
    sealed = crypto.seal(b"{}", suite="x25519", public=key.public, info=info_a)
    if info_a == info_b:
        assert crypto.open_sealed(sealed, suite="x25519", private=key.private, info=info_b)
    else:
        with pytest.raises(crypto.PacketRefused):
            crypto.open_sealed(sealed, suite="x25519", private=key.private, info=info_b)


def test_key_id_and_fingerprint_are_the_public_keys_sha256():
    public = KEYS["x25519"].public
    kid, fingerprint = crypto.key_id(public), crypto.fingerprint(public)
    assert len(kid) == 16
    assert fingerprint.replace(" ", "").startswith(kid)
    assert len(fingerprint.split(" ")) == 16
    hybrid = KEYS["mlkem768-x25519"]
    assert len(hybrid.public) == 1184 + 32
    assert len(hybrid.private) == 64 + 32


def test_the_private_key_unwraps_only_for_its_organisation_and_kek(settings):
    key = KEYS["x25519"]
    wrapped = crypto.private_wrap(key.private, organization="org-1", kid="k1")
    assert key.private not in wrapped
    assert crypto.private_unwrap(wrapped, organization="org-1", kid="k1") == key.private
    with pytest.raises(crypto.KeyEncryptionKeyError):
        crypto.private_unwrap(wrapped, organization="org-2", kid="k1")
    settings.HAVEN_KEK = base64.b64encode(bytes(32)).decode()
    with pytest.raises(crypto.KeyEncryptionKeyError, match="not the one"):
        crypto.private_unwrap(wrapped, organization="org-1", kid="k1")


@pytest.mark.parametrize(
    ("value", "message"),
    [("", "no key-encryption key"), ("not base64!", "base64"), ("AAAA", "32 bytes")],
)
def test_a_missing_or_malformed_kek_is_a_clear_refusal(settings, value, message):
    settings.HAVEN_KEK, settings.HAVEN_KEK_FILE = value, ""
    with pytest.raises(crypto.KeyEncryptionKeyError, match=message):
        crypto.private_wrap(b"x" * 32, organization="o", kid="k")


def test_the_kek_can_come_from_a_file(settings, tmp_path):
    path = tmp_path / "kek"
    path.write_text(base64.b64encode(b"k" * 32).decode() + "\n")
    settings.HAVEN_KEK, settings.HAVEN_KEK_FILE = "", str(path)
    assert crypto.kek_load() == b"k" * 32
    settings.HAVEN_KEK_FILE = str(tmp_path / "missing")
    with pytest.raises(crypto.KeyEncryptionKeyError, match="cannot read"):
        crypto.kek_load()
