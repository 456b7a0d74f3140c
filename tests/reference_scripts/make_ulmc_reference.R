# Frozen lavaan 0.6-14 reference for the ULMC model of synergy_stats.method_bias on data
# where the solution is proper (issue 11): the HS ULMC is a Heywood case in lavaan too.
#
# Simulated: 3 correlated traits x 4 items and one true method factor loading on all 12
# items (orthogonal to the traits), n = 600, MASS::mvrnorm, seed 20261203.
# Run from this folder:  Rscript make_ulmc_reference.R
# Writes ../data/measurement/ulmc_proper.csv and ../data/measurement/ulmc_reference.json.
# R is never needed at test time.
suppressMessages({ library(lavaan); library(jsonlite); library(MASS) })
data_dir <- file.path("..", "data", "measurement")
set.seed(20261203)
n <- 600
k <- 4
traits <- c("a", "b", "c")
items <- unlist(lapply(1:3, function(t) paste0("y", t, "_", 1:k)))
phi <- matrix(c(1, .20, .10, .20, 1, .30, .10, .30, 1), 3)
lam <- rbind(c(.70, .65, .60, .55), c(.65, .60, .70, .55), c(.60, .65, .55, .70))
mlam <- c(.50, .40, .45, .55, .40, .50, .45, .40, .55, .45, .50, .40)
# latent covariance: traits (phi) and the orthogonal method factor
psi <- rbind(cbind(phi, 0), c(0, 0, 0, 1))
lat <- mvrnorm(n, rep(0, 4), psi)
dat <- as.data.frame(matrix(0, n, 12, dimnames = list(NULL, items)))
for (t in 1:3) for (j in 1:k) {
  v <- (t - 1) * k + j
  resid_sd <- sqrt(1 - lam[t, j]^2 - mlam[v]^2)
  dat[[v]] <- lam[t, j] * lat[, t] + mlam[v] * lat[, 4] + rnorm(n, sd = resid_sd)
}
dat <- round(dat, 4)
write.csv(dat, file.path(data_dir, "ulmc_proper.csv"), row.names = FALSE)
dat <- read.csv(file.path(data_dir, "ulmc_proper.csv"))

spec <- setNames(lapply(1:3, function(t) paste0("y", t, "_", 1:k)), traits)
trait_syn <- paste(vapply(traits, function(f)
  paste0(f, " =~ ", paste(spec[[f]], collapse = " + ")), ""), collapse = "\n")
# exactly the syntax synergy_stats builds: the trait model, a factor `method` on every item,
# orthogonal to the traits; lavaan's default marker scaling
ulmc_syn <- paste0(trait_syn, "\nmethod =~ ", paste(items, collapse = " + "),
                   "\nmethod ~~ ", paste0("0*", traits, collapse = " + "))
trait <- cfa(trait_syn, dat)
ulmc <- cfa(ulmc_syn, dat)
fm <- function(fit) {
  m <- fitMeasures(fit, c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr"))
  as.list(setNames(as.numeric(m), names(m)))
}
pe <- parameterEstimates(ulmc)
ss <- standardizedSolution(ulmc)
stopifnot(lavInspect(ulmc, "converged"))
# a proper solution: every variance positive, every standardized loading below 1
vars <- pe[pe$op == "~~" & pe$lhs == pe$rhs, ]
stopifnot(all(vars$est > 0), all(abs(ss$est.std[ss$op == "=~"]) < 1))
rows <- pe[pe$op %in% c("=~", "~~"), ]
params <- lapply(seq_len(nrow(rows)), function(i) {
  s <- ss[ss$lhs == rows$lhs[i] & ss$op == rows$op[i] & ss$rhs == rows$rhs[i], ]
  list(lhs = rows$lhs[i], op = rows$op[i], rhs = rows$rhs[i], est = rows$est[i],
       se = rows$se[i], std_all = s$est.std)
})
out <- list(lavaan = as.character(packageVersion("lavaan")), syntax = ulmc_syn, n = n,
            trait = fm(trait), ulmc = fm(ulmc), params = params)
write(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
      file.path(data_dir, "ulmc_reference.json"))
