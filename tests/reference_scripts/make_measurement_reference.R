# Frozen reference values for synergy_stats.measurement (issue 4).
#
# psych 2.2.9 (alpha, KMO, cortest.bartlett, fa, fa.parallel, skew, kurtosi),
# semTools 0.5-6 (compRelSEM, AVE, htmt, reliabilityL2), lavaan 0.6-14 (cfa, lavCor),
# GPArotation 2022.10.2 (oblimin, used by psych::fa).
#
# Run from this folder:  Rscript make_measurement_reference.R
# Writes ../data/measurement/measurement_reference.json. R is never needed at test time.
suppressMessages({
  library(lavaan); library(semTools); library(psych); library(GPArotation); library(jsonlite)
})

data_dir <- file.path("..", "data")
out_file <- file.path(data_dir, "measurement", "measurement_reference.json")

model_syntax <- function(constructs, higher = list()) {
  lines <- vapply(names(constructs), function(f)
    paste0(f, " =~ ", paste(constructs[[f]], collapse = " + ")), "")
  for (h in names(higher)) lines <- c(lines, paste0(h, " =~ ", paste(higher[[h]], collapse = " + ")))
  paste(lines, collapse = "\n")
}

named <- function(x) as.list(setNames(as.numeric(x), names(x)))
mat <- function(m) list(rownames = rownames(m), colnames = colnames(m),
                        values = unname(lapply(seq_len(nrow(m)), function(i) as.numeric(m[i, ]))))

alpha_case <- function(x) {
  a <- psych::alpha(x, warnings = FALSE)
  list(raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha,
       feldt_lower = as.numeric(a$feldt$lower.ci), feldt_upper = as.numeric(a$feldt$upper.ci),
       n_rows = nrow(x),
       n_observed = sum(rowSums(!is.na(x)) > 0),
       feldt_observed = alpha.ci(a$total$raw_alpha, sum(rowSums(!is.na(x)) > 0), ncol(x))[c("lower.ci", "upper.ci")],
       alpha_if_deleted = named(setNames(a$alpha.drop$raw_alpha, rownames(a$alpha.drop))),
       r_drop = named(setNames(a$item.stats$r.drop, rownames(a$item.stats))),
       mean = named(setNames(a$item.stats$mean, rownames(a$item.stats))),
       sd = named(setNames(a$item.stats$sd, rownames(a$item.stats))))
}

fa_case <- function(x, nf, fm, rotate) {
  f <- suppressWarnings(suppressMessages(psych::fa(x, nfactors = nf, fm = fm, rotate = rotate)))
  L <- unclass(f$loadings)
  res <- list(call = sprintf("psych::fa(x, nfactors=%d, fm='%s', rotate='%s')", nf, fm, rotate),
              loadings = mat(L), communality = named(f$communality),
              uniquenesses = named(f$uniquenesses), values = as.numeric(f$values),
              e_values = as.numeric(f$e.values))
  if (!is.null(f$Phi)) res$phi <- mat(f$Phi)
  res
}

# Reliability and validity on the complete rows (lavaan's and semTools' listwise default);
# psych's factorability and EFA on all rows with pairwise correlations (psych's default).
run_case <- function(dat_all, constructs, higher = list(), correlated = list(), fa_nf) {
  items <- unlist(constructs, use.names = FALSE)
  x_all <- dat_all[, items]
  dat <- na.omit(x_all)
  x <- dat
  m <- model_syntax(constructs)
  fit <- cfa(m, data = dat)
  out <- list(constructs = constructs, model = m, n_rows = nrow(x_all), n_complete = nrow(x))
  out$alpha <- lapply(constructs, function(v) alpha_case(dat[, v]))
  out$skew_type3 <- named(psych::skew(x, type = 3)); names(out$skew_type3) <- items
  out$kurtosis_type3 <- named(psych::kurtosi(x, type = 3)); names(out$kurtosis_type3) <- items
  out$skew_type2 <- named(psych::skew(x, type = 2)); names(out$skew_type2) <- items
  out$kurtosis_type2 <- named(psych::kurtosi(x, type = 2)); names(out$kurtosis_type2) <- items
  out$omega <- named(compRelSEM(fit))
  out$omega_total <- named(compRelSEM(fit, return.total = TRUE))
  out$ave <- named(AVE(fit))
  out$htmt_geometric <- mat(unclass(htmt(m, data = dat)))
  out$htmt_arithmetic <- mat(unclass(htmt(m, data = dat, htmt2 = FALSE)))
  out$cor_lv <- mat(lavInspect(fit, "cor.lv"))
  std <- standardizedSolution(fit)
  std <- std[std$op == "=~", ]
  out$std_loadings <- lapply(split(std, std$lhs), function(d) named(setNames(d$est.std, d$rhs)))
  scores <- sapply(constructs, function(v) rowMeans(dat[, v, drop = FALSE]))
  out$cross_loadings_mean_score <- mat(cor(x, scores))
  if (length(correlated)) {
    out$correlated <- list()
    for (cb in names(correlated)) {
      block <- as.character(correlated[[cb]])
      others <- setdiff(names(constructs), block)
      out$correlated[[cb]] <- list(
        alpha = alpha_case(dat[, unlist(constructs[block])]),
        omega_total = as.numeric(compRelSEM(fit, return.total = TRUE, omit.factors = others)["total"]))
    }
  }
  if (length(higher)) {
    mh <- model_syntax(constructs, higher)
    fh <- cfa(mh, data = dat)
    out$higher_model <- mh
    out$higher <- list()
    for (h in names(higher)) {
      out$higher[[h]] <- list(omega_higher = as.numeric(compRelSEM(fh, higher = h)[h]),
                              reliabilityL2 = named(reliabilityL2(fh, h)),
                              alpha = alpha_case(dat[, unlist(constructs[higher[[h]]])]))
    }
    out$higher_omega_first_order <- named(compRelSEM(fh))
    out$higher_ave_first_order <- named(AVE(fh))
  }
  k <- psych::KMO(x_all)
  out$kmo <- list(overall = k$MSA, items = named(k$MSAi))
  b <- psych::cortest.bartlett(cor(x_all, use = "pairwise"), n = nrow(x_all))
  out$bartlett <- list(chisq = b$chisq, df = b$df, p_value = b$p.value, n = nrow(x_all))
  out$fa <- list()
  for (fm in c("pa", "ml", "minres")) for (rot in c("none", "varimax", "promax", "oblimin")) {
    out$fa[[paste(fm, rot, sep = "_")]] <- fa_case(x_all, fa_nf, fm, rot)
  }
  set.seed(20240611)
  pa <- suppressWarnings(suppressMessages(psych::fa.parallel(x_all, fm = "minres", fa = "both",
                                                             n.iter = 20, plot = FALSE)))
  out$fa_parallel <- list(fa_values = as.numeric(pa$fa.values), pc_values = as.numeric(pa$pc.values))
  out
}

ref <- list(generator = paste("R", getRversion(), "/ lavaan", packageVersion("lavaan"),
                              "/ semTools", packageVersion("semTools"),
                              "/ psych", packageVersion("psych"),
                              "/ GPArotation", packageVersion("GPArotation")))

# (a) Holzinger-Swineford 1939, complete data
hs <- read.csv(file.path(data_dir, "holzinger_swineford_1939.csv"))
hs_items <- list(visual = c("x1", "x2", "x3"), textual = c("x4", "x5", "x6"),
                 speed = c("x7", "x8", "x9"))
ref$hs <- run_case(hs, hs_items, higher = list(ability = c("visual", "textual", "speed")),
                   correlated = list(verbal_speed = c("textual", "speed")), fa_nf = 3)
ref$hs$data <- "holzinger_swineford_1939.csv"

# (a') the same data with 10% missing: psych (pairwise), listwise, and FIML (missing = "ml")
hsm <- read.csv(file.path(data_dir, "holzinger_swineford_1939_missing10.csv"))
hs_m <- model_syntax(hs_items)
xm <- hsm[, unlist(hs_items)]
xl <- na.omit(xm)
fit_fiml <- cfa(hs_m, data = hsm, missing = "ml")
fit_lw <- cfa(hs_m, data = hsm)
ref$hs_missing <- list(
  data = "holzinger_swineford_1939_missing10.csv", constructs = hs_items,
  n_rows = nrow(xm), n_complete = nrow(xl),
  alpha_pairwise = lapply(hs_items, function(v) alpha_case(hsm[, v])),
  alpha_listwise = lapply(hs_items, function(v) alpha_case(xl[, v])),
  omega_fiml = named(compRelSEM(fit_fiml)), ave_fiml = named(AVE(fit_fiml)),
  omega_listwise = named(compRelSEM(fit_lw)), ave_listwise = named(AVE(fit_lw)),
  htmt_listwise = mat(unclass(htmt(hs_m, data = hsm))),
  htmt_fiml = mat(unclass(htmt(hs_m, data = hsm, missing = "ml"))),
  em_cov = mat(lavInspect(fit_fiml, "sampstat")$cov),
  kmo_pairwise = list(overall = KMO(xm)$MSA, items = named(KMO(xm)$MSAi)),
  kmo_listwise = list(overall = KMO(xl)$MSA, items = named(KMO(xl)$MSAi)),
  bartlett_listwise = cortest.bartlett(cor(xl), n = nrow(xl)))

# (b) the 16-item synergy simulation (four correlated constructs)
syn <- read.csv(file.path(data_dir, "synergy_sim_n1000.csv"))
syn_items <- list(mot = paste0("mot", 1:4), mech = paste0("mech", 1:4),
                  proc = paste0("proc", 1:4), res = paste0("res", 1:4))
ref$synergy_sim <- run_case(syn, syn_items, higher = list(synergy = names(syn_items)), fa_nf = 4)
ref$synergy_sim$data <- "synergy_sim_n1000.csv"

# (c) the bundled example data: wave 1 of the example survey, items read against the
# synergy-execution instrument, reverse-keyed items recoded; written by
# ../data/measurement/make_example_items.py (reliability on its complete rows, EFA pairwise)
ex_file <- file.path(data_dir, "measurement", "example_items.csv")
ex_spec <- file.path(data_dir, "measurement", "example_spec.json")
if (file.exists(ex_file) && file.exists(ex_spec)) {
  ex <- read.csv(ex_file)
  spec <- fromJSON(ex_spec, simplifyVector = TRUE)
  ex_items <- lapply(spec$factors, as.character)
  higher <- lapply(spec$second_order, as.character)
  correlated <- lapply(spec$correlated, as.character)
  ref$example <- run_case(ex, ex_items, higher = higher, correlated = correlated,
                          fa_nf = spec$n_factors_efa)
  ref$example$data <- "measurement/example_items.csv"
}

write_json(ref, out_file, digits = NA, auto_unbox = TRUE, pretty = TRUE)
cat("wrote", out_file, "\n")
