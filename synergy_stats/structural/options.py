"""The options of a fit: their allowed values (defined once) and their one check.

:meth:`FitOptions.from_kwargs` checks the keyword options of :func:`synergy_stats.sem`
and derives the implied ones (the mean structure, the information matrix) once; the
engine and every result read them from the :class:`FitOptions` passed down.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from synergy_stats._typing import check_option
from synergy_stats.errors import OptionError

__all__ = [
    "CategoricalEstimator",
    "Engine",
    "Estimator",
    "FitOptions",
    "Information",
    "Missing",
    "MissingAny",
]

Estimator = Literal["ML", "MLR"]
CategoricalEstimator = Literal["WLSMV", "WLSM", "ULSMV", "ULS", "DWLS", "WLS"]
Missing = Literal["listwise", "fiml"]
# with ordered indicators, pairwise deletion is accepted too (synergy_stats.ordinal)
MissingAny = Literal["listwise", "fiml", "pairwise"]
Engine = Literal["numpy", "semopy"]
Information = Literal["expected", "observed"]


@dataclass(frozen=True)
class FitOptions:
    """The options a model was fitted with (checked and derived once)."""

    estimator: str = "ML"
    missing: str = "listwise"
    meanstructure: bool = False
    auto: bool = True
    std_lv: bool = False
    fixed_x: bool = True
    group: str | None = None
    group_equal: tuple[str, ...] = ()
    group_partial: tuple[str, ...] = ()
    information: str = "expected"
    level: float = 0.95
    engine: str = "numpy"

    @property
    def fiml(self) -> bool:
        """Whether the casewise likelihood is used (``missing="fiml"``)."""
        return self.missing == "fiml"

    @classmethod
    def from_kwargs(
        cls,
        *,
        estimator: str = "ML",
        missing: str = "listwise",
        meanstructure: bool | None = None,
        n_groups: int = 1,
        has_intercepts: bool = False,
        auto: bool = True,
        std_lv: bool = False,
        fixed_x: bool = True,
        group: str | None = None,
        group_equal: Sequence[str] = (),
        group_partial: Sequence[str] = (),
        level: float = 0.95,
        engine: str = "numpy",
    ) -> FitOptions:
        """Check the keyword options of ``sem()`` and derive the implied ones.

        The mean structure defaults (``meanstructure=None``) to True with FIML, groups or
        intercept lines in the syntax, as lavaan; an explicit False where the means are
        needed raises. The information is lavaan's default: observed with FIML or MLR,
        else expected.

        Raises
        ------
        OptionError
            A value outside the accepted ones (the message names the argument).
        """
        check_option("estimator", estimator, Estimator)
        check_option("missing", missing, MissingAny)
        if missing == "pairwise":
            raise OptionError(
                "missing='pairwise' is available with ordered indicators only; use 'listwise' "
                "or 'fiml'"
            )
        check_option("engine", engine, Engine)
        if not 0 < level < 1:
            raise OptionError(f"level={level!r} must lie strictly between 0 and 1")
        for name, val in (("group_equal", group_equal), ("group_partial", group_partial)):
            if isinstance(val, str):
                raise OptionError(f"{name}={val!r} must be a list of strings, not a string")
            if any(not isinstance(v, str) for v in val):
                raise OptionError(f"{name}={val!r} must be a list of strings")
        fiml = missing == "fiml"
        if meanstructure is None:
            # lavaan: FIML, groups and intercept lines in the syntax switch the means on
            ms = fiml or n_groups > 1 or has_intercepts
        else:
            if not isinstance(meanstructure, bool):
                raise OptionError(
                    f"meanstructure={meanstructure!r} is not accepted; use True, False or None"
                )
            ms = meanstructure
            if fiml and not ms:
                raise OptionError(
                    "meanstructure=False is not possible with missing='fiml': the casewise "
                    "likelihood needs the means; leave meanstructure=None (or True)"
                )
            if has_intercepts and not ms:
                raise OptionError(
                    "meanstructure=False but the model has intercept lines ('~ 1'); drop "
                    "them or leave meanstructure=None"
                )
        return cls(
            estimator=estimator,
            missing=missing,
            meanstructure=ms,
            auto=auto,
            std_lv=std_lv,
            fixed_x=fixed_x,
            group=group,
            group_equal=tuple(group_equal),
            group_partial=tuple(group_partial),
            information="observed" if (fiml or estimator == "MLR") else "expected",
            level=level,
            engine=engine,
        )
