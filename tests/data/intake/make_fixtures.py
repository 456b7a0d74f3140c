"""Write the messy/clean twin survey fixtures (CSV) and the list of planted problems.

Run from the repository root:  python tests/data/intake/make_fixtures.py
then  Rscript tests/reference_scripts/intake_fixtures.R  writes the XLSX, SAV and DTA
versions with R (openxlsx, haven), so the reader is tested on files written by other tools.

The clean twin holds text labels in Chinese and English, "5 = Strongly agree" style answers,
a full-width digit, missing codes 8/9 as numbers and as labels, and empty cells: none of
these is a problem. The messy twin adds exactly one problem of each kind (two for
high_missingness: one item, one respondent), listed in expected_problems.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]

codebook = yaml.safe_load((ROOT / "instruments" / "synergy-execution.yaml").read_text("utf-8"))
items = codebook["items"]
labels = codebook["scales"][0]["labels"]
EN = {int(k): v["en"][:1].upper() + v["en"][1:] for k, v in labels.items()}
ZH = {int(k): v["zh"] for k, v in labels.items()}


def column_name(k: int, item: dict) -> str:
    """Mixed column naming, as in real exports: aliases, an id, a Chinese alias, lower case."""
    if k == 2:
        return item["id"]  # env_pressure_3
    if k == 3:
        return item["aliases"][1]  # 领导注意力1
    if k == 4:
        return item["aliases"][0].lower()  # q5
    return item["aliases"][0]  # Qn


names = [column_name(k, it) for k, it in enumerate(items)]
col = dict(zip([f"Q{k + 1}" for k in range(len(items))], names, strict=True))

rng = np.random.default_rng(20260501)
n_persons, waves = 13, 2
rows = []
for w in (1, 2):
    for p in range(n_persons):
        rows.append(
            {
                "respondent_id": 201 + p,
                "wave": w,
                "department": ["应急管理办公室", "城市管理办公室", "派出所"][p % 3],
                "gender": "女" if p % 2 else "男",
            }
        )
z = rng.normal(size=len(rows))
codes = np.clip(
    np.rint(3.3 + 0.8 * z[:, None] + rng.normal(0, 0.85, (len(rows), len(items)))), 1, 5
).astype(int)
for k, it in enumerate(items):
    if it.get("reverse"):
        codes[:, k] = 6 - codes[:, k]

clean = pd.DataFrame(rows)
for k, name in enumerate(names):
    clean[name] = pd.Series([int(v) for v in codes[:, k]], dtype=object)


def put(frame: pd.DataFrame, row: int, q: str, value: object) -> None:
    frame.at[row, col[q]] = value


# decorations that are NOT problems -----------------------------------------------------
for q in range(1, 10):
    put(clean, 1, f"Q{q}", ZH[clean.at[1, col[f"Q{q}"]]])
for q in range(10, 15):
    put(clean, 2, f"Q{q}", EN[clean.at[2, col[f"Q{q}"]]])
put(clean, 4, "Q15", f"{clean.at[4, col['Q15']]} = {EN[clean.at[4, col['Q15']]]}")
put(clean, 6, "Q16", chr(0xFF10 + clean.at[6, col["Q16"]]))  # full-width digit
put(clean, 7, "Q17", 9)
put(clean, 8, "Q18", 8)
put(clean, 9, "Q19", "不知道")
put(clean, 10, "Q22", "Refused")
put(clean, 11, "Q23", "")
put(clean, 12, "Q24", "(跳过)")
put(clean, 13, "Q30", 9)

# the messy twin: one problem of each kind --------------------------------------------------
messy = clean.copy()
messy = messy.astype({c: object for c in names})
expected = []


def plant(row: object, column: object, kind: str) -> None:
    expected.append({"row": row, "column": column, "kind": kind})


put(messy, 3, "Q5", 7)
plant(3, col["Q5"], "out_of_range")
put(messy, 5, "Q12", "agre")
plant(5, col["Q12"], "invalid_value")
for r in range(len(messy)):  # Q2 constant: everyone answers 4 (row 1 in Chinese)
    put(messy, r, "Q2", "同意" if r == 1 else 4)
plant(None, col["Q2"], "constant_item")
for q in range(10, 22):  # row 14 straight-lines the mechanism block
    put(messy, 14, f"Q{q}", 3)
plant(14, "mechanism", "straight_lining")
for r, v in zip(range(15, 21), (9, "", 8, 9, "不知道", ""), strict=True):
    put(messy, r, "Q30", v)  # 7 of 28 rows without a valid answer to Q30
plant(None, col["Q30"], "high_missingness")
for q in range(1, 26):  # row 21 misses 25 of 43 items
    put(messy, 21, f"Q{q}", (9, "", 8)[q % 3])
plant(21, None, "high_missingness")
dup = messy.iloc[[8]].copy()
dup["respondent_id"] = messy.at[3, "respondent_id"]
dup["wave"] = messy.at[3, "wave"]
put(dup, 8, "Q40", 1 if dup.at[8, col["Q40"]] != 1 else 2)
no_id = messy.iloc[[9]].copy()
no_id["respondent_id"] = ""
messy = pd.concat([messy, dup, no_id], ignore_index=True)
plant(26, "respondent_id", "duplicate_id_wave")
plant(27, "respondent_id", "missing_id")
messy = messy.drop(columns=[col["Q44"]])
plant(None, items[43]["id"], "missing_item")
messy["env_presure_3"] = [1 + (r % 5) for r in range(len(messy))]
plant(None, "env_presure_3", "unknown_column")

clean.to_csv(HERE / "clean.csv", index=False, lineterminator="\n", encoding="utf-8")
messy.to_csv(HERE / "messy.csv", index=False, lineterminator="\n", encoding="utf-8-sig")
messy.to_csv(HERE / "messy_gbk.csv", index=False, lineterminator="\n", encoding="gbk")
(HERE / "expected_problems.json").write_text(
    json.dumps(
        {
            "read_survey": {
                "instrument": "synergy-execution",
                "id": "respondent_id",
                "wave": "wave",
                "group": "department",
                "covariates": ["gender"],
            },
            "problems": expected,
        },
        ensure_ascii=False,
        indent=2,
    )
    + "\n",
    encoding="utf-8",
)

# scoring fixture: item codes (item ids as columns) with holes of every size ------------------
srng = np.random.default_rng(20260502)
n_score = 60
zs = srng.normal(size=n_score)
sc = np.clip(np.rint(3.2 + 0.9 * zs[:, None] + srng.normal(0, 0.9, (n_score, len(items)))), 1, 5)
holes = srng.random(sc.shape) < np.linspace(0.0, 0.7, n_score)[:, None]  # later rows: more NA
sc[holes] = np.nan
score_items = pd.DataFrame(sc, columns=[it["id"] for it in items])
score_items.insert(0, "case", np.arange(1, n_score + 1))
score_items.to_csv(HERE / "score_items.csv", index=False, lineterminator="\n", na_rep="NA")
