"""The newcomer walk through the pages: template → upload → map → preview → commit → values →
lineage; plus the size limit, quarantine download and who may see what."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from heng.integrations.models import Batch, Fact


def login(client: Any, world: Any, name: str) -> None:
    client.force_login(world.users[name], backend="django.contrib.auth.backends.ModelBackend")


def _template_rows(client: Any) -> list[str]:
    answer = client.get("/integrations/sources/douyin/template.csv")
    assert answer.status_code == 200
    text = answer.content.decode("utf-8-sig")
    return next(csv.reader(io.StringIO(text)))


def test_a_newcomer_uploads_the_template_previews_commits_and_sees_the_values(
    client: Any, world: Any, douyin: Any
) -> None:
    login(client, world, "hr")
    # given the template's columns, filled in with 3 good rows, a test-account row, a
    # duplicate and a row with text where a number belongs
    header = _template_rows(client)
    assert header[:2] == ["employee_no", "date"]
    lines = [",".join(header)]

    def row(**values: str) -> str:
        return ",".join(values.get(h, "") for h in header)

    lines += [
        row(employee_no="T001", date="2026-01-05", plays="100", views="50", orders="5"),
        row(employee_no="T001", date="2026-01-06", plays="300", views="150", orders="10"),
        row(employee_no="T002", date="2026-01-05", plays="40", views="20", orders="1"),
        row(employee_no="T002", date="2026-01-05", plays="40", views="20", orders="1"),
        row(employee_no="T003", date="2026-01-05", plays="9", account="测试号"),
        row(employee_no="T003", date="2026-01-06", plays="很多"),
    ]
    upload = SimpleUploadedFile("douyin.csv", "\n".join(lines).encode("utf-8"), "text/csv")
    # when uploaded, the mapping is guessed and a dry run shows the errors
    answer = client.post("/integrations/sources/douyin/upload/", {"file": upload})
    assert answer.status_code == 302
    map_url = answer["Location"]
    page = client.get(map_url)
    assert page.status_code == 200
    mapping = {f: f for f in header}
    answer = client.post(map_url, mapping)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    detail = client.get(answer["Location"])
    html = detail.content.decode()
    assert 'data-testid="received">6<' in html
    assert 'data-testid="duplicates">1<' in html
    assert 'data-testid="test-rows">1<' in html
    assert 'data-testid="quarantined">1<' in html
    assert "很多" in html
    assert not Fact.objects.exists()  # a preview writes nothing
    # when committed
    batch = Batch.objects.get()
    answer = client.post(f"/integrations/batches/{batch.pk}/commit/", {})
    assert answer.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.committed, batch.facts) == ("committed", 3, 9)
    # then the values page shows T001's plays 100 + 300 = 400 and links to the lineage
    values = client.get(
        "/integrations/sources/douyin/values/", {"start": "2026-01-01", "end": "2026-01-31"}
    ).content.decode()
    assert ">400<" in values
    link = re.search(
        r'href="(/integrations/lineage/\?employee=\d+&formula=douyin.plays[^"]*)"', values
    )
    assert link is not None
    lineage = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert 'data-testid="lineage-value">400<' in lineage
    assert f"#{batch.pk}" in lineage


def test_an_upload_over_the_limit_is_refused_before_it_is_stored(
    client: Any, world: Any, douyin: Any, settings: Any
) -> None:
    login(client, world, "hr")
    settings.HENG_INGEST_MAX_BYTES = 1000
    big = SimpleUploadedFile("big.csv", b"employee_no,date,plays\n" + b"T001,2026-01-05,1\n" * 200)
    answer = client.post("/integrations/sources/douyin/upload/", {"file": big})
    assert answer.status_code == 413
    assert "limit" in answer.content.decode()
    assert not Batch.objects.exists()


def test_a_malformed_file_is_refused_with_the_row_that_is_wrong(
    client: Any, world: Any, douyin: Any
) -> None:
    login(client, world, "hr")
    bad = SimpleUploadedFile("bad.csv", b'employee_no,date,plays\nT001,2026-01-05,"1\nT002,x\n')
    answer = client.post("/integrations/sources/douyin/upload/", {"file": bad})
    assert answer.status_code == 422
    assert "not valid CSV" in answer.content.decode() or "CSV" in answer.content.decode()
    assert not Batch.objects.exists()


def test_quarantined_rows_download_as_csv_with_their_reasons(
    client: Any, world: Any, douyin: Any
) -> None:
    from heng.integrations.files import table_from_records
    from heng.integrations.services import batch_ingest

    batch = batch_ingest(
        source=douyin,
        table=table_from_records([{"employee_no": "T404", "date": "2026-01-05", "plays": 3}]),
        via="api",
        actor=None,
    ).batch
    login(client, world, "hr")
    answer = client.get(f"/integrations/batches/{batch.pk}/quarantine.csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["_quarantine_id", "_source_row", "_reason"]
    assert "T404" in rows[1][2]
    assert rows[1][3:6] == ["T404", "2026-01-05", "3"]


def test_pages_are_not_found_for_people_without_a_data_role(
    client: Any, world: Any, douyin: Any
) -> None:
    for name in ("gz_manager", "gz1", "nobody"):
        login(client, world, name)
        assert client.get("/integrations/").status_code == 404
        assert client.get("/integrations/sources/douyin/").status_code == 404
        answer = client.post(
            "/integrations/sources/douyin/upload/",
            {"file": SimpleUploadedFile("a.csv", b"employee_no,date\n")},
        )
        assert answer.status_code == 404
    assert not Batch.objects.exists()


def test_the_auditor_reads_but_cannot_upload(client: Any, world: Any, douyin: Any) -> None:
    login(client, world, "auditor")
    assert client.get("/integrations/").status_code == 200
    assert client.get("/integrations/sources/douyin/").status_code == 200
    answer = client.post(
        "/integrations/sources/douyin/upload/",
        {"file": SimpleUploadedFile("a.csv", b"employee_no,date\n")},
    )
    assert answer.status_code == 403
    assert not Batch.objects.exists()


def test_templates_download_as_csv_and_excel(client: Any, world: Any, erp: Any) -> None:
    login(client, world, "hr")
    header = next(
        csv.reader(
            io.StringIO(
                client.get("/integrations/sources/erp/template.csv").content.decode("utf-8-sig")
            )
        )
    )
    assert header == ["employee_no", "date", "metric", "value", "order_id", "is_test", "customer"]
    xlsx = client.get("/integrations/sources/erp/template.xlsx")
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"


def test_a_large_upload_is_committed_by_the_background_worker(
    client: Any, world: Any, douyin: Any, settings: Any
) -> None:
    # given a worker that runs tasks at once and a threshold of one row
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.HENG_INGEST_BACKGROUND_ROWS = 1
    login(client, world, "hr")
    text = "employee_no,date,plays\nT001,2026-01-05,10\nT002,2026-01-05,20\n"
    answer = client.post(
        "/integrations/sources/douyin/upload/", {"file": SimpleUploadedFile("d.csv", text.encode())}
    )
    batch = Batch.objects.get()
    client.post(
        answer["Location"], {"employee_no": "employee_no", "date": "date", "plays": "plays"}
    )
    # when committed, the page hands the batch to the worker
    answer = client.post(f"/integrations/batches/{batch.pk}/commit/", {})
    assert answer.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.facts) == ("committed", 2)
    page = client.get(f"/integrations/batches/{batch.pk}/", HTTP_HX_REQUEST="true")
    assert 'data-testid="status"' in page.content.decode()
