# Frozen lavaan 0.6-14 references for the engine fixes of issue 16 (run from the repo root:
#   Rscript tests/reference_scripts/make_engine_fixes_reference.R
# Writes tests/data/sem/engine_fixes_reference.json. Data: Demo.growth exported from lavaan
# (tests/data/sem/demo_growth*.csv, the second with 10% of t1..t4 set missing),
# PoliticalDemocracy and HolzingerSwineford1939 (tests/data).
suppressMessages({library(lavaan); library(jsonlite)})
d <- "tests/data"
pd <- read.csv(file.path(d, "political_democracy.csv"))
hsm <- read.csv(file.path(d, "holzinger_swineford_1939_missing10.csv"))
dg <- read.csv(file.path(d, "sem", "demo_growth.csv"))
dgm <- read.csv(file.path(d, "sem", "demo_growth_missing10.csv"))
fmn <- c("chisq", "df", "cfi", "tli", "rmsea", "srmr", "chisq.scaled", "chisq.scaling.factor",
         "cfi.robust", "tli.robust", "rmsea.robust")
pe <- function(fit) {
  p <- parameterEstimates(fit, standardized = TRUE, remove.nonfree = FALSE)
  p[, intersect(c("lhs", "op", "rhs", "est", "se", "std.all"), names(p))]
}
out <- list(generator = paste("lavaan", packageVersion("lavaan")))
# std.lv with a regression among latent variables (issue 11)
m_pd <- "ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\ndem60 ~ ind60"
f <- sem(m_pd, data = pd, std.lv = TRUE)
out$std_lv_regression <- list(model = m_pd, call = "sem(model, PoliticalDemocracy, std.lv = TRUE)",
  estimates = pe(f), fit_measures = as.list(fitMeasures(f, c("chisq", "df", "cfi", "rmsea"))))
# the growth model with fixed-x covariates under MLR, complete and FIML
m_g <- "i =~ 1*t1 + 1*t2 + 1*t3 + 1*t4\ns =~ 0*t1 + 1*t2 + 2*t3 + 3*t4\ni ~ x1 + x2\ns ~ x1 + x2"
for (nm in c("growth_mlr", "growth_mlr_fiml")) {
  dat <- if (nm == "growth_mlr") dg else dgm
  f <- if (nm == "growth_mlr") growth(m_g, data = dat, estimator = "MLR") else
    growth(m_g, data = dat, estimator = "MLR", missing = "ml")
  out[[nm]] <- list(model = m_g, call = sprintf("growth(model, %s, estimator = 'MLR'%s)",
    if (nm == "growth_mlr") "Demo.growth" else "demo_growth_missing10",
    if (nm == "growth_mlr") "" else ", missing = 'ml'"),
    estimates = pe(f), fit_measures = as.list(fitMeasures(f, fmn)))
}
# the same model without a mean structure (sem(), no intercept lines), MLR
m_nm <- "i =~ 1*t1 + 1*t2 + 1*t3 + 1*t4\ns =~ 0*t1 + 1*t2 + 2*t3 + 3*t4\ni ~ x1 + x2\ns ~ x1 + x2"
f <- sem(m_nm, data = dg, estimator = "MLR")
out$growth_mlr_nomeans <- list(model = m_nm, call = "sem(model, Demo.growth, estimator = 'MLR')",
  estimates = pe(f), fit_measures = as.list(fitMeasures(f, fmn)))
# modification indices of a FIML fit
m_hs <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
f <- cfa(m_hs, data = hsm, missing = "ml")
mi <- modindices(f, sort. = FALSE)
out$fiml_modindices <- list(model = m_hs, call = "modindices(cfa(model, hs_missing10, missing = 'ml'))",
  modindices = mi[, c("lhs", "op", "rhs", "mi", "epc", "sepc.all")])
writeLines(toJSON(out, digits = 12, auto_unbox = TRUE, pretty = TRUE),
           file.path(d, "sem", "engine_fixes_reference.json"))
