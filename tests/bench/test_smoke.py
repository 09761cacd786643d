"""Every benchmark runs, at a tiny size, in the suite: so a change that breaks one (its answers no
longer agreeing, an extension in an answer it compares, a renamed field) fails CI instead of rotting
until someone runs it (#15: `./bench/compare` failed on a clean clone for a week). The figures of a
tiny run mean nothing; what is checked is that each runs to its end and that what it compares agrees.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BASE_URL

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

# (the command, what its output must show: its checks passed and its summary line)
BENCHMARKS = {
    "compare": (
        [
            str(ROOT / "bench" / "compare"),
            "--duration",
            "1",
            "--warmup",
            "1",
            "--connections",
            "2",
            "--threads",
            "1",
            "--workers",
            "1",
            "--points",
            "5",
        ],
        [
            r"check W1 linli=postgraphile",
            r"check W2 linli=postgraphile",
            r"check W3 linli=raw",
            r"^W1 linli=\d+ req/s .* ratio=",
            r"^W2 .* ratio=",
            r"^W3 .* ratio=",
        ],
    ),
    "facilities_scale": (
        [PYTHON, "bench/facilities_scale.py", "--sizes", "200,400", "--requests", "20", "--concurrency", "2"],
        [r"p50 ratio 400/200 = ", r"memory after 400 facilities"],
    ),
    "facilities_import": (
        [PYTHON, "bench/facilities_import.py", "--rows", "1000"],
        [
            r"^geojson import: 1000 rows .* 998 inserted, 2 rejected",
            r"^csv re-import: .* 0 inserted, 0 updated, 998 unchanged",
            r"^check geojson idempotent ok",
            r"^check csv idempotent ok",
        ],
    ),
    "alerts_scale": (
        [PYTHON, "bench/alerts_scale.py", "--sizes", "1000,2000", "--requests", "10", "--concurrency", "2"],
        [r"worst p50 ratio 2000/1000 = "],
    ),
    "case_figures_scale": (
        [
            PYTHON,
            "bench/case_figures_scale.py",
            "--sizes",
            "300,600",
            "--requests",
            "10",
            "--concurrency",
            "2",
        ],
        # the figures the graph answers agree with the cases counted, at both sizes
        [r"check caseFigures = counted from cases \(12 months\) ok", r"^p50 ratio 600/300 one organisation "],
    ),
    "availability_scale": (
        [
            PYTHON,
            "bench/availability_scale.py",
            "--sizes",
            "100,200",
            "--requests",
            "10",
            "--concurrency",
            "2",
        ],
        [r"worst p50 ratio 200/100 = "],
    ),
    "readings_ingest": (
        [PYTHON, "bench/readings_ingest.py", "--batches", "3", "--rounds", "1", "--batch-size", "50"],
        [r"stored: linli=(\d+) asyncpg=\1;", r"ingest linli=\d+ asyncpg=\d+ ratio="],
    ),
    "auth_overhead": (
        [PYTHON, "bench/auth_overhead.py", "--rounds", "1", "--requests", "20", "--instructions", "0"],
        [
            r"^W1 \(anonymous\) ",
            r"^careAlerts ",
            r"^worst rise in CPU p50 ",
            r"^worst rise in instructions: not counted",
        ],
    ),
    "auth_overhead_without_sessions": (
        [
            PYTHON,
            "bench/auth_overhead.py",
            "--without-sessions",
            "--rounds",
            "1",
            "--requests",
            "20",
            "--instructions",
            "0",
        ],
        [r"baseline this tree without the session check$", r"^me ", r"^worst rise in CPU p50 "],
    ),
    "feed_fanout": (
        [PYTHON, "bench/feed_fanout.py", "--subscribers", "5", "--seconds", "3"],
        # every subscriber of the working tree got every event it may see, none missed
        [r"^baseline +5 +3 ", r"^current +5 +3 +(\d+)/\1 +0 ", r"^goal \(current"],
    ),
}


@pytest.mark.parametrize("name", BENCHMARKS)
def test_the_benchmark_runs_and_its_answers_agree(name):
    command, expected = BENCHMARKS[name]
    env = {**os.environ, "DATABASE_URL": BASE_URL.replace("postgresql+asyncpg://", "postgresql://", 1)}

    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)

    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{name} exited {done.returncode}:\n{output[-3000:]}"
    missing = [pattern for pattern in expected if not re.search(pattern, done.stdout, re.MULTILINE)]
    assert missing == [], f"{name} did not print {missing}:\n{done.stdout[-3000:]}"
