"""The match keys of a stored record (a STIX object of kind person, firearm or vehicle)."""

from __future__ import annotations

from typing import Any

from puente.hits.keys import Keys
from puente.hits.specs import firearm_keys, person_keys, vehicle_keys
from puente.records.kinds import FIREARM_TYPE, VEHICLE_TYPE, kind_of, person_extension


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _texts(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _documents(value: Any) -> list[str]:
    """Stored documents ({type, number, issuing_country}) as TYPE:NUMBER[:COUNTRY]."""
    found = []
    for document in value if isinstance(value, list) else []:
        if isinstance(document, dict):
            parts = [_text(document.get(k)) for k in ("type", "number", "issuing_country")]
            found.append(":".join(parts))
    return found


def record_keys(obj: dict[str, Any], version: int) -> Keys | None:
    """The index-side keys of a record in spec ``version``; None for kinds not matched."""
    if obj.get("revoked"):
        return Keys(version=version)  # a revoked record answers no query
    kind = kind_of(obj)
    if kind == "person":
        ext = person_extension(obj)
        return person_keys(
            version,
            _text(ext.get("given_names")),
            _text(ext.get("paternal_surname")),
            _text(ext.get("maternal_surname")),
            aliases=_texts(ext.get("aliases")),
            dates_of_birth=[
                _text(ext.get("date_of_birth")),
                *_texts(ext.get("other_dates_of_birth")),
            ],
            documents=_documents(ext.get("documents")),
        )
    if obj.get("type") == FIREARM_TYPE:
        return firearm_keys(
            _text(obj.get("manufacturer")),
            _text(obj.get("serial_number")),
            _text(obj.get("importer")),
            version=version,
        )
    if obj.get("type") == VEHICLE_TYPE:
        return vehicle_keys(
            _text(obj.get("vin")),
            _text(obj.get("plate_number")),
            _text(obj.get("plate_issuer")),
            version=version,
        )
    return None
