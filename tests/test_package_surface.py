"""The top-level surface: lazy exports, real submodules, and type-checker imports in sync."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import synergy_stats as ss


def test_every_export_resolves_to_its_module() -> None:
    for name, module in ss._EXPORTS.items():
        value = getattr(ss, name)
        assert getattr(importlib.import_module(module), name) is value


def test_submodules_import_beside_the_sem_function() -> None:
    import synergy_stats.structural.api as api

    assert callable(ss.sem)
    assert ss.sem is api.sem
    # importing the subpackage does not shadow the public function
    importlib.import_module("synergy_stats.structural.results")
    assert callable(ss.sem) and ss.sem.__module__ == "synergy_stats.structural.api"


def test_type_checking_imports_match_the_registry() -> None:
    tree = ast.parse(Path(ss.__file__).read_text(encoding="utf-8"))
    seen: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.module:
                    for alias in stmt.names:
                        seen[alias.name] = stmt.module
    assert seen == dict(ss._EXPORTS)
