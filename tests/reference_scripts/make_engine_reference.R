# Frozen lavaan references for the estimation engine (issue 16). Run from the repo root:
#   python tests/reference_scripts/make_engine_data.py   # the 44-item data and syntax
#   Rscript tests/reference_scripts/make_engine_reference.R
# Needs Debian's r-base-core, r-cran-lavaan (0.6-14), r-cran-jsonlite.
# Writes tests/data/sem/engine_reference.json and, once, the data files it creates
# (demo_growth.csv from lavaan's Demo.growth; demo_growth_missing10.csv and
# political_democracy_missing10.csv with 10% MCAR in the dependent variables, seeded).
# Cases: the 44-item synergy SEM of the main job (wave 1 of the bundled example) under ML and
# MLR, listwise and FIML; MLR with fixed.x covariates (growth model with a mean structure,
# a PoliticalDemocracy SEM with covariates with and without a mean structure, both with and
# without FIML); a growth() model under ML and MLR. Every case stores fitMeasures() in full,
# parameterEstimates(standardized = TRUE) and the call.
suppressMessages({library(lavaan); library(jsonlite)})
d <- "tests/data"
out_dir <- file.path(d, "sem")
write_once <- function(frame, path) {
  if (!file.exists(path)) write.csv(frame, path, row.names = FALSE)
  read.csv(path)
}
syn <- read.csv(file.path(out_dir, "synergy44_wave1.csv"))
syn_model <- paste(readLines(file.path(out_dir, "synergy44_model.lav")), collapse = "\n")
dg <- write_once(Demo.growth, file.path(out_dir, "demo_growth.csv"))
set.seed(20261202)
dgm <- dg
for (v in c("t1", "t2", "t3", "t4")) dgm[runif(nrow(dgm)) < 0.10, v] <- NA
dgm <- write_once(dgm, file.path(out_dir, "demo_growth_missing10.csv"))
pd <- read.csv(file.path(d, "political_democracy.csv"))
pdm <- pd
for (v in paste0("y", 1:8)) pdm[runif(nrow(pdm)) < 0.10, v] <- NA
pdm <- write_once(pdm, file.path(out_dir, "political_democracy_missing10.csv"))

growth_model <- "i =~ 1*t1 + 1*t2 + 1*t3 + 1*t4
s =~ 0*t1 + 1*t2 + 2*t3 + 3*t4"
growth_x_model <- paste(growth_model, "i ~ x1 + x2\ns ~ x1 + x2", sep = "\n")
# growth()'s defaults written out: observed intercepts fixed to 0, latent means free
growth_explicit <- "t1 ~ 0*1\nt2 ~ 0*1\nt3 ~ 0*1\nt4 ~ 0*1\ni ~ 1\ns ~ 1"
pd_x_model <- "dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ x1 + x2
dem65 ~ dem60 + x1
y1 ~~ y5
y2 ~~ y6"

std_cols <- c("lhs", "op", "rhs", "label", "group", "est", "se", "std.lv", "std.all")
one <- function(fit, model, call, data, kwargs, model_explicit = NULL) {
  pe <- parameterEstimates(fit, standardized = TRUE, remove.nonfree = FALSE)
  fm <- fitMeasures(fit)
  res <- list(model = model, call = call, data = data, kwargs = kwargs,
              fit_measures = as.list(fm[is.finite(fm)]),
              estimates = pe[, intersect(std_cols, names(pe))],
              converged = lavInspect(fit, "converged"))
  if (!is.null(model_explicit)) res$model_explicit <- model_explicit
  res
}
out <- list(generator = paste("lavaan", packageVersion("lavaan")))
syn_csv <- "sem/synergy44_wave1.csv"
out$syn44_ml <- one(sem(syn_model, data = syn), syn_model, "sem(syn44, data)", syn_csv,
                    list())
out$syn44_mlr <- one(sem(syn_model, data = syn, estimator = "MLR"), syn_model,
                     "sem(syn44, data, estimator = 'MLR')", syn_csv, list(estimator = "MLR"))
out$syn44_fiml <- one(sem(syn_model, data = syn, missing = "ml"), syn_model,
                      "sem(syn44, data, missing = 'ml')", syn_csv, list(missing = "fiml"))
out$syn44_mlr_fiml <- one(sem(syn_model, data = syn, missing = "ml", estimator = "MLR"),
                          syn_model, "sem(syn44, data, missing = 'ml', estimator = 'MLR')",
                          syn_csv, list(missing = "fiml", estimator = "MLR"))

gx_explicit <- paste(growth_x_model, growth_explicit, sep = "\n")
g_explicit <- paste(growth_model, growth_explicit, sep = "\n")
out$growth_ml <- one(growth(growth_model, data = dg), growth_model,
                     "growth(linear, Demo.growth)", "sem/demo_growth.csv", list(), g_explicit)
out$growth_mlr <- one(growth(growth_model, data = dg, estimator = "MLR"), growth_model,
                      "growth(linear, Demo.growth, estimator = 'MLR')", "sem/demo_growth.csv",
                      list(estimator = "MLR"), g_explicit)
out$growth_x_ml <- one(growth(growth_x_model, data = dg), growth_x_model,
                       "growth(linear + i,s ~ x1 + x2, Demo.growth)", "sem/demo_growth.csv",
                       list(), gx_explicit)
out$growth_x_mlr <- one(growth(growth_x_model, data = dg, estimator = "MLR"), growth_x_model,
                        "growth(linear + i,s ~ x1 + x2, Demo.growth, estimator = 'MLR')",
                        "sem/demo_growth.csv", list(estimator = "MLR"), gx_explicit)
out$growth_x_mlr_fiml <- one(growth(growth_x_model, data = dgm, estimator = "MLR",
                                    missing = "ml"), growth_x_model,
                             "growth(linear + i,s ~ x1 + x2, Demo.growth 10% MCAR, estimator = 'MLR', missing = 'ml')",
                             "sem/demo_growth_missing10.csv",
                             list(estimator = "MLR", missing = "fiml"), gx_explicit)
out$pd_x_mlr <- one(sem(pd_x_model, data = pd, estimator = "MLR"), pd_x_model,
                    "sem(PD + covariates, estimator = 'MLR')", "political_democracy.csv",
                    list(estimator = "MLR"))
out$pd_x_mlr_meanstructure <- one(sem(pd_x_model, data = pd, estimator = "MLR",
                                      meanstructure = TRUE), pd_x_model,
                                  "sem(PD + covariates, estimator = 'MLR', meanstructure = TRUE)",
                                  "political_democracy.csv",
                                  list(estimator = "MLR", meanstructure = TRUE))
out$pd_x_mlr_fiml <- one(sem(pd_x_model, data = pdm, estimator = "MLR", missing = "ml"),
                         pd_x_model,
                         "sem(PD + covariates, 10% MCAR in y, estimator = 'MLR', missing = 'ml')",
                         "sem/political_democracy_missing10.csv",
                         list(estimator = "MLR", missing = "fiml"))
out$pd_x_ml_fiml <- one(sem(pd_x_model, data = pdm, missing = "ml"), pd_x_model,
                        "sem(PD + covariates, 10% MCAR in y, missing = 'ml')",
                        "sem/political_democracy_missing10.csv", list(missing = "fiml"))
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(12), na = "null", pretty = TRUE),
           file.path(out_dir, "engine_reference.json"))
