from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from directory.demo import demo_directory_load


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def demo(db: None) -> None:
    """The demo directory of ``make run`` (Dallas, San Diego, Orlando, Miami)."""
    demo_directory_load()
