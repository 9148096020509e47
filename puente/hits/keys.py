"""Match keys: what a record of a person, firearm or vehicle is matched by.

A key is a spec version, a type (``person.name-dob``, ``firearm.make-serial`` ...) and a few
normalized parts; its bytes, ``<version>|<type>|<part>|<part>...`` in ASCII, are what private
set intersection compares, so both nodes must produce them byte for byte (docs/match-keys.md
and the test vectors of each version). Keys of two versions never meet: the version is part
of the bytes, and two nodes agree on the version a query follows (puente.hits.transport).
The *index* side (the records a partner may search) and the *query* side (what an analyst
asks about) differ only where the spec says so: a query also tries a date of birth with day
and month swapped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SPEC_VERSIONS = (1, 2)  # every version this code makes keys for, oldest first
LATEST = SPEC_VERSIONS[-1]
CATEGORIES = ("person", "firearm", "vehicle")


@dataclass(frozen=True, order=True)
class MatchKey:
    type: str  # "<category>.<what>", e.g. "person.name-dob"
    parts: tuple[str, ...]
    version: int = 1

    @property
    def category(self) -> str:
        return self.type.partition(".")[0]

    def encode(self) -> bytes:
        return "|".join((str(self.version), self.type, *self.parts)).encode("ascii")


@dataclass(frozen=True)
class Warning:
    """Something about the input worth telling the analyst (a failed check digit ...)."""

    message: str
    value: str


@dataclass
class Keys:
    """The keys of one record or query, and what was odd about its input."""

    keys: set[MatchKey] = field(default_factory=set)
    warnings: list[Warning] = field(default_factory=list)
    version: int = 1

    def add(self, key_type: str, *parts: str) -> None:
        if parts and all(parts):  # a key with an empty part would match too much
            self.keys.add(MatchKey(key_type, tuple(parts), self.version))

    def warn(self, message: str, value: str) -> None:
        self.warnings.append(Warning(message, value))

    def update(self, other: Keys) -> None:
        assert other.version == self.version, "keys of two spec versions never mix"
        self.keys |= other.keys
        self.warnings += other.warnings

    def encoded(self) -> list[bytes]:
        return sorted(key.encode() for key in self.keys)

    def types(self) -> set[str]:
        return {key.type for key in self.keys}
