"""Every table of the node, imported in one place for Alembic and for tests."""

from puente.accounts.models import Agency, ApiToken, User, WebSession
from puente.audit.models import AuditEntry, AuditHead
from puente.db import Base
from puente.records.models import Record, RecordRef
from puente.sharing.models import Partner, TaxiiStatus

__all__ = [
    "Agency",
    "ApiToken",
    "AuditEntry",
    "AuditHead",
    "Base",
    "Partner",
    "Record",
    "RecordRef",
    "TaxiiStatus",
    "User",
    "WebSession",
]
