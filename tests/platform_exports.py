"""A seeded generator of the trial's four survey-platform exports and its instrument.

The trial of issue 11: 300 staff of 12 departments answered a 12-item questionnaire twice
(两轮) on a Chinese survey platform, exported four ways. :func:`write_exports` rebuilds
them, with the generator's truth, into a folder (the tests use ``tmp_path``); no data file
is copied into the repository.

* ``wjx_text.xlsx``: Wenjuanxing text export, headers ``序号, 提交答卷时间, 所用时间, 来源,
  来自IP, 员工编号, 部门, 轮次, 6、(上级检查考核压力大), ...``, answers as labels
  (``非常同意``), skipped questions as ``(跳过)``;
* ``wjx_code_gbk.csv``: the code export, GBK-encoded, the same headers, answers as codes,
  skips as ``-3``;
* ``q_style.csv``: headers ``Q6_1 .. Q9_3`` (question 6, row 1), codes, skips ``-3``;
* ``labelled.sav``: SPSS file with ``Q6_1``-style names, value labels and -3 = 跳过.

The instrument (:func:`trial_codebook`) has no aliases: items carry their wording and
their question number (``number: "6.1"``) only. It declares one attention check, question
10 (``本题请选择“同意”``, passing code 4).

Response-quality plants (a second generator seeded with ``seed + 1``, so the item answers
do not depend on them): :data:`N_SPEEDERS` rows answer in 8-20 s (the metadata
``所用时间`` reads ``"15秒"``), :data:`N_SHARED_IP` rows of the first wave reuse an earlier
row's IP, :data:`N_ATTENTION_WRONG` rows answer the attention check wrongly and
:data:`N_ATTENTION_SKIPPED` skip it; ``resubmitted=k`` appends ``k`` second submissions of
first-wave respondents (same id and wave). The truth frame marks every plant in the
boolean columns ``is_speeder``, ``is_shared_ip``, ``fails_attention`` and ``is_resubmission``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

N_STAFF = 300
N_DEPARTMENTS = 12
WAVES = ("第一轮", "第二轮")
SEED = 20261202
N_SPEEDERS = 9
N_SHARED_IP = 7
N_ATTENTION_WRONG = 11
N_ATTENTION_SKIPPED = 4
ATTENTION = ("10", "本题请选择“同意”", "Please choose 'agree' for this question", 4)

ITEMS = [  # id, construct, question number, Chinese wording, English wording
    (
        "pressure_1",
        "pressure",
        "6.1",
        "上级检查考核压力大",
        "Inspections by higher levels put us under pressure",
    ),
    (
        "pressure_2",
        "pressure",
        "6.2",
        "安全生产事故带来很大压力",
        "Work-safety accidents put us under strong pressure",
    ),
    (
        "pressure_3",
        "pressure",
        "6.3",
        "安全生产目标任务很重",
        "Our work-safety targets are demanding",
    ),
    (
        "mechanism_1",
        "mechanism",
        "7.1",
        "领导小组能统一调度各部门",
        "The leading group can direct all departments",
    ),
    (
        "mechanism_2",
        "mechanism",
        "7.2",
        "部门之间能及时共享信息",
        "Departments share information in time",
    ),
    (
        "mechanism_3",
        "mechanism",
        "7.3",
        "考核问责推动部门协同",
        "Assessment and accountability push departments to cooperate",
    ),
    (
        "process_1",
        "process",
        "8.1",
        "联席会议能形成明确决定",
        "Joint meetings reach clear decisions",
    ),
    ("process_2", "process", "8.2", "任务清单分工明确", "The task list divides the work clearly"),
    (
        "process_3",
        "process",
        "8.3",
        "各部门按清单落实任务",
        "Each department carries out its listed tasks",
    ),
    ("results_1", "results", "9.1", "隐患整改更加及时", "Hazards are corrected more promptly"),
    (
        "results_2",
        "results",
        "9.2",
        "部门协作更加顺畅",
        "Cooperation between departments runs more smoothly",
    ),
    ("results_3", "results", "9.3", "安全生产状况明显改善", "Work safety has clearly improved"),
]
LABELS = {
    1: ("strongly disagree", "非常不同意"),
    2: ("disagree", "不同意"),
    3: ("neither agree nor disagree", "一般"),
    4: ("agree", "同意"),
    5: ("strongly agree", "非常同意"),
}
CONSTRUCTS = {
    "pressure": ("Environmental pressure", "环境压力"),
    "mechanism": ("Synergy mechanism", "协同机制"),
    "process": ("Synergy process", "协同过程"),
    "results": ("Synergy results", "协同结果"),
}
DEPARTMENTS = [f"部门{k:02d}" for k in range(1, N_DEPARTMENTS + 1)]


def trial_codebook() -> dict[str, Any]:
    """The trial's instrument as a codebook mapping (no aliases)."""

    def t(en: str, zh: str) -> dict[str, str]:
        return {"en": en, "zh": zh}

    return {
        "id": "trial-staff",
        "version": "1.0",
        "title": t("Leading-group coordination survey of street staff", "街道领导小组协同调查"),
        "default_scale": "agree5",
        "scales": [
            {
                "id": "agree5",
                "points": 5,
                "labels": {k: t(*v) for k, v in LABELS.items()},
                "missing": {},
            }
        ],
        "constructs": [
            {"id": c, "label": t(*lab), "definition": t(f"{lab[0]} as staff see it", lab[1])}
            for c, lab in CONSTRUCTS.items()
        ],
        "items": [
            {"id": i, "construct": c, "number": num, "text": t(en, zh)}
            for i, c, num, zh, en in ITEMS
        ],
        "hypotheses": [
            {
                "id": "H1",
                "source": "pressure",
                "target": "mechanism",
                "sign": "+",
                "text": t("Pressure strengthens the mechanisms.", "压力强化协同机制。"),
            },
            {
                "id": "H2",
                "source": "mechanism",
                "target": "process",
                "sign": "+",
                "text": t("Mechanisms strengthen the process.", "协同机制促进协同过程。"),
            },
            {
                "id": "H3",
                "source": "process",
                "target": "results",
                "sign": "+",
                "text": t("The process improves results.", "协同过程改善协同结果。"),
            },
        ],
        "feedback": [
            {"id": "F1", "source": "results", "target": "mechanism", "lag": 1, "sign": "+"},
        ],
        "attention_checks": [{"id": "attention_10", "column": ATTENTION[0], "pass": ATTENTION[3]}],
    }


def truth(seed: int = SEED, resubmitted: int = 0) -> pd.DataFrame:
    """One row per submission: ids, metadata, item codes (NaN when skipped), quality plants."""
    rng = np.random.default_rng(seed)
    n = N_STAFF
    dept = rng.integers(0, N_DEPARTMENTS, size=n)
    u = rng.normal(0, 0.4, size=N_DEPARTMENTS)[dept]
    rows = []
    prev_results = np.zeros(n)
    for w, wave in enumerate(WAVES):
        p = u + rng.normal(size=n)
        m = 0.5 * p + 0.3 * prev_results + rng.normal(scale=0.8, size=n)
        pr = 0.6 * m + rng.normal(scale=0.8, size=n)
        r = 0.5 * pr + rng.normal(scale=0.8, size=n)
        prev_results = r
        latent = {"pressure": p, "mechanism": m, "process": pr, "results": r}
        frame = pd.DataFrame(
            {
                "员工编号": 1001 + np.arange(n),
                "部门": [DEPARTMENTS[d] for d in dept],
                "轮次": wave,
                "所用时间_秒": rng.integers(60, 600, size=n),
                "来自IP": [f"10.{w}.{k // 250}.{k % 250 + 1}" for k in range(n)],
            }
        )
        for item, construct, *_ in ITEMS:
            y = 0.8 * latent[construct] + rng.normal(scale=0.6, size=n)
            codes = np.digitize(y, [-1.2, -0.4, 0.4, 1.2]) + 1.0
            codes[rng.random(n) < 0.03] = np.nan  # skipped
            frame[item] = codes
        rows.append(frame)
    out = pd.concat(rows, ignore_index=True)
    out.insert(0, "序号", np.arange(1, len(out) + 1))
    out.insert(
        1, "提交答卷时间", [f"2025/{3 + (k >= n)}/1 09:{k % 60:02d}:00" for k in range(len(out))]
    )
    out.insert(3, "来源", "手机提交")
    return _plant_quality(out, seed, resubmitted)


def _plant_quality(out: pd.DataFrame, seed: int, resubmitted: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 1)
    n = len(out)
    out["attention"] = float(ATTENTION[3])
    out["is_speeder"] = False
    out["is_shared_ip"] = False
    out["fails_attention"] = False
    out["is_resubmission"] = False
    picks = rng.permutation(n)
    speed = picks[:N_SPEEDERS]
    wrong = picks[N_SPEEDERS : N_SPEEDERS + N_ATTENTION_WRONG]
    skipped = picks[N_SPEEDERS + N_ATTENTION_WRONG :][:N_ATTENTION_SKIPPED]
    out.loc[speed, "所用时间_秒"] = rng.integers(8, 21, size=N_SPEEDERS)
    out.loc[speed, "is_speeder"] = True
    out.loc[wrong, "attention"] = rng.choice([1.0, 2.0, 3.0, 5.0], size=N_ATTENTION_WRONG)
    out.loc[skipped, "attention"] = np.nan
    out.loc[np.concatenate([wrong, skipped]), "fails_attention"] = True
    # first-wave rows that reuse the IP of an earlier first-wave row
    later = np.sort(rng.choice(np.arange(N_STAFF // 2, N_STAFF), N_SHARED_IP, replace=False))
    for k, row in enumerate(later):
        out.loc[row, "来自IP"] = out.loc[k, "来自IP"]
        out.loc[row, "is_shared_ip"] = True
    if resubmitted:
        again = out.iloc[: int(resubmitted)].copy()
        again["序号"] = n + 1 + np.arange(len(again))
        again["来自IP"] = [f"172.16.0.{k + 1}" for k in range(len(again))]
        again["is_speeder"] = False
        again["is_resubmission"] = True
        out = pd.concat([out, again], ignore_index=True)
    return out


def _meta(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "序号": frame["序号"],
            "提交答卷时间": frame["提交答卷时间"],
            "所用时间": [f"{s}秒" for s in frame["所用时间_秒"]],
            "来源": frame["来源"],
            "来自IP": frame["来自IP"],
            "员工编号": frame["员工编号"],
            "部门": frame["部门"],
            "轮次": frame["轮次"],
        }
    )


#: read_survey's column roles in the Chinese-header exports and in the .sav export
ROLES = {"id": "员工编号", "wave": "轮次", "group": "部门"}
SAV_ROLES = {"id": "staff_id", "wave": "round", "group": "dept"}


def write_exports(
    folder: Path, seed: int = SEED, resubmitted: int = 0, attention: bool = True
) -> tuple[dict[str, Path], pd.DataFrame]:
    """Write the four exports into ``folder``; return their paths and the truth.

    ``attention=False`` leaves the attention-check question (10) out of the exports.
    """
    import pyreadstat

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = truth(seed, resubmitted)
    text_head = {i: f"{num.split('.')[0]}、({zh})" for i, _c, num, zh, _en in ITEMS}
    q_head = {i: "Q" + num.replace(".", "_") for i, _c, num, _zh, _en in ITEMS}
    attention_text = f"{ATTENTION[0]}、({ATTENTION[1]})"
    attention_q = f"Q{ATTENTION[0]}"
    paths: dict[str, Path] = {}

    text = _meta(data)
    for i, *_ in ITEMS:
        text[text_head[i]] = [
            "(跳过)" if np.isnan(v) else LABELS[int(v)][1] for v in data[i].to_numpy()
        ]
    if attention:
        text[attention_text] = [
            "(跳过)" if np.isnan(v) else LABELS[int(v)][1] for v in data["attention"].to_numpy()
        ]
    paths["text_xlsx"] = folder / "wjx_text.xlsx"
    text.to_excel(paths["text_xlsx"], index=False)

    code = _meta(data)
    for i, *_ in ITEMS:
        code[text_head[i]] = data[i].fillna(-3).astype(int)
    if attention:
        code[attention_text] = data["attention"].fillna(-3).astype(int)
    paths["code_gbk_csv"] = folder / "wjx_code_gbk.csv"
    code.to_csv(paths["code_gbk_csv"], index=False, encoding="gbk")

    q = _meta(data)
    for i, *_ in ITEMS:
        q[q_head[i]] = data[i].fillna(-3).astype(int)
    if attention:
        q[attention_q] = data["attention"].fillna(-3).astype(int)
    paths["q_csv"] = folder / "q_style.csv"
    q.to_csv(paths["q_csv"], index=False, encoding="utf-8")

    sav = q.copy()
    sav.columns = [
        {
            "序号": "serial",
            "提交答卷时间": "submitted",
            "所用时间": "duration",
            "来源": "source",
            "来自IP": "ip",
            "员工编号": "staff_id",
            "部门": "dept",
            "轮次": "round",
        }.get(c, c)
        for c in sav.columns
    ]
    value_labels = {k: v[1] for k, v in LABELS.items()} | {-3: "跳过"}
    paths["sav"] = folder / "labelled.sav"
    pyreadstat.write_sav(
        sav,
        str(paths["sav"]),
        column_labels={q_head[i]: zh for i, _c, _n, zh, _e in ITEMS}
        | ({attention_q: ATTENTION[1]} if attention else {}),
        variable_value_labels={q_head[i]: value_labels for i, *_ in ITEMS}
        | ({attention_q: value_labels} if attention else {}),
    )
    return paths, data
