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

# 360 reviews (issue #5, F2).
from heng.performance.api.reviews import router as reviews_router  # noqa: E402

router.add_router("", reviews_router)

# Targets, manager entries and bonus points of a cycle (issue #5).
from heng.performance.api.targets import router as targets_router  # noqa: E402

router.add_router("", targets_router)

# Indicator values from the data and their lineage (issue #4, D4).
from heng.performance.api.indicator_data import router as indicator_data_router  # noqa: E402

router.add_router("", indicator_data_router)
