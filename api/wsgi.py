"""WSGI entry for gunicorn: `gunicorn api.wsgi:app`. The projector and clock run as their own processes."""

from api.app import create_app

app = create_app()
