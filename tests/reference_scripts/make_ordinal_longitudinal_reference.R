# Frozen semTools 0.5-6 / lavaan 0.6-14 references for the longitudinal ordinal ladder of
# Wu & Estabrook (2016) (issue 13): the four synergy-effect items at waves 1 and 2 of the
# bundled example (tests/data/ordinal/synergy_effect_w1w2.csv, complete pairs),
# measEq.syntax(ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", longFacNames = ...).
# Run from the repo root: Rscript tests/reference_scripts/make_ordinal_longitudinal_reference.R
suppressMessages({library(lavaan); library(semTools); library(jsonlite)})
d <- read.csv("tests/data/ordinal/synergy_effect_w1w2.csv")
items <- setdiff(names(d), "respondent_id")
m <- paste("eff1 =~", paste(items[1:4], collapse = " + "), "\neff2 =~", paste(items[5:8], collapse = " + "))
levels <- list(configural = "configural", thresholds = "thresholds",
               loadings = c("thresholds", "loadings"),
               intercepts = c("thresholds", "loadings", "intercepts"))
out <- list(generator = paste("semTools", packageVersion("semTools"), "lavaan", packageVersion("lavaan")),
            model = m)
for (nm in names(levels)) {
  syn <- measEq.syntax(configural.model = m, data = d, ordered = items, parameterization = "delta",
                       ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016",
                       longFacNames = list(eff = c("eff1", "eff2")), long.equal = levels[[nm]])
  fit <- cfa(as.character(syn), data = d, ordered = items, parameterization = "delta")
  pe <- parameterEstimates(fit, standardized = TRUE, remove.nonfree = FALSE)
  out[[nm]] <- list(syntax = as.character(syn),
                    fit_measures = as.list(fitMeasures(fit, c("npar", "df", "chisq", "chisq.scaled",
                                                                "cfi.scaled", "rmsea.scaled", "srmr"))),
                    estimates = pe[, c("lhs", "op", "rhs", "label", "est", "se", "std.all")])
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(12), na = "null", pretty = TRUE),
           "tests/data/ordinal/semtools_ordinal_longitudinal_reference.json")
