# Frozen semTools 0.5-6 / lavaan 0.6-14 references for the ordinal invariance ladder of
# Wu & Estabrook (2016) across the two HS schools (issue 13):
# measEq.syntax(ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", group.equal = ...).
# Run from the repo root: Rscript tests/reference_scripts/make_ordinal_invariance_reference.R
suppressMessages({library(lavaan); library(semTools); library(jsonlite)})
hso <- read.csv("tests/data/ordinal/hs_ordinal.csv")
items <- paste0("x", 1:9)
m <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
levels <- list(configural = "configural", thresholds = "thresholds",
               loadings = c("thresholds", "loadings"),
               intercepts = c("thresholds", "loadings", "intercepts"))
out <- list(generator = paste("semTools", packageVersion("semTools"), "lavaan", packageVersion("lavaan")),
            model = m)
fits <- list()
for (nm in names(levels)) {
  fit <- measEq.syntax(configural.model = m, data = hso, ordered = items,
                       parameterization = "delta", ID.fac = "std.lv",
                       ID.cat = "Wu.Estabrook.2016", group = "school",
                       group.equal = levels[[nm]], return.fit = TRUE)
  fits[[nm]] <- fit
  pe <- parameterEstimates(fit, standardized = TRUE, remove.nonfree = FALSE)
  out[[nm]] <- list(fit_measures = as.list(fitMeasures(fit, c("npar", "df", "chisq", "chisq.scaled",
                                                                "cfi.scaled", "rmsea.scaled", "srmr"))),
                    estimates = pe[, c("lhs", "op", "rhs", "group", "est", "se", "std.all")])
}
lrt <- function(a, b) { t <- lavTestLRT(a, b); list(chisq_diff = t[2, "Chisq diff"], df_diff = t[2, "Df diff"]) }
out$lrt_loadings_vs_thresholds <- lrt(fits$thresholds, fits$loadings)
out$lrt_intercepts_vs_loadings <- lrt(fits$loadings, fits$intercepts)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(12), na = "null", pretty = TRUE),
           "tests/data/ordinal/semtools_ordinal_invariance_reference.json")
