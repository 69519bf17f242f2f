"""The composition root: settings -> TimeBank, read models, projector -> the Flask app."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import swagger_ui_bundle
from apispec import APISpec, BasePlugin
from flask import Flask, Response, jsonify, request, send_from_directory
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_smorest import Api, abort
from flask_smorest.spec.plugins import FlaskPlugin
from sqlalchemy import Engine, text

from adapters.calendar import ChinaCalendar
from adapters.idempotency_store import IdempotencyStore
from adapters.keys import SqlKeyStore, parse_master_keys
from adapters.oidc import OidcVerifier
from adapters.security import security_adapters
from api import (
    accounts,
    aggregates,
    audit,
    audit_log,
    certificates,
    exchanges,
    health,
    idempotency,
    incentives,
    inspectors,
    job_runs,
    jobs,
    key_projects,
    matching,
    member_units,
    needs,
    observability,
    organizations,
    pages,
    places,
    problems,
    projects,
    service_records,
    sessions,
    shifts,
    star_levels,
    transfers,
    vocabulary,
    volunteers,
)
from api.auth import load_actor
from api.clock_lock import advisory_key
from api.errors import ErrorResponses, problem, register_error_handlers
from api.schemas import BIGGEST_INTEGER, ErrorSchema, PaginationMetadataSchema
from api.services import Services
from audit import store
from audit.log import AuditLog
from audit.signing import Signer
from projections.db import make_engine
from projections.runner import Projector
from timebank.application import TimeBank
from timebank.clock import utcnow
from timebank.domain.rules import RuleBook, WeekdayCalendar, WorkingCalendar
from timebank.settings import Settings

log = logging.getLogger(__name__)
BLUEPRINTS = (
    health, sessions, volunteers, organizations, projects, shifts, service_records, accounts, transfers, exchanges, audit, audit_log,
    certificates, aggregates, jobs, star_levels, incentives, member_units, key_projects, inspectors, problems, places, vocabulary,
    needs, matching,
)
MAX_BODY_BYTES = 1024 * 1024


def build_services(settings: Settings, *, clock: Any = utcnow) -> Services:
    """Wire the application and its read models. Connects to the databases; call it once."""
    rules = RuleBook.from_file(settings.rules_file) if settings.rules_file else RuleBook()
    calendar: WorkingCalendar = ChinaCalendar() if settings.calendar == "china" else WeekdayCalendar()
    engine = make_engine(settings.read_model_url(), schema=settings.database_schema)
    key_engine = engine if settings.uses_postgres else make_engine(settings.key_store_url(), journal="DELETE")
    keys = SqlKeyStore(key_engine)
    with _schema_lock(settings, engine):
        keys.create_table()
        IdempotencyStore(engine).create_table()
        job_runs.create_table(engine)
        secret = settings.resolved_secret_key()
        master_keys = parse_master_keys(settings.master_keys) if settings.master_keys else None
        timebank = TimeBank(
            env=settings.event_store_env(), rules=rules, calendar=calendar, clock=clock,
            **security_adapters(secret, keys=keys, master_keys=master_keys),
        )
        projector = Projector(timebank.recorder, timebank.mapper, engine)
        projector.create_tables()
        events = engine if settings.uses_postgres else store.connect(settings.event_store_sql_url())
        audit = AuditLog(events, engine, Signer(settings.resolved_audit_signing_seed()), clock)
        audit.create_tables()
    return Services(settings, timebank, engine, projector, oidc=OidcVerifier.from_settings(settings), audit=audit)


@contextmanager
def _schema_lock(settings: Settings, engine: Engine) -> Iterator[None]:
    """Let one process at a time create tables. Several gunicorn workers start together, and
    concurrent CREATE TABLE fails: on PostgreSQL with "tuple concurrently updated", on SQLite with
    "table already exists" (SQLAlchemy checks, then creates)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            key = advisory_key(settings.database_schema, "tables")
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                conn.commit()
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.data_dir / "schema.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _rate_key() -> str:
    """Limit per access token (hashed: the store never holds a token), else per client address."""
    token = request.headers.get("Authorization", "")
    return "token:" + hashlib.sha256(token.encode()).hexdigest()[:32] if token else "ip:" + get_remote_address()


class IdempotencyKeys(BasePlugin):
    """apispec plugin: every POST that creates or moves something takes an Idempotency-Key
    (api/idempotency.py), documented once as the `IdempotencyKey` component and referenced by each."""

    def init_spec(self, spec: APISpec) -> None:
        spec.components.parameter(
            "IdempotencyKey", "header",
            {"name": idempotency.HEADER, "required": False,
             "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": idempotency.KEY_PATTERN},
             "description": "Makes the request safe to retry: the same key and request return the first response "
                            "and run nothing again; the same key with another request is refused (422). Kept 24 h."},
        )

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any) -> None:
        post = (operations or {}).get("post")
        if post is None or (path or "").startswith(idempotency.EXEMPT_PREFIXES):
            return
        parameters = post.setdefault("parameters", [])
        if not any(isinstance(p, dict) and p.get("name") == idempotency.HEADER for p in parameters):
            parameters.append("IdempotencyKey")  # apispec turns a component's name into its $ref


class TimeBankApi(Api):
    ERROR_SCHEMA = ErrorSchema  # the shape api/errors.py produces, as the `Error` component
    # No catch-all `default` response: ErrorResponses documents each status an operation can answer.
    DEFAULT_ERROR_RESPONSE_NAME = None
    # The OpenAPI document depends on the code alone, never on settings. Building it is most of
    # create_app's time (some 0.3 s), so the first app of a process builds it and later apps share
    # it, with the query parameters it declares: workers and tests create many apps.
    built: ClassVar[tuple[APISpec, dict[tuple[str, str], frozenset[str]]] | None] = None

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        if TimeBankApi.built is None:
            super().register_blueprint(blp, parameters=parameters, **options)
            return
        # What the library's register_blueprint does, less documenting the views a second time.
        self._app.extensions["flask-smorest"]["blp_name_to_api"][options.get("name", blp.name)] = self
        self._app.register_blueprint(blp, **options)

    def share_document(self, app: Flask) -> dict[tuple[str, str], frozenset[str]]:
        """After the blueprints: keep this app's document for later apps, or take the one kept."""
        if TimeBankApi.built is None:
            TimeBankApi.built = (self.spec, declared_query_parameters(self, app))  # type: ignore[has-type]
        self.spec = TimeBankApi.built[0]
        return TimeBankApi.built[1]

    def _register_pagination_header(self) -> None:
        # flask-smorest's hook for the PAGINATION header component (it has no public setting for it).
        # Its own documents X-Pagination with a `schema`, which reads as an object header in the
        # `simple` style ("page,1,total,3"); it sends JSON, so document it as JSON content, with the
        # fields described (api/schemas.py).
        self.spec.components.header(
            "PAGINATION",
            {"description": "Pagination metadata, as JSON.", "content": {"application/json": {"schema": PaginationMetadataSchema}}},
            lazy=True,
        )


def declared_query_parameters(api: Api, app: Flask) -> dict[tuple[str, str], frozenset[str]]:
    """(endpoint, method) -> the query parameters the OpenAPI document declares for that operation."""
    paths = api.spec.to_dict()["paths"]
    declared = {}
    for rule in app.url_map.iter_rules():
        operations = paths.get(FlaskPlugin.flaskpath2openapi(rule.rule), {})
        for method in rule.methods or ():
            operation = operations.get(method.lower())
            if operation is not None:
                names = frozenset(p["name"] for p in operation.get("parameters", []) if p.get("in") == "query")
                declared[(rule.endpoint, method)] = names
    return declared


def refuse_undeclared_query_parameters(declared: dict[tuple[str, str], frozenset[str]]) -> None:
    """Unknown query parameters are refused like unknown body fields: a misspelt filter
    (`?stauts=pending`) would otherwise be ignored silently and answer with everything."""
    method = "GET" if request.method == "HEAD" else request.method
    names = declared.get((request.endpoint or "", method))
    if names is None:
        return  # not an API operation (the index, the docs) or no such route (404/405 follow)
    unknown = sorted(set(request.args) - names)
    if unknown:
        abort(422, messages={"query": {name: ["Unknown field."] for name in unknown}})
    # Integer query parameters declare the stores' 64-bit maximum (api/schemas.py) and a page past
    # the last is empty however far (the queries stop before OFFSET); a path's number cannot name
    # a stored thing beyond the stores' integers.
    if any(isinstance(v, int) and abs(v) > BIGGEST_INTEGER for v in (request.view_args or {}).values()):
        abort(404)  # no stored thing has such a number
    # PostgreSQL's text holds no NUL: a filter with one would fail in the database, not here.
    with_nul = sorted({name for name, value in request.args.items(multi=True) if "\x00" in value or "\x00" in name})
    if with_nul:
        abort(422, messages={"query": {name: ["must not contain NUL characters"] for name in with_nul}})


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
        MAX_FORM_MEMORY_SIZE=MAX_BODY_BYTES,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["timebank"] = services
    # Operations (api/observability.py): request ids, the access log and metrics hook in before anything
    # else; the probes and /metrics are outside /api and exempt from rate limits.
    observability.install(app, services)
    app.register_blueprint(health.probes)
    api = TimeBankApi(app, spec_kwargs={
        "info": {"description": "Service hours as immutable events; balances, records and rosters as views."},
        "extra_plugins": [ErrorResponses(), IdempotencyKeys()],
    })
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    limiter = Limiter(
        key_func=_rate_key, app=app, default_limits=[settings.rate_limit], storage_uri=settings.rate_limit_storage,
        strategy="moving-window",
    )
    limiter.exempt(health.probes)
    # Logins, codes and refreshes are also limited per address, against guessing and SMS flooding.
    limiter.limit(settings.login_rate_limit, key_func=get_remote_address, override_defaults=False)(sessions.blp)
    for module in BLUEPRINTS:
        api.register_blueprint(module.blp)
    query_parameters = api.share_document(app)
    register_error_handlers(app)

    @app.errorhandler(RateLimitExceeded)
    def _too_many_requests(error: RateLimitExceeded) -> Response:
        # flask-limiter's own headers would stamp every response with a Retry-After; only 429s get one.
        current = limiter.current_limit
        wait = max(1, int(current.reset_at - time.time())) if current else 60
        response = problem(429, f"too many requests (limit {error.description}); retry in {wait} s", retry_after=wait)
        response.headers["Retry-After"] = str(wait)
        return response

    @app.before_request
    def _before() -> None:
        TimeBank.reset_last_position()
        load_actor()
        refuse_undeclared_query_parameters(query_parameters)

    idempotency.install(app, services.engine, services.timebank.idempotency_secret, settings.idempotency_lease_seconds)

    @app.after_request  # registered after the idempotency hooks, so it runs before them
    def _after(response: Response) -> Response:
        position = TimeBank.last_position()
        if position is not None:
            response.headers["X-Event-Position"] = str(position)
            services.projector.nudge()
        return response

    @app.get("/docs-assets/<path:filename>")
    def docs_assets(filename: str) -> Response:
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)

    pages.install(app, services)  # the people's pages (api/pages/); `/` answers browsers with its landing page

    @app.get("/")
    def index() -> Response | str:
        if pages.wants_html():
            return pages.landing()
        return jsonify({"service": "volunteer time bank", "docs": "/docs", "openapi": "/openapi.json"})

    return app
