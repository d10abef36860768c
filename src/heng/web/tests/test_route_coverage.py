"""Every route of the project is in an authorization matrix (issue 7, "Tests that must exist").

The matrices call each route as every role with objects inside and outside the caller's scope
(workflows/tests/test_authz_matrix.py holds the machinery; goals, performance and integrations
have their own modules). This test collects every declared route — API operations from the
OpenAPI schema, pages from the URL resolver — and fails for any that no matrix row calls.
Adding an endpoint? Add a row to the CASES of the matrix of its app.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

from heng.workflows.tests.test_authz_matrix import _declared_routes

MATRICES = (
    "heng.workflows.tests.test_authz_matrix",
    "heng.goals.tests.test_authz",
    "heng.performance.tests.test_authz",
    "heng.performance.tests.test_authz_cycles",
    "heng.integrations.tests.test_authz_integrations",
)
# Routes no matrix needs to call, each with its reason (admin/, static files and the OpenAPI
# docs are not declared by _declared_routes at all).
PUBLIC = {
    "/login/": "public: the sign-in form",
    "/logout/": "signing out needs no object and no role",
    "/i18n/setlang/": "public: choosing the language",
}


def _all_cases() -> list[Any]:
    return [case for name in MATRICES for case in importlib.import_module(name).CASES]


def _pattern(path: str) -> str:
    """A declared path as a regular expression: each parameter matches one path segment."""
    parts = re.split(r"(\{[^}]+\}|<[^>]+>)", path)
    return "".join("[^/]+" if p[:1] in "{<" and p else re.escape(p) for p in parts)


def _covered(route: str, cases: list[Any]) -> bool:
    """A row names the route ("METHOD path" as declared, or a page's path with any method);
    rows without a route (the scheme matrix) count when their URL matches the route."""
    method, _sep, path = route.rpartition(" ")
    for case in cases:
        named = getattr(case, "route", None)
        if named is not None:
            if named == route or (not method and named.split()[-1] == path):
                return True
            continue
        url = case.url.split("?")[0]
        if (not method or case.method == method) and re.fullmatch(_pattern(path), url):
            return True
    return False


def test_every_route_is_in_an_authorization_matrix() -> None:
    cases = _all_cases()
    declared = _declared_routes()
    missing = sorted(r for r in declared if r not in PUBLIC and not _covered(r, cases))
    assert not missing, "add rows for these to an authorization matrix:\n" + "\n".join(missing)
    assert len(declared) > 200  # the walk still finds the app's routes
    assert set(PUBLIC) <= declared  # and the exemptions still name real routes
