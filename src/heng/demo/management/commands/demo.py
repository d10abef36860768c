from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from heng.demo.build import build_demo
from heng.demo.company import DEMO_PASSWORD


class Command(BaseCommand):
    help = (
        "Build the demo company (12 retail branches, operations department, dispatched chefs, "
        "the e-commerce company's eight departments) with demo logins. Safe to run again: "
        "nothing is duplicated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--employees",
            type=int,
            default=400,
            help="how many people in total (default 400; 100000 works)",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=2026,
            help="random seed: the same seed gives the same company",
        )

    def handle(self, *args: Any, employees: int, seed: int, **options: Any) -> None:
        accounts = build_demo(
            employees=employees, seed=seed, progress=lambda m: self.stdout.write(f"  {m}")
        )
        self.stdout.write(
            self.style.SUCCESS(f"\nDemo company ready. Logins (password: {DEMO_PASSWORD}):")
        )
        for a in accounts:
            self.stdout.write(f"  {a.username:<12} {a.role:<12} sees {a.sees}")
