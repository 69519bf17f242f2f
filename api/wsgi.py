"""WSGI entry for gunicorn: `gunicorn api.wsgi:app`. The projector and clock run as their own processes."""

from api.app import create_app
from api.observability import configure_logging_from_env

configure_logging_from_env()  # TIMEBANK_LOG_FORMAT=json: JSON lines with request ids, as under `timebank`
app = create_app()
