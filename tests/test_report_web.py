"""The main job's web page, manifest, methods paragraph and progress display.

The main job runs twice on the bundled example with the same seed: the CSVs, the figures and
the manifest (apart from times) must be identical. report.html is opened in headless
Chromium (skipped where it is absent).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import warnings
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

import synergy_stats as ss
from synergy_stats.report import DEFAULT_SEED, run_report
from synergy_stats.report_manifest import without_times
from synergy_stats.report_methods import f2, f3

pytestmark = pytest.mark.slow

FIGURES = (
    "path_diagram",
    "path_diagram_measurement",
    "likert_items",
    "htmt_matrix",
    "scree",
    "bootstrap_indirect_synergy_effect",
    "bootstrap_indirect_implementation_gap",
    "invariance_deltas",
    "riclpm_diagram",
    "coefficients",
)
QUICK = [
    "synergy_stats.report:validation_step",
    "synergy_stats.report:scoring_step",
    "synergy_stats.report:descriptives_step",
    "synergy_stats.report_figures:figures_step",
    "synergy_stats.report_methods:methods_step",
]


@pytest.fixture(scope="module")
def survey():
    from synergy_stats.simulate import example

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ss.read_survey(
            str(example.example_path()),  # the file, as the command line reads it
            "synergy-execution",
            id="respondent_id",
            wave="wave",
            group="department",
        )


@pytest.fixture(scope="module")
def runs(survey, tmp_path_factory):
    base = tmp_path_factory.mktemp("main_job")
    out = []
    for name in ("a", "b"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out.append(run_report(survey, base / name, seed=DEFAULT_SEED, progress=False))
    return out


def test_main_job_writes_page_manifest_and_every_figure(runs):
    r = runs[0]
    assert not r.failed
    out = r.path.parent
    names = {p.name for p in out.iterdir()}
    assert {"report.md", "report.html", "manifest.json", "methods.md"} <= names
    for stem in FIGURES:
        assert {f"{stem}.png", f"{stem}.pdf", f"{stem}.svg"} <= names, stem
        assert (out / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert r.html == out / "report.html"
    text = r.path.read_text("utf-8")
    assert "Reproducibility manifest" in text and "![path_diagram](path_diagram.png)" in text


def test_same_seed_same_numbers(runs):
    a, b = (r.path.parent for r in runs)
    csvs = sorted(p.name for p in a.glob("*.csv"))
    assert len(csvs) >= 15
    for name in csvs:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for stem in FIGURES:
        for ext in ("png", "svg", "pdf"):
            f = f"{stem}.{ext}"
            assert (a / f).read_bytes() == (b / f).read_bytes(), f
    ma = json.loads((a / "manifest.json").read_text("utf-8"))
    mb = json.loads((b / "manifest.json").read_text("utf-8"))
    assert without_times(ma) == without_times(mb)
    assert ma == runs[0].manifest


def test_manifest_records_versions_seeds_and_checksums(runs, survey):
    m = runs[0].manifest
    assert m["package"]["version"] == ss.__version__
    assert m["python"]["version"] == ".".join(map(str, sys.version_info[:3]))
    for dist in ("numpy", "scipy", "pandas", "statsmodels", "matplotlib", "tqdm"):
        assert m["dependencies"][dist] == metadata.version(dist)
    assert m["seed"] == DEFAULT_SEED
    assert m["seeds"] == {
        "bootstrap": DEFAULT_SEED,
        "monte_carlo": DEFAULT_SEED,
        "parallel_analysis": DEFAULT_SEED,
    }
    src = Path(survey.source)
    assert m["input"]["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    inst = survey.instrument
    assert m["instrument"]["id"] == inst.id and m["instrument"]["version"] == inst.version
    assert m["instrument"]["sha256"] == hashlib.sha256(Path(inst.source).read_bytes()).hexdigest()
    steps = [s["name"] for s in m["steps"]]
    assert steps[0] == "validation_step" and "figures_step" in steps and "methods_step" in steps
    assert all(s["seconds"] >= 0 and s["status"] == "ok" for s in m["steps"])
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", m["started"])
    page = runs[0].html.read_text("utf-8")
    assert m["input"]["sha256"] in page  # shown at the end of the report


def test_methods_paragraph_numbers_are_the_results(runs, survey):
    r = runs[0]
    en, zh = r.results["methods"]["en"], r.results["methods"]["zh"]
    fit = r.results["sem"]
    fm = fit.fit_measures()
    boot = r.results["bootstrap"]
    fb = r.results["feedback"]
    rel = r.results["reliability"]
    items = survey.data[survey.items].to_numpy(dtype=float)
    expected = [
        f"N = {fit.nobs}",
        f"χ²({int(fm['df'])}) = {fm['chisq']:.2f}",
        f"CFI = {f3(fm['cfi'])}",
        f"TLI = {f3(fm['tli'])}",
        f"RMSEA = {f3(fm['rmsea'])}",
        f"[{f3(fm['rmsea_ci_lower'])}, {f3(fm['rmsea_ci_upper'])}]",
        f"SRMR = {f3(fm['srmr'])}",
        f"{100 * np.isnan(items).mean():.1f}%",
        f"{f3(rel['alpha'].min())}–{f3(rel['alpha'].max())}",
        f"{f3(rel['omega'].min())}–{f3(rel['omega'].max())}",
        f"{f3(rel['ave'].min())}–{f3(rel['ave'].max())}",
        f"{boot.n_draws} ",
        f"{DEFAULT_SEED}",
        f"Δχ²({fb.df_diff}) = {f2(fb.chisq_diff)}",
        f"Wald χ²({fb.wald_df}) = {f2(fb.wald_stat)}",
        f"synergy_stats {ss.__version__}",
        f"numpy {np.__version__}",
        f"pandas {metadata.version('pandas')}",
        f"scipy {metadata.version('scipy')}",
        f"statsmodels {metadata.version('statsmodels')}",
        "lavaan 0.6-14",
        str(survey.data["respondent_id"].nunique()),
    ]
    for text in (en, zh):
        for piece in expected:
            assert piece in text, piece
    assert "FIML" in en and "Hu & Bentler, 1999" in en and "Rosseel, 2012" in en
    assert r.results["invariance_ladder"].rule in en
    assert "随机种子" in zh and "全信息极大似然" in zh
    methods_md = (r.path.parent / "methods.md").read_text("utf-8")
    assert en in methods_md and zh in methods_md


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[str] = []
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.tables = 0
        self.scripts = 0
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        if tag == "a":
            self.links.append(a.get("href", ""))
        if tag == "table":
            self.tables += 1
        if tag in ("script", "link", "iframe"):
            self.scripts += 1
        for key in ("src", "href"):
            if re.match(r"^(https?:)?//", a.get(key) or ""):
                self.external.append(a[key])


def test_page_is_self_contained_with_contents_tables_figures_and_links(runs):
    out = runs[0].path.parent
    page = _Page()
    page.feed((out / "report.html").read_text("utf-8"))
    assert not page.external and page.scripts == 0  # nothing to fetch, nothing to run
    assert len(page.imgs) == len(FIGURES)
    assert all(src.startswith("data:image/svg+xml;base64,") for src in page.imgs)
    anchors = [h[1:] for h in page.links if h.startswith("#")]
    assert len(anchors) >= 10 and set(anchors) <= page.ids  # table of contents
    files = [h for h in page.links if not h.startswith("#")]
    for ext in (".csv", ".tex", ".docx", ".png", ".pdf"):
        assert any(f.endswith(ext) for f in files), ext
    for f in files:
        assert (out / f).is_file(), f
    # every Markdown table of report.md (the facts included) and every paper table
    md = runs[0].path.read_text("utf-8")
    n_md = len(re.findall(r"^\|(\s*:?-{3,}:?\s*\|)+$", md, re.M))
    assert n_md >= 10
    assert page.tables == n_md + len(runs[0].results["tables"])
    html_text = (out / "report.html").read_text("utf-8")
    assert 'class="synergy-table"' in html_text
    assert "Figure 1." in html_text


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


_PROBE = """<script>
window.__errors = [];
window.addEventListener('error', function (e) {
  window.__errors.push(String(e.message || (e.target && e.target.src) || 'error'));
}, true);
var _ce = console.error;
console.error = function () { window.__errors.push(Array.from(arguments).join(' '));
  _ce.apply(console, arguments); };
window.addEventListener('load', function () {
  var imgs = Array.from(document.images);
  var svgs = Array.from(document.querySelectorAll('svg'));
  var out = {
    images: imgs.length,
    loaded: imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length,
    svgs: svgs.length,
    svg_ok: svgs.filter(function (s) { return s.getBoundingClientRect().width > 0; }).length,
    scroll_width: document.documentElement.scrollWidth,
    inner_width: window.innerWidth,
    errors: window.__errors
  };
  var pre = document.createElement('pre');
  pre.id = '__checks';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def _browser(exe: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={profile}",
            "--window-size=1280,1000",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_page_in_headless_chromium(runs, tmp_path):
    exe = _chromium()
    if exe is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    out = runs[0].path.parent
    page = (out / "report.html").read_text("utf-8")
    shutil.copytree(out, tmp_path / "copy")
    probe = tmp_path / "copy" / "probe.html"  # a copy with the probe: the page is untouched
    probe.write_text(page.replace("<head>", "<head>\n" + _PROBE, 1), encoding="utf-8")
    dom = _browser(exe, tmp_path, "--virtual-time-budget=20000", "--dump-dom", probe.as_uri())
    found = re.search(r'<pre id="__checks">(.*?)</pre>', dom.stdout, re.S)
    assert found, dom.stderr[-2000:]
    checks = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert checks["images"] == len(FIGURES) and checks["loaded"] == checks["images"], checks
    assert checks["svg_ok"] == checks["svgs"], checks
    assert checks["errors"] == [], checks
    assert checks["inner_width"] == 1280
    assert checks["scroll_width"] <= checks["inner_width"], checks  # no horizontal overflow
    console = [
        line for line in dom.stderr.splitlines() if "CONSOLE" in line and "probe.html" in line
    ]
    assert not [line for line in console if "rror" in line], console
    shot = tmp_path / "shot.png"
    res = _browser(exe, tmp_path, f"--screenshot={shot}", (out / "report.html").as_uri())
    assert shot.is_file(), res.stderr[-2000:]
    from matplotlib import image

    pixels = image.imread(shot)[..., :3]
    assert pixels.shape[1] == 1280
    dark = (pixels.mean(axis=2) < 0.6).mean()
    assert pixels.std() > 0.05 and dark > 0.01  # text and rules drawn: not a blank page


def test_chinese_page_and_progress(survey, tmp_path, monkeypatch):
    calls: list[tuple[int, int]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = run_report(
            survey,
            tmp_path / "zh",
            lang="zh",
            steps=QUICK,
            progress=lambda done, total: calls.append((done, total)),
        )
    assert calls == [(k, len(QUICK)) for k in range(1, len(QUICK) + 1)]
    page = r.html.read_text("utf-8")
    assert '<html lang="zh-CN">' in page
    for word in ("目录", "数据校验", "构念得分", "描述统计", "研究方法", "可重复性清单"):
        assert word in page, word
    svg = (r.path.parent / "likert_items.svg").read_text("utf-8")
    assert "非常同意" in svg and "环境压力" in svg

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    fake = Tty()
    monkeypatch.setattr(sys, "stderr", fake)
    run_report(survey, tmp_path / "bar", steps=QUICK[:3])
    drawn = fake.getvalue()
    assert "descriptives" in drawn and "3/3" in drawn and "<" in drawn  # name, count, ETA
    quiet = Tty()
    monkeypatch.setattr(sys, "stderr", quiet)
    run_report(survey, tmp_path / "quiet", steps=QUICK[:3], progress=False)
    assert quiet.getvalue() == ""


def test_command_line_options_reach_the_manifest(tmp_path, capsys):
    from synergy_stats.cli import main

    out = tmp_path / "cli"
    argv = ["report", "--example", "--out", str(out), "--steps", "validation_step,scoring_step"]
    assert main([*argv, "--lang", "zh", "--seed", "5", "--quiet"]) == 0
    assert capsys.readouterr().err.count("it/s") == 0  # --quiet: no bar
    m = json.loads((out / "manifest.json").read_text("utf-8"))
    assert m["seed"] == 5 and m["language"] == "zh"
    assert m["command"]["argv"] == [
        "synergy-stats",
        *argv,
        "--lang",
        "zh",
        "--seed",
        "5",
        "--quiet",
    ]
    assert m["command"]["options"]["seed"] == 5 and m["command"]["options"]["quiet"] is True
    assert [s["name"] for s in m["steps"]] == ["validation_step", "scoring_step"]
    assert m["input"]["file"] == "example_survey.csv" and len(m["input"]["sha256"]) == 64
    assert (out / "report.html").read_text("utf-8").count("<h2>") == 3  # 2 steps + manifest
