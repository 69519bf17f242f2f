"""Event-sourced volunteer time bank: the domain and the TimeBank application."""
