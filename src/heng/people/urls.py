from django.urls import path

from heng.people import views

urlpatterns = [
    path("import/", views.import_page, name="people-import"),
    path(
        "import/template/<str:kind>.<str:fmt>", views.import_template, name="people-import-template"
    ),
    path("<int:employee_id>/reveal/<str:field>/", views.reveal, name="people-reveal"),
    path("<int:employee_id>/history/", views.history, name="people-history"),
    path(
        "contracts/<int:contract_id>/reveal/", views.contract_reveal, name="people-contract-reveal"
    ),
]
