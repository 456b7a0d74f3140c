# Frozen lavaan 0.6-14 fits with explicit '==' constraints (tests/test_constraints.py).
# Run from the repository root: Rscript tests/reference_scripts/make_constraint_reference.R
suppressMessages({library(lavaan); library(jsonlite)})
hs <- read.csv("tests/data/holzinger_swineford_1939.csv")
cases <- list(
  label_equal = list(model = "visual =~ x1 + a*x2 + b*x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\na == b", args = list()),
  label_number = list(model = "visual =~ x1 + a*x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\na == 0.6", args = list()),
  chain = list(model = "visual =~ x1 + a*x2 + b*x3\ntextual =~ x4 + c*x5 + x6\nspeed =~ x7 + x8 + x9\na == b\nc == b\nind := a*c", args = list()),
  groups = list(model = "visual =~ x1 + c(a1, a2)*x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\na1 == a2", args = list(group = "school"))
)
out <- list(generator = paste("lavaan", packageVersion("lavaan")))
for (nm in names(cases)) {
  cs <- cases[[nm]]
  fit <- do.call("cfa", c(list(model = cs$model, data = hs), cs$args))
  pe <- parameterEstimates(fit)
  if (!"group" %in% names(pe)) pe$group <- 1L
  pe$group[pe$op == ":="] <- 0L
  pe <- pe[pe$op != "==", c("lhs", "op", "rhs", "group", "label", "est", "se")]
  out[[nm]] <- list(model = cs$model, kwargs = cs$args,
                    chisq = fitMeasures(fit, "chisq")[[1]], df = fitMeasures(fit, "df")[[1]],
                    estimates = pe)
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, dataframe = "columns", na = "null"), "tests/data/sem/constraint_reference.json")
