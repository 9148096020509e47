"""Every table of the node, imported in one place for Alembic and for tests."""

from typing import Any

from puente.accounts.models import Agency, ApiToken, User, WebSession
from puente.audit.models import AuditCheckpoint, AuditDenial, AuditEntry, AuditHead
from puente.db import Base, ReadFence
from puente.hits.models import (
    HitIndexEntry,
    HitIndexState,
    HitQuery,
    PartnerPrint,
    PartnerPrintState,
)
from puente.indicators.models import (
    ManualObservation,
    PlanIndicator,
    SourceFigure,
    SourceFiscalYear,
    SourceImport,
)
from puente.plan.models import PlanElement, PlanMeeting, PlanUpdate
from puente.records.models import TEXT_TABLE, Record, RecordCopy, RecordRef
from puente.rfis.models import Rfi, RfiEvent, RfiMessage
from puente.sharing.models import (
    Acknowledgement,
    HeldCheckpoint,
    Partner,
    Quarantined,
    RecallNotice,
    Receipt,
    ReceivedVersion,
    TaxiiStatus,
)

__all__ = [
    "Acknowledgement",
    "Agency",
    "ApiToken",
    "AuditCheckpoint",
    "AuditDenial",
    "AuditEntry",
    "AuditHead",
    "Base",
    "HeldCheckpoint",
    "HitIndexEntry",
    "HitIndexState",
    "HitQuery",
    "ManualObservation",
    "Partner",
    "PartnerPrint",
    "PartnerPrintState",
    "PlanElement",
    "PlanIndicator",
    "PlanMeeting",
    "PlanUpdate",
    "Quarantined",
    "ReadFence",
    "RecallNotice",
    "Receipt",
    "ReceivedVersion",
    "Record",
    "RecordCopy",
    "RecordRef",
    "Rfi",
    "RfiEvent",
    "RfiMessage",
    "SourceFigure",
    "SourceFiscalYear",
    "SourceImport",
    "TaxiiStatus",
    "User",
    "WebSession",
]


def on_backend(dialect: str) -> Any:
    """Alembic's include_object for a database of ``dialect``: leaves out what the models
    create only on another backend (an index marked ``.ddl_if(dialect=...)``, such as the
    PostgreSQL text index of records), which autogenerate would otherwise add everywhere, and
    SQLite's full-text table of records, which no model describes."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table" and (name == TEXT_TABLE or str(name).startswith(TEXT_TABLE + "_")):
            return False  # SQLite's FTS5 table and its own tables (migration 0025)
        condition = getattr(obj, "_ddl_if", None)
        return condition is None or condition.dialect in (None, dialect)

    return include
