"""Score (Lagrange multiplier) tests of a fit: released constraints and added parameters.

The one place the score-test mechanics live, behind :meth:`SEMResult.score_test`
(lavaan's ``lavTestScore``), :meth:`SEMResult.equality_constraints` and
:func:`release_score_tests` (used by the invariance search).

Every test is taken in the *relaxed* parameter space ``u`` of the fit: every free row of the
parameter table its own parameter (lavaan's free parameters with ``ceq.simple = FALSE``),
rows pinned by a ``label == number`` constraint freed, and added parameters at 0. The fitted
model is the subspace where the equality constraints ``R u = r`` hold. With the score ``s``
(the gradient of ``log L / N``) and the information ``I`` per observation in ``u``, at the
fitted values, releasing a set of constraints gives

    X2 = N s' Z (Z' I Z)^-1 Z' s

where ``Z`` is a basis of the null space of the constraints kept. It equals lavaan's
``N s' J s`` with ``J`` the ``[1:K, 1:K]`` block of the generalised inverse of ``I`` bordered
by the kept constraint rows (Satorra 1989), since ``J = Z (Z' I Z)^-1 Z'``.

References
----------
Satorra, A. (1989). Alternative test criteria in covariance structure analysis: a unified
approach. Psychometrika, 54, 131-151.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from scipy import linalg, stats

from synergy_stats._typing import check_option
from synergy_stats.errors import OptionError, SpecificationError
from synergy_stats.structural.estimate import Objective
from synergy_stats.structural.inference import casewise_scores, observed_information
from synergy_stats.structural.model import RamModel
from synergy_stats.structural.partable import ParTable

if TYPE_CHECKING:
    from synergy_stats.structural.results import SEMResult

__all__ = [
    "Constraint",
    "ScoreInformation",
    "ScoreTest",
    "equality_constraints",
    "fiml_expected_information",
    "information_matrix",
    "release_score_tests",
    "score_test",
]

ScoreInformation = Literal["expected", "observed", "first_order"]


# ---------------------------------------------------------------------- information
def fiml_expected_information(objective: Objective, theta: np.ndarray) -> np.ndarray:
    """Expected information per observation of the FIML likelihood at ``theta``.

    Notes
    -----
    ``I = sum_g (N_g/N) sum_p (n_p/N_g) I_p`` with, for the variables ``o`` observed in
    pattern ``p``, ``I_p[k,l] = 1/2 tr(S_o dSigma_k,oo S_o dSigma_l,oo) + dmu_k,o' S_o
    dmu_l,o`` and ``S_o = (Sigma_oo)^-1``, the implied moments of the model (lavaan's
    structured expected information for ``missing = "ml"``,
    ``lav_mvnorm_missing_information_expected``).
    """
    model = objective.model
    if model is None:  # pragma: no cover - fits always carry their model
        raise TypeError("fiml_expected_information needs an objective built with its model")
    K = model.npar
    info = np.zeros((K, K))
    for g, gd in enumerate(objective.groups):
        _, _, dsig, dmu = model.jacobian(theta, g)
        sigma, _ = model.implied(theta, g)
        wg = gd.n / objective.ntotal
        for pat in gd.patterns:
            o = pat.obs
            if o.size == 0:
                continue
            inv = np.linalg.inv(sigma[np.ix_(o, o)])
            ds = dsig[:, o][:, :, o]
            W = np.matmul(inv, ds)
            cov_part = 0.5 * (W.reshape(K, -1) @ W.transpose(0, 2, 1).reshape(K, -1).T)
            dm = dmu[:, o]
            info += wg * (pat.n / gd.n) * (cov_part + dm @ inv @ dm.T)
    return (info + info.T) / 2


def information_matrix(objective: Objective, theta: np.ndarray, kind: str) -> np.ndarray:
    """The information per observation of ``kind`` at ``theta``.

    ``"expected"`` (under FIML the missing-pattern expected information), ``"observed"``
    (half the analytic Hessian of F) or ``"first_order"`` (the mean outer product of the
    casewise scores): lavaan's ``information.expected``/``.observed``/``.first.order``.
    """
    if kind == "observed":
        return observed_information(objective, theta)
    if kind == "first_order":
        sc = np.vstack(casewise_scores(objective, theta))
        return sc.T @ sc / objective.ntotal
    if objective.fiml:
        return fiml_expected_information(objective, theta)
    return objective.expected_information(theta)


# ---------------------------------------------------------------------- relaxed space
@dataclass(frozen=True)
class _Relaxed:
    """A fit in its relaxed parameter space: every free (or freed) row its own parameter."""

    partable: ParTable
    theta: np.ndarray  # at the fitted values (added rows at 0)
    column: dict[int, int]  # parameter-table row -> column of u
    basis: np.ndarray  # K_u x K: u = basis @ theta + fixed part (the fitted subspace)
    score: np.ndarray  # gradient of log L / N in u
    info: np.ndarray  # information per observation in u
    n: int


def _row_name(pt: ParTable, r: int) -> str:
    """The name ``lav_partable_labels`` gives a row: ``lhs op rhs`` (+ ``.gG``)."""
    name = f"{pt.lhs[r]}{pt.op[r]}{pt.rhs[r]}"
    g = int(pt.group[r])
    return f"{name}.g{g}" if g > 1 else name


def _pinned_rows(fit: SEMResult) -> dict[str, list[int]]:
    """Rows fixed by ``label == number`` constraints, by the constrained label."""
    spec, pt = fit.spec, fit.partable
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    numeric: list[str] = []
    for c in spec.constraints:
        sides = [c.lhs.strip(), c.rhs.strip()]
        nums = [_is_number(x) for x in sides]
        if c.op != "==" or all(nums):
            continue
        if any(nums):
            numeric.append(sides[1] if nums[0] else sides[0])
        else:
            a, b = find(sides[0]), find(sides[1])
            if a != b:
                parent[b] = a
    out: dict[str, list[int]] = {}
    for lab in numeric:
        root = find(lab)
        out[lab] = [
            r
            for r in range(len(pt))
            if pt.label[r] and find(pt.label[r]) == root and int(pt.free[r]) == 0
        ]
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _relaxed(
    fit: SEMResult, information: str, added: Sequence[tuple[str, str, str, int]] = ()
) -> _Relaxed:
    """The relaxed space of ``fit`` (with rows ``added`` at 0), its score and information."""
    pt = fit.partable
    pinned = sorted({r for rows in _pinned_rows(fit).values() for r in rows})
    relax = sorted(set(np.flatnonzero(pt.free > 0).tolist()) | set(pinned))
    n_old = len(pt)
    free = np.zeros(n_old + len(added), dtype=int)
    column = {r: i for i, r in enumerate(relax)}
    for r, i in column.items():
        free[r] = i + 1
    for j in range(len(added)):
        column[n_old + j] = len(relax) + j
        free[n_old + j] = len(relax) + j + 1
    K_u = len(column)
    theta_u = np.zeros(K_u)
    basis = np.zeros((K_u, fit.theta.size))
    for r in relax:
        k = int(pt.free[r])
        if k > 0:
            theta_u[column[r]] = fit.theta[k - 1]
            basis[column[r], k - 1] = 1.0
        else:
            theta_u[column[r]] = pt.value[r]
    if added:
        lhs, op, rhs = zip(*[(a[0], a[1], a[2]) for a in added], strict=True)
        pt_u = replace(
            pt,
            lhs=pt.lhs + lhs,
            op=pt.op + op,
            rhs=pt.rhs + rhs,
            group=np.concatenate([pt.group, [a[3] for a in added]]).astype(int),
            free=free,
            value=np.concatenate([pt.value, np.zeros(len(added))]),
            label=pt.label + ("",) * len(added),
            user=np.concatenate([pt.user, np.ones(len(added), dtype=bool)]),
            exo=np.concatenate([pt.exo, np.zeros(len(added), dtype=bool)]),
        )
    else:
        pt_u = replace(pt, free=free)
    groups = list(fit.group_data)
    objective = Objective(RamModel(pt_u, groups), groups, fiml=fit.objective.fiml)
    # F = -2 log L / N + const: the gradient of log L / N is -grad F / 2
    score = -0.5 * objective.gradient(theta_u)
    info = information_matrix(objective, theta_u, information)
    return _Relaxed(pt_u, theta_u, column, basis, score, info, objective.ntotal)


def _statistic(rx: _Relaxed, Z: np.ndarray) -> float:
    """``N s' Z (Z' I Z)^-1 Z' s`` (a generalised inverse when ``Z' I Z`` is singular)."""
    M = Z.T @ rx.info @ Z
    s = Z.T @ rx.score
    try:
        sol = np.linalg.solve(M, s)
    except np.linalg.LinAlgError:
        sol = np.linalg.pinv(M) @ s
    return float(rx.n * s @ sol)


# ---------------------------------------------------------------------- constraints
@dataclass(frozen=True)
class Constraint:
    """One equality constraint of a fit, as a row of lavaan's parameter table (``op "=="``).

    Attributes
    ----------
    lhs, rhs : str
        The two sides: labels (an explicit ``a == b``, or ``a == 0.5``), else the rows'
        names ``lhs op rhs`` with ``.gG`` for groups after the first (label duplication and
        ``group_equal``).
    rows : tuple of int
        The parameter-table rows tied (one for ``label == number``).
    kind : {"explicit", "label", "group_equal"}
        Written by the user, implied by a label used twice, or by ``group_equal``.
    """

    lhs: str
    rhs: str
    rows: tuple[int, ...]
    kind: str

    @property
    def text(self) -> str:
        """``"lhs == rhs"``."""
        return f"{self.lhs} == {self.rhs}"


def equality_constraints(fit: SEMResult) -> list[Constraint]:
    """The equality constraints of a fit, in lavaan's order.

    Explicit ``==`` constraints first (as written), then, in parameter-table order, one
    constraint per row tied to an earlier row by a shared label or by ``group_equal``
    (lavaan's ``.p2. == .p38.`` rows).
    """
    pt = fit.partable
    pinned = {r for rows in _pinned_rows(fit).values() for r in rows}
    first_label: dict[str, int] = {}
    first_index: dict[int, int] = {}
    label_rows: dict[str, list[int]] = {}
    for r in range(len(pt)):
        if pt.label[r]:
            label_rows.setdefault(pt.label[r], []).append(r)
    out: list[Constraint] = []
    for c in fit.spec.constraints:
        if c.op != "==":
            continue
        a, b = c.lhs.strip(), c.rhs.strip()
        rows = tuple(label_rows[x][0] for x in (a, b) if not _is_number(x) and x in label_rows)
        out.append(Constraint(a, b, rows, "explicit"))
    system: list[Constraint] = []
    for r in range(len(pt)):
        lab = pt.label[r]
        k = int(pt.free[r])
        if k == 0 and r not in pinned:
            continue  # a fixed row: no parameter to tie
        if lab:
            if lab in first_label:
                r0 = first_label[lab]
                system.append(Constraint(_row_name(pt, r0), _row_name(pt, r), (r0, r), "label"))
            else:
                first_label[lab] = r
        elif k > 0:
            if k in first_index:
                r0 = first_index[k]
                system.append(
                    Constraint(_row_name(pt, r0), _row_name(pt, r), (r0, r), "group_equal")
                )
            else:
                first_index[k] = r
    return out + system


def _jacobian(cons: Sequence[Constraint], rx: _Relaxed, fit: SEMResult) -> np.ndarray:
    """The constraint rows ``R`` over the relaxed parameters (one row per constraint)."""
    R = np.zeros((len(cons), rx.theta.size))
    for i, c in enumerate(cons):
        if c.kind == "explicit" and len(c.rows) == 1:
            R[i, rx.column[c.rows[0]]] = 1.0  # label == number
        elif len(c.rows) == 2:
            R[i, rx.column[c.rows[0]]] = 1.0
            R[i, rx.column[c.rows[1]]] -= 1.0
        else:  # pragma: no cover - a constraint always names one or two rows
            raise SpecificationError(f"constraint {c.text!r} ties no parameter")
    return R


# ---------------------------------------------------------------------- results
@dataclass(frozen=True)
class ScoreTest:
    """A score test, laid out as lavaan's ``lavTestScore`` list.

    Attributes
    ----------
    test : pandas.DataFrame
        ``$test``: one row, columns ``test x2 df pvalue`` (``test == "score"``), the total
        test of everything released (or added) at once.
    uni : pandas.DataFrame
        ``$uni``: one row per released constraint (or added parameter), columns
        ``lhs op rhs x2 df pvalue``: that one constraint released, all others kept (for
        ``add``: ``lhs`` the parameter's name, ``op "=="``, ``rhs "0"``).
    """

    test: pd.DataFrame
    uni: pd.DataFrame

    @property
    def x2(self) -> float:
        """The total statistic."""
        return float(self.test["x2"].iloc[0])

    @property
    def df(self) -> int:
        """Degrees of freedom of the total test."""
        return int(self.test["df"].iloc[0])


def _sf(x2: float, df: int) -> float:
    return float(stats.chi2.sf(x2, df)) if np.isfinite(x2) else float("nan")


def _released_statistic(R: np.ndarray, released: Sequence[int], rx: _Relaxed) -> float:
    keep = np.setdiff1d(np.arange(R.shape[0]), np.asarray(released, dtype=int))
    Z = linalg.null_space(R[keep]) if keep.size else np.eye(R.shape[1])
    return _statistic(rx, Z)


def _check_information(information: str) -> str:
    key = "first_order" if information == "first.order" else information
    check_option("information", key, ScoreInformation)
    return key


def _added_rows(fit: SEMResult, add: str | Sequence[str]) -> list[tuple[str, str, str, int]]:
    from synergy_stats.structural.syntax import parse_model

    texts: list[object] = (
        [add] if isinstance(add, str) or not isinstance(add, Sequence) else list(add)
    )
    if not texts or not all(isinstance(t, str) for t in texts):
        raise OptionError(
            f"add={add!r} is not accepted; give lavaan syntax (a str or a list of str), "
            "e.g. add='visual =~ x9'"
        )
    spec = parse_model("\n".join(str(t) for t in texts))
    if spec.constraints or spec.defined:
        raise OptionError(
            f"add={add!r} may hold parameters only (=~, ~, ~~, ~ 1), not constraints or ':='"
        )
    pt = fit.partable
    names = set(pt.observed) | set(pt.latent)
    present = {(pt.lhs[r], pt.op[r], pt.rhs[r], int(pt.group[r])) for r in range(len(pt))}
    rows: list[tuple[str, str, str, int]] = []
    for s in spec.statements:
        unknown = [v for v in (s.lhs, s.rhs) if v and v not in names]
        if unknown:
            raise SpecificationError(
                f"add: {s.lhs} {s.op} {s.rhs} names {unknown[0]!r}, which is not a variable "
                f"of the model; the model's variables are {sorted(names)}"
            )
        if s.op == "=~" and s.lhs not in pt.latent:
            raise SpecificationError(f"add: {s.lhs!r} on the left of '=~' is not latent")
        if s.op == "~1" and not pt.meanstructure:
            raise SpecificationError(
                f"add: {s.lhs} ~ 1 needs a mean structure; refit with meanstructure=True"
            )
        for g in range(1, pt.n_groups + 1):
            key = (s.lhs, s.op, s.rhs, g)
            alt = (s.rhs, s.op, s.lhs, g)
            if key in present or (s.op == "~~" and alt in present) or key in rows:
                continue  # already a parameter of the model (lavaan drops duplicates)
            rows.append(key)
    if not rows:
        raise SpecificationError(f"add={add!r}: every parameter is already in the model")
    return rows


def score_test(
    fit: SEMResult,
    release: int | str | Sequence[int | str] | None = None,
    add: str | Sequence[str] | None = None,
    *,
    information: str = "expected",
) -> ScoreTest:
    """Score tests of a fit's equality constraints or of added parameters (``lavTestScore``).

    See :meth:`synergy_stats.structural.results.SEMResult.score_test`.
    """
    key = _check_information(information)
    if add is not None and release is not None:
        raise OptionError("release= and add= cannot be used together (as in lavaan)")
    pt = fit.partable
    if add is not None:
        added = _added_rows(fit, add)
        rx = _relaxed(fit, key, added)
        cons = equality_constraints(fit)
        R_model = _jacobian(cons, rx, fit)
        n_add = len(added)
        R_add = np.zeros((n_add, rx.theta.size))
        for j in range(n_add):
            R_add[j, rx.column[len(pt) + j]] = 1.0
        R = np.vstack([R_model, R_add])
        released = list(range(len(cons), len(cons) + n_add))
        names = [_row_name(rx.partable, len(pt) + j) for j in range(n_add)]
        lhs, rhs = names, ["0"] * n_add
    else:
        cons = equality_constraints(fit)
        if not cons:
            raise SpecificationError(
                "the model has no equality constraints to release; give add= to test "
                "parameters left out"
            )
        rx = _relaxed(fit, key)
        R = _jacobian(cons, rx, fit)
        released = _released_indices(release, cons)
        lhs = [cons[i].lhs for i in released]
        rhs = [cons[i].rhs for i in released]
    total = _released_statistic(R, released, rx)
    df = len(released)
    uni = [_released_statistic(R, [i], rx) for i in released]
    test = pd.DataFrame({"test": ["score"], "x2": [total], "df": [df], "pvalue": [_sf(total, df)]})
    table = pd.DataFrame(
        {
            "lhs": lhs,
            "op": "==",
            "rhs": rhs,
            "x2": uni,
            "df": 1,
            "pvalue": [_sf(x, 1) for x in uni],
        }
    )
    return ScoreTest(test=test, uni=table)


def _released_indices(
    release: int | str | Sequence[int | str] | None, cons: Sequence[Constraint]
) -> list[int]:
    """0-based indices of the constraints named by ``release`` (lavaan's 1-based numbers)."""
    if release is None:
        return list(range(len(cons)))
    if isinstance(release, int | np.integer | str) or not isinstance(release, Sequence):
        items: list[object] = [release]
    else:
        items = list(release)
    if not items:
        raise OptionError("release=[] names no constraint; leave release=None to release all")
    texts = {"".join(c.text.split()): i for i, c in enumerate(cons)}
    out: list[int] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | np.integer | str):
            raise OptionError(
                f"release={release!r}: {item!r} is neither a constraint number nor a "
                "constraint's text"
            )
        if isinstance(item, str):
            i = texts.get("".join(item.split()))
            if i is None:
                raise OptionError(
                    f"release: {item!r} is not a constraint of this fit; its constraints "
                    f"are {[c.text for c in cons]}"
                )
        else:
            if not 1 <= int(item) <= len(cons):
                raise OptionError(
                    f"release: constraint number {item} is out of range; the fit has "
                    f"{len(cons)} constraint(s), numbered 1..{len(cons)}"
                )
            i = int(item) - 1
        if i in out:
            raise OptionError(f"release: constraint {cons[i].text!r} is named twice")
        out.append(i)
    return out


def release_score_tests(
    fit: SEMResult,
    families: Sequence[Sequence[int]],
    *,
    information: Literal["expected", "observed"] | None = None,
) -> list[tuple[float, int]]:
    """Score tests for releasing sets of equality constraints, one test per set.

    Parameters
    ----------
    fit : SEMResult
        The constrained model.
    families : sequence of sequences of int
        Each is a set of parameter-table rows that share one free parameter (equal by a
        label or by ``group_equal``); releasing the set gives every row but the first its
        own parameter (``len(rows) - 1`` constraints released, all others kept).
    information : {"expected", "observed"}, optional
        Information matrix (default expected, as lavaan's ``lavTestScore``).

    Returns
    -------
    list of (statistic, df)

    Notes
    -----
    In the relaxed space (module docstring), ``Z`` is the basis of the fitted subspace
    (one column per free parameter) plus one unit direction per released row: the test of
    :func:`score_test` for the constraints tying those rows to the first.
    """
    key = _check_information(information or "expected")
    rx = _relaxed(fit, key)
    out: list[tuple[float, int]] = []
    for fam in families:
        rows = list(fam)
        if len(rows) < 2:
            raise SpecificationError("a constraint family needs at least two rows")
        extra = np.zeros((rx.theta.size, len(rows) - 1))
        for j, r in enumerate(rows[1:]):
            extra[rx.column[int(r)], j] = 1.0
        out.append((_statistic(rx, np.hstack([rx.basis, extra])), len(rows) - 1))
    return out
