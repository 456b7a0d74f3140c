# Frozen lavaan references for synergy_stats.panel (invariance, RI-CLPM, feedback tests).
# Run from the repository root, after writing the simulated data:
#   PYTHONPATH=. python tests/reference_scripts/make_panel_data.py
#   Rscript tests/reference_scripts/make_panel_reference.R
# Needs Debian's r-base-core, r-cran-lavaan (0.6-14), r-cran-semtools (0.5-6), r-cran-jsonlite,
# r-cran-mvtnorm. Writes tests/data/panel/panel_reference.json.
# The RI-CLPM syntax is written here by an R function of its own (same naming as the
# package: observed <construct>_w<t>, within w_<construct>_w<t>, random intercepts
# RI_<name>, labels ar_<c>, cl_<source>_<target>, lam_<item>), so the Python generator is
# checked against an independent specification. The longitudinal ladder uses semTools'
# measEq.syntax (marker identification), a different but equivalent parameterization.
suppressMessages({library(lavaan); library(semTools); library(jsonlite); library(mvtnorm)})
d <- "tests/data"
p <- file.path(d, "panel")

pe <- function(fit) {
  x <- parameterEstimates(fit, standardized = TRUE)
  x[, intersect(c("lhs", "op", "rhs", "group", "label", "est", "se", "z", "pvalue",
                  "ci.lower", "ci.upper", "std.all"), names(x))]
}
FM <- c("npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli",
        "rmsea", "srmr", "logl", "unrestricted.logl", "aic", "bic", "ntotal")
FM_R <- c("npar", "chisq", "df", "chisq.scaled", "df.scaled", "pvalue.scaled",
          "chisq.scaling.factor", "cfi.robust", "tli.robust", "rmsea.robust", "srmr", "logl")
fmeas <- function(fit, which = FM) as.list(fitMeasures(fit, which))
lrt <- function(f0, f1, method = "default") {
  x <- lavTestLRT(f1, f0, method = method)
  list(chisq_diff = x[["Chisq diff"]][2], df_diff = x[["Df diff"]][2],
       pvalue = x[["Pr(>Chisq)"]][2])
}
wald <- function(fit, con) as.list(lavTestWald(fit, con)[c("stat", "df", "p.value")])
wide_of <- function(long, vars) {
  w <- reshape(long[, c("id", "wave", vars)], idvar = "id", timevar = "wave",
               direction = "wide", sep = "_w")
  w
}

# ------------------------------------------------------------------ RI-CLPM syntax (R side)
panel_syntax <- function(cons, nw, ri = TRUE, ti = TRUE, items = NULL, ri_level = "item") {
  ob <- function(v, t) paste0(v, "_w", t)
  wi <- function(c, t) paste0("w_", c, "_w", t)
  L <- character(0)
  if (is.null(items)) {
    if (ri) for (c in cons)
      L <- c(L, sprintf("RI_%s =~ %s", c, paste0("1*", ob(c, 1:nw), collapse = " + ")))
    for (c in cons) for (t in 1:nw) L <- c(L, sprintf("%s =~ 1*%s", wi(c, t), ob(c, t)))
  } else {
    lam <- function(c, j) if (j == 1) "1" else paste0("lam_", items[[c]][j])
    fac <- function(c, t) paste(sapply(seq_along(items[[c]]), function(j)
      paste0(lam(c, j), "*", ob(items[[c]][j], t))), collapse = " + ")
    if (ri && ri_level == "item") {
      for (c in cons) for (it in items[[c]])
        L <- c(L, sprintf("RI_%s =~ %s", it, paste0("1*", ob(it, 1:nw), collapse = " + ")))
    } else if (ri) {
      for (c in cons)
        L <- c(L, sprintf("RI_%s =~ %s", c, paste(sapply(1:nw, function(t) fac(c, t)),
                                                  collapse = " + ")))
    }
    for (c in cons) for (t in 1:nw) L <- c(L, sprintf("%s =~ %s", wi(c, t), fac(c, t)))
  }
  for (t in 2:nw) for (tg in cons) {
    rhs <- sapply(cons, function(s) {
      lab <- if (s == tg) paste0("ar_", tg) else paste0("cl_", s, "_", tg)
      if (!ti) lab <- paste0(lab, "_", t)
      paste0(lab, "*", wi(s, t - 1))
    })
    L <- c(L, sprintf("%s ~ %s", wi(tg, t), paste(rhs, collapse = " + ")))
  }
  for (t in 1:nw) {
    for (i in seq_along(cons)) {
      L <- c(L, sprintf("%s ~~ %s", wi(cons[i], t), wi(cons[i], t)))
      if (i < length(cons)) for (j in (i + 1):length(cons))
        L <- c(L, sprintf("%s ~~ %s", wi(cons[i], t), wi(cons[j], t)))
    }
  }
  ris <- if (!ri) character(0) else if (!is.null(items) && ri_level == "item")
    paste0("RI_", unlist(items[cons])) else paste0("RI_", cons)
  for (i in seq_along(ris)) for (j in i:length(ris))
    if (length(ris)) L <- c(L, sprintf("%s ~~ %s", ris[i], ris[j]))
  if (!is.null(items)) for (it in unlist(items[cons])) for (t in 1:nw)
    L <- c(L, sprintf("%s ~~ %s", ob(it, t), ob(it, t)))
  paste(L, collapse = "\n")
}
zero_lags <- function(m, labels) {
  for (lab in labels) m <- gsub(paste0(lab, "\\*"), "0*", m)
  m
}
fit_panel <- function(m, w, ...) lavaan(m, data = w, meanstructure = TRUE, int.ov.free = TRUE, ...)
ri_var_vcov <- function(fit, ris) {
  pt <- parTable(fit)
  idx <- sapply(ris, function(r) pt$free[pt$lhs == r & pt$op == "~~" & pt$rhs == r])
  vcov(fit)[idx, idx, drop = FALSE]
}
# chi-bar-square weights, Kudo (1963) subset formula, orthant probabilities by mvtnorm
orthant <- function(S) {
  k <- nrow(S)
  if (k == 0) return(1)
  R <- cov2cor(S)
  as.numeric(pmvnorm(lower = rep(0, k), upper = rep(Inf, k), sigma = R,
                     algorithm = Miwa(steps = 4096)))
}
chibar_w <- function(V) {
  q <- nrow(V); w <- numeric(q + 1)
  for (s in 0:q) {
    sets <- if (s == 0) list(integer(0)) else combn(q, s, simplify = FALSE)
    for (A in sets) {
      B <- setdiff(seq_len(q), A)
      if (length(B) == 0) { pr <- orthant(V) } else if (length(A) == 0) {
        pr <- orthant(solve(V[B, B, drop = FALSE]))
      } else {
        cond <- V[A, A, drop = FALSE] - V[A, B, drop = FALSE] %*% solve(V[B, B, drop = FALSE], V[B, A, drop = FALSE])
        pr <- orthant(cond) * orthant(solve(V[B, B, drop = FALSE]))
      }
      w[s + 1] <- w[s + 1] + pr
    }
  }
  w / sum(w)
}

out <- list(generator = paste("lavaan", packageVersion("lavaan"), "/ semTools",
                              packageVersion("semTools"), "/ mvtnorm", packageVersion("mvtnorm")))

# ------------------------------------------------------------------ 3 constructs x 4 waves
cons <- c("mechanism", "process", "results")
long <- read.csv(file.path(p, "riclpm_3c4w_long.csv"))
w <- wide_of(long, cons)
m <- panel_syntax(cons, 4)
fb <- c("cl_results_mechanism", "cl_results_process")
f1 <- fit_panel(m, w)
f0 <- fit_panel(zero_lags(m, fb), w)
fc <- fit_panel(panel_syntax(cons, 4, ri = FALSE), w)
V <- ri_var_vcov(f1, paste0("RI_", cons))
cb_w <- chibar_w(V)
Tdiff <- fitMeasures(fc, "chisq") - fitMeasures(f1, "chisq")
mdf <- fitMeasures(fc, "df") - fitMeasures(f1, "df")
q <- length(cons)
dfs <- (mdf - q):mdf
cb_p <- sum(cb_w * sapply(dfs, function(k) if (k == 0) 0 else pchisq(Tdiff, k, lower.tail = FALSE)))
out$riclpm_3c4w_ml <- list(
  model = m, call = "lavaan(model, data = wide, meanstructure = TRUE, int.ov.free = TRUE)",
  fit_measures = fmeas(f1), estimates = pe(f1),
  feedback = c(list(source = "results", targets = c("mechanism", "process")), lrt(f0, f1)),
  wald = wald(f1, "cl_results_mechanism == 0\ncl_results_process == 0"),
  clpm = list(model = panel_syntax(cons, 4, ri = FALSE), fit_measures = fmeas(fc)),
  chibar = list(chisq_diff = Tdiff, df_diff = mdf, weights = cb_w, pvalue = cb_p,
                ri_variance_vcov = V))
# time-varying lags
mt <- panel_syntax(cons, 4, ti = FALSE)
ft <- fit_panel(mt, w)
ft0 <- fit_panel(zero_lags(mt, c(paste0("cl_results_mechanism_", 2:4))), w)
out$riclpm_3c4w_timevarying <- list(
  model = mt, fit_measures = fmeas(ft), estimates = pe(ft),
  feedback = c(list(source = "results", targets = c("mechanism")), lrt(ft0, ft)),
  wald = wald(ft, paste0("cl_results_mechanism_", 2:4, " == 0", collapse = "\n")))
# MLR: robust SEs, scaled test, Satorra-Bentler scaled difference (2001 and 2010)
r1 <- fit_panel(m, w, estimator = "MLR")
r0 <- fit_panel(zero_lags(m, fb), w, estimator = "MLR")
out$riclpm_3c4w_mlr <- list(
  fit_measures = fmeas(r1, FM_R), estimates = pe(r1),
  restricted_fit_measures = fmeas(r0, FM_R),
  feedback_sb2001 = lrt(r0, r1, "satorra.bentler.2001"),
  feedback_sb2010 = lrt(r0, r1, "satorra.bentler.2010"),
  wald = wald(r1, "cl_results_mechanism == 0\ncl_results_process == 0"))
# FIML under attrition
la <- read.csv(file.path(p, "riclpm_3c4w_attrition_long.csv"))
wa <- wide_of(la, cons)
a1 <- fit_panel(m, wa, missing = "ml")
a0 <- fit_panel(zero_lags(m, fb), wa, missing = "ml")
out$riclpm_3c4w_fiml <- list(
  fit_measures = fmeas(a1), estimates = pe(a1),
  feedback = c(list(source = "results", targets = c("mechanism", "process")), lrt(a0, a1)),
  wald = wald(a1, "cl_results_mechanism == 0\ncl_results_process == 0"))

# ------------------------------------------------------------------ multiple indicators
lm <- read.csv(file.path(p, "mi_riclpm_long.csv"))
items <- list(mechanism = paste0("mechanism_", 1:3), results = paste0("results_", 1:3))
wm <- wide_of(lm, unlist(items))
for (lev in c("item", "construct")) {
  mm <- panel_syntax(names(items), 3, items = items, ri_level = lev)
  fm1 <- fit_panel(mm, wm)
  fm0 <- fit_panel(zero_lags(mm, "cl_results_mechanism"), wm)
  out[[paste0("mi_riclpm_", lev)]] <- list(
    model = mm, fit_measures = fmeas(fm1), estimates = pe(fm1),
    feedback = c(list(source = "results", targets = "mechanism"), lrt(fm0, fm1)),
    wald = wald(fm1, "cl_results_mechanism == 0"))
}

# ------------------------------------------------------------------ longitudinal invariance
li <- read.csv(file.path(p, "longinv_long.csv"))
wl <- wide_of(li, c(paste0("a_", 1:3), paste0("b_", 1:3)))
mod <- paste(unlist(lapply(1:3, function(t) c(
  sprintf("A_w%d =~ a_1_w%d + a_2_w%d + a_3_w%d", t, t, t, t),
  sprintf("B_w%d =~ b_1_w%d + b_2_w%d + b_3_w%d", t, t, t, t)))), collapse = "\n")
lfn <- list(A = paste0("A_w", 1:3), B = paste0("B_w", 1:3))
eqs <- list(configural = "", metric = "loadings", scalar = c("loadings", "intercepts"),
            strict = c("loadings", "intercepts", "residuals"))
ladder <- list()
lfits <- list()
for (lv in names(eqs)) {
  f <- measEq.syntax(mod, data = wl, ID.fac = "marker", longFacNames = lfn,
                     long.equal = eqs[[lv]], auto = "all", return.fit = TRUE)
  lfits[[lv]] <- f
  ladder[[lv]] <- fmeas(f, c("npar", "chisq", "df", "cfi", "tli", "rmsea", "srmr"))
}
# score tests of releasing each item's intercept equality over the three waves (2 df each),
# on the scalar model: the '==' rows whose sides are the intercepts of that item
sc <- lfits$scalar
pt <- parTable(sc)
eq <- which(pt$op == "==")
item_of <- function(plab) { r <- which(pt$plabel == plab); if (pt$op[r] == "~1") sub("_w[0-9]+$", "", pt$lhs[r]) else NA }
con_item <- sapply(eq, function(i) item_of(pt$lhs[i]))
scores <- list()
for (it in unique(na.omit(con_item))) {
  rel <- which(con_item == it)
  s <- lavTestScore(sc, release = rel, univariate = FALSE)$test
  scores[[it]] <- list(X2 = s$X2, df = s$df)
}
# partial scalar: item a_2's intercept free at every wave (its label removed)
psyn <- as.character(measEq.syntax(mod, data = wl, ID.fac = "marker", longFacNames = lfn,
                                   long.equal = c("loadings", "intercepts"), auto = "all"))
psyn <- gsub(" + nu.2*1", "", psyn, fixed = TRUE)
partial <- lavaan(psyn, data = wl)
# the same ladder under FIML (attrition): fit measures and the intercept score tests
# (lavTestScore's default expected information, structured, over missing-data patterns)
la2 <- read.csv(file.path(p, "longinv_attrition_long.csv"))
wl2 <- wide_of(la2, c(paste0("a_", 1:3), paste0("b_", 1:3)))
fiml_ladder <- list()
fiml_fits <- list()
for (lv in names(eqs)) {
  syn <- as.character(measEq.syntax(mod, data = wl2, ID.fac = "marker", longFacNames = lfn,
                                    long.equal = eqs[[lv]], auto = "all"))
  f <- lavaan(syn, data = wl2, missing = "ml")
  fiml_fits[[lv]] <- f
  fiml_ladder[[lv]] <- fmeas(f, c("npar", "chisq", "df", "cfi", "tli", "rmsea", "srmr"))
}
sc2 <- fiml_fits$scalar
pt <- parTable(sc2)
eq <- which(pt$op == "==")
con_item2 <- sapply(eq, function(i) item_of(pt$lhs[i]))
fiml_scores <- list()
for (it in unique(na.omit(con_item2))) {
  s <- lavTestScore(sc2, release = which(con_item2 == it), univariate = FALSE)$test
  fiml_scores[[it]] <- list(X2 = s$X2, df = s$df)
}
out$longitudinal_invariance_fiml <- list(levels = fiml_ladder, scalar_intercept_scores = fiml_scores,
                                         ntotal = lavInspect(sc2, "ntotal"))
out$longitudinal_invariance <- list(
  configural_model = mod,
  call = "measEq.syntax(mod, ID.fac = 'marker', longFacNames, long.equal, auto = 'all')",
  levels = ladder, scalar_intercept_scores = scores,
  partial_scalar_a_2 = fmeas(partial, c("npar", "chisq", "df", "cfi", "tli", "rmsea", "srmr")))

# ------------------------------------------------------------------ HS by school
hs <- read.csv(file.path(d, "holzinger_swineford_1939.csv"))
hs_m <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
g <- function(eq, ...) cfa(hs_m, data = hs, group = "school", group.equal = eq, ...)
cfg <- g(""); met <- g("loadings"); sca <- g(c("loadings", "intercepts"))
# univariate score tests (lavTestScore) of each equality constraint
uni_tests <- function(fit) {
  u <- lavTestScore(fit)$uni
  pt <- parTable(fit)
  rel <- sapply(u$lhs, function(pl) { r <- which(pt$plabel == pl)
    if (pt$op[r] == "~1") paste(pt$lhs[r], "~ 1") else paste(pt$lhs[r], pt$op[r], pt$rhs[r]) })
  list(relation = unname(rel), X2 = u$X2)
}
# partial-invariance search as the package does it: free the largest univariate score test
# (two groups: one constraint per relation) until delta CFI >= -.01 and delta RMSEA <= .015
search <- function(eq, base, kind_op) {
  freed <- character(0)
  fit <- g(eq)
  ok <- function(f) (fitMeasures(f, "cfi") - fitMeasures(base, "cfi") >= -0.01) &&
    (fitMeasures(f, "rmsea") - fitMeasures(base, "rmsea") <= 0.015)
  while (!ok(fit)) {
    u <- uni_tests(fit)
    keep <- grepl(kind_op, u$relation, fixed = TRUE)
    best <- u$relation[keep][which.max(u$X2[keep])]
    freed <- c(freed, best)
    fit <- g(eq, group.partial = sub(" ~ 1", "~1", freed))
  }
  list(freed = freed, fit_measures = fmeas(fit, c("npar", "chisq", "df", "cfi", "rmsea")))
}
mlr <- lapply(list(configural = "", metric = "loadings", scalar = c("loadings", "intercepts")),
              function(eq) g(eq, estimator = "MLR"))
out$hs_school <- list(
  model = hs_m,
  score_metric = uni_tests(met), score_scalar = uni_tests(sca),
  partial_scalar = search(c("loadings", "intercepts"), met, "~ 1"),
  mlr_fit_measures = lapply(mlr, fmeas, which = FM_R),
  mlr_metric_vs_configural_sb2001 = lrt(mlr$metric, mlr$configural, "satorra.bentler.2001"),
  mlr_metric_vs_configural_sb2010 = lrt(mlr$metric, mlr$configural, "satorra.bentler.2010"),
  mlr_scalar_vs_metric_sb2001 = lrt(mlr$scalar, mlr$metric, "satorra.bentler.2001"),
  mlr_scalar_vs_metric_sb2010 = lrt(mlr$scalar, mlr$metric, "satorra.bentler.2010"))

writeLines(toJSON(out, auto_unbox = TRUE, digits = 12, pretty = TRUE, na = "null"),
           file.path(p, "panel_reference.json"))
cat("wrote", file.path(p, "panel_reference.json"), "\n")
