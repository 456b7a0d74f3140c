# Frozen lavaan 0.6-14 references for cluster-robust and two-level SEM (issue 14).
# Run from the repository root (after make_multilevel_sem_data.py):
#   Rscript tests/reference_scripts/make_multilevel_sem_reference.R
# Writes tests/data/multilevel/demo_twolevel.csv, demo_twolevel_mcar10.csv and
# tests/data/multilevel/lavaan_multilevel_reference.json. Packages: lavaan, jsonlite.
suppressMessages({library(lavaan); library(jsonlite)})
d <- "tests/data/multilevel"
demo <- Demo.twolevel
write.csv(demo, file.path(d, "demo_twolevel.csv"), row.names = FALSE)
set.seed(1402)
dm <- demo
ys <- c("y1", "y2", "y3", "y4", "y5", "y6")  # not the fixed-x covariates
for (v in ys) dm[runif(nrow(dm)) < 0.10, v] <- NA
write.csv(dm, file.path(d, "demo_twolevel_mcar10.csv"), row.names = FALSE, na = "")
hs <- read.csv("tests/data/holzinger_swineford_1939.csv")
staff <- read.csv(file.path(d, "staff_40dept.csv"))

fm_base <- c("npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli",
             "rmsea", "logl", "unrestricted.logl", "aic", "bic", "bic2", "ntotal")
mlr_names <- c("chisq.scaled", "df.scaled", "pvalue.scaled", "chisq.scaling.factor",
               "cfi.robust", "tli.robust", "rmsea.robust", "srmr")
two_names <- c("srmr_within", "srmr_between")
one <- function(fit, model, call, extra = character(0)) {
  pe <- parameterEstimates(fit, standardized = TRUE, remove.nonfree = FALSE)
  keep <- intersect(c("lhs", "op", "rhs", "label", "block", "group", "level", "est", "se",
                      "std.lv", "std.all"), names(pe))
  fm <- fitMeasures(fit)
  fmn <- intersect(c(fm_base, extra), names(fm))
  r2 <- lavInspect(fit, "r2")
  list(model = model, call = call, fit_measures = as.list(fm[fmn]),
       estimates = pe[, keep], r2 = if (is.list(r2)) lapply(r2, as.list) else as.list(r2),
       iterations = fit@optim$iterations)
}
hs_model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
staff_model <- "mot =~ mot1 + mot2 + mot3
mech =~ mech1 + mech2 + mech3
res =~ res1 + res2 + res3
mech ~ a*mot
res ~ b*mech + mot
ind := a*b"
demo_model <- "level: 1
    fw =~ y1 + y2 + y3
    fw ~ x1 + x2 + x3
level: 2
    fb =~ y1 + y2 + y3
    fb ~ w1 + w2"
cfa2_model <- "level: 1
    fw1 =~ y1 + L2*y2 + L3*y3
    fw2 =~ y4 + L5*y5 + L6*y6
level: 2
    fb1 =~ y1 + L2*y2 + L3*y3
    fb2 =~ y4 + L5*y5 + L6*y6"
path2_model <- "level: 1
    y2 ~ x1
    y1 ~ bw*y2
level: 2
    y2 ~ w1
    y1 ~ bb*y2
contextual := bb - bw"
sat_model <- "level: 1
    y1 ~~ y2 + y3 + y4
    y2 ~~ y3 + y4
    y3 ~~ y4
level: 2
    y1 ~~ y2 + y3 + y4
    y2 ~~ y3 + y4
    y3 ~~ y4"
out <- list(generator = paste("lavaan", packageVersion("lavaan")))
out$hs_cfa_cluster_school_mlr <- one(
  cfa(hs_model, data = hs, cluster = "school", estimator = "MLR"), hs_model,
  "cfa(HS, cluster = 'school', estimator = 'MLR')", mlr_names)
out$staff_sem_cluster_fiml_mlr <- one(
  sem(staff_model, data = staff, cluster = "department", estimator = "MLR", missing = "ml"),
  staff_model, "sem(staff, cluster = 'department', estimator = 'MLR', missing = 'ml')", mlr_names)
out$staff_sem_cluster_fiml_mlr_2groups <- one(
  sem(staff_model, data = staff, cluster = "department", estimator = "MLR", missing = "ml",
      group = "rank"),
  staff_model, "sem(staff, cluster = 'department', MLR, missing = 'ml', group = 'rank')",
  mlr_names)
out$staff_sem_cluster_listwise_mlr <- one(
  sem(staff_model, data = staff, cluster = "department", estimator = "MLR"),
  staff_model, "sem(staff, cluster = 'department', estimator = 'MLR') (listwise)", mlr_names)
out$staff_sem_fiml_mlr_naive <- one(
  sem(staff_model, data = staff, estimator = "MLR", missing = "ml"),
  staff_model, "sem(staff, estimator = 'MLR', missing = 'ml') (no cluster)", mlr_names)
# lavaan's defaults stop the EM of the unrestricted (h1) model at em.h1.tol = 1e-5, which moves
# the chi-square by ~1e-4; the "_tight" references run that EM to 1e-12 (nlminb for the model
# itself cannot be pushed further: at rel.tol below 1e-10 it reports false convergence, and
# it stops with gradients ~1e-5, leaving level-2 intercepts ~1e-4 from the optimum).
tight <- list(em.h1.tol = 1e-12, em.h1.iter.max = 200000L)
fit_tight <- function(fun, model, data, ...) do.call(fun, c(list(model = model, data = data,
                                                                 cluster = "cluster", ...), tight))
demo_fit <- sem(demo_model, data = demo, cluster = "cluster")
out$demo_twolevel <- one(demo_fit, demo_model, "sem(Demo.twolevel, cluster = 'cluster')", two_names)
out$demo_twolevel_mcar10 <- one(
  sem(demo_model, data = dm, cluster = "cluster", missing = "ml"), demo_model,
  "sem(Demo.twolevel 10% MCAR, cluster = 'cluster', missing = 'ml')", two_names)
out$cfa_twolevel_equal_loadings <- one(
  cfa(cfa2_model, data = demo, cluster = "cluster"), cfa2_model,
  "cfa(two-level CFA with cross-level equal loadings, Demo.twolevel)", two_names)
out$path_twolevel_contextual <- one(
  sem(path2_model, data = demo, cluster = "cluster"), path2_model,
  "sem(two-level path model with := contextual effect, Demo.twolevel)", two_names)
out$demo_twolevel_tight <- one(fit_tight("sem", demo_model, demo), demo_model,
  "sem(Demo.twolevel, cluster = 'cluster', em.h1.tol = 1e-12, control = list(rel.tol = 1e-15))",
  two_names)
out$demo_twolevel_mcar10_tight <- one(fit_tight("sem", demo_model, dm, missing = "ml"), demo_model,
  "sem(Demo.twolevel 10% MCAR, missing = 'ml', tight tolerances)", two_names)
out$cfa_twolevel_equal_loadings_tight <- one(fit_tight("cfa", cfa2_model, demo), cfa2_model,
  "cfa(two-level CFA, cross-level equal loadings, tight tolerances)", two_names)
out$path_twolevel_contextual_tight <- one(fit_tight("sem", path2_model, demo), path2_model,
  "sem(two-level path model with := contextual effect, tight tolerances)", two_names)
sat <- fit_tight("sem", sat_model, demo)
h1 <- lavInspect(sat, "h1")
out$icc_saturated <- list(
  call = "lavInspect(sem(saturated y1-y4, Demo.twolevel, cluster), 'icc' / 'h1')",
  model = sat_model,
  icc = as.list(lavInspect(sat, "icc")),
  within_cov = unclass(h1[[1]]$cov), within_mean = as.list(h1[[1]]$mean),
  between_cov = unclass(h1[[2]]$cov), between_mean = as.list(h1[[2]]$mean),
  loglik = fitMeasures(sat, "logl"),
  # the saturated model fitted as a model (nlminb): its ~~ estimates are Sigma_W and Sigma_B at
  # the ML optimum; lavInspect(, "h1") is lavaan's EM, which stops ~2e-4 short of it in Sigma_B
  estimates = parameterEstimates(sat)[, c("lhs", "op", "rhs", "level", "est", "se")])
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(d, "lavaan_multilevel_reference.json"))
cat("written\n")
