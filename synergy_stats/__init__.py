"""synergy_stats: statistics for collaborative-governance survey research.

From a survey instrument and its raw responses to the tables of a paper: bilingual
instruments, survey intake and validation, reliability and validity, CFA/SEM with lavaan's
numbers, bootstrap inference, invariance and cross-lagged panel models, regressions and
publication tables.

Public names are imported lazily, so ``import synergy_stats`` and the ``synergy-stats``
command stay fast; every name listed in ``__all__`` resolves on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it (one registry; each issue adds its names here)
_EXPORTS: dict[str, str] = {
    # errors
    "SynergyError": "synergy_stats.errors",
    "InstrumentError": "synergy_stats.errors",
    "DataValidationError": "synergy_stats.errors",
    "SpecificationError": "synergy_stats.errors",
    "ModelSyntaxError": "synergy_stats.errors",
    "IdentificationError": "synergy_stats.errors",
    "EstimationError": "synergy_stats.errors",
    "ConvergenceError": "synergy_stats.errors",
    "OptionError": "synergy_stats.errors",
    "RenderError": "synergy_stats.errors",
    "SynergyWarning": "synergy_stats.errors",
    "InstrumentWarning": "synergy_stats.errors",
    "DroppedDataWarning": "synergy_stats.errors",
    "HeywoodWarning": "synergy_stats.errors",
    "ConvergenceWarning": "synergy_stats.errors",
    # instruments (issue: foundation)
    "Instrument": "synergy_stats.instrument",
    "load_instrument": "synergy_stats.instrument",
    "list_instruments": "synergy_stats.instrument",
    # intake
    "read_survey": "synergy_stats.intake",
    "validate": "synergy_stats.intake",
    "ValidationReport": "synergy_stats.intake",
    "score": "synergy_stats.intake",
    "reverse_code": "synergy_stats.intake",
    "SurveyData": "synergy_stats.intake",
    "draft_instrument": "synergy_stats.intake",
    "simulate_example": "synergy_stats.simulate",
    "load_example": "synergy_stats.simulate",
    # SEM core
    "parse_model": "synergy_stats.structural",
    "ModelSpec": "synergy_stats.structural",
    "measurement_model": "synergy_stats.structural",
    "structural_model": "synergy_stats.structural",
    "sem": "synergy_stats.structural",
    "polychoric": "synergy_stats.ordinal",
    "PolychoricResult": "synergy_stats.ordinal",
    "OrdinalSEMResult": "synergy_stats.ordinal",
    "cfa": "synergy_stats.structural",
    "SEMResult": "synergy_stats.structural",
    # inference: bootstrap, effects, Monte Carlo intervals (issue 5)
    "bootstrap": "synergy_stats.inference",
    "BootstrapResult": "synergy_stats.inference",
    "effects": "synergy_stats.inference",
    "monte_carlo_ci": "synergy_stats.inference",
    "indirect_effects_table": "synergy_stats.inference",
    # regressions, nesting helpers and paper tables (issue 7)
    "regress": "synergy_stats.regression",
    "logit": "synergy_stats.regression",
    "probit": "synergy_stats.regression",
    "ordered_logit": "synergy_stats.regression",
    "mixedlm": "synergy_stats.regression",
    "icc": "synergy_stats.regression",
    "design_effect": "synergy_stats.regression",
    "rwg": "synergy_stats.regression",
    "rwg_j": "synergy_stats.regression",
    # nested data: cluster-robust and two-level SEM (issue 14)
    "ClusterError": "synergy_stats.errors",
    "ClusterWarning": "synergy_stats.errors",
    "validate_cluster": "synergy_stats.multilevel",
    "ClusterInfo": "synergy_stats.multilevel",
    "item_icc": "synergy_stats.multilevel.icc",
    "ItemICC": "synergy_stats.multilevel.icc",
    "TwoLevelResult": "synergy_stats.multilevel.twolevel",
    "ClusterRobustResult": "synergy_stats.multilevel.robust",
    "Table": "synergy_stats.tables",
    "regression_table": "synergy_stats.tables",
    "fit_table": "synergy_stats.tables",
    "paths_table": "synergy_stats.tables",
    "measurement_table": "synergy_stats.tables",
    "discriminant_table": "synergy_stats.tables",
    "indirect_table": "synergy_stats.tables",
    "invariance_table": "synergy_stats.tables",
    "method_bias_table": "synergy_stats.tables",
    # standard survey tables (issue 10)
    "correlation_table": "synergy_stats.tables",
    "item_table": "synergy_stats.tables",
    # groups and waves (issue 6)
    "measurement_invariance": "synergy_stats.panel",
    "clpm": "synergy_stats.panel",
    "riclpm": "synergy_stats.panel",
    "feedback_test": "synergy_stats.panel",
    "compare_clpm_riclpm": "synergy_stats.panel",
    "simulate_riclpm": "synergy_stats.panel",
    "lags_table": "synergy_stats.tables",
    # measurement quality (issue 4)
    "reliability": "synergy_stats.measurement",
    "item_statistics": "synergy_stats.measurement",
    "htmt": "synergy_stats.measurement",
    "fornell_larcker": "synergy_stats.measurement",
    "cross_loadings": "synergy_stats.measurement",
    "kmo": "synergy_stats.measurement",
    "bartlett": "synergy_stats.measurement",
    "efa": "synergy_stats.measurement",
    "parallel_analysis": "synergy_stats.measurement",
    "method_bias": "synergy_stats.measurement.method_bias",
    "MethodBiasResult": "synergy_stats.measurement.method_bias",
    # figures (issue 12)
    "plot_path": "synergy_stats.figures",
    "plot_riclpm": "synergy_stats.figures",
    "plot_likert": "synergy_stats.figures",
    "plot_parallel": "synergy_stats.figures",
    "plot_matrix": "synergy_stats.figures",
    "plot_invariance": "synergy_stats.figures",
    "plot_bootstrap": "synergy_stats.figures",
    "plot_coefficients": "synergy_stats.figures",
    "save_figure": "synergy_stats.figures",
    # simulation and Monte Carlo power (issue 15)
    "simulate_data": "synergy_stats.simulate.data",
    "rmsea_power": "synergy_stats.simulate.rmsea",
    "rmsea_sample_size": "synergy_stats.simulate.rmsea",
    "power": "synergy_stats.simulate.power",
    "PowerResult": "synergy_stats.simulate.power",
    "power_riclpm": "synergy_stats.simulate.riclpm_power",
    "plot_power": "synergy_stats.simulate.plot",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'synergy_stats' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover - the real signatures, for type checkers and IDEs
    from synergy_stats.errors import (  # noqa: F401
        ClusterError,
        ClusterWarning,
        ConvergenceError,
        ConvergenceWarning,
        DataValidationError,
        DroppedDataWarning,
        EstimationError,
        HeywoodWarning,
        IdentificationError,
        InstrumentError,
        InstrumentWarning,
        ModelSyntaxError,
        OptionError,
        RenderError,
        SpecificationError,
        SynergyError,
        SynergyWarning,
    )
    from synergy_stats.figures import (  # noqa: F401
        plot_bootstrap,
        plot_coefficients,
        plot_invariance,
        plot_likert,
        plot_matrix,
        plot_parallel,
        plot_path,
        plot_riclpm,
        save_figure,
    )
    from synergy_stats.inference import (  # noqa: F401
        BootstrapResult,
        bootstrap,
        effects,
        indirect_effects_table,
        monte_carlo_ci,
    )
    from synergy_stats.instrument import (  # noqa: F401
        Instrument,
        list_instruments,
        load_instrument,
    )
    from synergy_stats.intake import (  # noqa: F401
        SurveyData,
        ValidationReport,
        draft_instrument,
        read_survey,
        reverse_code,
        score,
        validate,
    )
    from synergy_stats.measurement import (  # noqa: F401
        bartlett,
        cross_loadings,
        efa,
        fornell_larcker,
        htmt,
        item_statistics,
        kmo,
        parallel_analysis,
        reliability,
    )
    from synergy_stats.measurement.method_bias import MethodBiasResult, method_bias  # noqa: F401
    from synergy_stats.multilevel import ClusterInfo, validate_cluster  # noqa: F401
    from synergy_stats.multilevel.icc import ItemICC, item_icc  # noqa: F401
    from synergy_stats.multilevel.robust import ClusterRobustResult  # noqa: F401
    from synergy_stats.multilevel.twolevel import TwoLevelResult  # noqa: F401
    from synergy_stats.ordinal import (  # noqa: F401
        OrdinalSEMResult,
        PolychoricResult,
        polychoric,
    )
    from synergy_stats.panel import (  # noqa: F401
        clpm,
        compare_clpm_riclpm,
        feedback_test,
        measurement_invariance,
        riclpm,
        simulate_riclpm,
    )
    from synergy_stats.regression import (  # noqa: F401
        design_effect,
        icc,
        logit,
        mixedlm,
        ordered_logit,
        probit,
        regress,
        rwg,
        rwg_j,
    )
    from synergy_stats.simulate import (  # noqa: F401
        load_example,
        simulate_example,
    )
    from synergy_stats.simulate.data import simulate_data  # noqa: F401
    from synergy_stats.simulate.plot import plot_power  # noqa: F401
    from synergy_stats.simulate.power import PowerResult, power  # noqa: F401
    from synergy_stats.simulate.riclpm_power import power_riclpm  # noqa: F401
    from synergy_stats.simulate.rmsea import rmsea_power, rmsea_sample_size  # noqa: F401
    from synergy_stats.structural import (  # noqa: F401
        ModelSpec,
        SEMResult,
        cfa,
        measurement_model,
        parse_model,
        sem,
        structural_model,
    )
    from synergy_stats.tables import (  # noqa: F401
        Table,
        correlation_table,
        discriminant_table,
        fit_table,
        indirect_table,
        invariance_table,
        item_table,
        lags_table,
        measurement_table,
        method_bias_table,
        paths_table,
        regression_table,
    )
