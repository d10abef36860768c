"""The performance API: /api/v1/performance/… (indicators, frameworks, schemes, resolution,
scheme files, what-if)."""

from ninja import Router

from heng.performance.api.library import router as library_router
from heng.performance.api.people import router as people_router
from heng.performance.api.schemes import router as schemes_router

router = Router()
router.add_router("", library_router)
router.add_router("", schemes_router)
router.add_router("", people_router)

__all__ = ["router"]

# Cycles, scorecards and the ledger (issue #5).
from heng.performance.api.cycles import router as cycles_router  # noqa: E402

router.add_router("", cycles_router)
