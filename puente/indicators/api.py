"""The plan's indicators over the REST API (the pages' twin; errors are RFC 9457)."""

from __future__ import annotations

from fastapi import Request

from puente.indicators import reading
from puente.indicators.schemas import IndicatorDetailOut, IndicatorIn, IndicatorOut, ObservationIn
from puente.plan import indicators as service
from puente.policy.roles import require
from puente.web.deps import NodeDep, PrincipalDep, SessionDep
from puente.web.problems import locale_of
from puente.web.routing import api_router

router = api_router("/api/v1/indicators", ["Indicators"])


@router.get("", response_model=list[IndicatorOut],
            summary="Every indicator, its owner and how it stands")  # fmt: skip
def list_indicators(request: Request, session: SessionDep, who: PrincipalDep) -> list[IndicatorOut]:
    require(who, "records.read")
    locale = locale_of(request)
    return [IndicatorOut.of(reading.read(session, indicator, owner, locale))
            for indicator, owner in service.indicators(session)]  # fmt: skip


@router.get("/{code}", response_model=IndicatorDetailOut,
            summary="An indicator and its figures, month by month")  # fmt: skip
def get_indicator(
    request: Request, code: str, session: SessionDep,
    who: PrincipalDep,
) -> IndicatorDetailOut:  # fmt: skip
    require(who, "records.read")
    indicator, owner = service.get(session, code)
    return IndicatorDetailOut.of(reading.read(session, indicator, owner, locale_of(request)))


@router.put("", summary="Create or change indicators of this node's", status_code=200)
def save(
    body: list[IndicatorIn],
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> dict[str, list[str]]:
    ids = service.save_indicators(session, node, who, [i.indicator() for i in body], base="")
    return {"ids": ids}


@router.post("/{code}/observations", status_code=201, summary="Enter a figure by hand")
def add_observation(
    code: str,
    body: ObservationIn,
    session: SessionDep,
    node: NodeDep,
    who: PrincipalDep,
) -> dict[str, str]:
    stix_id = service.add_observation(session, node, who, code, period=body.period,
                                      value=body.value, unit=body.unit, note=body.note)  # fmt: skip
    return {"id": stix_id}
