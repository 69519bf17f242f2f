"""The composition root: settings -> TimeBank, read models, projector -> the Flask app."""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import swagger_ui_bundle
from flask import Flask, Response, jsonify, send_from_directory
from flask_smorest import Api
from sqlalchemy import Engine, text

from api import accounts, aggregates, audit, exchanges, health, organizations, projects, service_records, shifts, transfers, volunteers
from api.auth import load_actor
from api.calendar import ChinaCalendar
from api.crypto import SqlKeyStore, parse_master_keys, security_adapters
from api.errors import register_error_handlers
from api.services import Services
from projections.db import make_engine
from projections.runner import Projector
from timebank.application import TimeBank
from timebank.clock import utcnow
from timebank.domain.rules import RuleBook, WeekdayCalendar, WorkingCalendar
from timebank.settings import Settings

log = logging.getLogger(__name__)
BLUEPRINTS = (health, volunteers, organizations, projects, shifts, service_records, accounts, transfers, exchanges, audit, aggregates)
MAX_BODY_BYTES = 1024 * 1024
SCHEMA_LOCK_KEY = 0x54494D45  # any fixed number; "TIME"


def build_services(settings: Settings, *, clock: Any = utcnow) -> Services:
    """Wire the application and its read models. Connects to the databases; call it once."""
    rules = RuleBook.from_file(settings.rules_file) if settings.rules_file else RuleBook()
    calendar: WorkingCalendar = ChinaCalendar() if settings.calendar == "china" else WeekdayCalendar()
    engine = make_engine(settings.read_model_url(), schema=settings.database_schema)
    key_engine = engine if settings.uses_postgres else make_engine(settings.key_store_url(), journal="DELETE")
    keys = SqlKeyStore(key_engine)
    with _schema_lock(settings, engine):
        keys.create_table()
        secret = settings.resolved_secret_key()
        master_keys = parse_master_keys(settings.master_keys) if settings.master_keys else None
        timebank = TimeBank(
            env=settings.event_store_env(), rules=rules, calendar=calendar, clock=clock,
            **security_adapters(secret, keys=keys, master_keys=master_keys),
        )
        projector = Projector(timebank.recorder, timebank.mapper, engine)
        projector.create_tables()
    return Services(settings, timebank, engine, projector)


@contextmanager
def _schema_lock(settings: Settings, engine: Engine) -> Iterator[None]:
    """Let one process at a time create tables. Several gunicorn workers start together, and
    concurrent CREATE TABLE fails: on PostgreSQL with "tuple concurrently updated", on SQLite with
    "table already exists" (SQLAlchemy checks, then creates)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEMA_LOCK_KEY})
                conn.commit()
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.data_dir / "schema.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> Flask:
    settings = settings or (services.settings if services else Settings.from_env())
    services = services or build_services(settings)
    app = Flask("timebank")
    app.config.update(
        API_TITLE="Volunteer time bank",
        API_VERSION="1.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Swagger UI is served from the installed package: /docs works on networks without internet.
        OPENAPI_SWAGGER_UI_URL="/docs-assets/",
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["timebank"] = services
    api = Api(app, spec_kwargs={"info": {"description": "Service hours as immutable events; balances, records and rosters as views."}})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    for module in BLUEPRINTS:
        api.register_blueprint(module.blp)
    register_error_handlers(app)

    @app.before_request
    def _before() -> None:
        TimeBank.reset_last_position()
        load_actor()

    @app.after_request
    def _after(response: Response) -> Response:
        position = TimeBank.last_position()
        if position is not None:
            response.headers["X-Event-Position"] = str(position)
            services.projector.nudge()
        return response

    @app.get("/docs-assets/<path:filename>")
    def docs_assets(filename: str) -> Response:
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)

    @app.get("/")
    def index() -> Response:
        return jsonify({"service": "volunteer time bank", "docs": "/docs", "openapi": "/openapi.json"})

    return app
