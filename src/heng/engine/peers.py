"""Peer statistics for relative rules (peer median, peer percentile), per peer group.

Peers of a row: the rows of the same indicator whose relative rule groups by the same
employee attribute and whose employee has the same value of it (all of them when the rule
has no group_by; employees without the attribute form one group).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import polars as pl

from heng.engine import columns as c
from heng.engine import kernel as k
from heng.engine.errors import EngineError
from heng.engine.prepare import IND_KEY, PreparedLines
from heng.engine.rules import RefKind

if TYPE_CHECKING:
    from heng.engine.work import Employees

__all__ = ["peer_stats"]

Ints = npt.NDArray[np.int64]


def peer_stats(
    inputs: pl.DataFrame,
    counts: Ints,
    starts: Ints,
    by_spec: Ints,
    emp_key: Ints,
    line_key: Ints,
    emp: Employees,
    prep: PreparedLines,
) -> dict[int, list[pl.Series]]:
    """Peer median and percentile for each peer-scored spec's slice of ``inputs``.

    ``inputs`` is in spec order, so every spec's rows are one contiguous slice; only those
    rows are touched.
    """
    plans = [s.plan for s in prep.specs]
    peer_specs = [i for i, p in enumerate(plans) if p.ref_kind >= RefKind.PEER_MEDIAN and counts[i]]
    if not peer_specs:
        return {}
    attributes = sorted({plans[i].group_by or "" for i in peer_specs})
    sizes = counts[peer_specs]
    rows = np.concatenate([np.arange(starts[i], starts[i] + counts[i]) for i in peer_specs])
    source = by_spec[rows]  # output positions of those rows
    attr = np.repeat([attributes.index(plans[i].group_by or "") for i in peer_specs], sizes)
    group = np.zeros(len(rows), dtype=np.int64)
    for a, name in enumerate(attributes):
        if not name:
            continue
        if name not in emp.attributes:
            raise EngineError(
                "column_missing",
                f"employees: column {name!r} (a relative rule's group_by) is missing",
                {"frame": "employees", "column": name},
            )
        # Any integer code that is equal for equal values will do: grouping needs no order.
        text = emp.frame.get_column(name).cast(pl.String).fill_null("")
        codes = text.cast(pl.Categorical).to_physical().to_numpy().astype(np.int64)
        mine = attr == a
        group[mine] = codes[emp_key[source[mine]]]
    # One integer key per peer group: (indicator, grouping attribute, attribute value).
    n_groups = int(group.max(initial=0)) + 1
    indicator = prep.frame.get_column(IND_KEY).to_numpy()[line_key[source]].astype(np.int64)
    key = (indicator * len(attributes) + attr) * n_groups + group
    percentile = np.repeat(
        [plans[i].ref_kind == RefKind.PEER_PERCENTILE for i in peer_specs], sizes
    )
    higher = np.repeat([plans[i].higher for i in peer_specs], sizes)
    sub = pl.DataFrame({"_k": key, c.ACTUAL: inputs.get_column(c.ACTUAL).gather(rows)})
    median = sub.select(pl.col(c.ACTUAL).median().over("_k")).to_series().to_numpy()
    pct = np.full(len(rows), np.nan)
    if percentile.any():
        pick = np.flatnonzero(percentile)
        signed = np.where(higher[pick], 1.0, -1.0) * sub.get_column(c.ACTUAL).to_numpy()[pick]
        ranked = pl.DataFrame({"_k": key[pick], "_v": signed}).select(
            size=pl.len().over("_k"), rank=pl.col("_v").rank("average").over("_k")
        )
        size = ranked.get_column("size").to_numpy().astype(np.float64)
        rank = ranked.get_column("rank").to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            pct[pick] = np.where(size > 1, (rank - 1.0) * 100.0 / (size - 1.0), 100.0)
    out: dict[int, list[pl.Series]] = {}
    offset = 0
    for spec_id, size_ in zip(peer_specs, sizes.tolist(), strict=True):
        window = slice(offset, offset + size_)
        out[spec_id] = [pl.Series(k.PEER_REF, median[window]), pl.Series(k.PEER_PCT, pct[window])]
        offset += size_
    return out
