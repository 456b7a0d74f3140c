# Frozen reference values for synergy_stats.measurement.method_bias (issue 11, common method
# bias): Harman's single-factor test (psych 2.2.9 principal / fa), one-factor vs trait CFA,
# the ULMC model and the CFA marker technique of Williams et al. (2010), lavaan 0.6-14.
#
# Run from this folder:  Rscript make_method_bias_reference.R
# Writes ../data/measurement/method_bias_marker.csv (simulated, seed 20110)
# and ../data/measurement/method_bias_reference.json. R is never needed at test time.
suppressMessages({ library(lavaan); library(psych); library(jsonlite) })
data_dir <- file.path("..", "data")
hs <- read.csv(file.path(data_dir, "holzinger_swineford_1939.csv"))
items <- paste0("x", 1:9)
traits <- list(visual = c("x1", "x2", "x3"), textual = c("x4", "x5", "x6"),
               speed = c("x7", "x8", "x9"))
syn <- function(tr) paste(vapply(names(tr), function(f)
  paste0(f, " =~ ", paste(tr[[f]], collapse = " + ")), ""), collapse = "\n")
fm <- function(fit) {
  m <- fitMeasures(fit, c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr"))
  as.list(setNames(as.numeric(m), names(m)))
}
stdl <- function(fit, lv) {
  s <- standardizedSolution(fit)
  s <- s[s$op == "=~" & s$lhs == lv, ]
  as.list(setNames(s$est.std, s$rhs))
}
rawl <- function(fit, lv) {
  s <- parameterEstimates(fit)
  s <- s[s$op == "=~" & s$lhs == lv, ]
  as.list(setNames(s$est, s$rhs))
}
harman <- function(x) {
  r <- cor(x)
  pc <- principal(r, nfactors = 1, rotate = "none", n.obs = nrow(x))
  pa <- fa(r, nfactors = 1, fm = "pa", rotate = "none", n.obs = nrow(x))
  ml <- fa(r, nfactors = 1, fm = "ml", rotate = "none", n.obs = nrow(x))
  list(pca = sum(pc$loadings^2) / ncol(x), pa = sum(pa$loadings^2) / ncol(x),
       ml = sum(ml$loadings^2) / ncol(x), eigen1 = eigen(r)$values[1])
}
out <- list(lavaan = as.character(packageVersion("lavaan")),
            psych = as.character(packageVersion("psych")))

# --- HS: Harman, one-factor vs trait, ULMC
one <- cfa(paste0("harman =~ ", paste(items, collapse = " + ")), hs)
trait <- cfa(syn(traits), hs)
ulmc_syn <- paste0(syn(traits), "\nmethod =~ ", paste(items, collapse = " + "),
                   "\nmethod ~~ 0*visual + 0*textual + 0*speed")
ulmc <- cfa(ulmc_syn, hs)
out$hs <- list(harman = harman(hs[, items]), one = fm(one), trait = fm(trait),
               ulmc = fm(ulmc), ulmc_converged = lavInspect(ulmc, "converged"),
               ulmc_method_std = stdl(ulmc, "method"), ulmc_method_est = rawl(ulmc, "method"),
               ulmc_visual_std = stdl(ulmc, "visual"),
               one_std = stdl(one, "harman"))

# --- simulated survey with three marker items (marker latent weakly related, method effect)
set.seed(20110)
n <- 400
phi <- matrix(c(1, .4, .3, .4, 1, .5, .3, .5, 1), 3)
f <- MASS::mvrnorm(n, rep(0, 3), phi)
mth <- rnorm(n)
lam <- c(.7, .75, .65)
dat <- data.frame(row.names = NULL)
dat <- as.data.frame(matrix(0, n, 0))
for (k in 1:3) for (j in 1:3) {
  dat[[paste0("t", k, "_", j)]] <- lam[j] * f[, k] + 0.3 * mth + rnorm(n, sd = sqrt(1 - lam[j]^2 - .09))
}
for (j in 1:3) dat[[paste0("m", j)]] <- 0.7 * mth + rnorm(n, sd = sqrt(1 - .49))
dat <- round(dat, 4)
write.csv(dat, file.path(data_dir, "measurement", "method_bias_marker.csv"), row.names = FALSE)
tr2 <- list(a = paste0("t1_", 1:3), b = paste0("t2_", 1:3), c = paste0("t3_", 1:3))
sub <- unlist(tr2); mk <- paste0("m", 1:3)
# Williams et al. (2010), std.lv = TRUE throughout
cfa_m <- cfa(paste0(syn(tr2), "\nM =~ ", paste(mk, collapse = " + ")), dat, std.lv = TRUE)
pe <- parameterEstimates(cfa_m)
lm <- pe$est[pe$op == "=~" & pe$lhs == "M"]
th <- vapply(mk, function(v) pe$est[pe$op == "~~" & pe$lhs == v & pe$rhs == v], 0)
fixed_m <- paste0("M =~ ", paste(paste0(lm, "*", mk), collapse = " + "), "\n",
                  paste(paste0(mk, " ~~ ", th, "*", mk), collapse = "\n"))
orth <- "M ~~ 0*a + 0*b + 0*c"
base_syn <- paste(syn(tr2), fixed_m, orth, sep = "\n")
base <- cfa(base_syn, dat, std.lv = TRUE)
mc_syn <- paste(base_syn, paste0("M =~ ", paste(paste0("mc*", sub), collapse = " + ")), sep = "\n")
mu_syn <- paste(base_syn, paste0("M =~ ", paste(sub, collapse = " + ")), sep = "\n")
mc <- cfa(mc_syn, dat, std.lv = TRUE)
mu <- cfa(mu_syn, dat, std.lv = TRUE)
pb <- parameterEstimates(base)
cv <- function(a, b) pb$est[pb$op == "~~" & pb$lhs == a & pb$rhs == b]
r_syn <- paste0("a ~~ ", cv("a", "b"), "*b\na ~~ ", cv("a", "c"), "*c\nb ~~ ", cv("b", "c"), "*c")
retained_u <- anova(mc, mu)[["Pr(>Chisq)"]][2] < 0.05
mr <- cfa(paste(if (retained_u) mu_syn else mc_syn, r_syn, sep = "\n"), dat, std.lv = TRUE)
# Lindell & Whitney on mean scores
sc <- sapply(tr2, function(v) rowMeans(dat[, v]))
msc <- rowMeans(dat[, mk])
rM <- min(cor(sc, msc))
R <- cor(sc)
out$marker <- list(harman = harman(dat[, sub]), cfa = fm(cfa_m), baseline = fm(base),
                   method_c = fm(mc), method_u = fm(mu), method_r = fm(mr),
                   retained_u = retained_u, marker_loadings = as.list(setNames(lm, mk)),
                   marker_theta = as.list(th),
                   method_u_std = stdl(mu, "M"), method_c_est = rawl(mc, "M"),
                   r_M = rM, r = mat <- list(ab = R[1, 2], ac = R[1, 3], bc = R[2, 3]),
                   r_marker = as.list(setNames(as.numeric(cor(sc, msc)), names(tr2))))
write(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
      file.path(data_dir, "measurement", "method_bias_reference.json"))
