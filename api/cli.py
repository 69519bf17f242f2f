"""The `timebank` command: serve, projector, clock, tokens, projections."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from timebank.domain.actors import Role
from timebank.settings import Settings

DATA_DIR_HELP = "Directory of the SQLite files (default ./var or TIMEBANK_DATA_DIR); unused with TIMEBANK_DATABASE_URL."


def _progress() -> Any:
    """A rich progress display on stderr (stdout stays for results and JSON)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=Console(stderr=True))


def _settings(data_dir: str | None = None) -> Settings:
    overrides: dict[str, Any] = {"data_dir": Path(data_dir)} if data_dir else {}
    return Settings.from_env(**overrides)


@click.group()
@click.option("--log-level", default=os.environ.get("TIMEBANK_LOG_LEVEL", "INFO"), show_default=True,
              help="Log level (TIMEBANK_LOG_LEVEL).")
@click.option("--log-format", type=click.Choice(["text", "json"]), default=os.environ.get("TIMEBANK_LOG_FORMAT", "text"),
              show_default=True, help="text: human-readable lines; json: one JSON object per line with the request id (TIMEBANK_LOG_FORMAT).")
def main(log_level: str, log_format: str) -> None:
    """Volunteer time bank: service hours as immutable events.

    Run `timebank serve --demo` to try it (blocks until Ctrl-C); in production run gunicorn
    (api.wsgi:app), one `timebank projector` and one `timebank clock` (docs/DEPLOY.md).
    """
    from api.observability import configure_logging

    configure_logging(log_level, log_format)


@main.command()
@click.option("--demo", is_flag=True, help="Seed demo data on first start and print access tokens.")
@click.option("--data-dir", default=None, help="Directory for the SQLite files (default ./var or TIMEBANK_DATA_DIR).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--no-clock", is_flag=True, help="Do not run the scheduled jobs in this process.")
def serve(demo: bool, data_dir: str | None, host: str, port: int, no_clock: bool) -> None:
    """Run web, projector and clock in one process; blocks until Ctrl-C (or SIGTERM).

    With --demo, seeds demo data on first start and prints access tokens, which are kept in
    DATA_DIR/demo-tokens.json (default var/demo-tokens.json). For production see docs/DEPLOY.md.
    """
    from werkzeug.serving import make_server

    from api.app import build_services, create_app

    settings = _settings(data_dir)
    services = build_services(settings)
    services.projector.start(settings.poll_interval_seconds)
    if demo:
        _demo(services, settings, port, host)
    clock = None
    if not no_clock:
        from api.clock import singleton_clock  # APScheduler is slow to import: only when this process may run the clock

        # Runs the jobs only if no other clock (another `serve`, a `timebank clock`) is active; else
        # stands by and takes over when that one stops.
        clock = singleton_clock(services, retry_seconds=settings.clock_retry_seconds)
        clock.start()
    app = create_app(settings, services=services)
    server = make_server(host, port, app, threaded=True)
    store = settings.database_url and "PostgreSQL" or f"SQLite in {settings.data_dir.resolve()}"
    click.echo(f"timebank serving on http://{host}:{port} ({store}); docs at http://{host}:{port}/docs", err=True)

    def _stop(*_: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        server.serve_forever()
    finally:
        if clock:
            clock.stop()
        services.close()
        click.echo("timebank stopped", err=True)


def _demo(services: Any, settings: Settings, port: int, host: str) -> None:
    from dataclasses import asdict

    from demo import is_seeded, seed_demo

    tokens_file = settings.data_dir / "demo-tokens.json"
    if not is_seeded(services.timebank):
        with _progress() as progress:
            task = progress.add_task("seeding demo data", total=None)

            def _step(message: str) -> None:
                progress.update(task, description=f"seeding demo data: {message}", advance=1)
                progress.console.print(f"  {message}", highlight=False)

            access = seed_demo(services.timebank, progress=_step)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        tokens_file.write_text(json.dumps(asdict(access), default=str, indent=2), encoding="utf-8")
        tokens_file.chmod(0o600)
        services.projector.nudge()
    if tokens_file.exists():
        access_data = json.loads(tokens_file.read_text(encoding="utf-8"))
        click.echo("\nDemo access tokens (send as 'Authorization: Bearer <token>'):")
        for role in ("admin", "auditor", "organizer", "volunteer"):
            click.echo(f"  {role:<10} {access_data[f'{role}_token']}")
        click.echo(f"  organizer id {access_data['organizer_id']}\n  volunteer id {access_data['volunteer_id']}")
        click.echo(f"Interactive API docs: http://{host}:{port}/docs\n")
    else:
        click.echo("this data directory already holds events that were not seeded as a demo; no demo tokens to show", err=True)


@main.command()
def projector() -> None:
    """Follow the event log and keep every read model current (the Procfile's projector)."""
    from api.app import build_services

    settings = _settings()
    services = build_services(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    services.projector.start(settings.poll_interval_seconds)
    click.echo("projector running", err=True)
    stop.wait()
    services.close()


@main.command()
def clock() -> None:
    """Run the scheduled jobs (exactly one clock process per deployment)."""
    from api.app import build_services
    from api.clock import build_scheduler, clock_lock

    settings = _settings()
    services = build_services(settings)
    lock = clock_lock(services)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    waiting = False
    while not lock.try_acquire():  # a standby: another clock is active; take over when it stops
        if not waiting:
            click.echo(f"another clock is active; waiting (retrying every {settings.clock_retry_seconds} s)", err=True)
            waiting = True
        if stop.wait(settings.clock_retry_seconds):
            services.close()
            return
    click.echo("clock running", err=True)
    scheduler = build_scheduler(services, blocking=True)

    def _step_down_if_lost() -> None:  # a lost lock session: exit, and let the supervisor restart a standby
        if not lock.held():
            click.echo("the clock lost its lock; stopping", err=True)
            scheduler.shutdown(wait=False)

    scheduler.add_job(_step_down_if_lost, "interval", seconds=settings.clock_retry_seconds, id="clock_lock_check")
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    signal.signal(signal.SIGINT, lambda *_: scheduler.shutdown(wait=False))
    try:
        scheduler.start()
    finally:
        lock.release()
        services.close()


@main.group()
def tokens() -> None:
    """Access tokens for admins and auditors (volunteers log in through the API)."""


@tokens.command("create")
@click.option("--role", type=click.Choice(["admin", "auditor"]), required=True, help="The token's role.")
@click.option("--label", default="", help="What the token is for.")
@click.option("--data-dir", default=None, help=DATA_DIR_HELP)
def tokens_create(role: str, label: str, data_dir: str | None) -> None:
    """Print a new admin or auditor token (only its hash is stored)."""
    from timebank.application import TimeBank

    settings = _settings(data_dir)
    app = TimeBank(env=settings.event_store_env(), identity_secret=settings.resolved_secret_key())
    click.echo(app.create_token(Role(role), label=label))
    app.close()


@main.group()
def keys() -> None:
    """Keys of personal data (docs/SECURITY.md)."""


@keys.command("rewrap")
@click.option("--data-dir", default=None, help=DATA_DIR_HELP)
def keys_rewrap(data_dir: str | None) -> None:
    """Re-wrap every volunteer's data key under the current master key (the first of TIMEBANK_MASTER_KEYS)."""
    from adapters.vault import AesGcmVault
    from api.app import build_services

    services = build_services(_settings(data_dir))
    try:
        vault = services.timebank.vault
        assert isinstance(vault, AesGcmVault)
        click.echo(f"{vault.rewrap_all()} data keys moved to master key {vault.current_master_key_id}")
    finally:
        services.close()


@keys.command("show-derived")
@click.option("--data-dir", default=None, help=DATA_DIR_HELP)
def keys_show_derived(data_dir: str | None) -> None:
    """Print the master key derived from the secret key, as `s1:<base64>`, to list it in TIMEBANK_MASTER_KEYS."""
    import base64

    from adapters.keys import derived_master_keys

    for key_id, key in derived_master_keys(_settings(data_dir).resolved_secret_key()).items():
        click.echo(f"{key_id}:" + base64.b64encode(key).decode())


@main.group()
def projections() -> None:
    """Read models (views) built from the event log."""


@projections.command("rebuild")
@click.argument("names", nargs=-1)
@click.option("--data-dir", default=None, help=DATA_DIR_HELP)
@click.option("--batch-size", default=1000, show_default=True, help="Events read per page.")
def projections_rebuild(names: tuple[str, ...], data_dir: str | None, batch_size: int) -> None:
    """Rebuild the named read models (all if none) from the event log."""
    from rich.progress import Progress

    from api.app import build_services

    services = build_services(_settings(data_dir))
    try:
        for name in names:
            services.projector.by_name(name)
    except KeyError as error:
        raise click.BadParameter(str(error.args[0]), param_hint="NAMES") from None
    total = services.timebank.recorder.max_notification_id() or 0
    with Progress() as progress:
        task = progress.add_task("rebuilding " + (", ".join(names) or "all projections"), total=total)
        count = services.projector.rebuild(names, progress=lambda n: progress.advance(task, n), limit=batch_size)
    click.echo(f"rebuilt {', '.join(names) or 'all projections'} from {count} events; positions {services.projector.positions()}")
    services.close()


@main.command()
@click.option("--data-dir", default=None, help=DATA_DIR_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
def reconcile(data_dir: str | None, as_json: bool) -> None:
    """Reconcile credits issued with confirmed service minutes; exit 1 if the ledger does not balance."""
    import json

    from api.app import build_services
    from projections import ledger_queries

    services = build_services(_settings(data_dir))
    try:
        services.projector.catch_up()
        with services.engine.connect() as conn:
            report = ledger_queries.reconciliation(conn, services.timebank.rules)
    finally:
        services.close()
    if as_json:
        click.echo(json.dumps(report, default=str, ensure_ascii=False, indent=2))
    else:
        total = report["total"]
        click.echo(
            f"organizations: {len(report['organizations'])}; confirmed minutes: {total['confirmed_service_minutes']}; "
            f"expected credits: {total['expected_credits']}; issued: {total['issued_credits']}; "
            f"manual corrections: {total['manual_corrections']}; issuance account: {total['issuance_account_balance']}; "
            f"sum of all balances: {report['balances_sum']}; discrepancies: {report['discrepancy_count']}"
        )
        click.echo("balanced" if report["balanced"] else "NOT BALANCED")
    sys.exit(0 if report["balanced"] else 1)


@main.group()
def audit() -> None:
    """The tamper-evident audit log: seal, sign checkpoints, verify."""


@audit.command("seal")
@click.option("--data-dir", default=None, help=DATA_DIR_HELP)
@click.option("--checkpoint/--no-checkpoint", default=True, show_default=True, help="Sign a checkpoint afterwards if the log grew.")
def audit_seal(data_dir: str | None, checkpoint: bool) -> None:
    """Seal every stored event not sealed yet (what the clock does every minute)."""
    from api.app import build_services

    services = build_services(_settings(data_dir))
    try:
        assert services.audit is not None
        count = services.audit.seal_all()
        issued = services.audit.issue_checkpoint() if checkpoint else None
    finally:
        services.close()
    click.echo(f"sealed {count} events" + (f"; checkpoint of tree size {issued['tree_size']} signed" if issued else ""))


@audit.command("verify")
@click.option("--data-dir", default=None, help=DATA_DIR_HELP)
@click.option("--public-key", "public_key_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="The checkpoints' public key (base64 or PEM, from GET /api/audit/public-key); default: this deployment's own.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def audit_verify(data_dir: str | None, public_key_file: str | None, as_json: bool) -> None:
    """Check the event store against the sealed log and the signed checkpoints; exit 1 at the first tampering.

    An independent verifier (audit/verify.py): it reads the stored events, the audit tables and the
    public key with plain SQL, and loads no part of the application.
    """
    from audit import signing, store, verify

    settings = _settings(data_dir)
    if public_key_file:
        public_key = signing.load_public_key(Path(public_key_file).read_text(encoding="utf-8"))
    else:
        public_key = signing.Signer(settings.resolved_audit_signing_seed()).public_key
    read_models = store.connect(settings.read_model_url(), settings.database_schema)
    events = read_models if settings.uses_postgres else store.connect(settings.event_store_sql_url())
    try:
        with _progress() as progress:
            task = progress.add_task("verifying the sealed log, then the store against it", total=None)
            report = verify.verify(events, read_models, public_key, progress=lambda n: progress.advance(task, n))
    finally:
        events.dispose()
        read_models.dispose()
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    elif report.finding is None:
        click.echo(f"intact: {report.sealed} sealed events match the store; {report.checkpoints} signed checkpoints verified; "
                   f"{report.unsealed} stored events not sealed yet")
    else:
        finding = report.finding
        click.echo(f"TAMPERED: history {finding.kind} at seq {finding.seq}: {finding.detail}")
    sys.exit(0 if report.ok else 1)


@audit.command("replay")
@click.option("--view", "views", multiple=True, help="A view to replay (repeat for more; all if none).")
@click.option("--data-dir", default=None, help=DATA_DIR_HELP)
def audit_replay(views: tuple[str, ...], data_dir: str | None) -> None:
    """Rebuild views from the event log into fresh tables and compare them with the live ones, row by row.

    Exits 1 if any row differs. The fresh tables are a temporary SQLite file, or a schema of their
    own on PostgreSQL, dropped afterwards; events and rows are streamed a page at a time.
    """
    from rich.progress import Progress

    from api.app import build_services
    from projections import replay

    settings = _settings(data_dir)
    services = build_services(settings)
    try:
        try:
            replay.select_projections(views)
        except KeyError as error:
            raise click.BadParameter(str(error.args[0]), param_hint="--view") from None
        services.projector.catch_up()
        app = services.timebank
        with replay.fresh_database(services.engine, settings.data_dir) as target, Progress() as progress:
            task = progress.add_task("replaying " + (", ".join(views) or "every view"), total=app.recorder.max_notification_id() or 0)
            report = replay.replay(app.recorder, app.mapper, services.engine, target, views, progress=lambda n: progress.advance(task, n))
    finally:
        services.close()
    compared = ", ".join(f"{table} {count}" for table, count in report.rows.items())
    click.echo(f"replayed the log up to position {report.position}; rows compared: {compared}")
    for difference in report.differences:
        click.echo(f"DIFFERENT {difference.table} {difference.key}: live {difference.live} replayed {difference.replayed}")
    if report.more_differences:
        click.echo(f"... and {report.more_differences} more differences")
    click.echo("identical" if report.identical else "DIFFERENCES FOUND")
    sys.exit(0 if report.identical else 1)


@audit.command("export")
@click.argument("what", type=click.Choice(["events", "records", "statements"]))
@click.argument("output", type=click.Path(dir_okay=False, writable=True))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True,
              help="JSON Lines (one object a line) or CSV with a header row.")
@click.option("--data-dir", default=None, help=DATA_DIR_HELP)
def audit_export(what: str, output: str, fmt: str, data_dir: str | None) -> None:
    """Write every stored event, service record or statement line to OUTPUT, streamed (flat memory).

    The same rows and columns as GET /api/audit/export/WHAT.FORMAT; the views are caught up first.
    """
    from sqlalchemy import func, select

    from api.app import build_services
    from api.audit_log import export_chunks, export_source
    from projections.exports import EXPORTS

    services = build_services(_settings(data_dir))
    try:
        services.projector.catch_up()
        if what == "events":
            total = services.timebank.recorder.max_notification_id() or 0
        else:
            with services.engine.connect() as conn:
                total = conn.execute(select(func.count()).select_from(EXPORTS[what][0])).scalar_one()
        columns, source = export_source(what, services.timebank, services.engine)
        written = 0
        with _progress() as progress, open(output, "w", encoding="utf-8", newline="") as out:
            task = progress.add_task(f"exporting {what}", total=total)

            def counted() -> Any:
                nonlocal written
                for row in source():
                    written += 1
                    progress.advance(task)
                    yield row

            for chunk in export_chunks(columns, counted(), fmt):
                out.write(chunk)
    finally:
        services.close()
    click.echo(f"wrote {written} {what} to {output}")


def _aware_moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 moment", param_hint="--at") from None
    if moment.tzinfo is None:
        raise click.BadParameter("give the UTC offset, e.g. +08:00", param_hint="--at")
    return moment


@audit.command("as-of")
@click.argument("position", type=click.IntRange(min=0), required=False)
@click.option("--at", "moment", callback=lambda _ctx, _param, value: _aware_moment(value), default=None,
              help="Instead of POSITION: an ISO 8601 moment with its UTC offset (2026-11-20T18:00:00+08:00); the view as it stood then.")
@click.option("--view", required=True, help="The view to rebuild as of that log position, e.g. service_records or balances.")
@click.option("--data-dir", default=None, help=DATA_DIR_HELP)
def audit_as_of(position: int | None, moment: datetime | None, view: str, data_dir: str | None) -> None:
    """Print a view as it stood at a log position or a moment (JSON Lines: table, then row), replayed into fresh tables."""
    if (position is None) == (moment is None):
        raise click.UsageError("give a log POSITION or --at MOMENT, not both")
    from api.app import build_services
    from projections import replay

    settings = _settings(data_dir)
    services = build_services(settings)
    try:
        try:
            [projection] = replay.select_projections([view])
        except KeyError as error:
            raise click.BadParameter(str(error.args[0]), param_hint="--view") from None
        app = services.timebank
        if moment is not None:
            position = replay.position_at(app.recorder, app.mapper, moment)
        with replay.fresh_database(services.engine, settings.data_dir) as target:
            replay.replay(app.recorder, app.mapper, services.engine, target, [view], stop=position, compare=False)
            for table in projection.tables:
                for row in replay.pages(target, table):
                    click.echo(json.dumps({"table": table.name, **row}, ensure_ascii=False, default=str))
    finally:
        services.close()


@main.group()
def places() -> None:
    """The practice hierarchy: institutes (streets/townships) and stations (communities/villages)."""


@places.command("import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--data-dir", default=None, help=DATA_DIR_HELP)
def places_import(csv_file: Any, data_dir: str | None) -> None:
    """Register places from a CSV file with the header `district,street,community` (UTF-8).

    One row per community (station); a row with an empty community registers the street (institute)
    alone. Districts are the 17 of timebank/domain/places.py. Known places are skipped, so the same
    file can be imported again; the whole file is one save (all or nothing)."""
    import csv

    from api.app import build_services
    from timebank.domain.actors import Actor

    reader = csv.DictReader(csv_file)
    if reader.fieldnames is None or not {"district", "street", "community"} <= set(reader.fieldnames):
        raise click.UsageError("the CSV needs the columns district,street,community")
    rows = []
    with _progress() as progress:
        task = progress.add_task("reading places", total=None)
        for r in reader:
            rows.append((r["district"].strip(), r["street"].strip(), (r["community"] or "").strip()))
            progress.advance(task)
        progress.update(task, total=len(rows), description="registering places (one save)")
        services = build_services(_settings(data_dir))
        try:
            created = services.timebank.register_places(Actor(Role.ADMIN, None), rows)
        finally:
            services.close()
    click.echo(f"{created} new places registered from {len(rows)} rows")


@main.group()
def records() -> None:
    """Service records: import existing records from CSV."""


@records.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--project", "project_id", type=click.UUID, required=True, help="The project the records belong to.")
@click.option("--as", "organizer", required=True, help="The volunteer number of an organizer of the project's organization.")
@click.option("--data-dir", default=None, help=DATA_DIR_HELP)
def records_import(csv_file: str, project_id: Any, organizer: str, data_dir: str | None) -> None:
    """Import existing service records from a CSV file as the organizer's bulk entry (all or nothing).

    Columns: volunteer_number, service_date (YYYY-MM-DD), service_minutes, content and optionally
    shift_id (UTF-8, a BOM is fine). Every row is checked; if any is refused nothing is written and
    each refused row is listed (line, field, reason), exit 1. Same as POST /api/service-records/imports.
    """
    from api.app import build_services
    from api.record_import import check_import
    from timebank.domain.actors import Actor
    from timebank.domain.errors import DomainError

    try:
        text = Path(csv_file).read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise click.BadParameter(f"not UTF-8 (byte {error.start})", param_hint="CSV_FILE") from None
    services = build_services(_settings(data_dir))
    try:
        organizer_id = services.timebank.volunteer_id_by_number(organizer)
        if organizer_id is None:
            raise click.BadParameter(f"no volunteer numbered {organizer!r}", param_hint="--as")
        actor = Actor(Role.VOLUNTEER, organizer_id)
        with _progress() as progress:
            task = progress.add_task("checking rows", total=max(0, text.count("\n") - 1) or None)
            try:
                report = check_import(services.timebank, actor, project_id, text, progress=lambda n: progress.advance(task, n))
                if not report.rejected:
                    progress.update(task, description="writing the records (one save)")
                    ids = services.timebank.record_service_batch(actor, project_id, report.entries)
            except DomainError as refusal:
                raise click.ClickException(f"{refusal.field or 'import'}: {refusal.message}") from None
    finally:
        services.close()
    if report.rejected:
        for rejected in report.rejected:
            click.echo(f"line {rejected['line']}: {rejected['field']}: {rejected['reason']}", err=True)
        click.echo(f"{len(report.rejected)} problem(s) in {report.rows} rows; nothing was imported", err=True)
        sys.exit(1)
    click.echo(f"imported {len(ids)} records from {report.rows} rows")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
