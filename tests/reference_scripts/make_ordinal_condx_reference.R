# Frozen lavaan 0.6-14 references for ordered indicators with exogenous observed
# covariates (conditional.x = TRUE, lavaan's default for categorical data; issue 13).
# Run from the repo root:  Rscript tests/reference_scripts/make_ordinal_condx_reference.R
# Writes tests/data/ordinal/hs_ordinal_cov.csv (hs_ordinal.csv plus ageyr and sex, the
# same quartile cut as make_ordinal_reference.R), hs_mixed_cov.csv (hs_mixed.csv plus sex) and
# tests/data/ordinal/lavaan_ordinal_condx_reference.json.
suppressMessages({library(lavaan); library(jsonlite)})
d <- "tests/data"
od <- file.path(d, "ordinal")
hs <- read.csv(file.path(d, "holzinger_swineford_1939.csv"))
hso <- read.csv(file.path(od, "hs_ordinal.csv"))
stopifnot(all(hso$id == hs$id))
hso$ageyr <- hs$ageyr
hso$sex <- hs$sex
write.csv(hso, file.path(od, "hs_ordinal_cov.csv"), row.names = FALSE)
items <- paste0("x", 1:9)
hs_model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
cov_model <- paste(hs_model, "visual ~ ageyr + sex", sep = "\n")
mimic_model <- paste(hs_model, "visual ~ ageyr + sex\nx1 ~ sex", sep = "\n")
pe_cols <- c("lhs", "op", "rhs", "label", "group", "est", "se", "std.lv", "std.all", "std.nox")
one <- function(fit, model, call) {
  pe <- parameterEstimates(fit, standardized = TRUE, remove.nonfree = FALSE)
  keep <- intersect(pe_cols, names(pe))
  tst <- lavInspect(fit, "test")
  tests <- lapply(tst, function(t) t[intersect(names(t), c("test", "stat", "df", "pvalue",
                                                            "scaling.factor", "shift.parameter",
                                                            "trace.UGamma", "trace.UGamma2"))])
  ss <- lavInspect(fit, "sampstat")
  list(model = model, call = call,
       fit_measures = as.list(fitMeasures(fit)),
       tests = tests,
       estimates = pe[, keep],
       r2 = as.list(lavInspect(fit, "r2")),
       sample_th = as.numeric(if (is.null(ss$res.th)) ss$th else ss$res.th),
       sample_res_slopes = unclass(ss$res.slopes),
       sample_res_cov = unclass(ss$res.cov),
       sample_res_int = as.numeric(ss$res.int),
       gamma = unclass(lavInspect(fit, "gamma")),
       gamma_names = rownames(lavInspect(fit, "gamma")))
}
out <- list(generator = paste("lavaan", packageVersion("lavaan")))
out$hs_cov_wlsmv_delta <- one(sem(cov_model, data = hso, ordered = items), cov_model,
  "sem(HS4 + visual ~ ageyr + sex, data = hs_ordinal_cov, ordered = x1:x9)  # WLSMV, delta")
out$hs_cov_ulsmv <- one(sem(cov_model, data = hso, ordered = items, estimator = "ULSMV"),
  cov_model, "sem(..., ordered = x1:x9, estimator = 'ULSMV')")
out$hs_cov_wlsmv_theta <- one(sem(cov_model, data = hso, ordered = items,
                                  parameterization = "theta"), cov_model,
  "sem(..., ordered = x1:x9, parameterization = 'theta')")
# nlminb stops the theta fit early (its x5|t3 is 1.2e-3 from the optimum; the objective at
# its point is above the minimum); BFGS with a tight tolerance reaches the minimum
out$hs_cov_wlsmv_theta_bfgs <- one(sem(cov_model, data = hso, ordered = items,
                                       parameterization = "theta", optim.method = "BFGS",
                                       control = list(reltol = 1e-14, maxit = 10000)),
  cov_model,
  "sem(..., ordered = x1:x9, parameterization = 'theta', optim.method = 'BFGS', control = list(reltol = 1e-14))")
out$hs_mimic_wlsmv <- one(sem(mimic_model, data = hso, ordered = items), mimic_model,
  "sem(HS4 + visual ~ ageyr + sex + x1 ~ sex, ordered = x1:x9)  # direct effect on an item")
# a covariate effect carried to another factor, with a defined indirect effect; the
# mean-adjusted (WLSM) and full-weight (WLS) estimators on the same model
med_model <- paste(hs_model, "visual ~ a*ageyr + sex\ntextual ~ b*visual\nab := a*b", sep = "\n")
out$hs_cov_med_wlsmv <- one(sem(med_model, data = hso, ordered = items), med_model,
  "sem(HS4 + visual ~ a*ageyr + sex + textual ~ b*visual + ab := a*b, ordered = x1:x9)")
out$hs_cov_med_wlsm <- one(sem(med_model, data = hso, ordered = items, estimator = "WLSM"),
  med_model, "sem(..., ordered = x1:x9, estimator = 'WLSM')")
out$hs_cov_med_wls <- one(sem(med_model, data = hso, ordered = items, estimator = "WLS"),
  med_model, "sem(..., ordered = x1:x9, estimator = 'WLS')")
# lavTestLRT (DWLS: Satorra 2000 scaled-shifted difference) of the MIMIC direct effect
lrt <- lavTestLRT(sem(cov_model, data = hso, ordered = items),
                  sem(mimic_model, data = hso, ordered = items))
out$lrt_mimic_vs_cov <- list(call = "lavTestLRT(hs_cov_wlsmv_delta, hs_mimic_wlsmv)",
                             chisq_diff = lrt[2, "Chisq diff"], df_diff = lrt[2, "Df diff"],
                             pvalue = lrt[2, "Pr(>Chisq)"])
# mixed continuous + ordinal indicators with covariates: x1-x3 ordered, x4-x9 continuous
# (hs_mixed.csv: x4-x6 the four-category codes, x7-x9 the raw scores) plus sex. The
# hs_mixed_cov case of make_ordinal_reference.R (x1-x6 ordered, visual ~ ageyr) is not
# usable as a target for the fit: lavaan 0.6-14 warns there that its conditional polyserial
# correlations x5-x8, x5-x9 and x6-x7 are (nearly) 1.0 (its step 2 fails on those pairs).
hsmix <- read.csv(file.path(od, "hs_mixed.csv"))
stopifnot(all(hsmix$id == hs$id))
hsmix$sex <- hs$sex
write.csv(hsmix, file.path(od, "hs_mixed_cov.csv"), row.names = FALSE)
out$hs_mixed3_cov_wlsmv <- one(sem(cov_model, data = hsmix, ordered = items[1:3]), cov_model,
  "sem(HS4 + visual ~ ageyr + sex, data = hs_mixed_cov, ordered = x1:x3)  # x4-x9 continuous")
# theta: BFGS as above (nlminb stops 1.1e-3 away on x1|t2)
out$hs_mixed3_cov_theta <- one(sem(cov_model, data = hsmix, ordered = items[1:3],
                                   parameterization = "theta", optim.method = "BFGS",
                                   control = list(reltol = 1e-14, maxit = 10000)), cov_model,
  "sem(..., data = hs_mixed_cov, ordered = x1:x3, parameterization = 'theta', optim.method = 'BFGS')")
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = FALSE, na = "null"),
           file.path(od, "lavaan_ordinal_condx_reference.json"))
