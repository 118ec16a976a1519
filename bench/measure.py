"""What the benchmark scripts share: percentiles, and how much work the tutor still has queued."""

from __future__ import annotations

from storage import repo
from storage.db import Database


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of `values`; 0.0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def queued(db: Database) -> int:
    """Deliveries not yet processed plus replies waiting to be sent (the tutor's own backlog count)."""
    async with db.transaction() as s:
        return sum((await repo.backlog(s)).values())
