# Asymptotic (analytic) power for the illustrative RI-CLPM design of Mulder (2023), from lavaan,
# as the reference of ss.power_riclpm's Monte Carlo power (issue 15).
# Design (Mulder 2023, SEM 30:645-658; powRICLPM vignette "Mulder2022"):
#   Phi = matrix(c(.20, .10, .15, .30), byrow = FALSE, ncol = 2) (rows outcomes, columns
#   predictors: wB(t) ~ .10 wA(t-1), wA(t) ~ .15 wB(t-1)), within_cor = .26, RI_cor = .35,
#   ICC = .5, 3 time points, lags free per wave (constraints = "none").
# Wald power of each lag: Phi(|b|/se - z) + Phi(-|b|/se - z) with se from lavaan's expected
# information at the population moments with sample.nobs = N; LRT power of the feedback test
# (both A -> B cross-lags fixed at 0): non-central chi-square with ncp = the restricted
# model's chi-square at the population moments (Satorra & Saris 1985).
# Run from the repository root: Rscript tests/reference_scripts/make_riclpm_power_reference.R
suppressMessages(library(lavaan))
library(jsonlite)
Phi <- matrix(c(.20, .10, .15, .30), byrow = FALSE, ncol = 2)
within_cor <- 0.26; RI_cor <- 0.35; ICC <- 0.5; T <- 3
S <- matrix(c(1, within_cor, within_cor, 1), 2)
Psi <- S - Phi %*% S %*% t(Phi)
ri_var <- ICC / (1 - ICC)
Brc <- ri_var * matrix(c(1, RI_cor, RI_cor, 1), 2)
# covariance of the within parts w_t = Phi^(t-s) ...
W <- matrix(0, 2 * T, 2 * T)
for (t in 1:T) for (s in 1:T) {
  P <- diag(2); k <- abs(t - s); if (k > 0) for (i in 1:k) P <- Phi %*% P
  blk <- if (t >= s) P %*% S else S %*% t(P)
  W[(2 * t - 1):(2 * t), (2 * s - 1):(2 * s)] <- blk
}
Sigma <- W + kronecker(matrix(1, T, T), Brc)
names <- as.vector(t(outer(1:T, c("A", "B"), function(t, v) paste0(v, "_w", t))))
dimnames(Sigma) <- list(names, names)
mu <- setNames(rep(0, 2 * T), names)
model <- function(fb_zero) {
  lines <- c(
    paste("RI_A =~", paste0("1*A_w", 1:T, collapse = " + ")),
    paste("RI_B =~", paste0("1*B_w", 1:T, collapse = " + "))
  )
  for (t in 1:T) lines <- c(lines, sprintf("wA%d =~ 1*A_w%d", t, t), sprintf("wB%d =~ 1*B_w%d", t, t),
                            sprintf("A_w%d ~~ 0*A_w%d", t, t), sprintf("B_w%d ~~ 0*B_w%d", t, t))
  for (t in 2:T) {
    ab <- if (fb_zero) "0*" else ""
    lines <- c(lines, sprintf("wA%d ~ wA%d + wB%d", t, t - 1, t - 1),
               sprintf("wB%d ~ %swA%d + wB%d", t, ab, t - 1, t - 1))
  }
  for (t in 1:T) lines <- c(lines, sprintf("wA%d ~~ wB%d", t, t), sprintf("wA%d ~~ wA%d", t, t),
                            sprintf("wB%d ~~ wB%d", t, t))
  lines <- c(lines, "RI_A ~~ RI_A", "RI_B ~~ RI_B", "RI_A ~~ RI_B")
  paste(lines, collapse = "\n")
}
out <- list(generator = paste("lavaan", as.character(packageVersion("lavaan")), R.version.string),
            design = "Mulder (2023) illustrative design, ICC = .5, 3 waves", results = list())
z <- qnorm(0.975)
for (N in c(500, 1000, 1500)) {
  full <- lavaan(model(FALSE), sample.cov = Sigma, sample.mean = mu, sample.nobs = N,
                 meanstructure = TRUE, int.ov.free = TRUE, sample.cov.rescale = FALSE)
  pe <- parameterEstimates(full)
  pe <- pe[pe$op == "~", ]
  pw <- pnorm(abs(pe$est) / pe$se - z) + pnorm(-abs(pe$est) / pe$se - z)
  rest <- lavaan(model(TRUE), sample.cov = Sigma, sample.mean = mu, sample.nobs = N,
                 meanstructure = TRUE, int.ov.free = TRUE, sample.cov.rescale = FALSE)
  ncp <- fitMeasures(rest, "chisq")[[1]]
  df <- fitMeasures(rest, "df")[[1]] - fitMeasures(full, "df")[[1]]
  lrt <- 1 - pchisq(qchisq(0.95, df), df, ncp = ncp)
  out$results[[length(out$results) + 1]] <- list(
    n = N, lhs = pe$lhs, rhs = pe$rhs, est = pe$est, se = pe$se, power = pw,
    lrt_ncp = ncp, lrt_df = df, lrt_power = lrt
  )
}
writeLines(toJSON(out, digits = NA, pretty = TRUE, auto_unbox = TRUE),
           "tests/data/simulate/riclpm_power_mulder2023.json")
