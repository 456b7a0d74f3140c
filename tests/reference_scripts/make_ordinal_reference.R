# Frozen lavaan 0.6-14 / semTools / psych references for the ordinal branch (issue 13).
# Run from the repo root:  Rscript tests/reference_scripts/make_ordinal_reference.R
# Writes tests/data/ordinal/hs_ordinal.csv (the Holzinger-Swineford items cut into four
# categories at their quartiles; 10% missing version too) and tests/data/ordinal/*.json.
suppressMessages({library(lavaan); library(jsonlite)})
d <- "tests/data"
od <- file.path(d, "ordinal")
dir.create(od, showWarnings = FALSE, recursive = TRUE)
hs <- read.csv(file.path(d, "holzinger_swineford_1939.csv"))
hsm <- read.csv(file.path(d, "holzinger_swineford_1939_missing10.csv"))
items <- paste0("x", 1:9)
cut4 <- function(x, ref) {
  br <- quantile(ref, c(0, .25, .5, .75, 1), na.rm = TRUE)
  br[1] <- -Inf; br[5] <- Inf
  as.integer(cut(x, breaks = unique(br), labels = FALSE))
}
hso <- hs[, c("id", "school", items)]
hsmo <- hsm[, c("id", "school", items)]
for (v in items) {
  hso[[v]] <- cut4(hs[[v]], hs[[v]])
  hsmo[[v]] <- cut4(hsm[[v]], hs[[v]])
}
write.csv(hso, file.path(od, "hs_ordinal.csv"), row.names = FALSE)
write.csv(hsmo, file.path(od, "hs_ordinal_missing10.csv"), row.names = FALSE, na = "")
# mixed: x1-x6 ordinal, x7-x9 continuous (original scores)
hsmix <- hso
hsmix$x7 <- hs$x7; hsmix$x8 <- hs$x8; hsmix$x9 <- hs$x9
hsmix$ageyr <- hs$ageyr
write.csv(hsmix, file.path(od, "hs_mixed.csv"), row.names = FALSE)

hs_model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
pe_cols <- c("lhs", "op", "rhs", "label", "group", "est", "se", "std.lv", "std.all")
one <- function(fit, model, call) {
  pe <- parameterEstimates(fit, standardized = TRUE, remove.nonfree = FALSE)
  keep <- intersect(pe_cols, names(pe))
  fm <- fitMeasures(fit)
  tst <- lavInspect(fit, "test")
  tests <- lapply(tst, function(t) t[intersect(names(t), c("test", "stat", "df", "pvalue",
                                                            "scaling.factor", "shift.parameter",
                                                            "trace.UGamma", "trace.UGamma2"))])
  list(model = model, call = call,
       fit_measures = as.list(fm),
       tests = tests,
       estimates = pe[, keep],
       r2 = if (lavInspect(fit, "ngroups") == 1) as.list(lavInspect(fit, "r2"))
            else lapply(lavInspect(fit, "r2"), as.list),
       sample_th = if (lavInspect(fit, "ngroups") == 1) as.numeric(lavInspect(fit, "sampstat")$th)
                   else lapply(lavInspect(fit, "sampstat"), function(s) as.numeric(s$th)),
       nacov_diag = if (lavInspect(fit, "ngroups") == 1) as.numeric(diag(lavInspect(fit, "gamma")))
                    else lapply(lavInspect(fit, "gamma"), function(g) as.numeric(diag(g))))
}
out <- list(generator = paste("lavaan", packageVersion("lavaan")))

# ---- lavCor: polychoric (all ordinal) and mixed (polyserial + Pearson)
cor_ref <- function(dat, ordered, call) {
  fit <- lavCor(dat, ordered = ordered, se = "standard", output = "fit")
  pe <- parameterEstimates(fit)
  pe <- pe[pe$op %in% c("~~", "|") & !(pe$op == "~~" & pe$lhs == pe$rhs & pe$lhs %in% ordered), ]
  list(call = call, columns = names(dat), ordered = ordered,
       cor = unname(lavInspect(fit, "sampstat")$cov),
       estimates = pe[, c("lhs", "op", "rhs", "est", "se")])
}
out$lavcor_hs <- cor_ref(hso[, items], items, "lavCor(hs_ordinal[x1:x9], ordered = x1:x9, se = 'standard')")
out$lavcor_mixed <- cor_ref(hsmix[, items], items[1:6],
                            "lavCor(hs_mixed[x1:x9], ordered = x1:x6, se = 'standard')")

# ---- CFA on the four-category HS items
out$hs_wlsmv_delta <- one(cfa(hs_model, data = hso, ordered = items), hs_model,
                          "cfa(HS4, ordered = x1:x9)  # WLSMV, delta")
out$hs_wlsmv_theta <- one(cfa(hs_model, data = hso, ordered = items, parameterization = "theta"),
                          hs_model, "cfa(HS4, ordered = x1:x9, parameterization = 'theta')")
out$hs_ulsmv <- one(cfa(hs_model, data = hso, ordered = items, estimator = "ULSMV"), hs_model,
                    "cfa(HS4, ordered = x1:x9, estimator = 'ULSMV')")
out$hs_wlsm <- one(cfa(hs_model, data = hso, ordered = items, estimator = "WLSM"), hs_model,
                   "cfa(HS4, ordered = x1:x9, estimator = 'WLSM')")
out$hs_wls <- one(cfa(hs_model, data = hso, ordered = items, estimator = "WLS"), hs_model,
                  "cfa(HS4, ordered = x1:x9, estimator = 'WLS')")
out$hs_pairwise <- one(cfa(hs_model, data = hsmo, ordered = items, missing = "pairwise"),
                       hs_model, "cfa(HS4 missing10, ordered = x1:x9, missing = 'pairwise')")
out$hs_mixed <- one(cfa(hs_model, data = hsmix, ordered = items[1:6]), hs_model,
                    "cfa(HS, data = hs_mixed, ordered = x1:x6)  # x7-x9 continuous")
cov_model <- paste(hs_model, "visual ~ ageyr", sep = "\n")
out$hs_mixed_cov <- one(sem(cov_model, data = hsmix, ordered = items[1:6]), cov_model,
                        "sem(mixed + visual ~ ageyr, data = hs_mixed, ordered = x1:x6)  # conditional.x")

# ---- 16-item five-point synergy SEM with := under WLSMV
syn <- read.csv(file.path(d, "synergy_sim_n1000.csv"))
syn_model <- "mot =~ mot1 + mot2 + mot3 + mot4
mech =~ mech1 + mech2 + mech3 + mech4
proc =~ proc1 + proc2 + proc3 + proc4
res =~ res1 + res2 + res3 + res4
mech ~ a*mot
proc ~ b*mech + mot
res ~ c*proc + mech
indirect := a*b*c"
out$synergy_wlsmv <- one(sem(syn_model, data = syn, ordered = names(syn)), syn_model,
                         "sem(synergy, data = synergy_sim_n1000, ordered = TRUE)  # WLSMV")

# ---- two-group (school) threshold invariance ladder, lavaan's own group.equal rules
# (thresholds equal: scales ~*~ and latent means free in the second group)
ladder <- list(configural = "none", thresholds = "thresholds",
               loadings = c("thresholds", "loadings"),
               intercepts = c("thresholds", "loadings", "intercepts"))
for (nm in names(ladder)) {
  out[[paste0("hs_group_", nm)]] <- one(
    cfa(hs_model, data = hso, ordered = items, group = "school", group.equal = ladder[[nm]]),
    hs_model, paste0("cfa(HS4, ordered = x1:x9, group = 'school', group.equal = ",
                     deparse(ladder[[nm]]), ")"))
}

writeLines(toJSON(out, auto_unbox = TRUE, digits = I(12), na = "null", pretty = TRUE),
           file.path(od, "lavaan_ordinal_reference.json"))
