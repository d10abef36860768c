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

# Cycle lifecycle, creation, export and calibration pages (issue #5, F1/F3).
from heng.performance.views import calibration as calibration_views  # noqa: E402

urlpatterns += [
    path("cycles/new/", cycle_views.cycle_new, name="cycle-new"),
    path("cycles/<int:pk>/transition/", cycle_views.cycle_transition, name="cycle-transition"),
    path("cycles/<int:pk>/export.xlsx", cycle_views.cycle_export, name="cycle-export"),
    path("cycles/<int:pk>/calibration/", calibration_views.calibration, name="cycle-calibration"),
    path(
        "cycles/<int:pk>/calibration/adjust/",
        calibration_views.adjust,
        name="cycle-calibration-adjust",
    ),
]

# 360 reviews (issue #5, F2).
from heng.performance.views import reviews as review_views  # noqa: E402

urlpatterns += [
    path("reviews/", review_views.my_reviews, name="reviews-mine"),
    path("reviews/<int:pk>/", review_views.review_answer, name="review-answer"),
    path("cycles/<int:pk>/reviews/", review_views.cycle_reviews, name="cycle-reviews"),
    path(
        "cycles/<int:pk>/reviews/remind/",
        review_views.cycle_reviews_remind,
        name="cycle-reviews-remind",
    ),
    path(
        "cycles/<int:pk>/reviews/invite/",
        review_views.cycle_reviews_invite,
        name="cycle-reviews-invite",
    ),
    path(
        "cycles/<int:pk>/reviews/questionnaire/",
        review_views.cycle_questionnaire,
        name="cycle-questionnaire",
    ),
    path(
        "cycles/<int:pk>/reviews/<int:employee_id>/peers/",
        review_views.participant_peers,
        name="review-peers",
    ),
]

# Indicator values from the data and their lineage (issue #4, D4).
from heng.performance.views import indicator_data as indicator_data_views  # noqa: E402

urlpatterns += [
    path(
        "indicators/<str:code>/values/",
        indicator_data_views.indicator_values_page,
        name="indicator-values",
    ),
    path(
        "indicators/<str:code>/lineage/",
        indicator_data_views.indicator_lineage_page,
        name="indicator-lineage",
    ),
]

# Targets, manager entries and bonus points of a cycle (issue #5).
from heng.performance.views import targets as target_views  # noqa: E402

urlpatterns += [
    path("cycles/<int:pk>/targets/", target_views.targets_page, name="cycle-targets"),
    path(
        "cycles/<int:pk>/targets/upload/",
        target_views.targets_upload,
        name="cycle-targets-upload",
    ),
    path(
        "cycles/<int:pk>/targets/commit/",
        target_views.targets_commit,
        name="cycle-targets-commit",
    ),
    path(
        "cycles/<int:pk>/targets/template.<str:fmt>",
        target_views.targets_template_file,
        name="cycle-targets-template",
    ),
    path(
        "cycles/<int:pk>/targets/<int:employee_id>/<str:indicator>/",
        target_views.target_edit,
        name="cycle-target",
    ),
    path("cycles/<int:pk>/manual/", target_views.manual_page, name="cycle-manual"),
    path(
        "cycles/<int:pk>/manual/<int:employee_id>/<str:indicator>/",
        target_views.manual_set,
        name="cycle-manual-set",
    ),
    path("cycles/<int:pk>/bonus/", target_views.bonus_page, name="cycle-bonus"),
]
