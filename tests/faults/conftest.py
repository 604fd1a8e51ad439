"""Faults reuse the referral cast (shelters with keys and intake addresses)."""

from tests.referrals.conftest import keyed

__all__ = ["keyed"]
