"""The keys an import gave: kept as ranges, however they came (a sequence shared with other
writers may hand them out of order or with gaps)."""

from __future__ import annotations

from puente.records.writers import Keys


def test_keys_in_order_are_one_range_and_answer_membership() -> None:
    keys = Keys()
    keys.add(range(10, 5010))
    keys.add(range(5010, 10010))

    assert keys.ranges == [[10, 10009]]
    assert 10 in keys
    assert 10009 in keys
    assert 9 not in keys
    assert 10010 not in keys


def test_keys_with_gaps_and_out_of_order_are_kept_exactly() -> None:
    keys = Keys()
    keys.add([5, 6, 7, 20, 21, 3, 8, 1])

    assert keys.ranges == [[1, 1], [3, 3], [5, 8], [20, 21]]
    assert [k for k in range(25) if k in keys] == [1, 3, 5, 6, 7, 8, 20, 21]
