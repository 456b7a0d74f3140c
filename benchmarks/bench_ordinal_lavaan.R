# lavaan side of benchmarks/bench_ordinal.py: WLSMV fit of the bundled 44-item synergy SEM.
# Usage: Rscript benchmarks/bench_ordinal_lavaan.R data.csv model.lav repeats
# Prints "name seconds" lines: the mean time of sem(..., ordered = TRUE) followed by
# parameterEstimates() and fitMeasures(), and of lavCor(ordered = all) alone.
suppressMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
m <- paste(readLines(args[2]), collapse = "\n")
reps <- as.integer(args[3])
full <- function() {
  fit <- sem(m, data = d, ordered = TRUE)
  parameterEstimates(fit, standardized = TRUE)
  fitMeasures(fit)
}
invisible(full())  # warm-up
t <- system.time(for (i in seq_len(reps)) full())[["elapsed"]] / reps
cat("lavaan_wlsmv_synergy44", t, "\n")
tc <- system.time(for (i in seq_len(reps)) lavCor(d, ordered = names(d)))[["elapsed"]] / reps
cat("lavaan_lavcor_synergy44", tc, "\n")
