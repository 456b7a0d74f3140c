# Frozen references for synergy_stats.inference (bootstrap, effects, Monte Carlo CIs).
#
# Run from the repository root:  Rscript tests/reference_scripts/make_inference_reference.R
# Needs R 4 with lavaan 0.6-14, semTools 0.5-6, boot and jsonlite.
# Writes tests/data/inference/:
#   lavaan_inference_reference.json  lavaan delta-method and se = "bootstrap" (2000 draws)
#                                    estimates of the synergy chain with every direct,
#                                    specific indirect and total effect as a := parameter;
#                                    the political-democracy model's := parameters;
#                                    semTools::monteCarloCI (nRep = 2e5) for both; the
#                                    Bollen-Stine bootstrap p-value (1000 draws).
#   boot_ci_draws.csv / boot_ci_jackknife.csv / boot_ci_reference.json
#                                    boot() replicates of four statistics, their leave-one-out
#                                    values, boot's empirical influence values and the
#                                    boot.ci() intervals ("norm", "basic", "perc", "bca", and
#                                    "bca" with zero acceleration = bias-corrected) on them.
suppressMessages({
  library(lavaan)
  library(semTools)
  library(boot)
  library(jsonlite)
})
out_dir <- file.path("tests", "data", "inference")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
syn <- read.csv(file.path("tests", "data", "synergy_sim_n1000.csv"))
pdem <- read.csv(file.path("tests", "data", "political_democracy.csv"))

# ------------------------------------------------------------------ lavaan: synergy chain
syn_model <- "
mot =~ mot1 + mot2 + mot3 + mot4
mech =~ mech1 + mech2 + mech3 + mech4
proc =~ proc1 + proc2 + proc3 + proc4
res =~ res1 + res2 + res3 + res4
mech ~ a*mot
proc ~ b*mech + d1*mot
res ~ c*proc + d2*mech
indirect := a*b*c
ind_mot_mech_proc := a*b
ind_mot_mech_res := a*d2
ind_mot_proc_res := d1*c
tot_mot_proc := d1 + a*b
tot_mot_res := a*d2 + d1*c + a*b*c
ind_mech_proc_res := b*c
tot_mech_res := d2 + b*c
"
pe_list <- function(fit) {
  pe <- parameterEstimates(fit)
  unname(lapply(split(pe, seq_len(nrow(pe))), function(r) {
    list(lhs = r$lhs, op = r$op, rhs = r$rhs, label = r$label, est = r$est, se = r$se,
         ci_lower = r$ci.lower, ci_upper = r$ci.upper)
  }))
}
fit_syn <- sem(syn_model, data = syn)
set.seed(20240501)
t_boot <- system.time(
  fit_syn_boot <- sem(syn_model, data = syn, se = "bootstrap", bootstrap = 2000)
)["elapsed"]
boot_coef <- lavInspect(fit_syn_boot, "boot")
set.seed(20240502)
fit_bs <- sem(syn_model, data = syn, test = "bollen.stine", bootstrap = 1000)
mc_syn <- monteCarloCI(fit_syn, nRep = 2e5, level = 0.95)

# ------------------------------------------------------------------ lavaan: political democracy
pd_model <- "
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + a*y2 + b*y3 + c*y4
dem65 =~ y5 + a*y6 + b*y7 + c*y8
dem60 ~ g1*ind60
dem65 ~ g2*ind60 + g3*dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8
ind_via_dem60 := g1*g3
total_ind60 := g2 + g1*g3
"
fit_pd <- sem(pd_model, data = pdem)
mc_pd <- monteCarloCI(fit_pd, nRep = 2e5, level = 0.95)
mc_pd90 <- monteCarloCI(fit_pd, nRep = 2e5, level = 0.90)

# ------------------------------------------------------------------ lavaan: a feedback loop
# x4 and x5 affect each other (identified by x1 -> x4 and x2 -> x5); total effects through
# the loop in closed form, e.g. x1 on x4: a1 / (1 - b1 b2).
hs <- read.csv(file.path("tests", "data", "holzinger_swineford_1939.csv"))
loop_model <- "
x4 ~ a1*x1 + b1*x5
x5 ~ b2*x4 + a2*x2
x6 ~ c*x5
tot_x1_x4 := a1/(1 - b1*b2)
ind_x1_x4 := a1/(1 - b1*b2) - a1
tot_x1_x5 := a1*b2/(1 - b1*b2)
tot_x1_x6 := c*a1*b2/(1 - b1*b2)
tot_x2_x4 := a2*b1/(1 - b1*b2)
tot_x2_x5 := a2/(1 - b1*b2)
ind_x2_x5 := a2/(1 - b1*b2) - a2
tot_x4_x5 := b2/(1 - b1*b2)
ind_x4_x5 := b2/(1 - b1*b2) - b2
tot_x4_x6 := c*b2/(1 - b1*b2)
tot_x5_x6 := c/(1 - b1*b2)
ind_x5_x6 := c/(1 - b1*b2) - c
"
fit_loop <- sem(loop_model, data = hs)

mc_list <- function(mc) {
  lapply(setNames(seq_len(nrow(mc)), rownames(mc)), function(i) {
    list(est = mc$est[i], ci_lower = mc$ci.lower[i], ci_upper = mc$ci.upper[i])
  })
}

lav <- list(
  generator = sprintf("lavaan %s / semTools %s / boot %s / %s",
                      packageVersion("lavaan"), packageVersion("semTools"),
                      packageVersion("boot"), R.version.string),
  synergy = list(
    model = syn_model,
    delta = pe_list(fit_syn),
    bootstrap = list(
      draws = 2000L, seed = 20240501L, successful = nrow(boot_coef),
      seconds = unname(t_boot),
      estimates = pe_list(fit_syn_boot)
    ),
    bollen_stine = list(draws = 1000L, seed = 20240502L,
                        pvalue = fit_bs@test[[2]]$pvalue,
                        chisq = fit_bs@test[[1]]$stat),
    montecarlo = list(nRep = 2e5, level = 0.95, ci = mc_list(mc_syn))
  ),
  feedback_loop = list(model = loop_model, delta = pe_list(fit_loop)),
  political_democracy = list(
    model = pd_model,
    delta = pe_list(fit_pd),
    montecarlo = list(nRep = 2e5, level = 0.95, ci = mc_list(mc_pd)),
    montecarlo_90 = list(nRep = 2e5, level = 0.90, ci = mc_list(mc_pd90))
  )
)
writeLines(toJSON(lav, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(out_dir, "lavaan_inference_reference.json"))

# ------------------------------------------------------------------ boot.ci on fixed draws
# Composite scores of the synergy data; statistics: a (mech on mot), b (proc on mech given
# mot), the product a*b, and a right-skewed variance ratio. Strata: first and second half.
comp <- data.frame(
  mot = rowMeans(syn[, paste0("mot", 1:4)]),
  mech = rowMeans(syn[, paste0("mech", 1:4)]),
  proc = rowMeans(syn[, paste0("proc", 1:4)]),
  res = rowMeans(syn[, paste0("res", 1:4)])
)
stat <- function(d, i) {
  x <- d[i, ]
  a <- unname(coef(lm(mech ~ mot, data = x))[2])
  b <- unname(coef(lm(proc ~ mech + mot, data = x))[2])
  c(a = a, b = b, ab = a * b, vratio = var(x$res) / var(x$mot))
}
n <- nrow(comp)
strata <- rep(1:2, each = n / 2)
set.seed(20240503)
bo <- boot(comp, stat, R = 1999)
set.seed(20240504)
bo_s <- boot(comp, stat, R = 999, strata = strata)

jack <- function(bo, strata) {
  t0 <- bo$t0
  J <- t(sapply(seq_len(n), function(i) stat(comp, seq_len(n)[-i])))
  # boot's own jackknife influence values (usual.jack), one column per statistic
  L <- sapply(seq_along(t0), function(j) empinf(bo, index = j, type = "jack"))
  # check the closed form the package uses: L_i = (n_g - 1)(t0 - t_(-i))
  ng <- as.numeric(table(strata)[as.character(strata)])
  L_formula <- sapply(seq_along(t0), function(j) (ng - 1) * (t0[j] - J[, j]))
  stopifnot(max(abs(L - L_formula)) < 1e-10)
  list(J = J, L = L)
}
jk <- jack(bo, rep(1, n))
jk_s <- jack(bo_s, strata)

intervals <- function(bo, L, conf) {
  res <- list()
  for (j in seq_along(bo$t0)) {
    ci <- boot.ci(bo, conf = conf, index = j, type = c("norm", "basic", "perc", "bca"),
                  L = L[, j])
    bc <- boot.ci(bo, conf = conf, index = j, type = "bca", L = c(1, -1))  # a = 0
    res[[names(bo$t0)[j]]] <- list(
      t0 = unname(bo$t0[j]),
      norm = unname(ci$normal[1, 2:3]),
      basic = unname(ci$basic[1, 4:5]),
      perc = unname(ci$percent[1, 4:5]),
      bca = unname(ci$bca[1, 4:5]),
      bc = unname(bc$bca[1, 4:5])
    )
  }
  res
}
draws <- rbind(
  data.frame(run = "plain", draw = seq_len(nrow(bo$t)), bo$t),
  data.frame(run = "strata", draw = seq_len(nrow(bo_s$t)), bo_s$t)
)
names(draws) <- c("run", "draw", names(bo$t0))
# full precision (write.csv keeps only 15 significant digits)
full <- function(d) {
  for (k in names(d)) if (is.double(d[[k]])) d[[k]] <- sprintf("%.17g", d[[k]])
  d
}
write.csv(full(draws), file.path(out_dir, "boot_ci_draws.csv"), row.names = FALSE,
          quote = FALSE)
jk_out <- rbind(
  data.frame(run = "plain", case = seq_len(n), stratum = 1, jk$J, jk$L),
  data.frame(run = "strata", case = seq_len(n), stratum = strata, jk_s$J, jk_s$L)
)
names(jk_out) <- c("run", "case", "stratum", paste0("jack_", names(bo$t0)),
                   paste0("L_", names(bo$t0)))
write.csv(full(jk_out), file.path(out_dir, "boot_ci_jackknife.csv"), row.names = FALSE,
          quote = FALSE)
ref <- list(
  generator = sprintf("boot %s / %s", packageVersion("boot"), R.version.string),
  plain = list(R = 1999L, conf_95 = intervals(bo, jk$L, 0.95),
               conf_90 = intervals(bo, jk$L, 0.90)),
  strata = list(R = 999L, conf_95 = intervals(bo_s, jk_s$L, 0.95),
                conf_90 = intervals(bo_s, jk_s$L, 0.90))
)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(out_dir, "boot_ci_reference.json"))
cat("written to", out_dir, "\n")
