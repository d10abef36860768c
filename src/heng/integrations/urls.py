from django.urls import path, re_path

from heng.integrations import views, views_data

app_name = "integrations"

urlpatterns = [
    path("", views.source_list, name="sources"),
    path("sources/<slug:code>/", views.source_detail, name="source-detail"),
    re_path(
        r"^sources/(?P<code>[-\w]+)/template\.(?P<kind>csv|xlsx)$",
        views.template_download,
        name="template",
    ),
    path("sources/<slug:code>/upload/", views.upload, name="upload"),
    path("sources/<slug:code>/values/", views_data.source_values, name="values"),
    path("batches/<int:batch_id>/", views.batch_detail, name="batch-detail"),
    path("batches/<int:batch_id>/map/", views.batch_map_view, name="batch-map"),
    path("batches/<int:batch_id>/commit/", views.batch_commit_view, name="batch-commit"),
    path("batches/<int:batch_id>/revoke/", views.batch_revoke_view, name="batch-revoke"),
    path("batches/<int:batch_id>/quarantine/", views.quarantine_list, name="quarantine"),
    path("batches/<int:batch_id>/quarantine.csv", views.quarantine_download, name="quarantine-csv"),
    path("lineage/", views_data.lineage, name="lineage"),
    path("connectors/new/", views_data.connector_new, name="connector-new"),
    path("connectors/<int:connector_id>/", views_data.connector_detail, name="connector-detail"),
    path("connectors/<int:connector_id>/edit/", views_data.connector_edit, name="connector-edit"),
    path(
        "connectors/<int:connector_id>/enable/",
        views_data.connector_enable,
        name="connector-enable",
    ),
    path("connectors/<int:connector_id>/run/", views_data.connector_run_now, name="connector-run"),
]
