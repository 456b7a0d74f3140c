"""Survey instruments (codebooks): the data model and the YAML loader.

An instrument describes response scales, latent constructs, items, structural hypotheses and
feedback paths. Load a bundled one by name (``"synergy-execution"``, ``"sfic"``) or your own
YAML codebook by path with :func:`load_instrument`; the format is documented in
``instruments/README.md``.
"""

from __future__ import annotations

from synergy_stats.instrument.load import (
    CodebookError,
    Problem,
    bundled_path,
    instrument_from_dict,
    list_instruments,
    load_instrument,
)
from synergy_stats.instrument.model import (
    Construct,
    ConstructKind,
    FeedbackPath,
    FrozenMap,
    Hypothesis,
    Instrument,
    Item,
    Language,
    Scale,
    Sign,
    Text,
    normalize_label,
)

__all__ = [
    "CodebookError",
    "Construct",
    "ConstructKind",
    "FeedbackPath",
    "FrozenMap",
    "Hypothesis",
    "Instrument",
    "Item",
    "Language",
    "Problem",
    "Scale",
    "Sign",
    "Text",
    "bundled_path",
    "instrument_from_dict",
    "list_instruments",
    "load_instrument",
    "normalize_label",
]
