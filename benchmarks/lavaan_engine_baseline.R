# lavaan side of benchmarks/bench_engine.py (issue 16): times one task and prints
# "TASK seconds". Run by the Python benchmark in the same run as the package's timings:
#   Rscript benchmarks/lavaan_engine_baseline.R TASK DATA.csv MODEL.lav [REPS] [DRAWS]
# TASK: ml | mlr | fiml | mlr_fiml (one fit: sem() + parameterEstimates(standardized = TRUE)
# + fitMeasures(), the mean over REPS runs) or bootstrap (sem(se = "bootstrap",
# bootstrap = DRAWS), set.seed(1)). Needs Debian's r-base-core and r-cran-lavaan; lavaan runs
# single-threaded on R's reference BLAS.
suppressMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
task <- args[1]
data <- read.csv(args[2])
model <- paste(readLines(args[3]), collapse = "\n")
reps <- if (length(args) >= 4) as.integer(args[4]) else 1L
draws <- if (length(args) >= 5) as.integer(args[5]) else 1000L
one_fit <- function() {
  fit <- switch(task,
    ml = sem(model, data = data),
    mlr = sem(model, data = data, estimator = "MLR"),
    fiml = sem(model, data = data, missing = "ml"),
    mlr_fiml = sem(model, data = data, missing = "ml", estimator = "MLR"),
    stop("unknown task ", task))
  parameterEstimates(fit, standardized = TRUE)
  fitMeasures(fit)
}
tm <- function(expr) as.numeric(system.time(expr)["elapsed"])
if (task == "bootstrap") {
  set.seed(1)
  secs <- tm(suppressWarnings(sem(model, data = data, se = "bootstrap", bootstrap = draws)))
} else {
  secs <- tm(for (i in seq_len(reps)) suppressWarnings(one_fit())) / reps
}
cat(sprintf("%s %.4f\n", task, secs))
