"""Shared typing helpers and the one place where option values are checked."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeAlias, get_args

import numpy as np

from synergy_stats.errors import OptionError

SeedLike: TypeAlias = int | np.random.Generator | None

__all__ = ["SeedLike", "check_arguments", "check_option", "make_rng"]


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
    try:
        known = value in choices
    except (TypeError, ValueError):  # pd.NA, arrays: no truth value
        known = False
    if not known:
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


# --------------------------------------------------------------------------- argument types
_UNKNOWN = object()


def _resolve(annotation: Any, namespace: dict[str, Any]) -> Any:
    """The annotation as an object (string annotations evaluated), or _UNKNOWN."""
    import sys

    if not isinstance(annotation, str):
        return annotation
    try:
        return eval(annotation, namespace)  # the package's own annotation strings
    except NameError as exc:  # a name imported for type checkers only: a loaded class
        missing = str(getattr(exc, "name", ""))
        for mod_name, mod in list(sys.modules.items()):
            if mod_name.startswith("synergy_stats") and isinstance(
                getattr(mod, missing, None), type
            ):
                return _resolve(annotation, {**namespace, missing: getattr(mod, missing)})
        return _UNKNOWN
    except Exception:  # pragma: no cover - an annotation the checker cannot read
        return _UNKNOWN


def _fits(value: Any, tp: Any) -> bool:
    """Whether ``value`` can be of annotation ``tp`` (True when the checker cannot tell).

    Deliberately lenient where the functions do their own finer checks: a ``Literal`` is
    left to :func:`check_option`; a sequence may be any non-text iterable (lists, tuples,
    arrays, pandas Index); a ``str`` parameter (a column name) also takes an integer name.
    """
    import collections.abc as abc
    import numbers
    import os
    import types
    import typing
    from pathlib import Path

    if tp is _UNKNOWN or tp is Any or tp is object or isinstance(tp, typing.TypeVar):
        return True
    if tp is None or tp is type(None):
        return value is None
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = typing.get_args(tp)
        pathlike = any(
            a in (os.PathLike, Path) or typing.get_origin(a) is os.PathLike for a in args
        )
        if pathlike and isinstance(value, numbers.Number):  # a path is never a number
            return False
        listed = str in args and any(
            (typing.get_origin(a) or a) in (abc.Sequence, abc.Iterable, list, tuple) for a in args
        )
        if (
            listed
            and isinstance(value, numbers.Number)
            and not any(a in (int, float) for a in args)
        ):
            return False  # "a name or a list of names": a number is neither
        return any(_fits(value, a) for a in args)
    if origin is typing.Literal:
        try:  # the function checks the value; a value without a truth value never fits
            _ = value in typing.get_args(tp)
        except (TypeError, ValueError):
            return False
        return True
    if origin is typing.Annotated:
        return _fits(value, typing.get_args(tp)[0])
    if isinstance(tp, typing.TypeAliasType if hasattr(typing, "TypeAliasType") else ()):
        return _fits(value, tp.__value__)  # pragma: no cover - Python 3.12 aliases
    target = origin if origin is not None else tp
    if target is bool:
        return isinstance(value, bool | np.bool_)
    if target is int:
        return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)
    if target is float:
        return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)
    if target is str:
        return isinstance(value, str) or (
            isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)
        )
    if target in (abc.Sequence, abc.Iterable, abc.Collection, list, tuple):
        import pandas as pd

        # a DataFrame iterates over its column names: never a sequence of values
        return isinstance(value, abc.Iterable) and not isinstance(
            value, bytes | bytearray | pd.DataFrame
        )
    if target in (abc.Mapping, dict):
        import pandas as pd

        return isinstance(value, abc.Mapping | pd.Series)
    if target is abc.Callable:
        return callable(value)
    if isinstance(target, type):
        try:
            if isinstance(value, target):
                return True
        except TypeError:  # pragma: no cover - a parametrised class
            return True
        # another of the package's objects: the function says which one it needs
        return str(getattr(type(value), "__module__", "")).startswith("synergy_stats") and str(
            getattr(target, "__module__", "")
        ).startswith("synergy_stats")
    return True


_TYPES: dict[Any, dict[str, tuple[Any, Any]]] = {}


def _argument_types(func: Callable[..., Any]) -> dict[str, tuple[Any, Any]]:
    """Parameter -> (resolved annotation, annotation text) of ``func`` (cached)."""
    import inspect

    target = inspect.unwrap(func)
    cached = _TYPES.get(target)
    if cached is not None:
        return cached
    import collections.abc
    import os
    import typing
    from pathlib import Path

    import pandas as pd

    namespace = {
        **vars(typing),
        **{k: getattr(collections.abc, k) for k in collections.abc.__all__},
        "np": np,
        "pd": pd,
        "os": os,
        "Path": Path,
        **target.__globals__,
    }
    out: dict[str, tuple[Any, Any]] = {}
    for name, param in inspect.signature(target).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.annotation is not inspect.Parameter.empty:
            out[name] = (_resolve(param.annotation, namespace), param.annotation)
    _TYPES[target] = out
    return out


def _is_frame(tp: Any) -> bool:
    import typing

    import pandas as pd

    args = typing.get_args(tp) or (tp,)
    return any(a is pd.DataFrame for a in args)


def check_arguments(
    func: Callable[..., Any], arguments: Mapping[str, Any], *, skip: Iterable[str] = ()
) -> None:
    """Refuse arguments of a public function whose type cannot fit their annotation.

    Called first thing in a public function as ``check_arguments(func, locals())``: each
    argument is compared with its annotation (``bool``, ``int``, ``float``, ``str``,
    ``DataFrame``, a result class, ``X | None``, sequences, mappings, callables), so
    ``draws=1.5``, ``level={...}``, ``fit=None`` or ``n=1j`` are a typed error naming the
    argument, the value and the accepted types instead of a raw ``TypeError`` or
    ``AttributeError`` from deep inside. Values of a fitting type are left to the
    function's own checks (ranges, accepted option strings: a ``Literal`` is only refused
    for values without a truth value such as ``pd.NA``); annotations that cannot be
    resolved accept anything, and so does a result class for another of the package's
    result objects (the function names what it needs).

    Parameters
    ----------
    func : callable
        The public function (its annotations are read once and cached).
    arguments : mapping
        Parameter name -> value, i.e. ``locals()`` at the top of the function.
    skip : iterable of str
        Parameters the function checks itself with its own error type.

    Raises
    ------
    DataValidationError
        For a DataFrame parameter given something else.
    OptionError
        For any other argument of a wrong type.
    """
    from synergy_stats.errors import DataValidationError

    skipped = set(skip)
    for name, (tp, text) in _argument_types(func).items():
        if name in skipped or name not in arguments:
            continue
        value = arguments[name]
        if _fits(value, tp):
            continue
        shown = repr(value)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        cls = DataValidationError if _is_frame(tp) else OptionError
        raise cls(
            f"{getattr(func, '__name__', 'function')}: {name}={shown} "
            f"({type(value).__name__}) is not accepted; {name} takes "
            f"{text if isinstance(text, str) else tp}"
            + ("; give a pandas DataFrame" if cls is DataValidationError else "")
        )
