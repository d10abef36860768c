from django.urls import path

from heng.goals import views

app_name = "goals"

urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.me, name="me"),
    path("people/<int:employee_id>/", views.person, name="person"),
    path("tree/", views.tree, name="tree"),
    path("team/", views.team, name="team"),
    path("alerts/", views.alerts, name="alerts"),
    path("new/", views.create, name="create"),
    path("<int:goal_id>/", views.detail, name="detail"),
    path("<int:goal_id>/edit/", views.edit, name="edit"),
    path("<int:goal_id>/notes/", views.post_note, name="note"),
    path("<int:goal_id>/weights/", views.set_weights, name="weights"),
    path("<int:goal_id>/archive/", views.archive, name="archive"),
]
