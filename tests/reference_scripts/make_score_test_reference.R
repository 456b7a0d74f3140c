# Frozen lavaan 0.6-14 references for SEMResult.score_test (lavTestScore with release= and
# add=) and SEMResult.refit (constrained refits).
# Run from the repository root:  Rscript tests/reference_scripts/make_score_test_reference.R
# Writes tests/data/sem/score_test_reference.json.
# Every equality constraint of a fit is written with the (lhs, op, rhs, group) of the two
# parameter rows it ties (lavaan names them by plabel, .pN.), so a test can match them to
# its own constraints by relation instead of by position.
suppressMessages({library(lavaan); library(jsonlite)})
d <- "tests/data"
hs <- read.csv(file.path(d, "holzinger_swineford_1939.csv"))
hs_miss <- read.csv(file.path(d, "holzinger_swineford_1939_missing10.csv"))
HS <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"

side <- function(pt, name) {
  # a side of a '==' row: a plabel, a user label, or a number
  i <- which(pt$plabel == name)
  if (length(i) == 0) i <- which(pt$label == name & pt$op != "==")
  if (length(i) == 0) return(list(value = as.numeric(name)))
  i <- i[1]
  list(lhs = pt$lhs[i], op = pt$op[i], rhs = pt$rhs[i], group = pt$group[i],
       label = pt$label[i])
}
constraints_of <- function(fit) {
  pt <- parTable(fit)
  eq <- which(pt$op == "==")
  lapply(eq, function(i) list(lhs = pt$lhs[i], rhs = pt$rhs[i],
                              left = side(pt, pt$lhs[i]), right = side(pt, pt$rhs[i])))
}
st <- function(fit, ...) {
  x <- lavTestScore(fit, warn = FALSE, ...)
  list(test = list(X2 = x$test$X2, df = x$test$df, pvalue = x$test$p.value),
       uni = list(lhs = x$uni$lhs, rhs = x$uni$rhs, X2 = x$uni$X2, df = x$uni$df,
                  pvalue = x$uni$p.value))
}
fm <- function(fit) as.list(fitMeasures(fit, c("npar", "chisq", "df", "cfi", "rmsea")))
pe <- function(fit) {
  x <- parameterEstimates(fit)
  x <- x[x$op %in% c("=~", "~", "~~", "~1"), ]
  x$group <- if (is.null(x$group)) 1L else x$group
  x[, c("lhs", "op", "rhs", "group", "est", "se")]
}

out <- list()

# ---------------------------------------------------------------- release=
mg <- cfa(HS, hs, group = "school", group.equal = "loadings")
out$mg_loadings <- list(
  model = HS, group = "school", group_equal = list("loadings"), missing = "listwise",
  constraints = constraints_of(mg),
  all = st(mg), release_2_5 = st(mg, release = c(2, 5)),
  observed = st(mg, information = "observed"),
  first_order = st(mg, information = "first.order"))

mgs <- cfa(HS, hs, group = "school", group.equal = c("loadings", "intercepts"))
out$mg_scalar <- list(
  model = HS, group = "school", group_equal = list("loadings", "intercepts"),
  missing = "listwise", constraints = constraints_of(mgs), all = st(mgs))

mgr <- cfa(HS, hs, group = "school", group.equal = "loadings", estimator = "MLR")
out$mg_loadings_mlr <- list(
  model = HS, group = "school", group_equal = list("loadings"), missing = "listwise",
  estimator = "MLR", constraints = constraints_of(mgr), all = st(mgr))

LAB <- paste("visual =~ x1 + a*x2 + a*x3", "textual =~ x4 + x5 + x6",
             "speed =~ x7 + b*x8 + c*x9", "b == c", sep = "\n")
lab <- cfa(LAB, hs)
out$labels <- list(model = LAB, missing = "listwise", constraints = constraints_of(lab),
                   all = st(lab), release_1 = st(lab, release = 1))

PIN <- paste("visual =~ x1 + x2 + x3", "textual =~ x4 + x5 + x6",
             "speed =~ x7 + d*x8 + x9", "d == 1.2", sep = "\n")
pin <- cfa(PIN, hs)
out$pinned <- list(model = PIN, missing = "listwise", constraints = constraints_of(pin),
                   all = st(pin))

# ---------------------------------------------------------------- add=
one <- cfa(HS, hs)
out$add_single <- list(
  model = HS, missing = "listwise",
  add_one = c(list(add = list("visual =~ x9")), st(one, add = "visual =~ x9")),
  add_two = c(list(add = list("visual =~ x9", "x7 ~~ x8")),
              st(one, add = c("visual =~ x9", "x7 ~~ x8"))),
  observed = c(list(add = list("visual =~ x9", "x7 ~~ x8")),
               st(one, add = c("visual =~ x9", "x7 ~~ x8"), information = "observed")),
  first_order = c(list(add = list("visual =~ x9", "x7 ~~ x8")),
                  st(one, add = c("visual =~ x9", "x7 ~~ x8"), information = "first.order")),
  modindices = {
    mi <- modindices(one)
    mi <- mi[mi$lhs == "visual" & mi$op == "=~" & mi$rhs == "x9", ]
    list(mi = mi$mi)
  })
out$add_mg <- list(
  model = HS, group = "school", group_equal = list("loadings"), missing = "listwise",
  add = c(list(add = list("visual =~ x9")), st(mg, add = "visual =~ x9")))

# ---------------------------------------------------------------- FIML
mgf <- cfa(HS, hs_miss, group = "school", group.equal = "loadings", missing = "ml")
out$fiml_mg_loadings <- list(
  model = HS, group = "school", group_equal = list("loadings"), missing = "fiml",
  constraints = constraints_of(mgf), all = st(mgf))
onef <- cfa(HS, hs_miss, missing = "ml")
out$fiml_add_single <- list(
  model = HS, missing = "fiml",
  add_two = c(list(add = list("visual =~ x9", "x7 ~~ x8")),
              st(onef, add = c("visual =~ x9", "x7 ~~ x8"))))

# ---------------------------------------------------------------- refit targets
BASE <- paste("visual =~ x1 + x2 + x3", "textual =~ x4 + x5 + x6",
              "speed =~ x7 + b*x8 + c*x9", sep = "\n")
eqf <- cfa(paste(BASE, "b == c", sep = "\n"), hs)
fixf <- cfa(paste("visual =~ x1 + x2 + x3", "textual =~ x4 + 1*x5 + x6",
                  "speed =~ x7 + b*x8 + c*x9", "x2 ~~ v*x2", "x3 ~~ v*x3", sep = "\n"), hs)
metric <- cfa(HS, hs, group = "school", group.equal = "loadings")
fimlr <- cfa(paste(BASE, "b == c", sep = "\n"), hs_miss, missing = "ml")
out$refit <- list(
  base = BASE,
  equal = list(constraints = list("b == c"), fit_measures = fm(eqf), estimates = pe(eqf)),
  fixed = list(constraints = list("textual =~ 1*x5", "x2 ~~ v*x2", "x3 ~~ v*x3"),
               fit_measures = fm(fixf), estimates = pe(fixf)),
  metric = list(group = "school", group_equal = list("loadings"),
                fit_measures = fm(metric)),
  fiml_equal = list(constraints = list("b == c"), fit_measures = fm(fimlr),
                    estimates = pe(fimlr)))

out$lavaan_version <- as.character(packageVersion("lavaan"))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(d, "sem", "score_test_reference.json"))
