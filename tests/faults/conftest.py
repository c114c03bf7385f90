"""Fault-test fixtures: the e2e fixtures (emulator, migrated database with the demo areas, the
bot polling) and the same bot in webhook mode, imported so they are found here too."""

from tests.e2e.conftest import e2e_database, emulator, harness  # noqa: F401
from tests.e2e.webhook_harness import webhook_harness_fixture  # noqa: F401
