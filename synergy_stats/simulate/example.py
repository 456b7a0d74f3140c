"""The bundled example: a three-wave staff survey of a street government's departments.

:func:`simulate_example` generates it (seeded, deterministic); :func:`load_example` reads the
copy shipped with the package (``synergy_stats/datasets/example_survey.csv``), which equals
``simulate_example()``.
"""

from __future__ import annotations

import math
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

from synergy_stats._typing import check_arguments, make_rng
from synergy_stats.errors import OptionError
from synergy_stats.simulate.panel import (
    PanelDGP,
    draw_measurement,
    simulate_item_responses,
    simulate_latent_panel,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEPARTMENTS",
    "EXAMPLE_COVARIATES",
    "EXAMPLE_GROUP",
    "EXAMPLE_ID",
    "EXAMPLE_INSTRUMENT",
    "EXAMPLE_SEED",
    "EXAMPLE_WAVE",
    "example_path",
    "load_example",
    "simulate_example",
]

#: Instrument the example follows.
EXAMPLE_INSTRUMENT = "synergy-execution"
#: Column roles of the example, for :func:`synergy_stats.read_survey`.
EXAMPLE_ID = "respondent_id"
EXAMPLE_WAVE = "wave"
EXAMPLE_GROUP = "department"
EXAMPLE_COVARIATES: tuple[str, ...] = ("gender", "rank", "tenure_years")
#: Seed of the shipped example.
EXAMPLE_SEED = 20261127

#: Member departments of a street work-safety leading group (Chinese name, English name).
DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("党政办公室", "Party and Government Office"),
    ("应急管理办公室", "Emergency Management Office"),
    ("城市管理办公室", "Urban Management Office"),
    ("综合行政执法队", "Comprehensive Law Enforcement Team"),
    ("平安建设办公室", "Public Safety Office"),
    ("社区建设办公室", "Community Building Office"),
    ("经济发展办公室", "Economic Development Office"),
    ("规划建设办公室", "Planning and Construction Office"),
    ("社会事务办公室", "Social Affairs Office"),
    ("市场监管所", "Market Supervision Station"),
    ("派出所", "Police Station"),
    ("消防救援站", "Fire and Rescue Station"),
    ("网格化管理中心", "Grid Management Centre"),
    ("党建工作办公室", "Party Building Office"),
    ("财政所", "Finance Office"),
)

_RANKS: tuple[tuple[str, float], ...] = (
    ("编外人员", 0.18),  # auxiliary (contract) staff
    ("办事员", 0.15),  # clerk
    ("科员", 0.37),  # staff member
    ("副科级", 0.18),  # deputy section level
    ("正科级", 0.12),  # section level
)

# cell-level messiness of the export
_P_DONT_KNOW = 0.013  # code 9
_P_REFUSED = 0.007  # code 8
_P_BLANK = 0.004  # empty cell
_P_PAPER_ROW = 0.05  # rows typed in from paper questionnaires: Chinese labels
_P_ENGLISH_CELL = 0.005  # single cells holding an English label
_ATTRITION = 0.10  # average share of staff lost per wave
_BAD_VALUES: tuple[Any, ...] = (6, 0, 44, "3.5", "agre", "非常同")
_N_STRAIGHT_LINERS = 3


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise OptionError(f"{name}={value!r} is not accepted; use an int >= {low}")
    return int(value)


def _department_sizes(rng: np.random.Generator, n_departments: int, n_staff: int) -> np.ndarray:
    """Varied department sizes: 3 staff each plus a Dirichlet-multinomial share of the rest."""
    weights = rng.dirichlet(np.full(n_departments, 2.0))
    return 3 + rng.multinomial(n_staff - 3 * n_departments, weights)


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def simulate_example(
    *,
    n_departments: int = 15,
    n_staff: int = 450,
    waves: int = 3,
    seed: int = EXAMPLE_SEED,
) -> pd.DataFrame:
    """Simulate the example questionnaire export of a street government's departments.

    Parameters
    ----------
    n_departments : int, default 15
        Number of member departments of the leading group (sizes vary).
    n_staff : int, default 450
        Staff surveyed at wave 1 (at least 3 per department).
    waves : int, default 3
        Number of yearly waves.
    seed : int, default 20261127
        Random seed; the shipped example uses the default.

    Returns
    -------
    pandas.DataFrame
        Long format, one row per respondent and wave, ordered by wave and id, with columns
        ``respondent_id``, ``wave``, ``department`` (Chinese name), ``gender`` (男/女),
        ``rank``, ``tenure_years`` and the 44 items of ``synergy-execution`` named by their
        first alias (``Q1`` .. ``Q44``) as in a questionnaire export. Item columns hold
        mostly integer codes, some text labels, missing codes and a few bad values.

    Raises
    ------
    OptionError
        If an argument is out of range.

    Notes
    -----
    Data-generating process (see :mod:`synergy_stats.simulate.panel`):

    * latent construct scores from :class:`~synergy_stats.simulate.panel.PanelDGP` with
      its defaults: within-wave paths motivation -> mechanism .45, mechanism -> process
      .45, process -> results .40, motivation -> process .20, mechanism -> results .20;
      autoregression .35; feedback results(t) -> mechanism(t+1) .18 and results(t) ->
      process(t+1) .15; department share of variance .12; person random-intercept share
      .35; a trend of +.05 per wave;
    * first-order factors load .70-.85 on their second-order construct; in the results
      block the synergy effect loads on the latent results and the implementation gap at
      -.60; items load .65-.85 on their factor; codes 1..5 from fixed thresholds (the
      same at every wave); reverse-keyed items reversed;
    * attrition: about 10% of the remaining staff leave before each later wave, more
      often those with low results at the previous wave;
    * export messiness: about 1.3% of answers coded 9 (don't know), 0.7% coded 8
      (refused), 0.4% empty; about 5% of rows typed in from paper with Chinese labels
      ("同意") instead of codes, 0.5% of cells with English labels ("Agree"); 3 rows
      straight-lining the mechanism block; 6 bad values (``6``, ``0``, ``44``, ``"3.5"``,
      ``"agre"``, ``"非常同"``) and one respondent who submitted twice at wave 2 (a
      duplicated (id, wave) with two answers changed).

    Examples
    --------
    Plays the part of ``lavaan::simulateData()`` for an applied example.

    >>> from synergy_stats import simulate_example
    >>> df = simulate_example()
    >>> sorted(df["wave"].unique().tolist())
    [1, 2, 3]
    """
    check_arguments(simulate_example, locals())
    import pandas as pd

    from synergy_stats.instrument import load_instrument

    n_departments = _check_int("n_departments", n_departments, 1)
    n_staff = _check_int("n_staff", n_staff, 3 * n_departments)
    waves = _check_int("waves", waves, 1)
    seed = _check_int("seed", seed, 0)
    inst = load_instrument(EXAMPLE_INSTRUMENT)
    root = make_rng(seed)
    r_struct, r_latent, r_measure, r_items, r_attr, r_mess = root.spawn(6)

    # departments and staff -----------------------------------------------------------
    sizes = _department_sizes(r_struct, n_departments, n_staff)
    names = [
        DEPARTMENTS[j][0] if j < len(DEPARTMENTS) else f"部门{j + 1}" for j in range(n_departments)
    ]
    dept = np.repeat(np.arange(n_departments), sizes)
    perm = r_struct.permutation(n_staff)
    dept = dept[perm]  # ids are not grouped by department
    ids = 10001 + np.arange(n_staff)
    gender = np.where(r_struct.random(n_staff) < 0.42, "女", "男")
    rank_names = [r for r, _ in _RANKS]
    rank_p = np.array([p for _, p in _RANKS])
    rank = np.array(rank_names, dtype=object)[
        r_struct.choice(len(rank_names), size=n_staff, p=rank_p / rank_p.sum())
    ]
    tenure = np.minimum(np.floor(r_struct.gamma(2.0, 4.5, size=n_staff)), 35).astype(np.int64)

    # latent scores and items ---------------------------------------------------------
    latent = simulate_latent_panel(PanelDGP(), dept, waves, seed=r_latent)
    measurement = draw_measurement(
        inst, seed=r_measure, fixed_component_loadings={"implementation_gap": -0.60}
    )
    codes = simulate_item_responses(latent, inst, measurement, seed=r_items)

    # attrition -------------------------------------------------------------------------
    present = np.zeros((n_staff, waves), dtype=bool)
    present[:, 0] = True
    res = latent["results"]
    for t in range(1, waves):
        z = (res[:, t - 1] - res[:, t - 1].mean()) / res[:, t - 1].std()
        p_leave = 1.0 / (1.0 + np.exp(-(math.log(_ATTRITION / (1 - _ATTRITION)) - 0.3 * z)))
        present[:, t] = present[:, t - 1] & (r_attr.random(n_staff) >= p_leave)

    # long rows ordered by wave, then id ----------------------------------------------------
    person_idx, wave_idx = [], []
    for t in range(waves):
        who = np.flatnonzero(present[:, t])
        person_idx.append(who)
        wave_idx.append(np.full(who.size, t))
    p_all = np.concatenate(person_idx)
    t_all = np.concatenate(wave_idx)
    n_rows = p_all.size

    items = list(inst.items)
    raw = np.column_stack([codes[it.id][p_all, t_all] for it in items]).astype(object)

    # missing codes and blanks ------------------------------------------------------------
    u = r_mess.random(raw.shape)
    raw[u < _P_DONT_KNOW] = 9
    raw[(u >= _P_DONT_KNOW) & (u < _P_DONT_KNOW + _P_REFUSED)] = 8
    blank = (u >= _P_DONT_KNOW + _P_REFUSED) & (u < _P_DONT_KNOW + _P_REFUSED + _P_BLANK)
    raw[blank] = math.nan

    # straight-liners on the mechanism block --------------------------------------------
    mech = np.array(
        [k for k, it in enumerate(items) if it.id in set(inst.items_of("mechanism"))],
        dtype=np.int64,
    )
    careless = r_mess.choice(n_rows, size=min(_N_STRAIGHT_LINERS, n_rows), replace=False)
    raw[np.ix_(careless, mech)] = 4

    # text labels: rows from paper questionnaires (Chinese), single English cells -------------
    scale = inst.scales[items[0].scale]

    def label(code: Any, lang: str) -> Any:
        if isinstance(code, float):  # blank stays blank
            return code
        text = scale.label(int(code), "zh" if lang == "zh" else "en")
        return text if lang == "zh" else _capitalise(text)

    paper = r_mess.random(n_rows) < _P_PAPER_ROW
    english = r_mess.random(raw.shape) < _P_ENGLISH_CELL
    for row in np.flatnonzero(paper):
        raw[row, :] = [label(v, "zh") for v in raw[row, :]]
    for row, col in zip(*np.nonzero(english & ~paper[:, None]), strict=True):
        raw[row, col] = label(raw[row, col], "en")

    # a handful of bad values on distinct rows -------------------------------------------------
    others = np.setdiff1d(np.arange(n_rows), careless)
    bad_rows = r_mess.choice(others, size=min(len(_BAD_VALUES), others.size), replace=False)
    for value, row in zip(_BAD_VALUES, bad_rows, strict=False):
        col = int(r_mess.integers(len(items)))
        raw[row, col] = value

    frame = pd.DataFrame(
        {
            EXAMPLE_ID: ids[p_all].astype(np.int64),
            EXAMPLE_WAVE: (t_all + 1).astype(np.int64),
            EXAMPLE_GROUP: [names[j] for j in dept[p_all]],
            "gender": gender[p_all].tolist(),
            "rank": rank[p_all].tolist(),
            "tenure_years": (tenure[p_all] + t_all).astype(np.int64),
        }
    )
    item_frame = pd.DataFrame(
        {
            (it.aliases[0] if it.aliases else it.id): pd.Series(
                [_plain(v) for v in raw[:, k]], dtype=object
            )
            for k, it in enumerate(items)
        }
    )
    frame = pd.concat([frame, item_frame], axis=1)

    # one double submission at wave 2 (or the last wave): two answers changed ----------------
    dup_wave = min(2, waves)
    candidates = np.flatnonzero((t_all + 1 == dup_wave) & ~paper)
    if candidates.size:
        src = int(r_mess.choice(candidates))
        copy = frame.iloc[[src]].copy()
        for col in r_mess.choice(len(items), size=2, replace=False):
            name = item_frame.columns[int(col)]
            old = copy.iloc[0][name]
            new = int(old) % 5 + 1 if isinstance(old, int) else 3
            copy[name] = pd.Series([new], index=copy.index, dtype=object)
        frame = pd.concat([frame.iloc[: src + 1], copy, frame.iloc[src + 1 :]], ignore_index=True)
    return frame


def _plain(value: Any) -> Any:
    """Python int for codes, str for text, float NaN for blanks."""
    if isinstance(value, float):
        return value if math.isnan(value) else int(value)
    if isinstance(value, np.integer | int):
        return int(value)
    return str(value)


def example_path() -> Any:
    """Return the path (a ``Traversable``) of the shipped example CSV."""
    return resources.files("synergy_stats").joinpath("datasets", "example_survey.csv")


def load_example() -> pd.DataFrame:
    """Read the example questionnaire export shipped with the package.

    Returns
    -------
    pandas.DataFrame
        Equal to :func:`simulate_example` with its defaults (see there for the columns and
        how the data were generated). Read it against the instrument with::

            read_survey(load_example(), "synergy-execution", id="respondent_id",
                        wave="wave", group="department",
                        covariates=["gender", "rank", "tenure_years"])

    Examples
    --------
    Like ``data(PoliticalDemocracy, package = "lavaan")``.

    >>> from synergy_stats import load_example
    >>> load_example().shape[0] > 1000
    True
    """
    check_arguments(load_example, locals())
    import io

    import pandas as pd

    text = example_path().read_text(encoding="utf-8")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    for col in (EXAMPLE_ID, EXAMPLE_WAVE, "tenure_years"):
        frame[col] = frame[col].astype(np.int64)
    fixed = [EXAMPLE_ID, EXAMPLE_WAVE, EXAMPLE_GROUP, *EXAMPLE_COVARIATES]
    for col in frame.columns:
        if col in fixed:
            continue
        frame[col] = pd.Series([_from_text(v) for v in frame[col]], dtype=object)
    return frame


def _from_text(text: str) -> Any:
    if text == "":
        return math.nan
    stripped = text.lstrip("-")
    if stripped.isdigit() and stripped.isascii():
        return int(text)
    return text
