# Frozen lavaan 0.6-14 references: cluster-robust MLR with an observed exogenous covariate
# (fixed.x = TRUE), listwise and FIML. The covariate's own moments are not modelled, so
# they must be left out of the Yuan-Bentler trace of the scaled test.
# Run from the repository root:
#   Rscript tests/reference_scripts/make_cluster_fixedx_reference.R
# Writes tests/data/multilevel/lavaan_cluster_fixedx_reference.json. Packages: lavaan, jsonlite.
suppressMessages({library(lavaan); library(jsonlite)})
staff <- read.csv("tests/data/multilevel/staff_40dept.csv")
staff$leader <- as.numeric(staff$rank == "leader")
fm_names <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
              "chisq.scaling.factor", "baseline.chisq", "cfi", "tli", "rmsea", "cfi.robust",
              "tli.robust", "rmsea.robust", "srmr", "logl", "ntotal")
one <- function(fit, model, call) {
  pe <- parameterEstimates(fit, standardized = TRUE, remove.nonfree = FALSE)
  keep <- intersect(c("lhs", "op", "rhs", "label", "group", "est", "se", "std.all"), names(pe))
  fm <- fitMeasures(fit)
  list(model = model, call = call, fit_measures = as.list(fm[intersect(fm_names, names(fm))]),
       estimates = pe[, keep])
}
model <- "mot =~ mot1 + mot2 + mot3
mech =~ mech1 + mech2 + mech3
res =~ res1 + res2 + res3
mech ~ a*mot + leader
res ~ b*mech + mot
ind := a*b"
out <- list(generator = paste("lavaan", packageVersion("lavaan")),
            data = "staff_40dept.csv with leader = (rank == 'leader')")
out$cluster_fixedx_listwise_mlr <- one(
  sem(model, data = staff, cluster = "department", estimator = "MLR"), model,
  "sem(staff, cluster = 'department', estimator = 'MLR') (listwise, fixed.x)")
out$cluster_fixedx_fiml_mlr <- one(
  sem(model, data = staff, cluster = "department", estimator = "MLR", missing = "ml"), model,
  "sem(staff, cluster = 'department', estimator = 'MLR', missing = 'ml') (fixed.x)")
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           "tests/data/multilevel/lavaan_cluster_fixedx_reference.json")
