from django.urls import path

from heng.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox_page, name="inbox"),
    path("read/", views.mark_read, name="read"),
    path("channels/", views.channels_page, name="channels"),
]
