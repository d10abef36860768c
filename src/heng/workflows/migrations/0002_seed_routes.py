"""The two routes every installation starts with (editable in the admin afterwards).

Transfer (seed 002 §3.2: 本人申请 → 部门审核 → 人事审批 → 领导签字): the applicant's unit head
reviews, the region's HR approves, the head one level above signs off.
Dispatch to a partner store: the home unit's head reviews, HR approves.
"""

from django.db import migrations

from heng.workflows.default_routes import ROUTES, ensure_default_routes


def seed(apps, schema_editor):
    ensure_default_routes(apps.get_model("workflows", "Route"), apps.get_model("workflows", "RouteStep"))


def unseed(apps, schema_editor):
    apps.get_model("workflows", "Route").objects.filter(
        code__in=[r[0] for r in ROUTES], requests__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("workflows", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
