"""Analyse the bundled example survey with synergy_stats' public API.

The example is a three-wave staff survey of the member departments of a street
government's work-safety leading group (see ``synergy_stats/datasets/README.md``). The
script walks through what an analysis script does with a real questionnaire export:

1. read the export against the instrument (aliases Q1..Q44, text labels, missing codes);
2. validate it and look at the problems;
3. drop what the validation flags as unusable (the second of a duplicated submission);
4. score the constructs and describe them by wave;
5. check the department-level nesting (ICC) of the construct scores;
6. take a first look at the feedback loop with lagged regressions: does the synergy
   effect at wave t predict the mechanism and the process at wave t+1, beyond their own
   past?
7. fit the synergy execution model as a latent SEM (FIML), with the indirect effect;
8. bootstrap the indirect effect of the path model on the construct scores;
9. test the feedback loop properly: the random-intercept cross-lagged panel model;
10. write the paper tables (LaTeX, Word, HTML, Markdown) into ``example_tables/``.

Run from anywhere:  python examples/analyse_example.py
"""

from __future__ import annotations

import warnings

import pandas as pd

import synergy_stats as ss


def main() -> None:
    inst = ss.load_instrument("synergy-execution")
    print(inst)

    # 1. read ---------------------------------------------------------------------------
    raw = ss.load_example()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        survey = ss.read_survey(
            raw,
            inst,
            id="respondent_id",
            wave="wave",
            group="department",
            covariates=["gender", "rank", "tenure_years"],
        )
    for w in caught:
        print(f"note: {w.message}")
    print(survey)
    print("why item cells are missing:")
    print(survey.missing["reason"].value_counts().to_string(), "\n")

    # 2. validate -------------------------------------------------------------------------
    report = ss.validate(inst, survey)
    print(repr(report))
    print(report.problems[["row", "column", "value", "kind"]].to_string(), "\n")

    # 3. drop the later copy of a duplicated (id, wave) submission ---------------------------
    dup_rows = report.problems.loc[report.problems["kind"] == "duplicate_id_wave", "row"]
    kept = raw.drop(index=dup_rows.tolist())
    print(f"dropped {len(dup_rows)} duplicated submission(s): rows {dup_rows.tolist()}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ss.DroppedDataWarning)  # the bad values, seen above
        survey = ss.read_survey(
            kept,
            inst,
            id="respondent_id",
            wave="wave",
            group="department",
            covariates=["gender", "rank", "tenure_years"],
        )

    # 4. score and describe ---------------------------------------------------------------
    scores = ss.score(inst, survey, method="mean", min_items=0.5)
    headline = ["motivation", "mechanism", "process", "synergy_effect", "implementation_gap"]
    print("\nmean construct scores by wave:")
    print(scores.groupby("wave")[headline].mean().round(2).to_string())
    print("\ncorrelations of the construct scores (all waves):")
    print(scores[headline].corr().round(2).to_string())

    # 5. nesting in departments -----------------------------------------------------------
    wave1 = scores.loc[scores["wave"] == 1]
    print("\nICC(1) and ICC(2) by department, wave 1:")
    rows = {c: ss.icc(wave1, value=c, group="department")[["icc1", "icc2"]] for c in headline}
    print(pd.DataFrame(rows).T.round(3).to_string())

    # 6. a first look at feedback: lagged regressions with department-clustered SEs -----------
    cols = ["respondent_id", "wave", "department", *headline]
    now = scores[cols]
    before = scores[cols].assign(wave=scores["wave"] + 1).drop(columns="department")
    lagged = now.merge(before, on=["respondent_id", "wave"], suffixes=("", "_lag"))
    print(f"\n{len(lagged)} person-wave pairs with the previous wave observed")
    for target in ("mechanism", "process"):
        fit = ss.regress(
            f"{target} ~ {target}_lag + synergy_effect_lag + motivation",
            lagged,
            cov_type="cluster",
            cluster="department",
        )
        est = fit.estimates()
        print(f"\n{target}(t+1) on its past and synergy_effect(t):")
        print(est.to_string())

    # 7. the synergy execution model as a latent SEM (wave 1, FIML) -----------------------------
    items = ss.reverse_code(inst, survey)
    items1 = items.loc[items["wave"] == 1]
    sem_fit = ss.sem(ss.structural_model(inst), items1, missing="fiml")
    fm = sem_fit.fit_measures()
    print(
        f"\nsynergy SEM: chi2 = {fm['chisq']:.1f} (df {fm['df']:.0f}), CFI = {fm['cfi']:.3f}, "
        f"RMSEA = {fm['rmsea']:.3f}, SRMR = {fm['srmr']:.3f}"
    )
    paths = sem_fit.estimates().query("op in ['~', ':=']")
    print(paths[["lhs", "op", "rhs", "label", "est", "se", "pvalue", "std_all"]].to_string())

    # 8. bootstrap of the indirect effect (path model on wave-1 scores) -------------------------
    path_fit = ss.sem(ss.structural_model(inst, measurement=False), wave1)
    boot = ss.bootstrap(path_fit, draws=1000, seed=1, n_jobs=1, progress=False)
    print("\nindirect effects, 1000 bootstrap draws, BCa intervals:")
    print(
        boot.ci(method="bca")
        .query("op == ':='")[["lhs", "est", "se", "ci_lower", "ci_upper"]]
        .to_string()
    )

    # 9. the feedback loop: RI-CLPM with the feedback test ---------------------------------------
    ri = ss.riclpm(
        scores,
        ["mechanism", "process", "synergy_effect"],
        id="respondent_id",
        wave="wave",
        missing="fiml",
    )
    print("\n" + ri.summary())
    fb = ri.feedback_test("synergy_effect")
    print(
        f"feedback synergy_effect(t) -> mechanism, process (t+1): LRT = {fb.chisq_diff:.2f} "
        f"(df {fb.df_diff}), p = {fb.pvalue:.3f}; Wald p = {fb.wald_pvalue:.3f}"
    )

    # 10. paper tables ------------------------------------------------------------------------
    from pathlib import Path

    out = Path("example_tables")
    out.mkdir(exist_ok=True)
    tables = {
        "paths": ss.paths_table(sem_fit, hypotheses=inst, instrument=inst),
        "paths_cn": ss.paths_table(sem_fit, hypotheses=inst, instrument=inst, style="cn"),
        "fit": ss.fit_table({"Synergy model": sem_fit}),
        "lags": ss.lags_table(ri),
    }
    for name, table in tables.items():
        for ext in ("tex", "docx", "html", "md"):
            table.save(out / f"{name}.{ext}", overwrite=True)
    print(f"\ntables written to {out.resolve()}")


if __name__ == "__main__":
    main()
