"""Figures: valid files in every format, labels as SVG text (Chinese too), no overlapping
labels on the 44-item diagram, and the same bytes for the same input."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synergy_stats as ss
from synergy_stats.figures import _base

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def survey():
    return ss.read_survey(
        ss.load_example(), "synergy-execution", id="respondent_id", wave="wave", group="department"
    )


@pytest.fixture(scope="module")
def inst(survey):
    return survey.instrument


@pytest.fixture(scope="module")
def wave1(survey, inst):
    items = ss.reverse_code(inst, survey)
    return items[items["wave"] == 1]


@pytest.fixture(scope="module")
def latent_fit(inst, wave1):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ss.sem(ss.structural_model(inst), wave1.dropna(subset=inst.items_of("results")))


@pytest.fixture(scope="module")
def scores(survey, inst):
    return ss.score(inst, survey)


@pytest.fixture(scope="module")
def score_fit(inst, scores):
    s1 = scores[scores["wave"] == 1]
    cols = ["motivation", "mechanism", "process", "synergy_effect", "implementation_gap"]
    return ss.sem(ss.structural_model(inst, measurement=False), s1[cols].dropna())


@pytest.fixture(scope="module")
def boot(score_fit):
    return ss.bootstrap(score_fit, draws=60, seed=3, n_jobs=1, progress=False)


@pytest.fixture(scope="module")
def ri(scores):
    s = scores[~scores.duplicated(subset=["respondent_id", "wave"])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ss.riclpm(
            s, ["mechanism", "process", "synergy_effect"], id="respondent_id", wave="wave"
        )


def _svg_texts(path: Path) -> str:
    root = ET.parse(path).getroot()
    return " ".join("".join(el.itertext()) for el in root.iter(f"{SVG_NS}text"))


def _check_files(fig: Figure, tmp_path: Path, stem: str) -> dict[str, Path]:
    files = ss.save_figure(fig, tmp_path / stem)
    out = {p.suffix.lstrip("."): p for p in files}
    assert set(out) == {"png", "pdf", "svg"}
    assert out["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out["pdf"].read_bytes()[:5] == b"%PDF-"
    from pypdf import PdfReader

    assert len(PdfReader(out["pdf"]).pages) == 1
    ET.parse(out["svg"])  # well-formed XML
    return out


def _figures(latent_fit, score_fit, boot, ri, survey, inst, wave1, scores, lang):
    pa = ss.parallel_analysis(wave1[inst.items_of("mechanism")], n_iter=5, seed=1)
    ladder = pd.DataFrame(
        {"delta_cfi": [np.nan, -0.004, -0.012], "delta_rmsea": [np.nan, 0.002, 0.02]},
        index=pd.Index(["configural", "metric", "scalar"], name="level"),
    )
    s1 = scores[scores["wave"] == 1]
    m1 = ss.regress("synergy_effect ~ process + mechanism", s1)
    return {
        "path": ss.plot_path(score_fit, instrument=inst, lang=lang),
        "riclpm": ss.plot_riclpm(ri, instrument=inst, lang=lang),
        "likert": ss.plot_likert(survey, inst, lang=lang, constructs=["env_pressure"]),
        "parallel": ss.plot_parallel(pa, lang=lang),
        "matrix": ss.plot_matrix(
            s1[["motivation", "mechanism", "process"]].corr(), instrument=inst, lang=lang
        ),
        "invariance": ss.plot_invariance(ladder, lang=lang),
        "bootstrap": ss.plot_bootstrap(boot, "indirect_synergy_effect", lang=lang),
        "coefficients": ss.plot_coefficients({"OLS": m1}, lang=lang),
    }


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_figure_saves_valid_files_with_its_labels(
    lang, tmp_path, latent_fit, score_fit, boot, ri, survey, inst, wave1, scores
):
    figs = _figures(latent_fit, score_fit, boot, ri, survey, inst, wave1, scores, lang)
    expected = {
        "path": [inst.constructs["mechanism"].label.get(lang), "R²"],
        "riclpm": [inst.constructs["process"].label.get(lang)],
        "likert": [
            inst.constructs["env_pressure"].label.get(lang),
            "env_pressure_1",
            inst.scales["agree5"].label(5, lang),
        ],
        "parallel": ["FA" if lang == "en" else "因子分析"],
        "matrix": [inst.constructs["process"].label.get(lang)],
        "invariance": ["ΔCFI", "ΔRMSEA", "metric" if lang == "en" else "弱等同"],
        "bootstrap": ["BCa", "indirect_synergy_effect"],
        "coefficients": ["process", "OLS"],
    }
    for name, fig in figs.items():
        assert isinstance(fig, Figure), name
        files = _check_files(fig, tmp_path, name)
        text = _svg_texts(files["svg"])
        for label in expected[name]:
            assert label in text, (name, label)
        if lang == "zh":
            assert any("\u4e00" <= ch <= "\u9fff" for ch in text), name
    if shutil.which("pdftotext"):
        out = subprocess.run(
            ["pdftotext", str(tmp_path / "path.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert inst.constructs["mechanism"].label.get(lang).split()[0] in out


def _boxes(fig: Figure, prefix: str):
    renderer = fig.canvas.get_renderer()
    return [
        (t.get_gid(), t.get_window_extent(renderer))
        for t in fig.findobj(matplotlib.text.Text)
        if (t.get_gid() or "").startswith(prefix) and t.get_text()
    ]


def _overlaps(a, b):
    return not (a.x1 <= b.x0 or b.x1 <= a.x0 or a.y1 <= b.y0 or b.y1 <= a.y0)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_labels_overlap_on_the_44_item_diagram(latent_fit, inst, lang):
    fig = ss.plot_path(latent_fit, instrument=inst, measurement=True, lang=lang)
    fig.canvas.draw()
    nodes = _boxes(fig, "node:")
    assert len(nodes) == 44 + 14 + 3  # items, first-order factors, second-order constructs
    for (n1, b1), (n2, b2) in itertools.combinations(nodes, 2):
        assert not _overlaps(b1, b2), (n1, n2)
    edges = _boxes(fig, "edge:")
    assert len(edges) == 7 + 1 + 44 + 12  # paths, the results covariance, loadings
    for (n1, b1), (n2, b2) in itertools.combinations(edges + nodes, 2):
        assert not _overlaps(b1, b2), (n1, n2)
    # every label lies inside the figure
    width, height = fig.canvas.get_width_height()
    for name, box in nodes + edges:
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width and box.y1 <= height, name


def test_path_diagram_without_instrument_lays_out_layers_and_feedback(tmp_path):
    rng = np.random.default_rng(5)
    n = 400
    x = rng.normal(size=n)
    m = 0.5 * x + rng.normal(size=n)
    y = 0.4 * m + rng.normal(size=n)
    z = 0.3 * y + 0.05 * x + rng.normal(size=n)
    data = pd.DataFrame({"x": x, "m": m, "y": y, "z": z})
    fit = ss.sem("m ~ x\ny ~ m\nz ~ y + x", data)
    fig = ss.plot_path(fit, what="est")
    text = _svg_texts(_check_files(fig, tmp_path, "layers")["svg"])
    for v in "xmyz":
        assert v in text
    fig.canvas.draw()
    pos = {gid[5:]: box.x0 for gid, box in _boxes(fig, "node:")}
    assert pos["x"] < pos["m"] < pos["y"] < pos["z"]
    # the non-significant direct path x -> z is dashed, the others solid
    from matplotlib.patches import FancyArrowPatch

    styles = [p.get_linestyle() for p in fig.findobj(FancyArrowPatch)]
    assert any(s in ("--", "dashed") or isinstance(s, tuple) for s in styles)
    assert any(s in ("-", "solid") for s in styles)


def test_nonrecursive_paths_are_curved_and_red():
    rng = np.random.default_rng(2)
    n = 500
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    e1, e2 = rng.normal(size=n), rng.normal(size=n)
    # y1 = .3 y2 + .6 x1 + e1, y2 = .3 y1 + .6 x2 + e2 (solved jointly)
    a = np.array([[1, -0.3], [-0.3, 1]])
    y = np.linalg.solve(a, np.vstack([0.6 * x1 + e1, 0.6 * x2 + e2]))
    data = pd.DataFrame({"x1": x1, "x2": x2, "y1": y[0], "y2": y[1]})
    fit = ss.sem("y1 ~ y2 + x1\ny2 ~ y1 + x2", data)
    fig = ss.plot_path(fit)
    from matplotlib.patches import FancyArrowPatch

    from synergy_stats.figures._draw import FEEDBACK

    red = [
        p
        for p in fig.findobj(FancyArrowPatch)
        if matplotlib.colors.to_hex(p.get_edgecolor()) == FEEDBACK
    ]
    assert len(red) >= 1
    for p in red:  # curved: the middle control point is off the straight line
        v = p.get_path().vertices
        (x0, y0), (cx, cy), (x2, y2) = v[0], v[1], v[-1]
        assert abs((x2 - x0) * (cy - y0) - (y2 - y0) * (cx - x0)) > 1e-3


def test_the_same_input_gives_the_same_bytes(tmp_path, score_fit, inst):
    paths = []
    for k in range(2):
        fig = ss.plot_path(score_fit, instrument=inst)
        paths.append(ss.save_figure(fig, tmp_path / f"run{k}"))
    for a, b in zip(*paths, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.suffix


def test_save_figure_never_overwrites_unless_asked(tmp_path, score_fit):
    fig = ss.plot_path(score_fit)
    (target,) = ss.save_figure(fig, tmp_path / "p.png")
    with pytest.raises(ss.RenderError, match="exists"):
        ss.save_figure(fig, target)
    assert ss.save_figure(fig, target, overwrite=True) == [target]
    with pytest.raises(ss.OptionError, match="formats"):
        ss.save_figure(fig, tmp_path / "q", formats=["gif"])  # type: ignore[list-item]
    with pytest.raises(ss.OptionError, match="lang"):
        ss.plot_path(score_fit, lang="fr")  # type: ignore[arg-type]


def test_missing_cjk_font_warns_once_with_the_fix(monkeypatch):
    from matplotlib import font_manager

    monkeypatch.setattr(_base, "_state", {"font": None, "searched": False, "warned": False})
    monkeypatch.delenv(_base.FONT_ENV, raising=False)
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
    with pytest.warns(ss.SynergyWarning, match="apt-get install fonts-noto-cjk") as rec:
        assert _base.cjk_font() is None
    assert "set_cjk_font" in str(rec[0].message)
    _base._state["searched"] = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _base.cjk_font() is None  # no second warning


def test_cjk_font_is_found_when_installed():
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    if not names & set(_base.CJK_FAMILIES):
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    assert _base.cjk_font() in _base.CJK_FAMILIES


def test_saving_in_workers_gives_the_same_bytes_in_order(tmp_path, score_fit, inst, boot):
    figs = [
        ss.plot_path(score_fit, instrument=inst),
        ss.plot_bootstrap(boot, "indirect_synergy_effect"),
    ]
    if _base._fork_context() is None:
        pytest.skip("no fork here: save_figures saves in this process")
    together = _base.save_figures(
        [(fig, tmp_path / f"par{k}") for k, fig in enumerate(figs)], n_jobs=2
    )
    for k, (fig, files) in enumerate(zip(figs, together, strict=True)):
        assert [p.name for p in files] == [f"par{k}.png", f"par{k}.pdf", f"par{k}.svg"]
        alone = ss.save_figure(fig, tmp_path / f"seq{k}")
        for a, b in zip(files, alone, strict=True):
            assert a.read_bytes() == b.read_bytes(), (k, a.suffix)


def test_saving_in_workers_raises_the_workers_error(tmp_path, score_fit):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    figs = [(ss.plot_path(score_fit), tmp_path / "ok"), (ss.plot_path(score_fit), blocker / "f")]
    with pytest.raises(ss.RenderError, match="cannot write"):
        _base.save_figures(figs, n_jobs=2)
    with pytest.raises(ss.OptionError, match="n_jobs"):
        _base.save_figures(figs, n_jobs=0)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm (poppler)")
def test_pdf_fonts_without_layout_tables_render_the_same_page(tmp_path, monkeypatch, score_fit):
    import contextlib

    from matplotlib.backends import _backend_pdf_ps

    module = _backend_pdf_ps.subset
    fig = ss.plot_path(score_fit)
    (lean,) = ss.save_figure(fig, tmp_path / "lean.pdf")
    assert _backend_pdf_ps.subset is module  # the backend is left as it was
    monkeypatch.setattr(_base, "_lean_pdf_fonts", contextlib.nullcontext)
    (full,) = ss.save_figure(fig, tmp_path / "full.pdf")
    assert lean.stat().st_size < full.stat().st_size  # the layout tables are gone
    pages = []
    for pdf in (lean, full):
        subprocess.run(
            ["pdftoppm", "-r", "100", "-png", str(pdf), str(tmp_path / pdf.stem)], check=True
        )
        pages.append((tmp_path / f"{pdf.stem}-1.png").read_bytes())
    assert pages[0] == pages[1]


def test_figures_drawn_in_workers_and_drawing_errors(tmp_path, score_fit):
    def broken():
        raise ss.OptionError("lang='fr' is not accepted")

    items = [(lambda: ss.plot_path(score_fit), tmp_path / "drawn"), (broken, tmp_path / "x")]
    out = _base.save_figures(items, n_jobs=2, drawing_errors=True)
    assert [p.name for p in out[0]] == ["drawn.png", "drawn.pdf", "drawn.svg"]
    assert isinstance(out[1], ss.OptionError)
    assert not list(tmp_path.glob("x.*"))
    alone = ss.save_figure(ss.plot_path(score_fit), tmp_path / "alone")
    for a, b in zip(out[0], alone, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.suffix
    with pytest.raises(ss.OptionError, match="fr"):
        _base.save_figures(items, n_jobs=2)


_FORKED_WRITERS = """
import json, sys, threading
from pathlib import Path
from matplotlib.figure import Figure
from synergy_stats.errors import RenderError
from synergy_stats.figures import _base

out = Path(sys.argv[1])


def draw(k):
    fig = Figure(figsize=(2, 2))
    fig.add_subplot().plot([0, 1], [k, 1 - k])
    return fig


assert threading.active_count() == 1
jobs = _base.start_figures([(lambda k=k: draw(k), out / f"bg{k}") for k in range(3)], n_jobs=2)
forked = sum(w._proc is not None for w in jobs._writers)
started_threads = threading.active_count() - 1  # the caller may fork again meanwhile
written = jobs.wait()
same = all(
    a.read_bytes() == b.read_bytes()
    for k, files in enumerate(written)
    for a, b in zip(files, _base.save_figure(draw(k), out / f"fg{k}"), strict=True)
)
blocker = out / "not_a_folder"
blocker.write_text("x")
failing = _base.start_figures([(draw(0), out / "ok"), (draw(1), blocker / "f")], n_jobs=2)
try:
    failing.wait()
    error = None
except RenderError as exc:
    error = str(exc)
print(json.dumps({"forked": forked, "threads": started_threads, "same": same,
                  "names": [[p.name for p in f] for f in written], "error": error}))
"""


def test_background_writers_fork_and_write_the_same_bytes(tmp_path):
    # pytest runs threads, so the forked writers are checked in a fresh interpreter
    import json
    import subprocess
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("forked writers need Linux")
    run = subprocess.run(
        [sys.executable, "-c", _FORKED_WRITERS, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["forked"] == 2 and got["threads"] == 0
    assert got["same"]
    assert got["names"][2] == ["bg2.png", "bg2.pdf", "bg2.svg"]
    assert got["error"] is not None and "cannot write" in got["error"]
