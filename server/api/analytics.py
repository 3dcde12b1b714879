"""Funnel analytics for the retailer (admin): try-on sessions to reservations, check-ins, sales
and coupons, per UTC day, product, variant or store, as JSON or CSV."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Query, Response

from server.api.auth import AdminDep, CommerceDep
from server.commerce.analytics import FunnelQuery, GroupBy, funnel, funnel_csv

router = APIRouter(prefix="/api/analytics", tags=["analytics"])
DEFAULT_DAYS = 30

FromDay = Query(None, alias="from", description="First UTC day, YYYY-MM-DD (default: 29 days before 'to')")
ToDay = Query(None, alias="to", description="Last UTC day, inclusive (default: today, UTC)")
Group = Query(GroupBy.DAY, description="One row per UTC day, product, product variant or store")


async def _report(commerce: CommerceDep, first: date | None, last: date | None, group_by: GroupBy) -> dict[str, Any]:
    last = last or commerce.clock().date()
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    async with commerce.db.read() as conn:
        return await funnel(conn, FunnelQuery(first, last, group_by))


@router.get("/funnel", summary="Sessions -> tries -> reservations -> check-ins -> sales, and coupons (admin)")
async def funnel_report(commerce: CommerceDep, principal: AdminDep, first: date | None = FromDay,
                        last: date | None = ToDay, group_by: GroupBy = Group) -> dict[str, Any]:
    return await _report(commerce, first, last, group_by)


@router.get("/funnel.csv", summary="The funnel report as CSV, totals on the last line (admin)",
            response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def funnel_report_csv(commerce: CommerceDep, principal: AdminDep, first: date | None = FromDay,
                            last: date | None = ToDay, group_by: GroupBy = Group) -> Response:
    report = await _report(commerce, first, last, group_by)
    name = f"funnel_{report['group_by']}_{report['from']}_{report['to']}.csv"
    return Response(funnel_csv(report), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
