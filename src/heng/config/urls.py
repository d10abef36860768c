from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from heng.config.api import api

admin.site.site_header = "衡 Heng"
admin.site.site_title = "衡 Heng"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("heng.accounts.urls")),
    path("people/", include("heng.people.urls")),
    path("audit/", include("heng.core.urls")),
    path("approvals/", include("heng.workflows.urls")),
    path("performance/", include("heng.performance.urls")),
    path("integrations/", include("heng.integrations.urls")),
    path("notifications/", include("heng.notifications.urls")),
    path("goals/", include("heng.goals.urls")),
    path("", include("heng.web.urls")),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += list(staticfiles_urlpatterns())  # type: ignore[arg-type]
