"""Property-based tests: junk data and junk files given to read_survey, validate and score.

Only SynergyError subclasses may escape, and no input object may change.
"""

from __future__ import annotations

import copy
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import synergy_stats as ss
from synergy_stats.errors import SynergyError
from synergy_stats.intake import SurveyData, read_survey, score, validate

INST = ss.load_instrument("synergy-execution")

ALIASES = st.sampled_from(
    ["Q1", "q2", " Q3 ", "env_pressure_1", "领导注意力1", "Q10", "Ｑ11", "q12", "Q44", "Q43"]
)
NAMES = st.one_of(
    ALIASES,
    ALIASES,
    ALIASES,
    st.sampled_from(["id", "wave", "dept", "x"]),
    st.text(max_size=8),
    st.integers(-3, 3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
)
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.integers(min_value=-2, max_value=10),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    st.sampled_from(
        [
            "同意",
            "Strongly agree",
            "不知道",
            "refused",
            "5 = strongly agree",
            "３",
            "",
            "NA",
            "1e999",
        ]
    ),
    st.just(pd.NA),
    st.just(pd.NaT),
    st.lists(st.integers(0, 3), max_size=2),
    st.dates(),
    st.binary(max_size=4),
    st.complex_numbers(allow_nan=True),
)


@st.composite
def junk_frames(draw):
    n_cols = draw(st.integers(0, 6))
    n_rows = draw(st.integers(0, 6))
    names = [draw(NAMES) for _ in range(n_cols)]
    columns = [pd.Series([draw(VALUES) for _ in range(n_rows)], dtype=object) for _ in names]
    frame = pd.DataFrame(dict(enumerate(columns))) if columns else pd.DataFrame(index=range(n_rows))
    if columns:
        frame.columns = pd.Index(names, dtype=object)
    if draw(st.booleans()):
        frame.index = pd.Index([draw(NAMES) for _ in range(n_rows)], dtype=object)
    if columns and draw(st.booleans()):  # some typed columns too
        k = draw(st.integers(0, n_cols - 1))
        numbers = [draw(st.floats(allow_nan=True)) for _ in range(n_rows)]
        frame.isetitem(k, pd.Series(numbers, index=frame.index, dtype=float))
    return frame


@st.composite
def roles(draw, frame):
    labels = [c for c in frame.columns if isinstance(c, str)]
    some = st.sampled_from(labels) if labels else st.none()
    pick = st.one_of(st.none(), st.none(), st.none(), st.none(), some, st.text(max_size=4))
    return {"id": draw(pick), "wave": draw(pick), "group": draw(pick)}


def _same(before: pd.DataFrame, after: pd.DataFrame) -> None:
    assert before.shape == after.shape
    assert list(map(repr, before.columns)) == list(map(repr, after.columns))
    assert list(map(repr, before.index)) == list(map(repr, after.index))
    assert list(before.dtypes) == list(after.dtypes)
    for k in range(before.shape[1]):
        for a, b in zip(before.iloc[:, k].tolist(), after.iloc[:, k].tolist(), strict=True):
            assert type(a) is type(b)
            if isinstance(a, float) and math.isnan(a):
                assert math.isnan(b)
            elif isinstance(a, complex) and a != a:
                assert repr(a) == repr(b)
            else:
                assert a is b or a == b or (a is pd.NA and b is pd.NA)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_junk_frames_only_synergy_errors_and_input_unchanged(data):
    frame = data.draw(junk_frames())
    kw = data.draw(roles(frame))
    before = copy.deepcopy(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            survey = read_survey(frame, INST, **kw)
        except SynergyError as exc:
            event(f"read_survey raised {type(exc).__name__}: {str(exc)[:25]}")
            survey = None
        _same(before, frame)
        try:
            report = validate(INST, frame, **kw)
        except SynergyError:
            report = None
        _same(before, frame)
        if survey is not None:
            assert isinstance(survey, SurveyData)
            assert report is not None
            data_before = survey.data.copy(deep=True)
            assert list(report.problems.columns) == ["row", "column", "value", "kind", "message"]
            event(f"read; {len(survey.items)} items, {len(report.problems)} problems")
            report.to_markdown()
            repr(report)
            try:
                report.raise_if_errors()
            except SynergyError:
                assert not report.ok
            try:
                scores = score(INST, survey)
            except SynergyError:
                scores = None
            pd.testing.assert_frame_equal(survey.data, data_before)
            if scores is not None:
                assert len(scores) == len(frame)
        try:
            score(INST, frame)
        except SynergyError:
            pass
        _same(before, frame)


@settings(max_examples=60, deadline=None)
@given(
    content=st.one_of(
        st.binary(max_size=200),
        st.text(alphabet=st.sampled_from(list('a1,;"\n\r\t 同意\x00.-Q')), max_size=200).map(
            lambda t: t.encode("utf-8")
        ),
    ),
    suffix=st.sampled_from([".csv", ".xlsx", ".sav", ".dta", ".zsav", ".xlsm"]),
)
def test_junk_files_only_synergy_errors(tmp_path_factory, content, suffix):
    path = Path(tmp_path_factory.mktemp("junk")) / f"junk{suffix}"
    path.write_bytes(content)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            survey = read_survey(path, INST, id=None)
        except SynergyError as exc:
            event(f"read_survey raised {type(exc).__name__}")
            return
        event("file read")
        validate(INST, survey)
    assert path.read_bytes() == content


@pytest.mark.parametrize("value", [np.int64(3), np.float32(2.0), np.uint8(5)])
def test_numpy_scalars_are_codes(value):
    frame = pd.DataFrame({"Q1": pd.Series([value], dtype=object)})
    assert read_survey(frame, INST).data["env_pressure_1"].tolist() == [float(value)]
