"""Shared typing helpers and the one place where option values are checked."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeAlias, get_args

import numpy as np

from synergy_stats.errors import OptionError

SeedLike: TypeAlias = int | np.random.Generator | None

__all__ = ["SeedLike", "check_option", "make_rng"]


def check_option(name: str, value: Any, accepted: Any) -> Any:
    """Check that ``value`` is one of the accepted values of argument ``name``.

    Parameters
    ----------
    name : str
        The argument's name, used in the error message.
    value : Any
        The value the caller passed.
    accepted : Literal type or iterable
        A ``typing.Literal`` or an iterable of accepted values.

    Returns
    -------
    Any
        ``value`` unchanged.

    Raises
    ------
    OptionError
        If ``value`` is not accepted; the message lists the accepted values.
    """
    choices: Iterable[Any] = get_args(accepted) or accepted
    choices = tuple(choices)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise OptionError(f"{name}={value!r} is not accepted; use one of {listed}")
    return value


def make_rng(seed: SeedLike) -> np.random.Generator:
    """Return a numpy Generator from an int seed, a Generator, or None."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool):
        if seed < 0:
            raise OptionError(
                f"seed={seed!r} is not accepted; use a non-negative int, a numpy Generator or None"
            )
        return np.random.default_rng(int(seed))
    raise OptionError(f"seed={seed!r} is not accepted; use an int, a numpy Generator or None")


def check_flags(**flags: Any) -> None:
    """Refuse a boolean option that is not True or False (None where it means "default").

    ``std_lv="yes"`` or ``se=1`` is an :class:`OptionError` naming the option and value.
    Options whose default is None (``meanstructure``) accept None too.
    """
    for name, value in flags.items():
        if value is None and name in _NONE_OK:
            continue
        if not isinstance(value, bool | np.bool_):
            allowed = "True, False or None" if name in _NONE_OK else "True or False"
            raise OptionError(f"{name}={value!r} is not accepted; use {allowed}")


_NONE_OK = frozenset({"meanstructure", "recode_reverse"})
