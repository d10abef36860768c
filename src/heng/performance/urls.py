from django.urls import path

from heng.performance.views import library, people, schemes

app_name = "performance"

urlpatterns = [
    path("indicators/", library.indicator_list, name="indicator-list"),
    path("indicators/new/", library.indicator_new, name="indicator-new"),
    path("indicators/<str:code>/", library.indicator_edit, name="indicator-edit"),
    path("indicators/<str:code>/delete/", library.indicator_delete, name="indicator-delete"),
    path("schemes/", schemes.scheme_list, name="scheme-list"),
    path("schemes/new/", schemes.scheme_new, name="scheme-new"),
    path("schemes/import/", schemes.scheme_import, name="scheme-import"),
    path("schemes/<str:code>/", schemes.scheme_edit, name="scheme-edit"),
    path("schemes/<str:code>/header/", schemes.scheme_header, name="scheme-header"),
    path("schemes/<str:code>/weights/", schemes.weights_save, name="scheme-weights"),
    path("schemes/<str:code>/weights/total/", schemes.weights_total, name="scheme-total"),
    path("schemes/<str:code>/lines/", schemes.line_add, name="scheme-line-add"),
    path(
        "schemes/<str:code>/lines/<str:indicator>/remove/",
        schemes.line_remove,
        name="scheme-line-remove",
    ),
    path("schemes/<str:code>/overrides/", schemes.override_add, name="scheme-override-add"),
    path(
        "schemes/<str:code>/overrides/<str:override>/remove/",
        schemes.override_remove,
        name="scheme-override-remove",
    ),
    path("schemes/<str:code>/publish/", schemes.publish, name="scheme-publish"),
    path("schemes/<str:code>/file/", schemes.scheme_file, name="scheme-file"),
    path("resolved/", people.resolved, name="resolved"),
    path("what-if/", people.what_if, name="what-if"),
]

# Cycles and scorecards (issue #5).
from heng.performance.views import cycles as cycle_views  # noqa: E402

urlpatterns += [
    path("cycles/", cycle_views.cycle_list, name="cycle-list"),
    path("cycles/<int:pk>/", cycle_views.cycle_detail, name="cycle-detail"),
    path("cycles/<int:pk>/score/", cycle_views.cycle_score_view, name="cycle-score"),
    path("scorecard/", cycle_views.scorecard, name="scorecard"),
]
