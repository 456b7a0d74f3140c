# Frozen reference for synergy_stats.score(): construct scores of tests/data/intake/score_items.csv
# computed with psych::scoreItems (R 4, psych 2.2.9), the keys read from the instrument YAML.
# Run from the repository root:  Rscript tests/reference_scripts/intake_score_reference.R
#
# psych::scoreItems(keys, items, totals = FALSE, missing = TRUE, impute = "none", min = 1,
# max = 5) gives, per row, the mean of the answered items after reversing negatively keyed
# items as (min + max) - x. The minimum-items rule of score() is applied on top: a score is NA
# when fewer than ceiling(0.5 * k) items (min_items = 0.5) or fewer than 2 items
# (min_items = 2) are answered. The "sum" method is the prorated sum, mean * k.
suppressPackageStartupMessages({
  library(psych)
  library(yaml)
  library(jsonlite)
})
codebook <- yaml::read_yaml(file.path("instruments", "synergy-execution.yaml"))
items <- read.csv(file.path("tests", "data", "intake", "score_items.csv"))
item_construct <- vapply(codebook$items, function(it) it$construct, "")
item_id <- vapply(codebook$items, function(it) it$id, "")
item_rev <- vapply(codebook$items, function(it) isTRUE(it$reverse), TRUE)
constructs <- codebook$constructs
kind <- vapply(constructs, function(c) if (is.null(c$kind)) "factor" else c$kind, "")
names(kind) <- vapply(constructs, function(c) c$id, "")
components <- lapply(constructs, function(c) unlist(c$components))
names(components) <- names(kind)

expand <- function(cid) {
  if (kind[[cid]] == "factor") return(item_id[item_construct == cid])
  unlist(lapply(components[[cid]], expand))
}
scored <- c(names(kind)[kind == "factor"], names(kind)[kind == "second_order"])
keys <- lapply(scored, function(cid) {
  ids <- expand(cid)
  ifelse(item_rev[match(ids, item_id)], paste0("-", ids), ids)
})
names(keys) <- scored

x <- items[, item_id]
res <- scoreItems(keys, x, totals = FALSE, missing = TRUE, impute = "none", min = 1, max = 5)
means <- as.data.frame(res$scores)
out <- list(case = items$case)
for (cid in scored) {
  ids <- expand(cid)
  k <- length(ids)
  n_ans <- rowSums(!is.na(x[, ids, drop = FALSE]))
  m <- means[[cid]]
  m[n_ans == 0] <- NA
  frac <- ifelse(n_ans >= ceiling(0.5 * k), m, NA)
  cnt2 <- ifelse(n_ans >= 2, m, NA)
  out[[paste0("mean_half__", cid)]] <- frac
  out[[paste0("sum_half__", cid)]] <- frac * k
  out[[paste0("mean_two__", cid)]] <- cnt2
  out[[paste0("n_items__", cid)]] <- n_ans
}
json <- jsonlite::toJSON(list(
  generated_by = "tests/reference_scripts/intake_score_reference.R",
  r_version = R.version.string,
  psych_version = as.character(packageVersion("psych")),
  constructs = scored,
  columns = out
), digits = I(15), na = "null", auto_unbox = TRUE, pretty = TRUE)
writeLines(json, file.path("tests", "data", "intake", "score_reference.json"))
cat("wrote score_reference.json for", length(scored), "constructs\n")
