# Frozen references for synergy_stats.regression (nesting helpers and regressions).
# Run from the repository root:  Rscript tests/reference_scripts/make_multilevel_reference.R
# Writes tests/data/tables/multilevel_sample.csv and tests/data/tables/multilevel_reference.json
# Packages: multilevel 2.7-1 (ICC1, ICC2, rwg, rwg.j), MASS (polr), lme4 (lmer),
# sandwich (vcovCL), jsonlite.
suppressMessages({
  library(multilevel); library(MASS); library(lme4); library(sandwich); library(jsonlite)
})
set.seed(20240607)
J <- 15
sizes <- sample(8:30, J, replace = TRUE)
sizes[15] <- 1                       # a department with a single respondent
dept <- rep(sprintf("d%02d", 1:J), sizes)
n <- length(dept)
u <- rnorm(J, sd = 0.6)[match(dept, sprintf("d%02d", 1:J))]
x <- rnorm(n)
w <- runif(n, 0.5, 2)
y <- 0.4 * x + u + rnorm(n)
latent <- u + rnorm(n, sd = 0.7)
item <- function() pmin(5, pmax(1, round(3 + latent + rnorm(n, sd = 0.8))))
i1 <- item(); i2 <- item(); i3 <- item()
# department d01 answers at random over the whole scale (variance above the uniform null)
d1 <- dept == "d01"
i1[d1] <- rep(c(1, 5), length.out = sum(d1)); i2[d1] <- rep(c(5, 1), length.out = sum(d1))
yb <- as.integer(y + rnorm(n) > 0.3)
yo <- cut(y, c(-Inf, -0.8, 0.2, 1.2, Inf), labels = FALSE)
i2[c(3, 40)] <- NA                    # missing answers
dat <- data.frame(dept, x, w, y, yb, yo, i1, i2, i3)
write.csv(dat, "tests/data/tables/multilevel_sample.csv", row.names = FALSE, na = "")

out <- list(generator = paste("R", getRversion(), "multilevel", packageVersion("multilevel"),
                              "MASS", packageVersion("MASS"), "lme4", packageVersion("lme4"),
                              "sandwich", packageVersion("sandwich")))
mod <- aov(y ~ as.factor(dept), data = dat)
out$icc <- list(icc1 = ICC1(mod), icc2 = ICC2(mod))
cc <- dat[complete.cases(dat$i2), ]
mod2 <- aov(i2 ~ as.factor(dept), data = cc)
out$icc_i2 <- list(icc1 = ICC1(mod2), icc2 = ICC2(mod2), n = nrow(cc))
r1 <- rwg(dat$i1, dat$dept, ranvar = 2)
out$rwg_i1 <- list(grpid = r1$grpid, rwg = r1$rwg, gsize = r1$gsize)
r2 <- rwg(dat$i2, dat$dept, ranvar = 2)
out$rwg_i2 <- list(grpid = r2$grpid, rwg = r2$rwg, gsize = r2$gsize)
r3 <- rwg(dat$i3, dat$dept, ranvar = 1.34)  # slightly skewed null (LeBreton & Senter 2008)
out$rwg_i3_skew <- list(grpid = r3$grpid, rwg = r3$rwg, gsize = r3$gsize)
rj <- rwg.j(dat[, c("i1", "i2", "i3")], dat$dept, ranvar = 2)
out$rwg_j <- list(grpid = rj$grpid, rwg_j = rj$rwg.j, gsize = rj$gsize)

# cluster-robust OLS (CR1, as Stata / sandwich::vcovCL type HC1)
fit <- lm(y ~ x, data = dat)
V <- vcovCL(fit, cluster = ~dept, type = "HC1")
out$ols_cluster <- list(coef = unname(coef(fit)), se = unname(sqrt(diag(V))))
V3 <- vcovHC(fit, type = "HC3")
out$ols_hc3 <- list(se = unname(sqrt(diag(V3))))
fw <- lm(y ~ x, data = dat, weights = w)
out$wls <- list(coef = unname(coef(fw)), se = unname(sqrt(diag(vcov(fw)))))
# ordered logit: cut points and their standard errors
po <- polr(factor(yo) ~ x, data = dat, method = "logistic", Hess = TRUE)
sm <- summary(po)$coefficients
out$polr <- list(coef = unname(coef(po)), zeta = unname(po$zeta),
                 se = unname(sm[, "Std. Error"]), loglik = as.numeric(logLik(po)))
# random-intercept model
lm1 <- lmer(y ~ x + (1 | dept), data = dat, REML = TRUE)
vc <- as.data.frame(VarCorr(lm1))
out$lmer_reml <- list(fixef = unname(fixef(lm1)), se = unname(sqrt(diag(as.matrix(vcov(lm1))))),
                      group_var = vc$vcov[1], resid_var = vc$vcov[2],
                      loglik = as.numeric(logLik(lm1)))
lm2 <- lmer(y ~ x + (1 | dept), data = dat, REML = FALSE)
vc2 <- as.data.frame(VarCorr(lm2))
out$lmer_ml <- list(fixef = unname(fixef(lm2)), group_var = vc2$vcov[1],
                    resid_var = vc2$vcov[2], loglik = as.numeric(logLik(lm2)),
                    aic = AIC(lm2), bic = BIC(lm2))
write(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
      "tests/data/tables/multilevel_reference.json")
