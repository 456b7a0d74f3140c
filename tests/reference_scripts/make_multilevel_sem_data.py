"""Simulate the staff-in-departments data of the multilevel SEM references (seeded).

Run from the repository root:  python tests/reference_scripts/make_multilevel_sem_data.py
Writes tests/data/multilevel/staff_40dept.csv: 40 departments of 3-60 staff (unbalanced),
rows shuffled and department ids as unsorted strings, three constructs of three items with
department-level and individual-level variation, 8% of item answers missing at random
(MCAR) and a staff-rank column for a two-group model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261202)
J = 40
sizes = rng.integers(3, 61, size=J)
ids = [f"D{k:02d}" for k in rng.permutation(90)[:J] + 10]
dept = np.repeat(np.arange(J), sizes)
n = len(dept)
# between-department constructs
mot_b = rng.normal(0, 0.45, J)
mech_b = 0.6 * mot_b + rng.normal(0, 0.35, J)
res_b = 0.5 * mech_b + rng.normal(0, 0.3, J)
# within-department constructs
mot_w = rng.normal(0, 1.0, n)
mech_w = 0.4 * mot_w + rng.normal(0, 0.85, n)
res_w = 0.35 * mech_w + 0.15 * mot_w + rng.normal(0, 0.8, n)
cols = {}
for name, fw, fb in (("mot", mot_w, mot_b), ("mech", mech_w, mech_b), ("res", res_w, res_b)):
    for k, lam in enumerate((1.0, 0.85, 0.7), start=1):
        cols[f"{name}{k}"] = 3.0 + lam * (fw + fb[dept]) + rng.normal(0, 0.6, n)
frame = pd.DataFrame(cols).round(4)
items = list(frame.columns)
mask = rng.random((n, len(items))) < 0.08
frame = frame.mask(mask)
frame.insert(0, "rank", np.where(rng.random(n) < 0.3, "leader", "staff"))
frame.insert(0, "department", np.array(ids)[dept])
frame = frame.sample(frac=1.0, random_state=7).reset_index(drop=True)
out = Path("tests/data/multilevel/staff_40dept.csv")
out.parent.mkdir(parents=True, exist_ok=True)
frame.to_csv(out, index=False)
print(out, frame.shape, "cluster sizes", sizes.min(), sizes.max())
