"""Ed25519 signatures over canonical JSON: receipts and recalls, and their checks.

The primitive lives in the kernel (:mod:`puente.signing`), so the audit log below sharing
signs its checkpoints with the same key and the same bytes; sharing uses it from here.
"""

from __future__ import annotations

from puente.signing import canonical, private_key, sign, verify

__all__ = ["canonical", "private_key", "sign", "verify"]
