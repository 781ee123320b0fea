"""Fixtures shared by the whole suite."""

import pytest
from channels.layers import channel_layers


@pytest.fixture(autouse=True)
def _fresh_channel_layers():
    """Every test starts with empty channel layers (no groups left from an earlier test)."""
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()
