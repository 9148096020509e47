"""Build a STIX 2.1 object from a kind's form fields, and read the fields back for editing."""

from __future__ import annotations

import math
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from puente.errors import N_, InvalidInput, Label, Problem
from puente.policy.agencies import BY_CODE
from puente.records.kinds import KINDS, PUENTE_IDENTITY, Field, Kind
from puente.records.relationships import EXT_RELATIONSHIP, TYPE_FORM, meaning, stix_form
from puente.records.validation import is_identifier, timestamp_key
from puente.shapes import NUMBER

AGENCY_NAMESPACE = uuid.UUID("8f0c1c62-0b5e-4d8e-9a53-2c4e6f1b7a90")
ALPHA2 = re.compile(r"^[A-Z]{2}$")
ALPHA3 = re.compile(r"^[A-Z]{3}$")


def agency_identity_id(code: str) -> str:
    """A stable STIX identity id for an agency, the same on every node."""
    return f"identity--{uuid.uuid5(AGENCY_NAMESPACE, code)}"


def agency_identity(code: str) -> dict[str, Any]:
    info = BY_CODE[code]
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": agency_identity_id(code),
        "created": "2025-01-01T00:00:00.000Z",
        "modified": "2025-01-01T00:00:00.000Z",
        "name": info.name_en,
        "identity_class": "organization",
        "sectors": ["government"],
        "created_by_ref": PUENTE_IDENTITY,
    }


def stix_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _list(value: Any) -> list[str]:
    if isinstance(value, list):
        items = [str(v).strip() for v in value]
    else:
        items = [line.strip() for line in str(value or "").replace(",", "\n").splitlines()]
    return [i for i in items if i]


def _documents(lines: list[str], problems: list[Problem]) -> list[dict[str, str]]:
    docs = []
    for index, line in enumerate(lines):
        doc_type, _, rest = line.partition(":")
        number, _, country = rest.partition(":")
        if not doc_type or not number:
            problems.append(
                Problem(
                    N_("Write each document as TYPE:NUMBER or TYPE:NUMBER:COUNTRY."),
                    f"/documents/{index}",
                )
            )
            continue
        doc = {"type": doc_type.strip().upper(), "number": number.strip().upper()}
        if country.strip():
            doc["issuing_country"] = country.strip().upper()
        docs.append(doc)
    return docs


def _dates(lines: list[str], pointer: str, problems: list[Problem]) -> list[str]:
    """Dates of birth as date_of_birth holds one (YYYY-MM-DD), each refused at its own line."""
    dates = []
    for index, line in enumerate(lines):
        try:
            dates.append(date.fromisoformat(line).isoformat())
        except ValueError:
            problems.append(Problem(N_("{value} is not a date of birth: write each as "
                                       "YYYY-MM-DD, such as 1984-03-12."),
                                    f"{pointer}/{index}", {"value": line}))  # fmt: skip
    return dates


# What a form field may hold: text as a form sends it, or a number as JSON gives it.
_SCALARS = (str, int, float)


def _value(kind: Kind, name: str, raw: Any, problems: list[Problem]) -> Any:
    spec = next(f for f in kind.fields if f.name == name)
    pointer = f"/{name}"
    if spec.widget in ("list", "refs"):
        items = raw if isinstance(raw, list) else [raw]
        wrong = [
            i for i, v in enumerate(items) if isinstance(v, bool) or not isinstance(v, _SCALARS)
        ]
        if wrong:  # an object or a list in a list: it would be stored as its Python repr
            where = f"{pointer}/{wrong[0]}" if isinstance(raw, list) else pointer
            problems.append(Problem(N_("{field} must be text, or a list of texts."), where,
                                    {"field": Label(spec.label)}))  # fmt: skip
            return None
        values = _list(raw)
        if name == "documents":
            return _documents(values, problems)
        if spec.widget == "refs":
            for index, ref in enumerate(values):
                if not is_identifier(ref):
                    problems.append(
                        Problem(
                            N_("{value} is not a record id."), f"{pointer}/{index}", {"value": ref}
                        )
                    )
        if name == "nationality":
            for index, country in enumerate(values):
                if not ALPHA3.match(country.upper()):
                    problems.append(
                        Problem(
                            N_("Use ISO 3166-1 alpha-3 codes such as MEX or USA."),
                            f"{pointer}/{index}",
                        )
                    )
            values = [v.upper() for v in values]
        if name == "other_dates_of_birth":
            return _dates(values, pointer, problems)
        return values
    if isinstance(raw, bool) or not isinstance(raw, _SCALARS):
        problems.append(Problem(N_("{field} must be text or a number."), pointer,
                                {"field": Label(spec.label)}))  # fmt: skip
        return None
    text = str(raw).strip()
    if spec.widget == "date":
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            problems.append(
                Problem(
                    N_("{field} must be a date such as 2025-01-31."),
                    pointer,
                    {"field": Label(spec.label)},
                )
            )
            return None
    if spec.widget == "number":
        return _number(spec, raw, text, pointer, problems)
    if spec.widget == "select" and spec.choices and text not in spec.choices:
        problems.append(
            Problem(
                N_("{field} must be one of: {choices}."),
                pointer,
                {"field": Label(spec.label), "choices": ", ".join(spec.choices)},
            )
        )
        return None
    if spec.widget == "ref" and not is_identifier(text):
        problems.append(Problem(N_("{value} is not a record id."), pointer, {"value": text}))
        return None
    return text


def _number(
    spec: Field, raw: Any, text: str, pointer: str, problems: list[Problem]
) -> int | float | None:
    """A number field's value: finite, in the field's range (STIX 2.1 §4.11 for a place's
    latitude and longitude; a quantity is never negative), written as digits (float() would
    also take nan, inf and 1_000)."""
    field = {"field": Label(spec.label)}
    number = None
    try:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            number = float(raw)
        elif NUMBER.fullmatch(text):
            number = float(text)
    except OverflowError:  # an integer past a float's range
        number = None
    if number is None or not math.isfinite(number):
        problems.append(Problem(N_("{field} must be a number."), pointer, field))
        return None
    if spec.whole and not number.is_integer():
        problems.append(Problem(N_("{field} must be a whole number."), pointer, field))
        return None
    low, high = spec.low, spec.high
    if low is not None and high is not None and not low <= number <= high:
        problems.append(Problem(N_("{field} must be from {low} to {high}."), pointer,
                                {**field, "low": f"{low:g}", "high": f"{high:g}"}))  # fmt: skip
        return None
    if low is not None and number < low:  # open above: only quantities, from 0
        problems.append(Problem(N_("{field} cannot be negative."), pointer, field))
        return None
    return int(number) if number.is_integer() else number


def build(
    kind_name: str, fields: dict[str, Any], agency: str, previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A new object (or, given ``previous``, its next version) from form fields."""
    kind = KINDS.get(kind_name)
    if kind is None:
        raise InvalidInput(
            [Problem(N_("Unknown kind of record {kind}."), "/kind", {"kind": kind_name})]
        )
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for spec in kind.fields:
        raw = fields.get(spec.name)
        if raw in (None, "", []):
            if spec.required:
                problems.append(
                    Problem(
                        N_("{field} is required."), f"/{spec.name}", {"field": Label(spec.label)}
                    )
                )
            continue
        value = _value(kind, spec.name, raw, problems)
        if value not in (None, "", []):
            values[spec.name] = value
    if kind.name == "location" and "country" in values:
        values["country"] = str(values["country"]).upper()
        if not ALPHA2.match(values["country"]):
            problems.append(
                Problem(N_("Use an ISO 3166-1 alpha-2 code such as US or MX."), "/country")
            )
    if kind.name == "vehicle" and not (values.get("vin") or values.get("plate_number")):
        problems.append(Problem(N_("Give a VIN or a plate number."), "/vin"))
    relationship_ext = None
    if kind.name == "relationship" and "relationship_type" in values:
        if not TYPE_FORM.match(values["relationship_type"]):
            problems.append(Problem(N_("Write a relationship type in lowercase letters, digits "
                                       "and hyphens, such as member-of."), "/relationship_type"))  # fmt: skip
        elif "source_ref" in values and "target_ref" in values:
            values["relationship_type"], relationship_ext = stix_form(
                values["source_ref"], values["relationship_type"], values["target_ref"])  # fmt: skip
    if problems:
        raise InvalidInput(problems)
    now = stix_now()
    obj: dict[str, Any] = {
        "type": kind.stix_type,
        "spec_version": "2.1",
        "id": previous["id"] if previous else f"{kind.stix_type}--{uuid.uuid4()}",
        "created": previous["created"] if previous else now,
        "modified": now,
        "created_by_ref": previous.get("created_by_ref", agency_identity_id(agency))
        if previous
        else agency_identity_id(agency),
        **kind.fixed,
    }
    ext_body: dict[str, Any] = {}
    for name, value in values.items():
        if name in kind.ext_fields:
            ext_body[name] = value
        else:
            obj[name] = value
    if kind.name == "person":
        names = [
            values.get("given_names", ""),
            values.get("paternal_surname", ""),
            values.get("maternal_surname", ""),
        ]
        obj["name"] = " ".join(n for n in names if n)
    if kind.name == "seizure":
        obj["seizure_date"] = values["seizure_date"] + "T00:00:00Z"
    if kind.name == "report":
        obj["published"] = values["published"] + "T00:00:00Z"
    if kind.name == "criminal-organization" and "first_seen" in values:
        obj["first_seen"] = values["first_seen"] + "T00:00:00Z"
    if kind.name == "firearm" and "recovery_date" in values:
        obj["recovery_date"] = values["recovery_date"] + "T00:00:00Z"
    if kind.extension:
        extension_type = (
            "new-sdo" if kind.stix_type.startswith("x-puente-") else "property-extension"
        )
        obj["extensions"] = {kind.extension: {"extension_type": extension_type, **ext_body}}
    if relationship_ext is not None:
        obj["extensions"] = {EXT_RELATIONSHIP: relationship_ext}
    if previous:
        obj["modified"] = later_than(previous["modified"], now)
    return obj


def _parse(stamp: str) -> datetime:
    return datetime.strptime(timestamp_key(stamp), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def later_than(previous: str, candidate: str) -> str:
    """``candidate`` if it is after ``previous``, else one millisecond after ``previous``."""
    before, moment = _parse(previous), _parse(candidate)
    if moment <= before:
        moment = before + timedelta(milliseconds=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def fields_of(kind_name: str, obj: dict[str, Any]) -> dict[str, str]:
    """Form values for editing ``obj`` (lists as one item per line)."""
    kind = KINDS[kind_name]
    ext = (obj.get("extensions") or {}).get(kind.extension, {}) if kind.extension else {}
    values: dict[str, str] = {}
    for spec in kind.fields:
        raw = ext.get(spec.name) if spec.name in kind.ext_fields else obj.get(spec.name)
        if kind.name == "relationship" and spec.name == "relationship_type":
            raw = meaning(obj) or None  # Puente's type, wherever the record carries it
        if raw is None:
            continue
        if spec.name == "documents":
            values[spec.name] = "\n".join(
                ":".join(
                    x
                    for x in (d.get("type", ""), d.get("number", ""), d.get("issuing_country", ""))
                    if x
                )
                for d in raw
            )
        elif isinstance(raw, list):
            values[spec.name] = "\n".join(str(v) for v in raw)
        elif spec.widget == "date":
            values[spec.name] = str(raw)[:10]
        else:
            values[spec.name] = str(raw)
    return values
