"""docs/server.md's start command, curl calls and MCP client configuration, run as written
(its Python block runs in tests/docs), and the README's Server section holding exactly
those snippets.

The one change to what the page says: the port. The page serves on 8765; the test serves
on a free port and puts it in place of 8765 in the curl lines.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.server.harness import NEURAM, ROOT, ServerProcess, require_server_extra

PAGE = ROOT / "docs" / "server.md"
README = ROOT / "README.md"
_BLOCK = re.compile(r"<!--\s*docs-test:\s*([\w-]+)\s*-->\s*\n```(\w+)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def marked(path: Path) -> list[tuple[str, str, str]]:
    """(mark, language, code) of every marked block of the page, in order."""
    return [(m.group(1), m.group(2), m.group(3)) for m in _BLOCK.finditer(path.read_text(encoding="utf-8"))]


def one(path: Path, mark: str) -> str:
    [code] = [code for kind, _, code in marked(path) if kind == mark]
    return code


def test_the_readme_section_is_the_pages_snippets() -> None:
    section = marked(README)
    assert [kind for kind, _, _ in section] == ["serve", "shell", "server", "mcp-config"]
    page = marked(PAGE)
    for block in section:  # what the README shows is what these tests run
        assert block in page, f"the README's {block[0]} block differs from docs/server.md's"


@pytest.mark.slow  # the real model, as a user starts it
def test_the_start_command_and_the_curl_calls(tmp_path: Path) -> None:
    require_server_extra()
    command = shlex.split(one(PAGE, "serve"))
    assert command == ["neuram", "serve"]
    server = ServerProcess(None, embedder=None, env={"NEURAM_PATH": str(tmp_path / "memory.db")})
    server.args = [NEURAM, *command[1:], "--port", str(server.port)]
    with server:
        script = one(PAGE, "shell")
        assert "127.0.0.1:8765" in script
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", script.replace(":8765", f":{server.port}")],
                                capture_output=True, text=True, timeout=60, check=True)
        stored, recalled = [json.loads(x) for x in result.stdout.replace("}{", "}\n{").splitlines()]
        assert stored["content"] == "Ada prefers the window seat on long flights"
        assert stored["metadata"] == {"topic": "travel"}
        assert recalled["results"][0]["memory"]["engram_id"] == stored["engram_id"]
    assert f"serving the embedded SQLite store's default file {tmp_path / 'memory.db'} on http://127.0.0.1:" in (
        server.stderr
    )
    assert "serving localhost only" in server.stderr
    assert (tmp_path / "memory.db").exists()  # $NEURAM_PATH, the default file


@pytest.mark.slow
async def test_the_mcp_client_configuration(tmp_path: Path) -> None:
    require_server_extra()
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    config: dict[str, Any] = json.loads(one(PAGE, "mcp-config"))
    entry = config["mcpServers"]["neuram"]
    assert entry["command"] == "neuram"
    params = StdioServerParameters(  # the command as a client starts it (the venv's neuram)
        command=NEURAM, args=entry["args"],
        env={**os.environ, "NEURAM_PATH": str(tmp_path / "memory.db"), "HF_HUB_OFFLINE": "1"},
    )
    # The server's stderr to a file: pytest's captured stderr has no file descriptor to hand on.
    with (tmp_path / "mcp-stderr.log").open("w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            added = await session.call_tool("add_memory", {"content": "The team's stand-up is at 9:30 every weekday"})
            assert not added.isError and added.structuredContent["stored"] is True
            found = await session.call_tool("search_memory", {"query": "When is the stand-up meeting?"})
            results = found.structuredContent["results"]
            assert results[0]["content"] == "The team's stand-up is at 9:30 every weekday"


def test_the_image_and_compose_run_the_tested_command_lines(tmp_path: Path) -> None:
    """The Dockerfile's and compose.yaml's command lines, run here as the image runs them
    (Docker is not available to the tests): the server on Redis started with the compose
    file's flags, behind a keys file, then SIGTERM."""
    require_server_extra()
    yaml = pytest.importorskip("yaml")  # PyYAML, which langchain-core brings

    from neuram_server.keys import hash_key
    from tests.servers import RedisServer

    dockerfile = (ROOT / "Dockerfile").read_text()
    entrypoint = json.loads(re.search(r"^ENTRYPOINT (\[.*\])$", dockerfile, re.MULTILINE).group(1))  # type: ignore[union-attr]
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE).group(1))  # type: ignore[union-attr]
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    redis_flags = compose["services"]["redis"]["command"]
    server_args = compose["services"]["neuram"]["command"]
    assert entrypoint == ["neuram"] and server_args[2:] == cmd
    assert redis_flags[:5] == ["redis-server", "--appendonly", "yes", "--appendfsync", "always"]

    redis = RedisServer(directory=tmp_path, appendonly=True, appendfsync="always").start()
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": [{"name": "app", "sha256": hash_key("k-app"), "write": ["*"]}]}))
    try:
        args = [a.replace("redis://redis:6379", redis.url).replace("/run/secrets/neuram_keys", str(keys))
                for a in server_args]
        host = args.index("--host") + 1
        assert args[host] == "0.0.0.0"
        args[host] = "127.0.0.1"  # the tests talk to loopback only
        server = ServerProcess(None, embedder="hashing")
        server.args = [NEURAM, "--embedder", "hashing", *[a if a != "8765" else str(server.port) for a in args]]
        with server, server.client("k-app") as http:
            made = http.post("/v1/namespaces/app/memories", json={"content": "deployed", "gate": False})
            assert made.status_code == 201
            assert http.get("/v1/namespaces").json() == {"namespaces": ["app"]}
        assert server.process is not None and server.process.returncode in {0, -15}
    finally:
        redis.cleanup()
