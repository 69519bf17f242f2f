"""HTTP API, CLI, WSGI and clock entries: the inbound adapters and the composition root."""
