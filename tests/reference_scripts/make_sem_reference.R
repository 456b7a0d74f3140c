# Frozen lavaan references for the SEM core beyond ../shared/reference (run from the repo root:
#   Rscript tests/reference_scripts/make_sem_reference.R
# Needs Debian's r-base-core, r-cran-lavaan, r-cran-jsonlite). Writes tests/data/sem/extra_reference.json.
suppressMessages({library(lavaan); library(jsonlite)})
d <- "tests/data"
hs <- read.csv(file.path(d, "holzinger_swineford_1939.csv"))
hsm <- read.csv(file.path(d, "holzinger_swineford_1939_missing10.csv"))
pd <- read.csv(file.path(d, "political_democracy.csv"))
long <- read.csv(file.path(d, "panel_sim_long.csv"))
wide <- reshape(long, idvar = "id", timevar = "wave", direction = "wide", sep = "")
hs_model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
pd_model <- "ind60 =~ x1 + x2 + x3
dem60 =~ y1 + a*y2 + b*y3 + c*y4
dem65 =~ y5 + a*y6 + b*y7 + c*y8
dem60 ~ g1*ind60
dem65 ~ g2*ind60 + g3*dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8
ind_via_dem60 := g1*g3
total_ind60 := g2 + g1*g3"
clpm_model <- "mechanism2 ~ mechanism1 + results1
results2 ~ mechanism1 + results1
mechanism3 ~ mechanism2 + results2
results3 ~ mechanism2 + results2"
path_model <- "x1 ~ x2 + x3 + ageyr
x4 ~ x1 + ageyr
x5 ~ x4"
fm_names <- c("npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli",
              "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr", "logl",
              "unrestricted.logl", "aic", "bic", "bic2", "ntotal")
mlr_names <- c("chisq.scaled", "df.scaled", "pvalue.scaled", "chisq.scaling.factor",
               "cfi.robust", "tli.robust", "rmsea.robust")
one <- function(fit, model, call, extra = character(0)) {
  pe <- parameterEstimates(fit, standardized = TRUE, remove.nonfree = FALSE)
  keep <- intersect(c("lhs", "op", "rhs", "label", "group", "est", "se", "std.lv", "std.all"), names(pe))
  fmn <- c(fm_names, extra)
  list(model = model, call = call,
       fit_measures = as.list(fitMeasures(fit, fmn)),
       estimates = pe[, keep],
       r2 = as.list(lavInspect(fit, "r2")))
}
out <- list(
  generator = paste("lavaan", packageVersion("lavaan")),
  clpm_ml = one(sem(clpm_model, data = wide), clpm_model, "sem(clpm, data = wide panel_sim_long)"),
  path_fixedx_ml = one(sem(path_model, data = hs), path_model, "sem(path, data = HS)"),
  path_fixedx_meanstructure = one(sem(path_model, data = hs, meanstructure = TRUE), path_model,
                                  "sem(path, data = HS, meanstructure = TRUE)"),
  hs_cfa_stdlv = one(cfa(hs_model, data = hs, std.lv = TRUE), hs_model, "cfa(HS, std.lv = TRUE)"),
  pd_sem_mlr = one(sem(pd_model, data = pd, estimator = "MLR"), pd_model,
                   "sem(PD, estimator = 'MLR')", mlr_names),
  synergy_cfa_mlr = NULL
)
syn <- read.csv(file.path(d, "synergy_sim_n1000.csv"))
syn_model <- "mot =~ mot1 + mot2 + mot3 + mot4
mech =~ mech1 + mech2 + mech3 + mech4
proc =~ proc1 + proc2 + proc3 + proc4
res =~ res1 + res2 + res3 + res4
mech ~ a*mot
proc ~ b*mech + mot
res ~ c*proc + mech
indirect := a*b*c"
out$synergy_sem_mlr <- one(sem(syn_model, data = syn, estimator = "MLR"), syn_model,
                           "sem(synergy, estimator = 'MLR')", mlr_names)
out$hs_cfa_fiml_mlr <- one(cfa(hs_model, data = hsm, missing = "ml", estimator = "MLR"), hs_model,
                           "cfa(HS missing10, missing = 'ml', estimator = 'MLR')", mlr_names)
out$synergy_cfa_mlr <- NULL
hs2_model <- paste(hs_model, "ability =~ visual + textual + speed", sep = "\n")
out$hs_second_order <- one(cfa(hs2_model, data = hs), hs2_model, "cfa(HS second order)")
out$hs_second_order_fiml <- one(cfa(hs2_model, data = hsm, missing = "ml"), hs2_model,
                                "cfa(HS missing10 second order, missing = 'ml')")
# modification indices of the path model (regressions screened) and of a two-group CFA
mi_rows <- function(mi) {
  keep <- intersect(c("lhs", "op", "rhs", "group", "mi", "epc", "sepc.all"), names(mi))
  mi[, keep]
}
pf <- sem(path_model, data = hs)
out$path_fixedx_ml$modindices <- mi_rows(modindices(pf, sort. = TRUE))
gf <- cfa(hs_model, data = hs, group = "school", group.equal = "loadings")
out$hs_metric_modindices <- mi_rows(head(modindices(gf, sort. = TRUE), 20))
dir.create("tests/data/sem", showWarnings = FALSE, recursive = TRUE)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(12), na = "null", pretty = TRUE),
           "tests/data/sem/extra_reference.json")
