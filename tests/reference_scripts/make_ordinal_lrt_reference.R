# Frozen lavaan 0.6-14 lavTestLRT references for the two-group ordinal ladder (issue 13):
# the DWLS scaled-shifted difference test (Satorra 2000) between consecutive levels.
# Run from the repo root: Rscript tests/reference_scripts/make_ordinal_lrt_reference.R
suppressMessages({library(lavaan); library(jsonlite)})
hso <- read.csv("tests/data/ordinal/hs_ordinal.csv")
items <- paste0("x", 1:9)
m <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
f0 <- cfa(m, data = hso, ordered = items, group = "school")
f1 <- cfa(m, data = hso, ordered = items, group = "school", group.equal = "thresholds")
f2 <- cfa(m, data = hso, ordered = items, group = "school", group.equal = c("thresholds", "loadings"))
row <- function(a, b) {
  t <- lavTestLRT(a, b)
  list(chisq_diff = t[2, "Chisq diff"], df_diff = t[2, "Df diff"], pvalue = t[2, "Pr(>Chisq)"])
}
out <- list(generator = paste("lavaan", packageVersion("lavaan")),
            call = "lavTestLRT(configural, thresholds); lavTestLRT(thresholds, thresholds+loadings)",
            thresholds_vs_configural = row(f0, f1),
            loadings_vs_thresholds = row(f1, f2))
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(12), pretty = TRUE),
           "tests/data/ordinal/lavaan_ordinal_lrt_reference.json")
