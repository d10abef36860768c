from django.urls import path

from heng.workflows import views

urlpatterns = [
    path("", views.home, name="approval-home"),
    path("inbox/", views.inbox_page, name="approval-inbox"),
    path("all/", views.all_requests, name="approval-list"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path("new/<str:kind>/", views.apply, name="approval-apply"),
    path("<int:request_id>/", views.detail, name="approval-detail"),
    path("<int:request_id>/decide/", views.decide, name="approval-decide"),
    path("<int:request_id>/withdraw/", views.withdraw, name="approval-withdraw"),
]
