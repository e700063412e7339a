"""The yearly change of the upgrading index split by source (abm/decomposition.py): the
five terms on hand-built firms, their identity in a run, and what freezing product mixes
does to them (paired seeds)."""

from __future__ import annotations

import numpy as np
import pytest

from abm.decomposition import TERMS, decompose, structure
from tests import runs
from tests.paired import assert_direction


def test_the_terms_on_two_continuing_firms():
    # firm 0 moves half its output from LIB (rank 1) to TIB (rank 3); firm 1 (all DS,
    # rank 4) doubles its output
    before = structure(np.array([[10.0, 0, 0, 0], [0, 0, 0, 10.0]]), np.array([7, 8]))
    after = structure(np.array([[5.0, 0, 5.0, 0], [0, 0, 0, 20.0]]), np.array([7, 8]))
    assert before.index == pytest.approx(2.5)  # (10 x 1 + 10 x 4) / 20
    assert after.index == pytest.approx((5 + 15 + 80) / 30)
    terms = decompose(before, after)
    # within: firm 0's own index rises 1 -> 2 at its start share 0.5
    assert terms["within"] == pytest.approx(0.5 * 1.0)
    # between: a sixth of output moves from firm 0 (index 1) to firm 1 (index 4)
    assert terms["between"] == pytest.approx(-1 / 6 * (1 - 2.5) + 1 / 6 * (4 - 2.5))
    assert terms["cross"] == pytest.approx(-1 / 6 * 1.0)
    assert terms["entry"] == terms["exit"] == 0.0
    assert sum(terms.values()) == pytest.approx(after.index - before.index)


def test_an_entrant_in_the_row_of_a_firm_that_left():
    # row 1's firm (id 8, all LIB) exits and an entrant (id 9, all DS) takes its row
    before = structure(np.array([[0, 0, 10.0, 0], [10.0, 0, 0, 0]]), np.array([7, 8]))
    after = structure(np.array([[0, 0, 10.0, 0], [0, 0, 0, 10.0]]), np.array([7, 9]))
    terms = decompose(before, after)
    assert terms["exit"] == pytest.approx(-0.5 * (1 - 2.0))  # a low-index firm left
    assert terms["entry"] == pytest.approx(0.5 * (4 - 2.0))  # a high-index one came
    assert terms["within"] == terms["between"] == terms["cross"] == 0.0
    assert sum(terms.values()) == pytest.approx(after.index - before.index)


def test_a_firm_without_output_takes_the_clusters_index():
    s = structure(np.array([[0.0, 0, 0, 0], [0, 10.0, 0, 0]]), np.array([1, 2]))
    assert s.share.tolist() == [0.0, 1.0]
    assert s.own.tolist() == [2.0, 2.0]


def test_rows_must_match():
    a = structure(np.ones((2, 4)), np.array([1, 2]))
    b = structure(np.ones((3, 4)), np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="rows: 2 before and 3 after; allowed: the same rows"):
        decompose(a, b)


def test_the_terms_add_up_to_the_yearly_change_in_a_run(small_run):
    df = small_run.model_frame()
    terms = df[[f"upgrading_{t}" for t in TERMS]]
    assert (terms.iloc[0] == 0).all()  # nothing has changed in the start year
    change = df["upgrading_index"].diff().iloc[1:]
    np.testing.assert_allclose(terms.iloc[1:].sum(axis=1), change, atol=1e-12)
    assert (terms.iloc[1:]["upgrading_entry"] != 0).any()  # entrants' first sales count


@pytest.mark.slow
def test_frozen_mixes_move_the_rise_from_within_firms_to_between_them():
    # 2,000 firms, seeds 1-10, terms summed over 2021-2060: with mix_speed = 0 no firm moves
    # capacity between categories, so the within term falls (measured 0.20 -> -0.02) and
    # the growth of firms already making the growing categories, the between term, rises
    # (0.20 -> 0.41); with frozen mixes the within term is near 0 (its output can still
    # lean toward its busier categories: |within| < 0.05 on the mean over seeds)
    def total(term, **kw):
        return np.array(
            [runs.frame(s, 40, 2000, **kw)[f"upgrading_{term}"].sum() for s in range(1, 11)]
        )

    assert_direction(total("within", mix_speed=0.0) - total("within"), -1)
    assert_direction(total("between", mix_speed=0.0) - total("between"), +1)
    assert abs(total("within", mix_speed=0.0).mean()) < 0.05


@pytest.mark.slow
def test_the_technology_mode_upgrades_within_firms():
    # paired seeds 1-10, 2,000 firms, terms summed over 2021-2060: the technology mode's
    # knowledge lets firms move their own capacity into technology-intensive goods and
    # digital services, so the within term rises (measured 0.20 -> 0.32, t = 9.3, 10 of 10
    # seeds)
    within = [
        runs.frame(s, 40, 2000, preset="technology")["upgrading_within"].sum()
        - runs.frame(s, 40, 2000)["upgrading_within"].sum()
        for s in range(1, 11)
    ]
    assert_direction(within, +1)


@pytest.mark.slow
def test_entrants_held_to_their_own_capabilities_upgrade_less_through_entry():
    # paired seeds 1-10, 2,000 firms, sums over 2021-2060: with entrant_capabilities =
    # "own" an entrant starts only in categories its own knowledge opens, so entrants no
    # longer bring technology-intensive goods and digital services the cluster's
    # incumbents make: the entry term falls (measured -0.01 -> -0.25, t = -25.5) and so
    # does the rise of the index (0.47 -> 0.31, t = -12.5)
    def total(column, **kw):
        return np.array([runs.frame(s, 40, 2000, **kw)[column].sum() for s in range(1, 11)])

    own = {"entrant_capabilities": "own"}
    assert_direction(total("upgrading_entry", **own) - total("upgrading_entry"), -1)
    rise = [
        runs.frame(s, 40, 2000, **own)["upgrading_index"].iloc[-1]
        - runs.frame(s, 40, 2000)["upgrading_index"].iloc[-1]
        for s in range(1, 11)
    ]
    assert_direction(rise, -1)
