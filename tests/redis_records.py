"""Tests reach into stored engram hashes ("d": "<version>|<JSON fields>", "e": embedding)
to corrupt one logical field the way a bad writer or bit rot would."""

from __future__ import annotations

import json
from typing import Any

from neuram_core.stores.redis import record_version

_RAW_MARK = "\u0000raw\u0000"


def rewritten(raw: dict[bytes, bytes], field: str, value: Any) -> dict[bytes, bytes | None]:
    """The hash fields to write so that ``field`` holds ``value`` (None: the field is gone).
    ``value`` may be bytes that are not UTF-8: they go into the JSON as they are."""
    if field == "embedding":
        return {b"e": value}
    version = record_version(raw)
    fields = json.loads(raw[b"d"].partition(b"|")[2])
    raw_bytes = None
    if value is None:
        fields.pop(field, None)
    elif isinstance(value, bytes):
        try:
            fields[field] = value.decode("utf-8")
        except UnicodeDecodeError:
            fields[field], raw_bytes = _RAW_MARK, value
    else:
        fields[field] = value
    payload = json.dumps(fields).encode()
    if raw_bytes is not None:
        payload = payload.replace(json.dumps(_RAW_MARK).encode(), b'"' + raw_bytes + b'"')
    return {b"d": version.encode() + b"|" + payload}


def corrupt_sync(client: Any, key: str, **fields: Any) -> None:
    """Set logical fields of an engram hash through a sync redis client."""
    for field, value in fields.items():
        for name, data in rewritten(client.hgetall(key), field, value).items():
            if data is None:
                client.hdel(key, name)
            else:
                client.hset(key, name, data)


async def corrupt_async(client: Any, key: str, **fields: Any) -> None:
    """The same through an asyncio client."""
    for field, value in fields.items():
        for name, data in rewritten(await client.hgetall(key), field, value).items():
            if data is None:
                await client.hdel(key, name)
            else:
                await client.hset(key, name, data)
