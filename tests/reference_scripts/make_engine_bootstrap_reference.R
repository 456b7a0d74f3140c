# Frozen lavaan bootstrap standard errors of the 44-item synergy SEM under ML (listwise), for
# the Monte Carlo comparison in tests/test_engine_reference.py (issue 16). Run from the repo
# root after make_engine_data.py (takes minutes: one lavaan fit per draw):
#   Rscript tests/reference_scripts/make_engine_bootstrap_reference.R [DRAWS]
# Needs Debian's r-base-core, r-cran-lavaan (0.6-14), r-cran-jsonlite.
# Writes tests/data/sem/engine_bootstrap_reference.json: per free parameter lavaan's bootstrap
# SE (sd over the converged draws with divisor B, as se = "bootstrap" reports it), the SE over the converged
# AND admissible draws, and the Monte Carlo standard error of each SE,
#   mc_se(sd) = sqrt((m4 - s^4) / B) / (2 s)   (delta method; m4 the 4th central moment),
# plus the counts of failed and non-admissible draws and the seed.
suppressMessages({library(lavaan); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
draws <- if (length(args)) as.integer(args[1]) else 1000L
seed <- 20261202L
out_dir <- "tests/data/sem"
syn <- read.csv(file.path(out_dir, "synergy44_wave1.csv"))
syn_model <- paste(readLines(file.path(out_dir, "synergy44_model.lav")), collapse = "\n")
set.seed(seed)
t0 <- proc.time()[["elapsed"]]
fit <- sem(syn_model, data = syn, se = "bootstrap", bootstrap = draws)
seconds <- proc.time()[["elapsed"]] - t0
boot <- lavInspect(fit, "boot")
error_idx <- attr(boot, "error.idx")
nonadm <- attr(boot, "nonadmissible")
conv <- setdiff(seq_len(nrow(boot)), error_idx)
adm <- setdiff(conv, nonadm)
psd <- function(x) sqrt(mean((x - mean(x))^2))  # lavaan's bootstrap vcov divides by B
mc <- function(x) {
  x <- x[is.finite(x)]
  s2 <- mean((x - mean(x))^2)
  m4 <- mean((x - mean(x))^4)
  sqrt(max(m4 - s2^2, 0) / length(x)) / (2 * sqrt(s2))
}
pt <- parTable(fit)
pt <- pt[pt$free > 0, ]
pt <- pt[order(pt$free), ]
B_conv <- boot[conv, , drop = FALSE]
B_adm <- boot[adm, , drop = FALSE]
pe <- parameterEstimates(fit, remove.nonfree = TRUE)
key <- paste(pe$lhs, pe$op, pe$rhs)
rows <- data.frame(
  lhs = pt$lhs, op = pt$op, rhs = pt$rhs,
  est = as.numeric(coef(fit)),
  se = apply(B_conv, 2, psd),
  mc_se = apply(B_conv, 2, mc),
  se_admissible = apply(B_adm, 2, psd),
  mc_se_admissible = apply(B_adm, 2, mc),
  se_reported = pe$se[match(paste(pt$lhs, pt$op, pt$rhs), key)]
)
rownames(rows) <- NULL
out <- list(
  generator = paste("lavaan", packageVersion("lavaan")),
  call = sprintf("set.seed(%d); sem(syn44, data, se = 'bootstrap', bootstrap = %d)", seed, draws),
  data = "sem/synergy44_wave1.csv",
  draws = draws, seed = seed, seconds = seconds,
  n_failed = length(error_idx), n_nonadmissible = length(nonadm),
  nobs = lavInspect(fit, "nobs"),
  estimates = rows
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(12), na = "null", pretty = TRUE),
           file.path(out_dir, "engine_bootstrap_reference.json"))
cat(sprintf("%d draws in %.1f s: %d failed, %d non-admissible\n", draws, seconds,
            length(error_idx), length(nonadm)))
