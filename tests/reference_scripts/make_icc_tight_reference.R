# Frozen lavaan 0.6-14 item ICCs with the unrestricted two-level EM run to convergence.
# Run from the repository root:
#   Rscript tests/reference_scripts/make_icc_tight_reference.R
# lavaan 0.6-14 fits the h1 model of complete two-level data by lav_mvnorm_cluster_em_sat
# with tol = 1e-04 (on the log-likelihood gain of one EM step) and max.iter = 5000,
# hard-coded in lav_h1_implied_logl (em.h1.tol is not used there). The references below
# patch that call to tol = 1e-13 and max.iter = 1e5 (assignInNamespace for the run,
# nothing else changed) and keep the default run beside them.
# Data: Demo.twolevel y1-y4 (tests/data/multilevel/demo_twolevel.csv), and
# tests/data/multilevel/example_w1_icc_items.csv: wave 1 of the bundled example, complete
# rows of the accountability and env_pressure items, departments numbered 1-15 (written by
# the session that froze this file from the example), where the maximum is on the boundary
# (a singular Sigma_B), which the EM only creeps towards.
suppressMessages({library(lavaan); library(jsonlite)})
d <- "tests/data/multilevel"
demo <- read.csv(file.path(d, "demo_twolevel.csv"))
ex <- read.csv(file.path(d, "example_w1_icc_items.csv"))
sat <- function(items) {
  pairs <- outer(items, items, function(a, b) paste(a, "~~", b))[upper.tri(diag(length(items)), diag = TRUE)]
  paste0("level: 1\n", paste(pairs, collapse = "\n"), "\nlevel: 2\n", paste(pairs, collapse = "\n"))
}
one <- function(data, items, cluster) {
  t0 <- proc.time()[3]
  fit <- sem(sat(items), data = data, cluster = cluster, do.fit = FALSE)
  h1 <- lavInspect(fit, "h1")
  cat(items[1], proc.time()[3] - t0, "\n")
  list(items = items, icc = as.list(lavInspect(fit, "icc")),
       within_cov = unclass(h1[[1]]$cov), between_cov = unclass(h1[[2]]$cov),
       loglik = fit@h1$loglik, seconds = unname(proc.time()[3] - t0))
}
runs <- function(suffix) {
  out <- list()
  out[[paste0("demo_y1_y4", suffix)]] <- one(demo, c("y1", "y2", "y3", "y4"), "cluster")
  out[[paste0("example_accountability", suffix)]] <- one(ex, paste0("accountability_", 1:3), "department")
  out[[paste0("example_env_pressure", suffix)]] <- one(ex, paste0("env_pressure_", 1:3), "department")
  out
}
out <- c(list(generator = paste("lavaan", packageVersion("lavaan"))), runs(""))
src <- deparse(lavaan:::lav_h1_implied_logl)
stopifnot(sum(grepl("tol = 1e-04", src, fixed = TRUE)) == 1L)
src <- sub("tol = 1e-04", "tol = 1e-13", src, fixed = TRUE)
src <- sub("max.iter = 5000L", "max.iter = 100000L", src, fixed = TRUE)
tight_fun <- eval(parse(text = src))
environment(tight_fun) <- asNamespace("lavaan")
orig <- lavaan:::lav_h1_implied_logl
assignInNamespace("lav_h1_implied_logl", tight_fun, ns = "lavaan")
out <- c(out, runs("_tight"))
assignInNamespace("lav_h1_implied_logl", orig, ns = "lavaan")
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(d, "lavaan_icc_tight_reference.json"))
cat("written\n")
