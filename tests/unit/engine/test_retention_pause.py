"""The pause after a retention chunk grows with the time the chunk took,
so that a purge slowed by a busy database leaves it longer breaks."""
import types

import pytest

from wfengine.engine import retention


def opts(pause=0.05, share=0.5):
    return types.SimpleNamespace(chunk_pause=pause, chunk_share=share)


def test_a_quick_chunk_waits_the_floor():
    assert retention.pause_after(0.001, opts()) == 0.05


def test_a_slow_chunk_waits_as_long_as_it_took_at_half_share():
    assert retention.pause_after(0.4, opts()) == pytest.approx(0.4)


def test_the_share_sets_the_ratio_of_work_to_pause():
    # a quarter of the time in transactions: three times the chunk's time
    assert retention.pause_after(0.2, opts(share=0.25)) == pytest.approx(0.6)


def test_a_full_share_waits_only_the_floor():
    assert retention.pause_after(5.0, opts(pause=0.0, share=1.0)) == 0.0
