"""Scale: rebuild every projection from a generated Beijing-sized data set; then a cold `timebank serve`.

    python -m benchmarks.scale [--scale-volunteers 100000 --scale-events 1000000] [--scale-data-dir DIR]
    python -m benchmarks.scale --database-url postgresql://... [--scale-schema SCHEMA]

The data set comes from benchmarks/generate.py; with `--scale-data-dir` (or `--scale-schema`) an
existing one is reused, else it is generated there first (a throwaway directory or schema when
neither is given). Measured, each in a process of its own so its peak memory is its own:

- baseline: read every notification in pages of 1,000 and decode it (what any reader pays);
- rebuild: `Projector.rebuild()` of every view (what `timebank projections rebuild` runs), its
  wall time, events per second and peak RSS (`ru_maxrss`);
- cold start: `timebank serve --no-clock` on the rebuilt store, from spawning the process to the
  first 200 from `GET /api/health` (the median of three starts).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.common import standalone
from timebank.settings import Settings

ISSUE_EVENTS = 10_000_000  # the issue's data set, for the extrapolation
COLD_STARTS = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale-volunteers", type=int, default=100_000, help="volunteers of a generated data set")
    parser.add_argument("--scale-events", type=int, default=1_000_000, help="about this many events in a generated data set")
    parser.add_argument("--scale-data-dir", default=None, help="SQLite data directory to reuse (generated there if empty)")
    parser.add_argument("--scale-schema", default=None, help="PostgreSQL schema to reuse (generated there if empty)")


def _env(settings: Settings) -> dict[str, str]:
    env = {**os.environ, "TIMEBANK_DATA_DIR": str(settings.data_dir), "TIMEBANK_CALENDAR": settings.calendar,
           "TIMEBANK_LOG_LEVEL": "WARNING"}
    if settings.secret_key:
        env["TIMEBANK_SECRET_KEY"] = settings.secret_key
    if settings.database_url:
        env["TIMEBANK_DATABASE_URL"] = settings.database_url
    if settings.database_schema:
        env["TIMEBANK_DATABASE_SCHEMA"] = settings.database_schema
    return env


def _child(settings: Settings, what: str) -> dict[str, Any]:
    """Run `what` (read or rebuild) in a fresh interpreter: its figures and its own peak RSS, measured there."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.scale", "--child", what], env=_env(settings), check=True,
                          capture_output=True, text=True)
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _child_main(what: str) -> None:
    from api.app import build_services
    from benchmarks.rebuild import read_and_fold

    services = build_services(Settings.from_env())
    try:
        if what == "read":
            events, seconds = read_and_fold(services)
        else:
            began = time.perf_counter()
            events = services.projector.rebuild()
            seconds = time.perf_counter() - began
    finally:
        services.close()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"events": events, "seconds": seconds, "peak_rss_mb": round(peak_kib / 1024)}))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cold_start(settings: Settings, timeout: float = 60.0) -> float:
    """Seconds from spawning `timebank serve` to its first 200 from /api/health."""
    port = _free_port()
    timebank = shutil.which("timebank", path=str(Path(sys.executable).parent)) or "timebank"
    began = time.perf_counter()
    process = subprocess.Popen([timebank, "serve", "--port", str(port), "--no-clock"], env=_env(settings),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - began < timeout:
            if process.poll() is not None:
                raise RuntimeError(f"timebank serve exited with {process.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5) as response:
                    if response.status == 200:
                        return time.perf_counter() - began
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.01)
        raise TimeoutError(f"timebank serve did not answer within {timeout} s")
    finally:
        process.terminate()
        process.wait(30)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from api.app import build_services
    from benchmarks.generate import NOW, generate

    throwaway_dir = args.scale_data_dir is None
    data_dir = Path(args.scale_data_dir or tempfile.mkdtemp(prefix="tb-scale-"))
    schema = args.scale_schema
    throwaway_schema = bool(args.database_url) and schema is None
    if args.database_url:
        import psycopg

        schema = schema or "scale_" + os.urandom(4).hex()
        with psycopg.connect(args.database_url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    settings = Settings.from_env(data_dir=data_dir, database_url=args.database_url, database_schema=schema,
                                 secret_key=os.environ.get("TIMEBANK_SECRET_KEY") or ("bench-scale" if args.database_url else ""))
    figures: dict[str, Any] = {"store": "postgresql" if args.database_url else "sqlite"}
    try:
        services = build_services(settings, clock=lambda: NOW)
        try:
            if not services.timebank.recorder.max_notification_id():
                began = time.perf_counter()
                totals = generate(services, args.scale_volunteers, args.scale_events)
                figures["generate_per_s"] = round(totals.events / (time.perf_counter() - began))
        finally:
            services.close()
        read = _child(settings, "read")
        rebuilt = _child(settings, "rebuild")
        starts = [cold_start(settings) for _ in range(COLD_STARTS)]
    finally:
        if throwaway_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
        if throwaway_schema:
            import psycopg

            with psycopg.connect(args.database_url, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    events = rebuilt["events"]
    figures.update({
        "events": events,
        "read_decode_per_s": round(read["events"] / read["seconds"]),
        "rebuild_seconds": round(rebuilt["seconds"], 1),
        "rebuild_per_s": round(events / rebuilt["seconds"]),
        "projector_peak_rss_mb": rebuilt["peak_rss_mb"],
        "cold_start_seconds": round(statistics.median(starts), 2),
        "cold_start_max_seconds": round(max(starts), 2),
    })
    figures["rebuild_vs_read"] = round(figures["rebuild_per_s"] / figures["read_decode_per_s"], 3)
    figures["rebuild_10m_minutes_extrapolated"] = round(ISSUE_EVENTS / figures["rebuild_per_s"] / 60, 1)
    # Issue targets as ratios (>= 1 is met): 10M events in 5 minutes, the projector under 1 GB, a first answer within 3 s.
    figures["rebuild_10m_in_5_min_ratio"] = round(5 * 60 / (ISSUE_EVENTS / figures["rebuild_per_s"]), 3)
    figures["projector_rss_1gb_ratio"] = round(1024 / figures["projector_peak_rss_mb"], 2)
    figures["cold_start_3s_ratio"] = round(3 / figures["cold_start_seconds"], 2)
    return figures


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _child_main(sys.argv[2])
    else:
        standalone(__doc__, add_arguments, run)
