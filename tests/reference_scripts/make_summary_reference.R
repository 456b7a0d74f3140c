# Frozen lavaan printouts for fit.summary() (run from the repo root:
#   Rscript tests/reference_scripts/make_summary_reference.R
# Needs Debian's r-base-core and r-cran-lavaan). Writes tests/data/tables/summary_*.txt:
# summary(fit, fit.measures = TRUE, standardized = TRUE, rsquare = TRUE) of
#   - the Holzinger-Swineford three-factor CFA (ML, complete data),
#   - the synergy SEM on synergy_sim_n1000.csv (MLR, a defined indirect effect),
#   - the HS CFA on the 10% missing data (MLR with FIML: robust lines, missing patterns).
suppressMessages(library(lavaan))
d <- "tests/data"
hs <- read.csv(file.path(d, "holzinger_swineford_1939.csv"))
hsm <- read.csv(file.path(d, "holzinger_swineford_1939_missing10.csv"))
syn <- read.csv(file.path(d, "synergy_sim_n1000.csv"))
hs_model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
syn_model <- "mot =~ mot1 + mot2 + mot3 + mot4
mech =~ mech1 + mech2 + mech3 + mech4
proc =~ proc1 + proc2 + proc3 + proc4
res =~ res1 + res2 + res3 + res4
mech ~ a*mot
proc ~ b*mech + mot
res ~ c*proc + mech
indirect := a*b*c"
out <- file.path(d, "tables")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
freeze <- function(fit, name) {
  text <- capture.output(summary(fit, fit.measures = TRUE, standardized = TRUE, rsquare = TRUE))
  writeLines(c(paste("# lavaan", packageVersion("lavaan")), text),
             file.path(out, paste0("summary_", name, ".txt")))
}
freeze(cfa(hs_model, data = hs), "hs_cfa")
freeze(sem(syn_model, data = syn, estimator = "MLR"), "synergy_sem_mlr")
freeze(cfa(hs_model, data = hsm, missing = "ml", estimator = "MLR"), "hs_cfa_fiml_mlr")
