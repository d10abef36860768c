"""``heng``: the admin command line.

``heng score ...`` runs the pure scoring engine on a scenario file and needs no database.
Everything else is a Django management command (ours and Django's): ``heng demo``,
``heng runserver``, ``heng migrate``, ``heng createsuperuser``, ``heng worker`` …
"""

from __future__ import annotations

import os
import sys

_INTRO = """衡 Heng — fair, data-driven performance assessment.

Usage: heng <command> [options]      (heng <command> --help for details)

Everyday commands:
  demo              build the demo company (safe to run again) and print its logins
  runserver         serve the web UI (default http://127.0.0.1:8000)
  worker            run the background worker (scheduled pulls, reminders, scoring)
  score FILE.yaml   score a scenario file with the engine and print the result
  migrate           create or update the database tables
  createsuperuser   create an administrator login
  token             create, list or revoke API tokens for a user
  import KIND FILE  import units, employees, assignments or contracts (--dry-run first)
  ingest SRC FILE   load a CSV/XLSX of business metrics into a data source (--dry-run first)
  scheme            export or import an assessment scheme as a YAML file
  cycle             list appraisal cycles, score one (with a progress bar), send reminders
  verify-ledger     check the hash chain of published results; names the first broken entry
  backup FILE       the whole database into one portable, checksummed file
  restore FILE      load a backup into an empty database and verify it
  rotate-keys       re-encrypt sensitive fields under the active key (--status, --add-key)

All Django commands are available too: heng help --commands
"""


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(_INTRO)
        return 0
    if args[0] == "score":
        from heng.engine.cli import main as score_main

        return int(score_main(args[1:]))
    if args[0] == "worker":
        args = ["run_huey", *args[1:]]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heng.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["heng", *args])
    return 0  # Django's commands exit through SystemExit on failure


if __name__ == "__main__":
    raise SystemExit(main())
