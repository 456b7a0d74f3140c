# Frozen lavaan 0.6-14 information matrices (lavInspect) for SEMResult.information().
# Run from the repository root: Rscript tests/reference_scripts/make_information_reference.R
suppressMessages({library(lavaan); library(jsonlite)})
hs <- read.csv("tests/data/holzinger_swineford_1939.csv")
hsm <- read.csv("tests/data/holzinger_swineford_1939_missing10.csv")
model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
cases <- list(
  hs_ml = list(data = hs, args = list()),
  hs_ml_groups = list(data = hs, args = list(group = "school")),
  hs_fiml = list(data = hsm, args = list(missing = "ml")),
  hs_mlr = list(data = hs, args = list(estimator = "MLR"))
)
out <- list(generator = paste("lavaan", packageVersion("lavaan")), model = model)
for (nm in names(cases)) {
  cs <- cases[[nm]]
  fit <- do.call("cfa", c(list(model = model, data = cs$data), cs$args))
  out[[nm]] <- list(
    data = if (identical(cs$data, hs)) "holzinger_swineford_1939.csv" else "holzinger_swineford_1939_missing10.csv",
    kwargs = cs$args,
    names = names(coef(fit)),
    expected = unclass(lavInspect(fit, "information.expected")),
    observed = unclass(lavInspect(fit, "information.observed")),
    first_order = unclass(lavInspect(fit, "information.first.order")),
    default = unclass(lavInspect(fit, "information"))
  )
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, matrix = "rowmajor"), "tests/data/sem/information_reference.json")
