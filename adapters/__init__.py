"""Outbound adapters: what the application's ports and the API plug into (keys, vault, passwords,
tokens, an OpenID Connect provider, the working-day calendar, the idempotency store)."""
