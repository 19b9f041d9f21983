"""Seconds from a second `make run` until the server answers, against a bare baseline.

The first `make run` may install and load the demo; the second must reuse everything.
The baseline, measured in the same run, is the time Python needs to start Django and answer
`python -m django check` — the floor any start of Haven pays.

    .venv/bin/python bench/startup.py
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
URL = "http://127.0.0.1:8000/healthz"


def _answers() -> bool:
    try:
        with urllib.request.urlopen(URL, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def time_make_run(limit: float = 600) -> float:
    if _answers():
        raise SystemExit("Something already answers on port 8000; stop it first.")
    started = time.monotonic()
    process = subprocess.Popen(
        ["make", "run"],
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while not _answers():
            if process.poll() is not None or time.monotonic() - started > limit:
                raise SystemExit("make run stopped or did not answer in time")
            time.sleep(0.05)
        return time.monotonic() - started
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=30)
        while _answers():
            time.sleep(0.1)


def time_baseline() -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "django", "check"],
        cwd=ROOT,
        check=True,
        env=dict(os.environ, DJANGO_SETTINGS_MODULE="haven.settings"),
        stdout=subprocess.DEVNULL,
    )
    return time.monotonic() - started


def main() -> None:
    first = time_make_run()
    second = time_make_run()
    baseline = time_baseline()
    print(f"first make run until /healthz answers:  {first:.2f} s")
    print(f"second make run until /healthz answers: {second:.2f} s (target: under 5 s)")
    print(f"baseline `django check` start:          {baseline:.2f} s")
    print(f"second start / baseline: {second / baseline:.2f}")


if __name__ == "__main__":
    main()
