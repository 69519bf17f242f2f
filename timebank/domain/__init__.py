"""The domain: one aggregate per module, its events, pure policies and errors."""
