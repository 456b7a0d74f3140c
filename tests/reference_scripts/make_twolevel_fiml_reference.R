# Frozen lavaan 0.6-14 references for two-level FIML (issue 14, missing = "ml" with cluster=).
# Run from the repository root (after make_multilevel_sem_reference.R, which writes
# tests/data/multilevel/demo_twolevel_mcar10.csv: 10% MCAR on y1-y6 of Demo.twolevel):
#   Rscript tests/reference_scripts/make_twolevel_fiml_reference.R
# Writes tests/data/multilevel/demo_twolevel_mcar10_wx.csv (the same data with, in addition,
# 10% MCAR on the within-only x1-x3 and, for 10% of the clusters each, w1 and w2 missing for
# the whole cluster) and tests/data/multilevel/lavaan_twolevel_fiml_reference.json.
#
# lavaan fits the unrestricted (h1) model of two-level data with missing values by nlminb
# with control = list(rel.tol = 1e-7), hard-coded in lav_h1_implied_logl; it stops short of
# the optimum (the h1 log-likelihood 2e-3 low, the fixed-x variance of w1 2e-3 off). The
# "_tight" references re-run the same code with rel.tol = 1e-13 (the function patched with
# assignInNamespace for the run, nothing else changed).
suppressMessages({library(lavaan); library(jsonlite)})
d <- "tests/data/multilevel"
dm <- read.csv(file.path(d, "demo_twolevel_mcar10.csv"))
set.seed(1403)
dw <- dm
for (v in c("x1", "x2", "x3")) dw[runif(nrow(dw)) < 0.10, v] <- NA
for (v in c("w1", "w2")) {
  gone <- unique(dw$cluster)[runif(length(unique(dw$cluster))) < 0.10]
  dw[dw$cluster %in% gone, v] <- NA
}
write.csv(dw, file.path(d, "demo_twolevel_mcar10_wx.csv"), row.names = FALSE, na = "")

two_names <- c("npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli",
               "rmsea", "logl", "unrestricted.logl", "aic", "bic", "bic2", "ntotal",
               "srmr_within", "srmr_between")
one <- function(fit, model, call) {
  pe <- parameterEstimates(fit, standardized = TRUE, remove.nonfree = FALSE)
  keep <- intersect(c("lhs", "op", "rhs", "label", "level", "est", "se", "std.all"), names(pe))
  fm <- fitMeasures(fit)
  r2 <- lavInspect(fit, "r2")
  h1 <- lavInspect(fit, "h1")
  list(model = model, call = call, fit_measures = as.list(fm[intersect(two_names, names(fm))]),
       estimates = pe[, keep], r2 = lapply(r2, as.list),
       h1_within_cov = unclass(h1[[1]]$cov), h1_between_cov = unclass(h1[[2]]$cov),
       icc = as.list(lavInspect(fit, "icc")), iterations = fit@optim$iterations)
}
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
runs <- function(suffix) {
  out <- list()
  out[[paste0("demo_mcar10", suffix)]] <- one(
    sem(demo_model, data = dm, cluster = "cluster", missing = "ml"), demo_model,
    "sem(Demo.twolevel 10% MCAR on y1-y6, cluster = 'cluster', missing = 'ml')")
  out[[paste0("demo_mcar10_wx_free_x", suffix)]] <- one(
    sem(demo_model, data = dw, cluster = "cluster", missing = "ml", fixed.x = FALSE),
    demo_model,
    "sem(Demo.twolevel MCAR on y, x and cluster-wise w, missing = 'ml', fixed.x = FALSE)")
  out[[paste0("cfa_mcar10", suffix)]] <- one(
    cfa(cfa2_model, data = dm, cluster = "cluster", missing = "ml"), cfa2_model,
    "cfa(two-level CFA, equal loadings, Demo.twolevel 10% MCAR, missing = 'ml')")
  out
}
out <- c(list(generator = paste("lavaan", packageVersion("lavaan"))), runs(""))
src <- deparse(lavaan:::lav_h1_implied_logl)
stopifnot(sum(grepl("rel.tol = 1e-07", src, fixed = TRUE)) == 1L)
tight_fun <- eval(parse(text = sub("rel.tol = 1e-07", "rel.tol = 1e-13", src, fixed = TRUE)))
environment(tight_fun) <- asNamespace("lavaan")
orig <- lavaan:::lav_h1_implied_logl
assignInNamespace("lav_h1_implied_logl", tight_fun, ns = "lavaan")
out <- c(out, runs("_tight"))
assignInNamespace("lav_h1_implied_logl", orig, ns = "lavaan")
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(d, "lavaan_twolevel_fiml_reference.json"))
cat("written\n")
