# lavaan baseline of benchmarks/bench_twolevel.py (run by it; prints "name median_seconds").
# Usage: Rscript benchmarks/bench_twolevel.R demo.csv synergy.csv synergy_model.lav repeats
suppressMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
demo <- read.csv(args[1])
syn <- read.csv(args[2])
syn_model <- paste(readLines(args[3]), collapse = "\n")
reps <- as.integer(args[4])
demo_model <- "level: 1
    fw =~ y1 + y2 + y3
    fw ~ x1 + x2 + x3
level: 2
    fb =~ y1 + y2 + y3
    fb ~ w1 + w2"
timeit <- function(f) {
  f()
  t <- numeric(reps)
  for (i in seq_len(reps)) t[i] <- system.time(f())[["elapsed"]]
  median(t)
}
full <- function(fit) { parameterEstimates(fit, standardized = TRUE); fitMeasures(fit) }
cat("demo_twolevel", timeit(function() full(sem(demo_model, data = demo, cluster = "cluster"))), "\n")
cat("synergy_twolevel", timeit(function() full(sem(syn_model, data = syn, cluster = "department"))), "\n")
