"""Defining indicators: two coordinators saving the same new code at once make one indicator."""

from __future__ import annotations

import threading
import time

from puente.i18n import Text
from puente.indicators.definitions import Indicator
from puente.node import Node
from puente.plan import indicators
from tests.support.nodes import add_user


def test_two_concurrent_creates_of_one_code_make_one_indicator(node: Node) -> None:
    laura = add_user(node, "laura", "INL", ["coordinator"])
    item = Indicator(code="I5", name=Text("Extraditions", "Extradiciones"),
                     unit=Text("persons", "personas"), good_direction="up", source="manual")  # fmt: skip
    first_saved, failures = threading.Event(), []

    def first() -> None:
        with node.db.session() as session:
            indicators.save_indicators(session, node, laura, [item], base="")
            first_saved.set()
            time.sleep(1.0)  # not committed yet while the second one looks for I5

    def second() -> None:
        first_saved.wait()
        try:
            with node.db.session() as session:
                indicators.save_indicators(session, node, laura, [item], base="")
        except Exception as exc:  # whatever it was, the test reports it
            failures.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    with node.db.session() as session:
        assert [i.code for i, _ in indicators.indicators(session)] == ["I5"]
