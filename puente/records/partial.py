"""Store what passes of a batch, and say why each other object was refused.

A bundle import is all or nothing; a TAXII "Add Objects" request and a page pulled from a
partner are not: each object gets its own verdict (TAXII 2.1 §4.3.1 status details; the sync
quarantines what fails). Objects are first checked one by one; the rest are stored together
in a savepoint, and when the store refuses one of them (an id that is not the sender's to
change, say) that one is set aside and the others are stored without it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from puente.errors import N_, Problem, PuenteError
from puente.records.validation import ObjectChecker

log = logging.getLogger(__name__)
FAULT = N_("This node could not store the object ({error}); it is kept aside and logged.")


def store_what_passes(
    session: Session,
    objects: list[Any],
    store: Callable[[list[Any]], object],
    checker: ObjectChecker | None = None,
    precheck: bool = True,
) -> dict[int, Problem]:
    """Call ``store`` with every object that passes; the refusals by position in ``objects``.

    ``store`` receives the passing objects in order and must raise a :class:`PuenteError`
    whose pointer starts with ``/objects/N`` (N its position in what it received) to refuse
    one of them. Without ``precheck`` the objects are not checked here first: a batch that
    is usually clean (a partner's page) is then validated once, by ``store``, and a refused
    batch is tried again without the objects ``store`` named.
    """
    refused: dict[int, Problem] = {}
    checker = checker or ObjectChecker(max_problems=len(objects) + 1)
    for index, obj in enumerate(objects if precheck else ()):
        before = len(checker.problems)
        if not checker.check(obj, f"/objects/{index}"):
            refused[index] = checker.problems[before]
    while True:
        batch = [i for i in range(len(objects)) if i not in refused]
        if not batch:
            return refused
        try:
            with session.begin_nested():
                store([objects[i] for i in batch])
        except PuenteError as exc:
            blamed = _blamed(exc, batch)
            if not blamed:  # not one object's fault: every one fails with it
                refused.update(dict.fromkeys(batch, exc.problems[0]))
                return refused
            refused.update(blamed)
            continue
        except SQLAlchemyError:  # the database's: the whole batch waits for the next try
            raise
        except Exception:  # a fault of this node's, not the sender's
            # It must not refuse, or stall, every object of the batch: each is stored alone,
            # and only one that fails alone is refused. The traceback is logged once.
            log.exception("storing %d objects failed; storing them one by one", len(batch))
            refused.update(_one_by_one(session, objects, batch, store))
        return refused


def _blamed(exc: PuenteError, batch: list[int]) -> dict[int, Problem]:
    """The objects ``exc`` names (by position in the batch), with their problems."""
    blamed: dict[int, Problem] = {}
    for problem in exc.problems:
        position = problem.pointer.split("/")[2] if problem.pointer.startswith("/objects/") else ""
        if position.isdigit() and int(position) < len(batch):
            blamed.setdefault(batch[int(position)], problem)
    return blamed


def _one_by_one(
    session: Session, objects: list[Any], batch: list[int], store: Callable[[list[Any]], object]
) -> dict[int, Problem]:
    refused: dict[int, Problem] = {}
    for index in batch:
        try:
            with session.begin_nested():
                store([objects[index]])
        except PuenteError as exc:
            refused[index] = exc.problems[0]
        except SQLAlchemyError:
            raise
        except Exception as exc:  # as above: only this object is refused
            log.debug("object %d could not be stored", index, exc_info=True)
            refused[index] = Problem(FAULT, f"/objects/{index}", {"error": type(exc).__name__})
    return refused
