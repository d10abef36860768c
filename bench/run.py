"""Run Heng's benchmarks: ``.venv/bin/python -m bench.run [--only NAME]`` (``make bench``).

Each benchmark runs in its own subprocess (``--child NAME``) so that its peak memory —
``ru_maxrss`` of that process: interpreter, imports, generated inputs, the Heng runs and
the baseline — is its own. Results are printed as one JSON line each and written to
docs/benchmarks.md (with ``--only``, only that row is replaced).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
MARKER = "BENCH-RESULT "
DATA_OPEN, DATA_CLOSE = "<!-- bench-data", "-->"

if str(ROOT / "src") not in sys.path:  # runnable from a checkout without installing
    sys.path.insert(0, str(ROOT / "src"))

from bench.harness import REGISTRY, Benchmark, ratio_of, requirement_missing  # noqa: E402


def discover() -> None:
    for path in sorted((ROOT / "bench").glob("bench_*.py")):
        importlib.import_module(f"bench.{path.stem}")


def machine() -> dict[str, Any]:
    try:
        import polars

        polars_version = polars.__version__
    except ImportError:  # pragma: no cover
        polars_version = "—"
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "polars": polars_version,
        "platform": f"{platform.system()} {platform.machine()}",
        "load": round(os.getloadavg()[0], 2),
    }


def run_child(name: str) -> int:
    """Inside the subprocess: run one benchmark and print its raw result."""
    measured = REGISTRY[name].func()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(MARKER + json.dumps({**measured, "peak_mib": round(peak_mib, 1)}))
    return 0


def run_one(bench: Benchmark) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name": bench.name,
        "unit": bench.unit,
        "goal": bench.goal.text(bench.unit),
    }
    for requirement in bench.requires:
        why = requirement_missing(requirement)
        if why is not None:
            return {**row, "skipped": why}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--child", bench.name],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [x for x in proc.stdout.splitlines() if x.startswith(MARKER)]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-12:]
        return {**row, "error": "\n".join(tail) or f"exit status {proc.returncode}"}
    raw = json.loads(lines[-1][len(MARKER) :])
    value, baseline = float(raw["value"]), raw.get("baseline")
    ratio = ratio_of(bench.unit, value, baseline)
    return {
        **row,
        "value": round(value, 4),
        "baseline": None if baseline is None else round(float(baseline), 4),
        "ratio": None if ratio is None else round(ratio, 1),
        "peak_mib": raw["peak_mib"],
        "pass": bench.goal.check(value, ratio, raw["peak_mib"]),
        "notes": raw.get("notes", ""),
    }


def _load_rows() -> dict[str, dict[str, Any]]:
    if not DOCS.exists():
        return {}
    text = DOCS.read_text(encoding="utf-8")
    start = text.find(DATA_OPEN)
    if start < 0:
        return {}
    end = text.find(DATA_CLOSE, start)
    rows: dict[str, dict[str, Any]] = json.loads(text[start + len(DATA_OPEN) : end])
    return rows


def _cell(value: Any, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1e5 else f"{value:,.0f}"
    return str(value)


def write_docs(rows: dict[str, dict[str, Any]], command: str) -> None:
    table = [
        "| name | value | unit | baseline | ratio | peak MiB | goal | result | measured |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    notes = []
    for name in sorted(rows):
        r = rows[name]
        if "skipped" in r or "error" in r:
            status = "skipped" if "skipped" in r else "**error**"
            table.append(
                f"| {name} | — | {r['unit']} | — | — | — | {r['goal']} | {status} | "
                f"{r.get('date', '—')} |"
            )
            notes.append(f"- **{name}**: {r.get('skipped') or r.get('error')}")
            continue
        ratio = "—" if r["ratio"] is None else f"{r['ratio']}×"
        verdict = "pass" if r["pass"] else "**fail**"
        table.append(
            f"| {name} | {_cell(r['value'])} | {r['unit']} | {_cell(r['baseline'])} | {ratio} | "
            f"{r['peak_mib']:.0f} | {r['goal']} | {verdict} | {r['date']} |"
        )
        m = r["machine"]
        notes.append(
            f"- **{name}** ({m['cpus']} CPUs, {m['platform']}, Python {m['python']}, "
            f"Polars {m['polars']}, load average {m['load']} at start): {r['notes']}"
        )
    text = "\n".join(
        [
            "# Benchmarks",
            "",
            "Generated by `bench/run.py` — do not edit by hand. Run all: `make bench` "
            "(`.venv/bin/python -m bench.run`); one: `.venv/bin/python -m bench.run --only NAME` "
            "(replaces that row only).",
            "",
            f"Last command: `{command}`",
            "",
            "*value* is Heng's figure and *baseline* the comparison measured in the same run; "
            "*ratio* > 1 means Heng is better (baseline ÷ value for times, value ÷ baseline for "
            "rates). *peak MiB* is the peak resident memory (`ru_maxrss`) of the benchmark's own "
            "subprocess: interpreter, imports, generated inputs, the Heng runs and the baseline.",
            "",
            *table,
            "",
            "## Notes",
            "",
            *notes,
            "",
            DATA_OPEN,
            json.dumps(rows, ensure_ascii=False, indent=1, sort_keys=True),
            DATA_CLOSE,
            "",
        ]
    )
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", metavar="NAME", help="run only this benchmark")
    parser.add_argument("--child", metavar="NAME", help=argparse.SUPPRESS)
    parser.add_argument("--no-docs", action="store_true", help="do not touch docs/benchmarks.md")
    args = parser.parse_args(argv)
    discover()
    if args.child:
        return run_child(args.child)
    if args.only and args.only not in REGISTRY:
        parser.error(f"unknown benchmark {args.only!r}; known: {', '.join(sorted(REGISTRY))}")
    names = [args.only] if args.only else sorted(REGISTRY)
    rows = _load_rows() if args.only else {}
    failed = False
    info = machine()
    today = dt.date.today().isoformat()
    for name in names:
        result = run_one(REGISTRY[name])
        line = {
            k: result.get(k) for k in ("name", "value", "unit", "baseline", "ratio", "peak_mib")
        }
        for extra in ("skipped", "error"):
            if extra in result:
                line[extra] = result[extra]
        print(json.dumps(line, ensure_ascii=False), flush=True)
        failed = failed or "error" in result or result.get("pass") is False
        rows[name] = {**result, "date": today, "machine": info}
    if not args.no_docs:
        command = ".venv/bin/python -m bench.run" + (f" --only {args.only}" if args.only else "")
        write_docs(rows, command)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
