from django.urls import path

from heng.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("org/", views.org_tree, name="org-tree"),
    path("people/", views.employee_list, name="employee-list"),
    path("people/<int:employee_id>/", views.employee_detail, name="employee-detail"),
]
