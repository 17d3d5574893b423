"""Page heights and widths of the main object pages at 1280 px (and the widths at 390 px), on the demo data.

    PYTHONPATH=src python benchmarks/page_heights.py [--keep DIR]

Sets up the demo (`aims demo`) in a temporary data directory, serves it on a free local port, logs in as the
demo user with Debian's Chromium (/usr/bin/chromium or $AIMS_CHROMIUM) and prints, for each page, the document
height and width at a 1280 x 800 window and the width at 390 x 844. A width above the window is horizontal
overflow. Figures are in CSS pixels; results are in benchmarks/page_heights.md.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ORG = "acme-health"
USER, PASSWORD = "demo", "demo-aims-2026"
CHROMIUM = os.environ.get("AIMS_CHROMIUM", "/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_demo(data_dir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "AIMS_DATA_DIR": str(data_dir)}
    env.pop("AIMS_DATABASE_URL", None)
    code = "from openaims.cli import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"aims demo exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return proc
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit("the demo server did not answer within 180 s")


def first_link(page, pattern: str) -> str:
    for href in page.eval_on_selector_all("main a[href]", "els => els.map(e => e.getAttribute('href'))"):
        if re.fullmatch(pattern, href):
            return href
    raise SystemExit(f"no link matching {pattern} on {page.url}")


def measure(page, url: str) -> tuple[int, int]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page.evaluate("[document.documentElement.scrollHeight, document.documentElement.scrollWidth]")


def pages_to_measure(page, base: str) -> list[tuple[str, str]]:
    page.goto(f"{base}/o/{ORG}/systems/")
    system = first_link(page, rf"/o/{ORG}/systems/\d+/")
    page.goto(f"{base}{system}classifications/")
    classification = first_link(page, rf"/o/{ORG}/systems/\d+/classifications/\d+/")
    page.goto(f"{base}/o/{ORG}/impact/")
    impact = first_link(page, rf"/o/{ORG}/impact/\d+/")
    page.goto(f"{base}/o/{ORG}/risks/")
    risk = first_link(page, rf"/o/{ORG}/risks/\d+/")
    return [
        ("dashboard", f"/o/{ORG}/"),
        ("system page", system),
        ("SoA", f"/o/{ORG}/soa/"),
        ("impact assessment", impact),
        ("classification record", classification),
        ("risk", risk),
        ("risk register", f"/o/{ORG}/risks/"),
        ("controls", f"/o/{ORG}/controls/"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="use (and keep) this data directory instead of a temporary one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.keep or Path(tmp)
        port = free_port()
        server = start_demo(data_dir, port)
        base = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                page = context.new_page()
                page.goto(f"{base}/accounts/login/")
                page.fill("input[name=username]", USER)
                page.fill("input[name=password]", PASSWORD)
                page.press("input[name=password]", "Enter")
                page.wait_for_url(lambda url: "/accounts/login/" not in url)
                targets = pages_to_measure(page, base)
                wide = {name: measure(page, base + url) for name, url in targets}
                page.set_viewport_size({"width": 390, "height": 844})
                narrow = {name: measure(page, base + url) for name, url in targets}
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"{'page':<24}{'height@1280':>12}{'width@1280':>12}{'width@390':>11}")
    for name, _url in targets:
        print(f"{name:<24}{wide[name][0]:>12}{wide[name][1]:>12}{narrow[name][1]:>11}")


if __name__ == "__main__":
    main()
