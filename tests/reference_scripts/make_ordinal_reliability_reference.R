# Frozen psych 2.2.9 / semTools 0.5-6 references for ordinal reliability (issue 13).
# Run from the repo root: Rscript tests/reference_scripts/make_ordinal_reliability_reference.R
# Writes tests/data/ordinal/ordinal_reliability_reference.json: ordinal alpha
# (psych::alpha on psych::polychoric()$rho) and categorical omega (semTools::compRelSEM on a
# CFA with ordered =, Green & Yang 2009) for the 16-item five-point synergy data.
suppressMessages({library(lavaan); library(psych); library(semTools); library(jsonlite)})
syn <- read.csv("tests/data/synergy_sim_n1000.csv")
facs <- list(mot = paste0("mot", 1:4), mech = paste0("mech", 1:4),
             proc = paste0("proc", 1:4), res = paste0("res", 1:4))
alpha_ord <- sapply(facs, function(v) {
  rho <- psych::polychoric(syn[, v])$rho
  psych::alpha(rho, warnings = FALSE)$total$raw_alpha
})
model <- paste(sapply(names(facs), function(f) paste(f, "=~", paste(facs[[f]], collapse = " + "))),
               collapse = "\n")
fit <- cfa(model, data = syn, ordered = names(syn))
omega_cat <- compRelSEM(fit)
# HTMT on polychoric correlations (semTools::htmt with ordered =)
ht <- semTools::htmt(model, data = syn, ordered = names(syn))
out <- list(generator = paste("psych", packageVersion("psych"), "semTools", packageVersion("semTools"),
                              "lavaan", packageVersion("lavaan")),
            model = model,
            alpha_ordinal = as.list(alpha_ord),
            omega_categorical = as.list(omega_cat),
            htmt = unname(as.matrix(ht)), htmt_names = rownames(ht))
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(12), pretty = TRUE),
           "tests/data/ordinal/ordinal_reliability_reference.json")
