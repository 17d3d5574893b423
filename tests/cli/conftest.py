"""`aims` as a real process, and one seeded demo directory per test process (`aims demo` costs ~10 s of CPU)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def aims(*args: str, data_dir: Path, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AIMS_") and k != "DJANGO_SETTINGS_MODULE"}
    environment.update({"AIMS_DATA_DIR": str(data_dir), **env})
    return subprocess.run(
        [sys.executable, "-m", "openaims.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# The tests that share the seeded directory: scripts/test runs with `--dist loadgroup`, so they meet in one process.
DEMO = pytest.mark.xdist_group("aims-demo")


@pytest.fixture(scope="session")
def demo_seeded(tmp_path_factory):
    """`aims demo --no-serve` run once on a fresh data directory: (its completed process, the directory)."""
    data_dir = tmp_path_factory.mktemp("demo")
    return aims("demo", "--no-serve", data_dir=data_dir, timeout=600), data_dir


@pytest.fixture
def demo_dir(demo_seeded, tmp_path):
    """A copy of the seeded demo directory (database and secret key) that the test may change."""
    result, template = demo_seeded
    assert result.returncode == 0, result.stderr
    shutil.copytree(template, tmp_path, dirs_exist_ok=True)
    return tmp_path
