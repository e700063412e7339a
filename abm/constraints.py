"""Constraint objects: what a value may be, in words and as a check.

One set of constraints serves the parameter registry (:mod:`abm.params`), experiment files
(:mod:`abm.experiments.spec`) and indicator files (:mod:`abm.evaluation.system`). Each
constraint has :meth:`~Constraint.allowed`, the words used in messages (``"an integer in
[1, 50]"``), and :meth:`~Constraint.check`, which returns the value converted (a numpy
scalar to a Python number, where allowed) or raises :class:`ConstraintError` with the
message ``"<field>: invalid value <value>; allowed: <words>"``. A caller adds its own
location (a file, a table) or words its message from the error's ``field``, ``value`` and
``allowed``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

__all__ = [
    "Choice",
    "Constraint",
    "ConstraintError",
    "Flag",
    "ListOf",
    "Number",
    "Table",
    "Text",
]


class ConstraintError(ValueError):
    """A value a constraint refuses; ``str()`` is the message, and ``field``, ``value`` and
    ``allowed`` (the constraint's words) let a caller word its own; ``unknown``: the unknown
    keys of a :class:`Table`."""

    def __init__(
        self,
        field: str,
        value: Any,
        allowed: str,
        message: str | None = None,
        unknown: tuple[str, ...] = (),
    ) -> None:
        self.field, self.value, self.allowed, self.unknown = field, value, allowed, unknown
        super().__init__(message or f"{field}: invalid value {value!r}; allowed: {allowed}")


class Constraint:
    """Base class: :meth:`allowed` words and a :meth:`check` that converts or refuses."""

    def allowed(self) -> str:
        raise NotImplementedError

    def check(self, value: Any, field: str) -> Any:
        raise NotImplementedError

    def refuse(self, value: Any, field: str) -> ConstraintError:
        """The error for ``value`` in ``field``."""
        return ConstraintError(field, value, self.allowed())


def _plain_number(value: Any) -> int | float | None:
    """``value`` as a Python int or float (numpy scalars converted); ``None`` for a bool or
    anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        return None
    if isinstance(value, np.integer | np.floating):
        return value.item()
    return None


class Number(Constraint):
    """A number (``integer``: a whole number) in ``[low, high]``; either bound may be absent.

    By default numpy scalars are converted and, for integers, whole floats (``5.0`` -> 5).
    ``strict`` accepts only Python ints (integers) or ints and floats (numbers), as read from
    TOML. A bool is never a number; NaN fails any bound. Returns an int for ``integer``,
    otherwise a float.
    """

    def __init__(
        self,
        low: float | None = None,
        high: float | None = None,
        integer: bool = False,
        strict: bool = False,
    ) -> None:
        self.low, self.high, self.integer, self.strict = low, high, integer, strict

    def allowed(self) -> str:
        kind = "an integer" if self.integer else "a number"
        low, high = self._text(self.low), self._text(self.high)
        if self.low is not None and self.high is not None:
            return f"{kind} in [{low}, {high}]"
        if self.low is not None:
            return f"{kind} >= {low}"
        if self.high is not None:
            return f"{kind} <= {high}"
        return kind

    def _text(self, bound: float | None) -> str:
        """A bound as written: every digit of an integer bound (1000000, not 1e+06)."""
        if bound is None:
            return ""
        return str(int(bound)) if self.integer else f"{bound:g}"

    def _convert(self, value: Any) -> int | float | None:
        number: int | float | None
        if self.strict:
            strict_ok = isinstance(value, int | float) and not isinstance(value, bool)
            number = value if strict_ok else None
        else:
            number = _plain_number(value)
        if number is None:
            return None
        if not self.integer:
            return float(number)
        if isinstance(number, int):
            return number
        if self.strict or not number.is_integer():
            return None
        return int(number)

    def check(self, value: Any, field: str) -> int | float:
        number = self._convert(value)
        if number is None or not self._within(number):
            raise self.refuse(value, field)
        return number

    def _within(self, number: float) -> bool:
        if self.low is not None and not number >= self.low:
            return False
        return self.high is None or number <= self.high


class Choice(Constraint):
    """One of ``options`` (strings). ``files``: also the path of an existing file, described
    in these words. ``words`` replaces the default ``"one of 'a', 'b'"``."""

    def __init__(
        self, options: Sequence[str], files: str | None = None, words: str | None = None
    ) -> None:
        self.options, self.files, self.words = tuple(options), files, words

    def allowed(self) -> str:
        if self.words is not None:
            return self.words
        text = "one of " + ", ".join(repr(c) for c in self.options)
        return text + (f" or {self.files}" if self.files else "")

    def check(self, value: Any, field: str) -> str:
        if not isinstance(value, str):
            raise self.refuse(value, field)
        if value not in self.options and not (self.files and os.path.isfile(value)):
            raise self.refuse(value, field)
        return value


class Flag(Constraint):
    """``true`` or ``false`` (a bool; no 0/1 or strings)."""

    def allowed(self) -> str:
        return "true or false"

    def check(self, value: Any, field: str) -> bool:
        if not isinstance(value, bool):
            raise self.refuse(value, field)
        return value


class Text(Constraint):
    """A string, matching ``pattern`` in full if given; ``words`` describe what is allowed."""

    def __init__(self, pattern: re.Pattern[str] | None = None, words: str = "a string") -> None:
        self.pattern, self.words = pattern, words

    def allowed(self) -> str:
        return self.words

    def check(self, value: Any, field: str) -> str:
        if not isinstance(value, str) or (self.pattern and not self.pattern.fullmatch(value)):
            raise self.refuse(value, field)
        return value


class Table(Constraint):
    """A table (dict), with only the keys ``keys`` if given.

    Not a table: ``"<field>: expected a table ([<field>]), got <type>"``. An unknown key:
    ``"[<field>] unknown key 'x' (did you mean ...?); allowed: a, b"`` (no ``[<field>] ``
    for the top level, ``field=""``); the error's ``unknown`` lists every unknown key.
    """

    def __init__(self, keys: Sequence[str] | None = None) -> None:
        self.keys = tuple(keys) if keys is not None else None

    def allowed(self) -> str:
        return "a table"

    def check(self, value: Any, field: str) -> dict:
        if not isinstance(value, dict):
            message = f"{field}: expected a table ([{field}]), got {type(value).__name__}"
            raise ConstraintError(field, value, self.allowed(), message)
        unknown = [] if self.keys is None else [k for k in value if k not in self.keys]
        if unknown:
            from abm.params import did_you_mean

            prefix = f"[{field}] " if field else ""
            first = unknown[0]
            hint = did_you_mean(first, self.keys or ()) if isinstance(first, str) else ""
            message = f"{prefix}unknown key {first!r}{hint}; allowed: {', '.join(self.keys or ())}"
            raise ConstraintError(field, value, self.allowed(), message, tuple(unknown))
        return value


class ListOf(Constraint):
    """A list of at least ``min_len`` items, each passing ``item`` (any value if ``None``).

    Not a list: the error's words are ``"a list"``; too short or a bad item: ``words``, with
    the whole list as the value. Returns the list of converted items.
    """

    def __init__(
        self, item: Constraint | None = None, min_len: int = 0, words: str = "a list"
    ) -> None:
        self.item, self.min_len, self.words = item, min_len, words

    def allowed(self) -> str:
        return self.words

    def check(self, value: Any, field: str) -> list:
        if not isinstance(value, list):
            raise ConstraintError(field, value, "a list")
        if len(value) < self.min_len:
            raise self.refuse(value, field)
        if self.item is None:
            return value
        try:
            return [self.item.check(v, f"{field}[{i}]") for i, v in enumerate(value)]
        except ConstraintError:
            raise self.refuse(value, field) from None
