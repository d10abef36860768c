"""Demo indicator library and schemes of the seed cases (called from ``heng demo``).

The schemes are ordinary scheme files in ``demo_schemes/`` (the format of ``heng scheme
import``), with the numbers of the seeds and of the matching ``examples/`` scenarios:

- 000: Douyin operators, unified frame 40/30/30, regional overrides south/north/west;
- 003: eight e-commerce department schemes with the exact weights of §2.2, and the peak
  season (§3.3: business-development sales 30 → 40, new customers 25 → 15);
- 002: chefs dispatched to partner stores, store 50 + store 20 + HQ 30;
- 001: HQ operations department, KPI 70% + 360 30%, "met 10 / exceeded 12".

Each file is imported and published, in effect from 2025-01-01. Schemes that already exist
are left alone, so running the demo again changes nothing (and never overwrites a scheme
someone edited).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import yaml

from heng.performance.models import Scheme
from heng.performance.services.files import scheme_file_import

EFFECTIVE = dt.date(2025, 1, 1)
FILES = Path(__file__).resolve().parent / "demo_schemes"


def demo_files() -> list[Path]:
    return sorted(FILES.glob("*.yaml"))


def build_performance_demo(*, progress: Callable[[str], None] = print) -> int:
    """Import and publish the seed schemes that do not exist yet; returns how many."""
    made = 0
    for file in demo_files():
        text = file.read_text(encoding="utf-8")
        code = yaml.safe_load(text)["scheme"]["code"]
        if Scheme.objects.filter(code=code).exists():
            continue
        scheme_file_import(actor=None, text=text, publish=True, effective_from=EFFECTIVE)
        made += 1
    progress(f"performance: {Scheme.objects.count()} schemes ({made} new)")
    return made
