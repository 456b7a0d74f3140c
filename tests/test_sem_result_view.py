"""A fit result is an immutable view: read-only arrays, no private reads from outside.

``SEMResult`` holds the engine's state; modules outside ``synergy_stats/structural`` use
its public handles (``group_data``, ``ram_model``, ``objective``, ``chisq``,
``baseline``, ``defined_parameters``), never its private attributes.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
from pathlib import Path

import pandas as pd
import pytest

import synergy_stats
from synergy_stats.structural.api import sem
from synergy_stats.structural.results import SEMResult

DATA = Path(__file__).parent / "data"
PKG = Path(synergy_stats.__file__).parent


@pytest.fixture(scope="module")
def fit() -> SEMResult:
    hs = pd.read_csv(DATA / "holzinger_swineford_1939.csv")
    return sem("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6", hs)


def test_result_arrays_are_read_only(fit: SEMResult) -> None:
    before = fit.estimates()["est"].to_numpy().copy()
    with pytest.raises(ValueError, match="read-only"):
        fit.theta[0] = 99.0
    with pytest.raises(ValueError, match="read-only"):
        fit.vcov_matrix[0, 0] = 99.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.theta = fit.theta * 2  # type: ignore[misc]
    assert (fit.estimates()["est"].to_numpy() == before).all()


def test_engine_state_reachable_from_a_result_is_read_only(fit: SEMResult) -> None:
    # the parameter table, the optimiser's estimates and the sample statistics feed every
    # number of the fit: writing into them raises instead of changing results silently
    chisq = fit.fit_measures()["chisq"]
    gd = fit.group_data[0]
    for arr in (fit.partable.value, fit.partable.free, fit.optim.theta, gd.cov, gd.mean, gd.raw):
        with pytest.raises(ValueError, match="read-only"):
            arr.flat[0] = 99.0
    # tables handed out are copies: changing them changes nothing in the fit
    s = fit.sample_cov()
    s.iloc[0, 0] = 99.0
    assert fit.sample_cov().iloc[0, 0] != 99.0
    m = fit.sample_mean()
    m.iloc[0] = 99.0
    assert fit.sample_mean().iloc[0] != 99.0
    assert fit.fit_measures()["chisq"] == chisq


def test_engine_module_imports_by_its_path() -> None:
    mod = importlib.import_module("synergy_stats.structural.api")
    assert callable(mod.sem)


def _private_names() -> set[str]:
    names = {f.name for f in dataclasses.fields(SEMResult) if f.name.startswith("_")}
    names |= {n for n in vars(SEMResult) if n.startswith("_") and not n.startswith("__")}
    return names


def test_no_module_outside_structural_reads_a_private_attribute_of_a_fit() -> None:
    private = _private_names()
    assert {"_groups", "_objective", "_chisq", "_baseline", "_model"} <= private
    offenders = []
    for path in PKG.rglob("*.py"):
        if "structural" in path.relative_to(PKG).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in private
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            ):
                offenders.append(f"{path.relative_to(PKG)}:{node.lineno} .{node.attr}")
    assert offenders == []
