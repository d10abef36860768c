"""Turn domain errors raised under a page into the right answer instead of a traceback."""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from heng.core.errors import ApplicationError, NotFound


class ApplicationErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return None  # the API has its own handlers and error format
        if isinstance(exc, NotFound):
            raise Http404(exc.message)
        if isinstance(exc, ApplicationError):
            return render(request, "web/error.html", {"error": exc}, status=exc.status)
        return None
