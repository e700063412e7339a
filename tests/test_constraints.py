"""Unit tests of the constraint objects shared by parameters, experiment and indicator files."""

from __future__ import annotations

import re

import numpy as np
import pytest

from abm.constraints import Choice, ConstraintError, Flag, ListOf, Number, Table, Text


def refused(constraint, value, field="f") -> ConstraintError:
    with pytest.raises(ConstraintError) as info:
        constraint.check(value, field)
    return info.value


# ---------------------------------------------------------------------- Number
def test_number_words():
    assert Number(10, 200_000, integer=True).allowed() == "an integer in [10, 200000]"
    assert Number(0.0, 2000.0).allowed() == "a number in [0, 2000]"
    assert Number(1, integer=True).allowed() == "an integer >= 1"
    assert Number(high=5).allowed() == "a number <= 5"
    assert Number().allowed() == "a number"
    assert Number(integer=True, strict=True).allowed() == "an integer"


def test_number_converts_numpy_scalars_and_whole_floats():
    ints = Number(10, 100, integer=True)
    for value in (20, 20.0, np.int64(20), np.int8(20), np.float64(20.0), np.float32(20)):
        out = ints.check(value, "n")
        assert out == 20 and type(out) is int
    floats = Number(0.0, 10.0)
    for value in (3, 3.0, np.int32(3), np.float16(3)):
        out = floats.check(value, "x")
        assert out == 3.0 and type(out) is float


@pytest.mark.parametrize("value", [True, False, 20.5, 5, 101, "20", None, float("nan"), [20]])
def test_number_refuses(value):
    exc = refused(Number(10, 100, integer=True), value, "parameter 'n_firms'")
    assert str(exc) == (
        f"parameter 'n_firms': invalid value {value!r}; allowed: an integer in [10, 100]"
    )
    assert exc.field == "parameter 'n_firms'" and exc.allowed == "an integer in [10, 100]"


def test_number_bounds_are_inclusive_and_refuse_nan_and_infinity():
    n = Number(0.0, 1.0)
    assert n.check(0, "x") == 0.0 and n.check(1, "x") == 1.0
    for value in (float("nan"), float("inf"), -1e-9, np.float64("nan")):
        refused(n, value)
    assert str(refused(Number(1.5, integer=False), 1)) == (
        "f: invalid value 1; allowed: a number >= 1.5"
    )


def test_strict_number_takes_python_numbers_only():
    ints = Number(1, 1000, integer=True, strict=True)
    assert ints.check(40, "steps") == 40
    for value in (40.0, np.int64(40), True, "40"):
        assert str(refused(ints, value, "steps")) == (
            f"steps: invalid value {value!r}; allowed: an integer in [1, 1000]"
        )
    numbers = Number(strict=True)
    assert numbers.check(2, "s") == 2.0 and type(numbers.check(2, "s")) is float
    assert numbers.check(np.float64(0.5), "s") == 0.5  # a float subclass, as read today
    for value in (np.int64(2), True, "2"):
        assert refused(numbers, value).allowed == "a number"
    assert Number(strict=True).check(float("nan"), "s") != 0  # no bounds: NaN passes
    assert str(refused(Number(0, integer=True, strict=True), -1, "base_seed")) == (
        "base_seed: invalid value -1; allowed: an integer >= 0"
    )


# ---------------------------------------------------------------------- Choice
def test_choice_accepts_options_only():
    c = Choice(("sbm", "small_world"))
    assert c.allowed() == "one of 'sbm', 'small_world'"
    assert c.check("sbm", "t") == "sbm"
    for value in ("ring", 1, None, ["sbm"]):
        assert str(refused(c, value, "parameter 'topology'")) == (
            f"parameter 'topology': invalid value {value!r}; allowed: one of 'sbm', 'small_world'"
        )


def test_choice_with_files_accepts_an_existing_path(tmp_path):
    c = Choice(("sbm",), files="a path to a GraphML / edge-list file")
    assert c.allowed() == "one of 'sbm' or a path to a GraphML / edge-list file"
    graph = tmp_path / "g.graphml"
    graph.write_text("<graphml/>")
    assert c.check(str(graph), "t") == str(graph)
    refused(c, str(tmp_path / "missing.graphml"))
    refused(c, str(tmp_path))  # a folder is not a file
    assert str(refused(Choice(("sbm",)), str(graph))).endswith("allowed: one of 'sbm'")


def test_choice_words():
    c = Choice(("sobol", "morris"), words="'sobol', 'morris'")
    assert str(refused(c, None, "[sampler] method")) == (
        "[sampler] method: invalid value None; allowed: 'sobol', 'morris'"
    )


# ---------------------------------------------------------------------- Flag, Text
def test_flag():
    assert Flag().check(True, "x") is True and Flag().check(False, "x") is False
    for value in (1, 0, "true", np.bool_(True), None):
        assert str(refused(Flag(), value, "firm_data")) == (
            f"firm_data: invalid value {value!r}; allowed: true or false"
        )


def test_text_and_pattern():
    assert Text().check("", "d") == ""
    assert str(refused(Text(), 3, "description")) == (
        "description: invalid value 3; allowed: a string"
    )
    name = Text(re.compile(r"[a-z]{1,3}"), "a short name")
    assert name.check("abc", "name") == "abc"
    for value in ("abcd", "A", "", 1):
        assert str(refused(name, value, "name")) == (
            f"name: invalid value {value!r}; allowed: a short name"
        )


# ---------------------------------------------------------------------- Table
def test_table_type():
    assert Table().check({}, "fixed") == {}
    exc = refused(Table(), 3, "fixed")
    assert str(exc) == "fixed: expected a table ([fixed]), got int"
    assert exc.allowed == "a table" and exc.value == 3


def test_table_unknown_keys():
    t = Table(("method", "n", "seed"))
    assert t.check({"n": 1, "seed": 2}, "sampler") == {"n": 1, "seed": 2}
    exc = refused(t, {"n": 1, "metod": "sobol", "zz": 0}, "sampler")
    assert str(exc) == (
        "[sampler] unknown key 'metod' (did you mean 'method'?); allowed: method, n, seed"
    )
    assert exc.unknown == ("metod", "zz")
    top = refused(t, {"xyz": 1}, "")
    assert str(top) == "unknown key 'xyz'; allowed: method, n, seed"


# ---------------------------------------------------------------------- ListOf
def test_list_of():
    numbers = ListOf(Number(strict=True), words="a list of numbers")
    assert numbers.check([1, 2.5], "t") == [1.0, 2.5]
    assert numbers.check([], "t") == []
    assert refused(numbers, (1, 2)).allowed == "a list"
    exc = refused(numbers, [1, True], "thresholds")
    assert exc.allowed == "a list of numbers" and exc.value == [1, True]
    names = ListOf(Text(), min_len=1, words="a non-empty list of names")
    assert names.check(["a"], "items") == ["a"]
    assert refused(names, []).allowed == "a non-empty list of names"
    assert refused(names, ["a", 1]).allowed == "a non-empty list of names"
    anything = ListOf()
    items = [{"a": 1}, 2]
    assert anything.check(items, "x") is items
    assert str(refused(anything, "x", "classes")) == ("classes: invalid value 'x'; allowed: a list")


# ---------------------------------------------------------------------- the callers
def test_parameters_use_their_constraint():
    from abm.params import PARAMETERS

    assert isinstance(PARAMETERS["n_firms"].constraint, Number)
    assert isinstance(PARAMETERS["topology"].constraint, Choice)
    assert isinstance(PARAMETERS["firm_data"].constraint, Flag)
    with pytest.raises(ValueError, match=r"^parameter 'n_firms': invalid value 5; allowed: "):
        PARAMETERS["n_firms"].validate(5)


def test_experiment_and_indicator_files_word_the_same_refusal():
    from abm.evaluation.system import IndicatorSystem
    from abm.experiments.spec import ExperimentError, parse_experiment

    with pytest.raises(ExperimentError, match=r"^x.toml: steps: invalid value 2.0; allowed: "):
        parse_experiment({"steps": 2.0}, "x.toml")
    with pytest.raises(ValueError, match=r"field 'index.smoothing_years': expected an integer"):
        IndicatorSystem.from_dict({"index": {"smoothing_years": 2.0}}, origin="i.toml")
