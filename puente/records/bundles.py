"""STIX 2.1 bundles (STIX 2.1 §8): reading one whole from bytes, writing one as a stream.

Shared by the REST API and the command line, so neither has to load the other.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import orjson

from puente.errors import N_, InvalidInput, Problem, TooLarge


def parse_bundle(raw: bytes, max_objects: int) -> list[Any]:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            [Problem(N_("The body is not valid UTF-8 (byte {offset})."), "", {"offset": exc.start})]
        ) from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(
            [
                Problem(
                    N_("Malformed JSON at line {line}, column {column}: {reason}"),
                    "",
                    {"line": exc.lineno, "column": exc.colno, "reason": exc.msg},
                )
            ]
        ) from None
    if not isinstance(data, dict) or data.get("type") != "bundle":
        raise InvalidInput(
            [Problem(N_('Expected a STIX bundle: an object with "type": "bundle".'), "/type")]
        )
    objects = data.get("objects", [])
    if not isinstance(objects, list):
        raise InvalidInput([Problem(N_("objects must be a list."), "/objects")])
    if len(objects) > max_objects:
        raise TooLarge(
            N_("The bundle holds {count} objects; this node accepts at most {limit}."),
            pointer="/objects",
            count=len(objects),
            limit=max_objects,
        )
    return objects


def stream_bundle(objects: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    yield b'{"type":"bundle","id":"bundle--' + str(uuid.uuid4()).encode() + b'","objects":['
    first = True
    for obj in objects:
        yield (b"" if first else b",") + orjson.dumps(obj)
        first = False
    yield b"]}"
