"""Scheme files: lossless export → import → export, and refusals with line numbers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import translation

from heng.core.errors import ValidationFailed
from heng.performance import services
from heng.performance.models import Framework, Indicator, Scheme, SchemeVersion
from heng.performance.services import ChangeIn

D = Decimal


@pytest.fixture(autouse=True)
def _in_english() -> Any:
    """These tests read the refusal texts (line numbers, reasons) in English; the Chinese
    texts are the same messages through the catalogue (see the last test)."""
    with translation.override("en"):
        yield


@pytest.fixture
def rich(world: Any, sales_scheme: Scheme, library: Any) -> Scheme:
    """A scheme using most of what a file can hold."""
    services.indicator_update(
        actor=None,
        indicator=library["SALES"],
        description="第一行\n第二行: 含冒号 # 与井号",
        unit="万元",
    )
    services.scheme_update(actor=None, scheme=sales_scheme, description='销售代表 "一岗一策"')
    services.scheme_weights_set(
        actor=None, scheme=sales_scheme, weights={"SALES": D("39.9999"), "NEWCUST": D("30.0001")}
    )
    services.scheme_line_update(
        actor=None,
        line=sales_scheme.lines.get(indicator__code="SALES"),
        target_method="fixed",
        target_value=D("123.45"),
    )
    services.override_save(
        actor=None,
        scheme=sales_scheme,
        code="peak",
        name="旺季",
        valid_from=dt.date(2025, 11, 1),
        valid_to=dt.date(2025, 11, 30),
        note="双十一",
        changes=[ChangeIn("SALES", weight=D("49.9999")), ChangeIn("NEWCUST", weight=D("20.0001"))],
    )
    services.override_save(
        actor=None,
        scheme=sales_scheme,
        code="north",
        unit=world.units["RN"],
        changes=[
            ChangeIn("COMPLAINT", action="remove"),
            ChangeIn(
                "VISITS",
                weight=D(30),
                rule="frequency",
                params={"minimum": 3, "mode": "all_or_nothing"},
                source_set="hq",
            ),
        ],
    )
    services.override_save(
        actor=None,
        scheme=sales_scheme,
        code="me",
        employee=world.people["gz2"],
        changes=[
            ChangeIn("COMPLAINT", params={"cap": 110}, target_method="fixed", target_value=D("0.5"))
        ],
    )
    sales_scheme.refresh_from_db()
    return sales_scheme


def test_export_import_export_is_byte_identical(rich: Scheme) -> None:
    first = services.scheme_file_export(rich)
    # when the scheme is deleted and imported again from its own file
    rich.delete()
    report = services.scheme_file_import(actor=None, text=first)
    again = services.scheme_file_export(Scheme.objects.get(code="SALES-REP"))
    # then the second export is the same bytes, and the file reads like a person wrote it
    assert again.encode() == first.encode()
    assert ("scheme", "SALES-REP", "created") in report.actions
    assert "39.9999" in first
    assert "销售额" in first  # Chinese kept as text, not \u escapes
    assert "from: '2025-11-01'" in first


def test_importing_the_same_file_changes_nothing(rich: Scheme) -> None:
    text = services.scheme_file_export(rich)
    services.scheme_publish(actor=None, scheme=rich)
    report = services.scheme_file_import(actor=None, text=text)
    rich.refresh_from_db()
    assert ("scheme", "SALES-REP", "unchanged") in report.actions
    assert rich.has_draft_changes is False


def test_a_version_exports_what_was_frozen(rich: Scheme) -> None:
    services.scheme_publish(actor=None, scheme=rich)
    frozen = services.scheme_file_export(rich, version=1)
    services.scheme_weights_set(actor=None, scheme=rich, weights={"SALES": D(40), "NEWCUST": D(30)})
    assert services.scheme_file_export(rich, version=1) == frozen
    assert services.scheme_file_export(rich) != frozen


def _refused(text: str) -> ValidationFailed:
    before = (Scheme.objects.count(), Indicator.objects.count(), Framework.objects.count())
    with pytest.raises(ValidationFailed) as caught:
        services.scheme_file_import(actor=None, text=text)
    assert (Scheme.objects.count(), Indicator.objects.count(), Framework.objects.count()) == before
    return caught.value


def _edited(rich: Scheme, old: str, new: str) -> str:
    text = services.scheme_file_export(rich)
    assert old in text
    rich.delete()
    return text.replace(old, new, 1)


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_weights_30_plus_69_99_are_refused_with_the_line(rich: Scheme) -> None:
    text = _edited(rich, "weight: 39.9999", "weight: 39.9899")
    error = _refused(text)
    assert error.code == "weights_not_100"
    assert "99.99" in error.message
    assert error.message.startswith(f"line {_line_of(text, 'lines:')}:")


def test_a_nan_weight_is_refused_with_its_line(rich: Scheme) -> None:
    text = _edited(rich, "weight: 39.9999", "weight: .nan")
    error = _refused(text)
    assert error.message.startswith(f"line {_line_of(text, 'weight: .nan')}:")
    assert "finite" in error.message


def test_an_unknown_rule_is_refused_with_its_line(rich: Scheme) -> None:
    text = _edited(rich, "rule: frequency", "rule: magic")
    error = _refused(text)
    assert "magic" in error.message
    assert error.message.startswith(f"line {_line_of(text, 'rule: magic')}:")


def test_a_missing_parameter_is_refused_naming_it(rich: Scheme) -> None:
    text = _edited(rich, "    minimum: 4\n", "")
    error = _refused(text)
    assert "minimum" in error.message


def test_an_override_indicator_outside_the_library_is_refused(rich: Scheme) -> None:
    text = _edited(
        rich,
        "indicator: VISITS\n    action: set\n    weight: 30",
        "indicator: GHOST\n    action: set\n    weight: 30",
    )
    error = _refused(text)
    assert "GHOST" in error.message
    assert error.message.startswith(f"line {_line_of(text, 'indicator: GHOST')}:")


def test_unknown_and_duplicate_keys_and_broken_yaml_are_refused(rich: Scheme) -> None:
    text = services.scheme_file_export(rich)
    rich.delete()
    unknown = text.replace("  name_en: ''\n", "  name_en: ''\n  colour: red\n", 1)
    assert "colour" in _refused(unknown).message
    duplicate = text.replace("  name_en: ''\n", "  name_en: ''\n  name_en: x\n", 1)
    error = _refused(duplicate)
    assert "twice" in error.message
    assert error.message.startswith(f"line {_line_of(duplicate, 'name_en: x')}:")
    broken = text.replace("lines:\n", "lines: [\n", 1)
    assert "YAML" in _refused(broken).message


def test_management_commands_export_and_dry_run_import(rich: Scheme, tmp_path: Path) -> None:
    out = StringIO()
    call_command("scheme", "export", "SALES-REP", stdout=out)
    file = tmp_path / "sales.yaml"
    file.write_text(out.getvalue(), encoding="utf-8")
    assert out.getvalue() == services.scheme_file_export(rich)
    rich.delete()
    report = StringIO()
    call_command("scheme", "import", str(file), "--dry-run", stdout=report)
    assert "dry run" in report.getvalue()
    assert not Scheme.objects.filter(code="SALES-REP").exists()
    call_command("scheme", "import", str(file), "--publish", stdout=report)
    assert SchemeVersion.objects.get(scheme__code="SALES-REP").number == 1


LAUGHS = "a: &a ['lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol']\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)


def test_aliases_and_deep_nesting_are_refused(world: Any) -> None:
    from heng.performance.whatif import whatif_run

    for text in (LAUGHS, "a: " + "[" * 5000 + "]" * 5000):
        with pytest.raises(ValidationFailed) as caught:
            services.scheme_file_import(actor=None, text=text)
        assert caught.value.message.startswith("line ")
        with pytest.raises(ValidationFailed):
            whatif_run(text)
    assert not Scheme.objects.exists()


def test_a_refusal_names_the_line_in_chinese_for_a_chinese_user(rich: Scheme) -> None:
    text = _edited(rich, "weight: 39.9999", "weight: 39.9899")
    with translation.override("zh-hans"):
        error = _refused(text)
    assert error.message.startswith(f"第 {_line_of(text, 'lines:')} 行：")
    assert "各行权重之和必须正好为 100，当前为 99.99" in error.message
