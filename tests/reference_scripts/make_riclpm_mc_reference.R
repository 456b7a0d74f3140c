# Monte Carlo power of the Mulder (2023) RI-CLPM design from lavaan itself, as the finite-sample
# reference of ss.power_riclpm (issue 15). The asymptotic power of
# make_riclpm_power_reference.R overstates the power of the wave-3 autoregressions of this
# 3-wave design (the model has 1 df; the Wald z of a wave-3 lag has a heavier lower tail than
# the normal), so the Monte Carlo power is checked against lavaan's Monte Carlo power, each with
# its own Monte Carlo error. Data: multivariate normal draws from the population moments
# (MASS::mvrnorm), ML estimation with lavaan's defaults, Wald test at alpha = .05.
# Run from the repository root: Rscript tests/reference_scripts/make_riclpm_mc_reference.R
suppressMessages(library(lavaan))
library(jsonlite)
Phi <- matrix(c(.20, .10, .15, .30), byrow = FALSE, ncol = 2)
within_cor <- 0.26; RI_cor <- 0.35; ICC <- 0.5; T <- 3
S <- matrix(c(1, within_cor, within_cor, 1), 2)
ri_var <- ICC / (1 - ICC)
Brc <- ri_var * matrix(c(1, RI_cor, RI_cor, 1), 2)
W <- matrix(0, 2 * T, 2 * T)
for (t in 1:T) for (s in 1:T) {
  P <- diag(2); k <- abs(t - s); if (k > 0) for (i in 1:k) P <- Phi %*% P
  blk <- if (t >= s) P %*% S else S %*% t(P)
  W[(2 * t - 1):(2 * t), (2 * s - 1):(2 * s)] <- blk
}
Sigma <- W + kronecker(matrix(1, T, T), Brc)
names <- as.vector(t(outer(1:T, c("A", "B"), function(t, v) paste0(v, "_w", t))))
dimnames(Sigma) <- list(names, names)
lines <- c(paste("RI_A =~", paste0("1*A_w", 1:T, collapse = " + ")),
           paste("RI_B =~", paste0("1*B_w", 1:T, collapse = " + ")))
for (t in 1:T) lines <- c(lines, sprintf("wA%d =~ 1*A_w%d", t, t), sprintf("wB%d =~ 1*B_w%d", t, t),
                          sprintf("A_w%d ~~ 0*A_w%d", t, t), sprintf("B_w%d ~~ 0*B_w%d", t, t))
for (t in 2:T) lines <- c(lines, sprintf("wA%d ~ wA%d + wB%d", t, t - 1, t - 1),
                          sprintf("wB%d ~ wA%d + wB%d", t, t - 1, t - 1))
for (t in 1:T) lines <- c(lines, sprintf("wA%d ~~ wB%d", t, t), sprintf("wA%d ~~ wA%d", t, t),
                          sprintf("wB%d ~~ wB%d", t, t))
lines <- c(lines, "RI_A ~~ RI_A", "RI_B ~~ RI_B", "RI_A ~~ RI_B")
model <- paste(lines, collapse = "\n")
R <- 2000
set.seed(20231)
out <- list(generator = paste("lavaan", as.character(packageVersion("lavaan")), R.version.string),
            design = "Mulder (2023) illustrative design, ICC = .5, 3 waves",
            replications = R, results = list())
for (N in c(1000, 1500)) {
  rej <- NULL; used <- 0
  for (r in 1:R) {
    X <- MASS::mvrnorm(N, rep(0, 2 * T), Sigma)
    colnames(X) <- names
    fit <- tryCatch(lavaan(model, data = as.data.frame(X), meanstructure = TRUE,
                           int.ov.free = TRUE), error = function(e) NULL)
    if (is.null(fit) || !lavInspect(fit, "converged")) next
    pe <- parameterEstimates(fit)
    pe <- pe[pe$op == "~", ]
    if (is.null(rej)) { rej <- 0 * pe$pvalue; lhs <- pe$lhs; rhs <- pe$rhs }
    rej <- rej + (pe$pvalue < 0.05)
    used <- used + 1
  }
  out$results[[length(out$results) + 1]] <- list(n = N, lhs = lhs, rhs = rhs,
                                                 converged = used, power = rej / used)
}
writeLines(toJSON(out, digits = NA, pretty = TRUE, auto_unbox = TRUE),
           "tests/data/simulate/riclpm_mc_power_mulder2023.json")
