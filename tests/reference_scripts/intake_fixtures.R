# Write the XLSX, SPSS .sav and Stata .dta versions of the intake twin fixtures.
# Run from the repository root after  python tests/data/intake/make_fixtures.py :
#   Rscript tests/reference_scripts/intake_fixtures.R
# R 4 with openxlsx and haven. Columns whose non-empty cells are all numbers become numeric
# columns (empty -> missing); columns holding any text stay text columns, as a survey
# platform's export would. In the .sav files the numeric item columns carry SPSS value labels
# and the user-missing codes 8 (refused) and 9 (don't know).
suppressPackageStartupMessages({
  library(haven)
  library(openxlsx)
})
dir <- file.path("tests", "data", "intake")
roles <- c("respondent_id", "wave", "department", "gender", "env_presure_3")
value_labels <- c("strongly disagree" = 1, "disagree" = 2, "neither agree nor disagree" = 3,
                  "agree" = 4, "strongly agree" = 5, "refused" = 8, "don't know" = 9)

typed <- function(path) {
  raw <- read.csv(path, colClasses = "character", na.strings = character(0),
                  check.names = FALSE, fileEncoding = "UTF-8-BOM", encoding = "UTF-8")
  out <- lapply(raw, function(v) {
    blank <- trimws(v) == ""
    num <- suppressWarnings(as.numeric(v))
    if (all(blank | !is.na(num))) {
      num[blank] <- NA
      num
    } else {
      v[blank] <- NA
      v
    }
  })
  as.data.frame(out, check.names = FALSE, stringsAsFactors = FALSE)
}

for (twin in c("clean", "messy")) {
  d <- typed(file.path(dir, paste0(twin, ".csv")))
  write.xlsx(d, file.path(dir, paste0(twin, ".xlsx")), overwrite = TRUE)
  write_dta(d, file.path(dir, paste0(twin, ".dta")), version = 15)
  s <- d
  for (nm in setdiff(names(s), roles)) {
    if (is.numeric(s[[nm]])) {
      s[[nm]] <- labelled_spss(s[[nm]], labels = value_labels, na_values = c(8, 9))
    }
  }
  write_sav(s, file.path(dir, paste0(twin, ".sav")))
}
cat("wrote", list.files(dir, pattern = "\\.(xlsx|sav|dta)$"), "\n")
