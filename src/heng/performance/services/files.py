"""Scheme files: import a whole scheme (framework, indicators, lines, overrides) from YAML.

The file is checked completely before anything is written: a refusal names the line and
the reason, and nothing is half-saved. ``dry_run`` runs the very same writes inside a
transaction that is rolled back, so the report of a dry run is exactly what a real import
would do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from heng.accounts.models import User
from heng.org.models import OrgUnit, Position
from heng.people.models import Employee
from heng.performance.documents.check import check_document
from heng.performance.documents.model import Doc, Problems, to_decimal
from heng.performance.documents.parse import fill_defaults, parse_document
from heng.performance.documents.yamlio import dump_document, parse_text
from heng.performance.errors import problems_error
from heng.performance.models import (
    Framework,
    Indicator,
    OverrideChange,
    Scheme,
    SchemeAssignment,
    SchemeLine,
    SchemeOverride,
    SchemeVersion,
)
from heng.performance.selectors.documents import (
    DbDirectory,
    framework_document,
    indicator_document,
    scheme_document,
)
from heng.performance.services.audit import record
from heng.performance.services.indicators import mark_schemes_using
from heng.performance.services.publish import scheme_publish


@dataclass
class ImportReport:
    scheme: str
    dry_run: bool
    actions: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, code, what)
    version: int | None = None

    def add(self, kind: str, code: str, what: str) -> None:
        self.actions.append((kind, code, what))

    def as_dict(self) -> dict[str, Any]:
        return {
            "scheme": self.scheme,
            "dry_run": self.dry_run,
            "version": self.version,
            "actions": [{"kind": k, "code": c, "result": w} for k, c, w in self.actions],
        }


def scheme_file_export(scheme: Scheme, *, version: int | None = None) -> str:
    """The scheme file of the working copy, or of a published version."""
    if version is None:
        return dump_document(scheme_document(scheme))
    found = SchemeVersion.objects.get(scheme=scheme, number=version)
    return dump_document(found.document)


def _complete_indicators(document: Doc) -> None:
    """Indicators the file uses but does not define are taken from the library, if there."""
    defined = {i["code"] for i in document["indicators"]}
    used = {line["indicator"] for line in document["lines"]} | {
        c["indicator"] for o in document["overrides"] for c in o["changes"]
    }
    missing = sorted(used - defined)
    for indicator in Indicator.objects.filter(code__in=missing).order_by("code"):
        document["indicators"].append(indicator_document(indicator))
    document["indicators"].sort(key=lambda i: i["code"])


def scheme_file_import(
    *,
    actor: User | None,
    text: str,
    dry_run: bool = False,
    publish: bool = False,
    effective_from: dt.date | None = None,
) -> ImportReport:
    """Create or update the scheme (by code) and what it uses from a scheme file."""
    problems = Problems()
    document, line_of = parse_text(text, problems)
    return _import(
        document,
        problems,
        line_of,
        actor=actor,
        dry_run=dry_run,
        publish=publish,
        effective_from=effective_from,
    )


def scheme_document_import(
    *,
    actor: User | None,
    raw: Any,
    dry_run: bool = False,
    publish: bool = False,
    effective_from: dt.date | None = None,
) -> ImportReport:
    """The same as a file import, from already parsed data (a dict shaped like the file)."""
    problems = Problems()
    document = parse_document(raw, problems)
    return _import(
        document,
        problems,
        None,
        actor=actor,
        dry_run=dry_run,
        publish=publish,
        effective_from=effective_from,
    )


def _import(
    document: Doc | None,
    problems: Problems,
    line_of: Callable[[str], int] | None,
    *,
    actor: User | None,
    dry_run: bool,
    publish: bool,
    effective_from: dt.date | None,
) -> ImportReport:
    if document is not None and not problems:
        _complete_indicators(document)
        fill_defaults(document)
        check_document(document, DbDirectory(), problems)
    if problems or document is None:
        raise problems_error(problems, line_of=line_of)
    report = ImportReport(scheme=document["scheme"]["code"], dry_run=dry_run)
    with transaction.atomic():
        scheme = _apply(document, report)
        changed = [f"{k} {c}: {r}" for k, c, r in report.actions if r != "unchanged"]
        if changed:
            record(
                actor=actor, action="scheme.import", target=scheme, note="; ".join(changed)[:1000]
            )
        if publish and scheme.has_draft_changes:
            version = scheme_publish(
                actor=actor,
                scheme=scheme,
                effective_from=effective_from,
                note=_("imported from a scheme file"),
            )
            report.version = version.number
            report.add("version", scheme.code, f"published v{version.number}")
        if dry_run:
            transaction.set_rollback(True)
    return report


def _apply(document: Doc, report: ImportReport) -> Scheme:
    framework = _apply_framework(document["framework"], report)
    for item in document["indicators"]:
        _apply_indicator(item, report)
    head = document["scheme"]
    scheme = Scheme.objects.filter(code=head["code"]).first()
    if scheme is not None and scheme_document(scheme) == document:
        report.add("scheme", head["code"], "unchanged")
        return scheme
    values = {
        "name": head["name"],
        "name_en": head["name_en"],
        "description": head["description"],
        "framework": framework,
        "has_draft_changes": True,
    }
    if scheme is None:
        scheme = Scheme.objects.create(code=head["code"], **values)
        report.add("scheme", head["code"], "created")
    else:
        Scheme.objects.filter(pk=scheme.pk).update(**values)
        scheme.refresh_from_db()
        scheme.assignments.all().delete()
        scheme.lines.all().delete()
        scheme.overrides.all().delete()  # cascades to their changes
        report.add("scheme", head["code"], "updated (new draft)")
    _write_parts(scheme, document)
    return scheme


def _apply_framework(item: Doc, report: ImportReport) -> Framework:
    weights = item["category_weights"]
    values = {
        "name": item["name"],
        "name_en": item["name_en"],
        "description": item["description"],
        "category_weighting": weights is not None,
        "weight_result": to_decimal((weights or {}).get("result", 0)),
        "weight_process": to_decimal((weights or {}).get("process", 0)),
        "weight_growth": to_decimal((weights or {}).get("growth", 0)),
        "kpi_weight": to_decimal(item["kpi_weight"]),
        "review_weight": to_decimal(item["review_weight"]),
        "review_scale_min": to_decimal(item["review_scale"][0]),
        "review_scale_max": to_decimal(item["review_scale"][1]),
        "review_group_weights": item["review_group_weights"] or {},
        "bonus_cap": to_decimal(item["bonus_cap"]),
        "rating_bands": item["rating_bands"],
        "target_mix": item["target_mix"],
    }
    framework = Framework.objects.filter(code=item["code"]).first()
    if framework is None:
        report.add("framework", item["code"], "created")
        return Framework.objects.create(code=item["code"], **values)
    if framework_document(framework) == item:
        report.add("framework", item["code"], "unchanged")
        return framework
    for key, value in values.items():
        setattr(framework, key, value)
    framework.save()
    Scheme.objects.filter(framework=framework).update(has_draft_changes=True)
    report.add("framework", item["code"], "updated")
    return framework


def _apply_indicator(item: Doc, report: ImportReport) -> Indicator:
    source = item["value_source"]
    values = {
        "name": item["name"],
        "name_en": item["name_en"],
        "category": item["category"],
        "direction": item["direction"],
        "unit": item["unit"],
        "value_kind": source["kind"],
        "source_metric": source["metric"],
        "formula": source["formula"],
        "rule": item["rule"],
        "params": item["params"],
        "description": item["description"],
    }
    indicator = Indicator.objects.filter(code=item["code"]).first()
    if indicator is None:
        report.add("indicator", item["code"], "created")
        return Indicator.objects.create(code=item["code"], **values)
    if indicator_document(indicator) == item:
        report.add("indicator", item["code"], "unchanged")
        return indicator
    for key, value in values.items():
        setattr(indicator, key, value)
    indicator.save()
    mark_schemes_using(indicator)
    report.add("indicator", item["code"], "updated")
    return indicator


def _write_parts(scheme: Scheme, document: Doc) -> None:
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=_codes(document, "unit"))}
    positions = {p.code: p for p in Position.objects.filter(code__in=_codes(document, "position"))}
    employees = {
        e.employee_no: e
        for e in Employee.objects.filter(
            employee_no__in=[
                o["scope"]["employee"] for o in document["overrides"] if o["scope"]["employee"]
            ]
        )
    }
    indicators = {
        i.code: i
        for i in Indicator.objects.filter(code__in=[i["code"] for i in document["indicators"]])
    }
    SchemeAssignment.objects.bulk_create(
        SchemeAssignment(
            scheme=scheme,
            unit=units.get(a["unit"] or ""),
            position=positions.get(a["position"] or ""),
        )
        for a in document["scheme"]["applies_to"]
    )
    SchemeLine.objects.bulk_create(
        SchemeLine(
            scheme=scheme,
            indicator=indicators[line["indicator"]],
            weight=to_decimal(line["weight"]),
            rule=line["rule"] or "",
            params=line["params"],
            target_method=line["target"]["method"],
            target_value=to_decimal(line["target"]["value"]),
            source_set=line["source_set"],
            order=i + 1,
        )
        for i, line in enumerate(document["lines"])
    )
    for item in document["overrides"]:
        scope, period = item["scope"], item["period"]
        override = SchemeOverride.objects.create(
            scheme=scheme,
            code=item["code"],
            name=item["name"],
            note=item["note"],
            unit=units.get(scope["unit"] or ""),
            position=positions.get(scope["position"] or ""),
            employee=employees.get(scope["employee"] or ""),
            valid_from=dt.date.fromisoformat(period["from"]) if period["from"] else None,
            valid_to=dt.date.fromisoformat(period["to"]) if period["to"] else None,
        )
        OverrideChange.objects.bulk_create(
            OverrideChange(
                override=override,
                indicator=indicators[c["indicator"]],
                action=c["action"],
                weight=to_decimal(c["weight"]),
                rule=c["rule"] or "",
                params=c["params"],
                target_method=(c["target"] or {}).get("method", ""),
                target_value=to_decimal((c["target"] or {}).get("value")),
                source_set=c["source_set"] or "",
            )
            for c in item["changes"]
        )


def _codes(document: Doc, key: str) -> list[str]:
    found = [a[key] for a in document["scheme"]["applies_to"] if a[key]]
    found += [o["scope"][key] for o in document["overrides"] if o["scope"][key]]
    return found
