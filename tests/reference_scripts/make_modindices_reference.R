# Frozen lavaan 0.6-14 modindices() for FIML fits (missing = "ml"), for
# SEMResult.modification_indices(). Data: the HS 10%-MCAR file that
# make_information_reference.R also uses (tests/data/holzinger_swineford_1939_missing10.csv).
# Run from the repository root: Rscript tests/reference_scripts/make_modindices_reference.R
suppressMessages({library(lavaan); library(jsonlite)})
hsm <- read.csv("tests/data/holzinger_swineford_1939_missing10.csv")
model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
cases <- list(
  hs_fiml = list(missing = "ml"),
  hs_fiml_groups = list(missing = "ml", group = "school"),
  hs_fiml_mlr = list(missing = "ml", estimator = "MLR")
)
out <- list(generator = paste("lavaan", packageVersion("lavaan")), model = model,
            data = "holzinger_swineford_1939_missing10.csv")
for (nm in names(cases)) {
  fit <- do.call("cfa", c(list(model = model, data = hsm), cases[[nm]]))
  mi <- modindices(fit)
  if (is.null(mi$group)) mi$group <- 1L
  out[[nm]] <- list(
    kwargs = cases[[nm]],
    table = mi[, c("lhs", "op", "rhs", "group", "mi", "epc", "sepc.lv", "sepc.all", "sepc.nox")]
  )
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, dataframe = "columns"),
           "tests/data/sem/modindices_fiml_reference.json")
