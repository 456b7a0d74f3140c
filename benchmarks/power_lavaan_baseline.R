# lavaan baseline of benchmarks/bench_power.py: a Monte Carlo power loop, simulateData + sem,
# for the 16-item synergy chain at n = 500.
# Usage: Rscript benchmarks/power_lavaan_baseline.R REPS N POPFILE
# Prints "lavaan_power_loop SECONDS" (after library(lavaan)), "lavaan_power_reps R" and the
# power of the indirect effect (delta method) and of path a.
args <- commandArgs(trailingOnly = TRUE)
reps <- as.integer(args[1]); n <- as.integer(args[2]); pop <- paste(readLines(args[3]), collapse = "\n")
suppressMessages(library(lavaan))
m <- "
mot =~ mot1 + mot2 + mot3 + mot4
mech =~ mech1 + mech2 + mech3 + mech4
proc =~ proc1 + proc2 + proc3 + proc4
res =~ res1 + res2 + res3 + res4
mech ~ a*mot
proc ~ b*mech + mot
res ~ c*proc + mech
indirect := a*b*c
"
set.seed(1)
rej_ind <- 0; rej_a <- 0; ok <- 0
t0 <- proc.time()[["elapsed"]]
for (r in seq_len(reps)) {
  d <- simulateData(pop, sample.nobs = n)
  fit <- tryCatch(sem(m, data = d), error = function(e) NULL)
  if (!is.null(fit) && lavInspect(fit, "converged")) {
    pe <- parameterEstimates(fit)
    ok <- ok + 1
    rej_ind <- rej_ind + (pe$pvalue[pe$op == ":="] < 0.05)
    rej_a <- rej_a + (pe$pvalue[pe$label == "a"][1] < 0.05)
  }
}
el <- proc.time()[["elapsed"]] - t0
cat("lavaan_power_loop", el, "\n")
cat("lavaan_power_reps", reps, "\n")
cat("lavaan_power_converged", ok, "\n")
cat("lavaan_power_indirect", rej_ind / ok, "\n")
cat("lavaan_power_a", rej_a / ok, "\n")
