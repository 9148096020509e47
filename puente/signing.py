"""Ed25519 signatures over canonical JSON, made with the node's key (kernel: every layer may
sign or check; the audit log's checkpoints as much as sharing's receipts and recalls).

A signed object carries its signature in ``signature`` (hex); what is signed is the object
without that property, serialized with sorted keys and no spaces (orjson), so both nodes
compute the same bytes from the same object.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from puente.errors import N_, ConfigError


def canonical(obj: dict[str, Any]) -> bytes:
    """The bytes a signature covers: every property but the signature, keys sorted."""
    return orjson.dumps({k: v for k, v in obj.items() if k != "signature"},
                        option=orjson.OPT_SORT_KEYS)  # fmt: skip


@cache
def _private_key(path: Path, mtime_ns: int) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(N_("{path} does not hold an Ed25519 key."), path=str(path))
    return key


def private_key(path: Path) -> Ed25519PrivateKey:
    return _private_key(path, path.stat().st_mtime_ns)


def public_key_hex(key_path: Path) -> str:
    """The public half of the key at ``key_path``, as partners pin it (64 hex digits)."""
    raw = private_key(key_path).public_key()
    return raw.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def sign(key_path: Path, obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with its signature, made with this node's key."""
    signature = private_key(key_path).sign(canonical(obj)).hex()
    return {**obj, "signature": signature}


def verify(public_key_hex: str, obj: dict[str, Any]) -> bool:
    """Whether ``obj`` carries a valid signature by the holder of ``public_key_hex``."""
    signature = obj.get("signature")
    if not isinstance(signature, str):
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
        key.verify(bytes.fromhex(signature), canonical(obj))
    except (ValueError, InvalidSignature):
        return False
    return True
