"""``heng cycle list`` / ``heng cycle score <id>`` (tqdm progress bar) / ``heng cycle remind``."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from heng.core.errors import ApplicationError
from heng.performance.models import Cycle
from heng.performance.services.cycles import cycle_remind
from heng.performance.services.scoring import Timings, cycle_score


class Command(BaseCommand):
    help = "Appraisal cycles: list, score (in the foreground, with a progress bar), remind."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="all cycles with state and size")
        score = sub.add_parser("score", help="score a cycle now (replaces its results)")
        score.add_argument("cycle", help="cycle id or code")
        remind = sub.add_parser("remind", help="send today's deadline reminders")
        remind.add_argument("cycle", help="cycle id or code")

    def _cycle(self, ref: str) -> Cycle:
        found = Cycle.objects.filter(pk=int(ref)) if ref.isdigit() else Cycle.objects.none()
        cycle = found.first() or Cycle.objects.filter(code=ref).first()
        if cycle is None:
            raise CommandError(f"no cycle {ref}")
        return cycle

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            for c in Cycle.objects.all():
                n = c.participants.count()
                self.stdout.write(f"{c.pk:>4} {c.code:<16} {c.state:<16} {n:>7} {c.name}")
            return
        cycle = self._cycle(options["cycle"])
        if action == "remind":
            self.stdout.write(f"{cycle_remind(cycle=cycle)} reminder(s) sent")
            return
        timings = Timings()
        with tqdm(total=100, desc=f"scoring {cycle.code}", unit="%") as bar:

            def progress(pct: int, stage: str) -> None:
                bar.set_postfix_str(stage)
                bar.update(pct - bar.n)

            try:
                n = cycle_score(cycle=cycle, progress=progress, timings=timings)
            except ApplicationError as exc:
                raise CommandError(f"{exc.code}: {exc.message}") from None
        self.stdout.write(
            f"{n} results stored (read {timings.read:.2f} s, score {timings.score:.2f} s, "
            f"write {timings.write:.2f} s)"
        )
