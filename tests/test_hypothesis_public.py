"""Property-based tests of every public function: hostile options and data, one contract.

For each function exported by ``synergy_stats.__all__`` (see ``_hypothesis_public_cases``)
hypothesis starts from a call that works and replaces keywords with hostile-but-plausible
values (wrong types, unknown option strings, NaN/inf, negative or huge numbers and seeds)
and the DataFrame arguments with hostile frames (junk cells, NaN/inf, text dtype, empty
frames, one row, a constant or all-missing column, duplicated column names). The contract:

* the call returns, or raises a :class:`~synergy_stats.errors.SynergyError` subclass (never
  a raw numpy/pandas/scipy/patsy/statsmodels exception);
* the caller's DataFrames (and other arguments) are unchanged, compared with deep copies;
* no existing file is overwritten (the calls run in a temporary folder holding sentinel
  files named like the hostile paths).

Profiles: ``ci`` (default, a few examples per function, derandomised so CI is repeatable)
and ``thorough`` (``SS_HYPOTHESIS_PROFILE=thorough``, many examples, for bug hunting).
"""

from __future__ import annotations

import copy
import inspect
import math
import os
import signal
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import synergy_stats as ss
from synergy_stats.errors import SynergyError

sys.path.insert(0, str(Path(__file__).parent))
import _hypothesis_public_cases as pc

settings.register_profile(
    "ss_public_ci",
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
settings.register_profile(
    "ss_public_thorough",
    max_examples=150,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
PROFILE = settings.get_profile(
    "ss_public_thorough"
    if os.environ.get("SS_HYPOTHESIS_PROFILE") == "thorough"
    else "ss_public_ci"
)
#: a call taking longer than this (CPU-bound, a hostile value accepted) fails the contract
CALL_SECONDS = 20

CASES = pc.cases()

#: public names that are not functions taking data or options, and why
EXCLUDED: dict[str, str] = {
    "__version__": "a version string",
    **{
        name: "an exception or warning class (raised, not called with data)"
        for name in ss.__all__
        if isinstance(getattr(ss, name, None), type)
        and issubclass(getattr(ss, name), SynergyError | Warning)
    },
    **{
        name: "a result/container class: built by the functions tested here, not by users"
        for name in (
            "BootstrapResult",
            "ClusterInfo",
            "ClusterRobustResult",
            "ItemICC",
            "MethodBiasResult",
            "ModelSpec",
            "OrdinalSEMResult",
            "PolychoricResult",
            "PowerResult",
            "SEMResult",
            "SurveyData",
            "Table",
            "TwoLevelResult",
            "ValidationReport",
        )
    },
    "Instrument": "a class; users build it with load_instrument (tested) or from_dict, "
    "whose YAML checks have their own property suite (test_instrument_properties.py)",
}

NAN = float("nan")
#: hostile values any keyword may get (wrong types, near misses, non-finite numbers)
JUNK: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    1,
    -1,
    2,
    10**30,
    -(10**18),
    0.5,
    -0.5,
    1.5,
    NAN,
    math.inf,
    -math.inf,
    "",
    " ",
    "yes",
    "none",
    "abc",
    "x1",
    "中文",
    "sentinel.txt",
    [],
    ["x1"],
    [None],
    (),
    {},
    {"a": 1},
    object(),
    b"bytes",
    np.int64(3),
    np.float64(NAN),
    pd.NA,
    1 + 1j,
    pd.DataFrame(),
)
#: hostile seeds (all but the first few invalid for numpy)
SEEDS: tuple[Any, ...] = (
    0,
    1,
    2**32,
    2**63,
    2**64,
    2**200,
    -1,
    -(2**70),
    np.int64(-5),
    1.5,
    "1",
    NAN,
    True,
    [1, 2],
    [-1],
    np.random.default_rng(1),
    np.random.SeedSequence(1),
)
#: hostile values of counts that set the run time (never a large valid count)
COUNTS: tuple[Any, ...] = (
    0,
    1,
    2,
    3,
    -1,
    -(10**12),
    1.5,
    2.0,
    NAN,
    math.inf,
    "3",
    True,
    [3],
    np.int64(2),
)
#: hostile cell values
CELLS: tuple[Any, ...] = (
    NAN,
    math.inf,
    -math.inf,
    None,
    "abc",
    "",
    "3",
    "非常同意",
    1e308,
    -1e308,
    10**30,
    True,
    pd.NA,
    pd.NaT,
    [1, 2],
    {"a": 1},
    b"\xff",
    complex(1, 1),
    pd.Timestamp("2020-01-01"),
)
SENTINELS = ("sentinel.txt", "abc", "yes", "x1", "none", "中文", "power.ckpt", "codebook.yaml")


def _values_for(case: pc.Case, keyword: str) -> st.SearchStrategy[Any]:
    if keyword == "seed":
        pool: tuple[Any, ...] = SEEDS
    elif keyword in case.bounded or keyword in ("n_jobs",):
        pool = COUNTS
    else:
        pool = tuple(v for v in JUNK if not (keyword in case.bounded and v == 10**30))
    extra = case.extra.get(keyword, ())
    return (
        st.one_of(st.sampled_from(extra), st.sampled_from(pool))
        if extra
        else (st.sampled_from(pool))
    )


def _set_cells(frame: pd.DataFrame, cells: list[tuple[int, int, Any]]) -> pd.DataFrame:
    out = frame.copy()
    if out.shape[0] == 0 or out.shape[1] == 0:
        return out
    for i, j, value in cells:
        i %= out.shape[0]
        j %= out.shape[1]
        col = out.columns[j]
        if out[col].dtype != object:
            out[col] = out[col].astype(object)
        out.iat[i, j] = value
    return out


@st.composite
def hostile_frames(draw: st.DrawFn, frame: pd.DataFrame) -> pd.DataFrame:
    """A hostile variant of ``frame``."""
    k = max(frame.shape[1], 1)
    kind = draw(
        st.sampled_from(
            [
                "cells",
                "cells",
                "cells",
                "empty_rows",
                "no_columns",
                "one_row",
                "two_rows",
                "constant",
                "all_missing",
                "duplicate_names",
                "text",
                "object",
                "int_names",
                "string_index",
                "duplicate_index",
                "bool_column",
                "category",
            ]
        )
    )
    note(f"hostile frame: {kind}")
    j = draw(st.integers(0, k - 1))
    if kind == "cells":
        cells = draw(
            st.lists(
                st.tuples(st.integers(0, 10**6), st.integers(0, k - 1), st.sampled_from(CELLS)),
                min_size=1,
                max_size=6,
            )
        )
        return _set_cells(frame, cells)
    if kind == "empty_rows":
        return frame.iloc[:0].copy()
    if kind == "no_columns":
        return frame.iloc[:, :0].copy()
    if kind == "one_row":
        return frame.head(1).copy()
    if kind == "two_rows":
        return frame.head(2).copy()
    out = frame.copy()
    if frame.shape[1] == 0:
        return out
    col = out.columns[j]
    if kind == "constant":
        out[col] = out[col].iloc[0]
    elif kind == "all_missing":
        out[col] = NAN
    elif kind == "duplicate_names":
        out = pd.concat([out, out[[col]]], axis=1)
    elif kind == "text":
        out = out.astype(str)
    elif kind == "object":
        out = out.astype(object)
    elif kind == "int_names":
        out.columns = list(range(out.shape[1]))
    elif kind == "string_index":
        out.index = [f"r{i}" for i in range(len(out))]
    elif kind == "duplicate_index":
        out.index = [0] * len(out)
    elif kind == "bool_column":
        out[col] = np.arange(len(out)) % 2 == 0
    elif kind == "category":
        out[col] = out[col].astype("category")
    return out


class _TooSlow(BaseException):
    """Raised by the alarm: the call accepted a value that makes it run too long."""


def _alarm(_signum: int, _frame: Any) -> None:
    raise _TooSlow


def _snapshot(kwargs: dict[str, Any]) -> dict[str, Any]:
    snap = {}
    for k, v in kwargs.items():
        if isinstance(v, pd.DataFrame | pd.Series | np.ndarray | list | dict | tuple):
            snap[k] = copy.deepcopy(v)
    return snap


def _assert_unchanged(before: Any, after: Any, keyword: str) -> None:
    if isinstance(before, pd.DataFrame):
        assert isinstance(after, pd.DataFrame)
        assert list(map(repr, before.columns)) == list(map(repr, after.columns)), keyword
        assert before.index.equals(after.index), keyword
        assert list(before.dtypes.astype(str)) == list(after.dtypes.astype(str)), keyword
        for j in range(before.shape[1]):
            a, b = before.iloc[:, j].tolist(), after.iloc[:, j].tolist()
            assert list(map(repr, a)) == list(map(repr, b)), f"{keyword} column {j} changed"
    elif isinstance(before, pd.Series):
        assert list(map(repr, before.tolist())) == list(map(repr, after.tolist())), keyword
    elif isinstance(before, np.ndarray):
        np.testing.assert_array_equal(before, after)
    else:
        assert repr(before) == repr(after), f"{keyword} was modified"


def _describe(kwargs: dict[str, Any]) -> str:
    parts = []
    for k, v in kwargs.items():
        if isinstance(v, pd.DataFrame):
            parts.append(f"{k}=<DataFrame {v.shape}>")
        else:
            text = repr(v)
            parts.append(f"{k}={text[:60]}")
    return ", ".join(parts)


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary working folder with sentinel files the calls must not overwrite."""
    monkeypatch.chdir(tmp_path)
    for name in SENTINELS:
        (tmp_path / name).write_text(f"sentinel {name}\n", encoding="utf-8")
    import matplotlib

    matplotlib.use("Agg")
    yield tmp_path
    import matplotlib.pyplot as plt

    plt.close("all")


def _keywords(case: pc.Case) -> list[str]:
    params = inspect.signature(case.func).parameters
    return [p for p in params if p not in case.skip]


def _run_contract(
    name: str, case: pc.Case, kwargs: dict[str, Any], sandbox: Path, *, given_: bool = True
) -> None:
    snap = _snapshot(kwargs)
    for s in SENTINELS:  # fresh sentinels: an earlier example may have overwritten one on purpose
        (sandbox / s).write_text(f"sentinel {s}\n", encoding="utf-8")
    if given_:
        note(f"{name}({_describe(kwargs)})")
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(CALL_SECONDS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            case.func(**kwargs)
    except SynergyError:
        pass
    except _TooSlow:
        pytest.fail(f"{name}({_describe(kwargs)}) ran more than {CALL_SECONDS} s")
    except Exception as exc:  # the contract: nothing else escapes
        pytest.fail(
            f"{name}({_describe(kwargs)}) raised {type(exc).__module__}."
            f"{type(exc).__name__}: {str(exc)[:300]}"
        )
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        import matplotlib.pyplot as plt

        plt.close("all")
    for k, before in snap.items():
        _assert_unchanged(before, kwargs[k], k)
    if kwargs.get("overwrite") is not True:
        for s in SENTINELS:
            assert (sandbox / s).read_text(encoding="utf-8") == f"sentinel {s}\n", (
                f"{name} overwrote {s}"
            )


@pytest.mark.parametrize("name", sorted(CASES))
def test_public_function_contract(name: str, sandbox: Path) -> None:
    case = CASES[name]
    keywords = _keywords(case)
    n = max(2, PROFILE.max_examples // 2) if case.slow else PROFILE.max_examples

    @settings(PROFILE, max_examples=n)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        kwargs = case.base()
        if keywords:
            chosen = data.draw(
                st.lists(st.sampled_from(keywords), min_size=0, max_size=2, unique=True),
                label="keywords",
            )
            for k in chosen:
                kwargs[k] = data.draw(_values_for(case, k), label=k)
        for k in case.frames:
            if isinstance(kwargs.get(k), pd.DataFrame) and data.draw(st.booleans(), label=k):
                kwargs[k] = data.draw(hostile_frames(kwargs[k]), label=f"{k} frame")
        _run_contract(name, case, kwargs, sandbox)

    run()


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_keyword_takes_every_junk_type(name: str, sandbox: Path) -> None:
    """Each keyword once with a value of a wrong type: a typed error or a result."""
    case = CASES[name]
    wrong = (object(), 1 + 1j, b"bytes", {"a": 1})
    for i, k in enumerate(_keywords(case)):
        kwargs = case.base()
        kwargs[k] = wrong[i % len(wrong)]
        _run_contract(name, case, kwargs, sandbox, given_=False)


def test_every_public_callable_is_covered_or_excluded() -> None:
    public = [n for n in ss.__all__]
    covered = set(CASES)
    missing = [
        n
        for n in public
        if n not in covered and n not in EXCLUDED and callable(getattr(ss, n, None))
    ]
    assert not missing, f"public callables without a hypothesis case or exclusion: {missing}"
    stale = sorted((covered | set(EXCLUDED)) - set(public))
    assert not stale, f"cases or exclusions for names not in __all__: {stale}"
    assert not covered & set(EXCLUDED)
    for n in covered:
        assert CASES[n].func is getattr(ss, n)
        assert inspect.isfunction(getattr(ss, n))
    for n, why in EXCLUDED.items():
        assert why.strip()
        value = getattr(ss, n)
        assert not inspect.isfunction(value), f"{n} is a function: give it a case"


def test_base_calls_work(sandbox: Path) -> None:
    """Every case's base call succeeds, so the hostile variants start from a valid call."""
    for case in CASES.values():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            case.func(**case.base())
