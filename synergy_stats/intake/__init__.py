"""Survey intake: reading questionnaire exports, validating them, and scoring constructs.

* :func:`read_survey` maps a DataFrame or a CSV/XLSX/SAV/DTA export onto an instrument;
* :func:`validate` lists every problem in a :class:`ValidationReport`;
* :func:`score` builds first- and second-order construct scores;
* :func:`reverse_code` recodes reverse-keyed items for CFA/SEM;
* :func:`draft_instrument` drafts a starting codebook from an export's headers and answers.
"""

from __future__ import annotations

from synergy_stats.intake.draft import draft_instrument
from synergy_stats.intake.read import (
    BLANK_TOKENS,
    CSV_ENCODINGS,
    SurveyData,
    read_survey,
)
from synergy_stats.intake.score import reverse_code, score, scored_constructs
from synergy_stats.intake.validate import KINDS, ROW_KINDS, ValidationReport, validate

__all__ = [
    "BLANK_TOKENS",
    "CSV_ENCODINGS",
    "KINDS",
    "ROW_KINDS",
    "SurveyData",
    "ValidationReport",
    "draft_instrument",
    "read_survey",
    "reverse_code",
    "score",
    "scored_constructs",
    "validate",
]
