"""A URL as printed: its password masked, everything else as given."""

from __future__ import annotations

import pytest

from neuram_core.stores.registry import shown_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:hunter2@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        ("rediss://ann:p%40ss@[::1]:6380/2", "rediss://ann:***@[::1]:6380/2"),
        ("redis://:p@ss@host:1", "redis://:***@host:1"),  # an unescaped "@" in the password
        ("http://ada:s3cret@127.0.0.1:8765", "http://ada:***@127.0.0.1:8765"),
        ("redis://ann@host:6379", "redis://ann@host:6379"),  # a user alone is no secret
        ("redis://localhost:6379/0", "redis://localhost:6379/0"),
        ("redis://h:6379/0?password=hunter2&db=1", "redis://h:6379/0?password=***&db=1"),
        ("redis://h:6379/0?socket_timeout=3", "redis://h:6379/0?socket_timeout=3"),
        ("sqlite:////var/lib/memory.db", "sqlite:////var/lib/memory.db"),
        ("redis://:pw@[::1:6379", "redis://..."),  # too broken to split: the scheme alone
    ],
)
def test_a_password_is_masked(url: str, shown: str) -> None:
    assert shown_url(url) == shown
