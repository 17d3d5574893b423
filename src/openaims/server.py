"""The WSGI servers behind `aims serve` and `aims demo`: gunicorn with several worker processes where the
platform allows it, waitress (one process, threads) on Windows, for the demo and for `--workers 1`.

One Python process runs Django on one core at a time; gunicorn forks `workers` processes, each with
`threads` threads (gthread), so every core serves. Static files are served by WhiteNoise in either case.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from waitress import serve

Application = Callable[..., Any]


def default_workers() -> int:
    """One worker process per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS and Windows have no affinity call
        return max(1, os.cpu_count() or 1)


def multiprocess_available() -> bool:
    return sys.platform != "win32"


def serve_waitress(application: Application, *, host: str, port: int, threads: int) -> None:
    serve(
        application,
        host=host,
        port=port,
        threads=threads,
        ident="openaims",
        max_request_body_size=64 * 1024 * 1024,
        _quiet=True,
    )


def serve_gunicorn(application: Application, *, host: str, port: int, workers: int, threads: int) -> None:
    """Run gunicorn's arbiter in this process until it is stopped (SIGTERM/SIGINT: graceful shutdown).

    The application is loaded once before forking (`preload_app`), so workers share its memory; the
    caller must have closed every database connection first, so no worker inherits a socket.
    """
    # Imported here: gunicorn is installed on Unix only (a platform marker in pyproject.toml).
    from gunicorn.app.base import BaseApplication

    options: dict[str, object] = {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "preload_app": True,
        # A PDF or OSCAL export may take a while on a busy machine; a stuck worker is still replaced.
        "timeout": 120,
        "graceful_timeout": 30,
        "keepalive": 5,
        "loglevel": "warning",
        "proc_name": "openaims",
        # The worker heartbeat file: in memory where possible (a container's disk may be slow or read-only).
        "worker_tmp_dir": "/dev/shm" if os.path.isdir("/dev/shm") else None,
        "control_socket_disable": True,  # gunicorn ≥ 25 would otherwise create ~/.gunicorn/gunicorn.ctl
    }

    class OpenAimsServer(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
        def load_config(self) -> None:
            known = self.cfg.settings
            for key, value in options.items():
                if key in known and value is not None:
                    self.cfg.set(key, value)

        def load(self) -> Application:
            return application

    OpenAimsServer().run()
