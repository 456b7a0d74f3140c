# Frozen semTools references for ss.rmsea_power / ss.rmsea_sample_size (issue 15).
# Run from the repository root: Rscript tests/reference_scripts/make_rmsea_power_reference.R
suppressMessages(library(semTools))
library(jsonlite)
grid <- expand.grid(
  rmsea0 = c(0.05, 0.0, 0.05), rmseaA = c(0.08, 0.05, 0.01), df = c(5, 20, 64, 150),
  n = c(100, 200, 450, 1000), alpha = c(0.05, 0.01), group = c(1, 2),
  stringsAsFactors = FALSE
)
grid <- grid[grid$rmsea0 != grid$rmseaA, ]
grid <- grid[!(grid$rmsea0 == 0 & grid$rmseaA < 0.05), ]
grid$power <- mapply(function(r0, ra, df, n, a, g) findRMSEApower(r0, ra, df, n, a, g),
                     grid$rmsea0, grid$rmseaA, grid$df, grid$n, grid$alpha, grid$group)
ss <- expand.grid(
  rmsea0 = c(0.05), rmseaA = c(0.08, 0.01, 0.1), df = c(2, 10, 40, 100),
  power = c(0.8, 0.9), alpha = c(0.05, 0.01), group = c(1, 2), stringsAsFactors = FALSE
)
ss$n <- mapply(function(r0, ra, df, p, a, g) as.numeric(findRMSEAsamplesize(r0, ra, df, p, a, g)),
               ss$rmsea0, ss$rmseaA, ss$df, ss$power, ss$alpha, ss$group)
out <- list(
  generator = paste("semTools", as.character(packageVersion("semTools")), R.version.string),
  power = grid, sample_size = ss
)
writeLines(toJSON(out, digits = NA, pretty = TRUE), "tests/data/simulate/rmsea_power_semtools.json")
