"""A pytest plugin loaded before Django is set up (``-p tests.environment`` in pyproject):
the suite always runs with ``HAVEN_ENV=test``, whatever the shell says."""

import os

os.environ["HAVEN_ENV"] = "test"
# Playwright's sync API runs an event loop in the test thread; Django's guard against
# database calls from async code would otherwise trip on every fixture that touches the ORM.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
