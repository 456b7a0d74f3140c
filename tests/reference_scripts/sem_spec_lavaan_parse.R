# Frozen reference for tests/test_syntax.py and tests/test_builders.py:
# how lavaan itself parses model syntax (lavParseModelString), written to
# tests/data/sem_spec/lavaan_parse.json.
#
# Run from the repository root:  Rscript tests/reference_scripts/sem_spec_lavaan_parse.R
# Made with R 4 and lavaan 0.6-14.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

ref <- fromJSON("tests/data/lavaan_reference.json", simplifyVector = FALSE)

models <- list(
  hs_cfa_ml = ref$hs_cfa_ml$model,
  pd_sem_ml = ref$pd_sem_ml$model,
  synergy_sem_ml = ref$synergy_sem_ml$model,
  riclpm_bivariate = ref$riclpm_bivariate$model,
  modifiers = paste(
    "# modifiers, comments, multi-line statements",
    "f =~ NA*x1 + a*x1 + c(1, NA)*x2 + start(0.5)*x3 + c(l1, l2)*x4 + -0.25*x5",
    "f =~ label(\"lam6\")*x6 + equal(\"lam6\")*x7 ! a bang comment",
    "y1 + y2 ~ 1 + b*x",
    "y3 ~ 0*1 + c(\"g1\", \"g2\")*x + 1e-3*z",
    "x ~~ start(c(0.2, NA))*z; z ~~ 1*z",
    "f2 =~ x8 +",
    "      x9",
    "    + x10",
    "ind := a*b",
    "a == b",
    "b > 0",
    sep = "\n"
  ),
  # hand-written: the synergy structural model the builder is meant to produce
  # (bundled instrument synergy-execution, hypotheses H1..H5, results a correlated block)
  synergy_structural = paste(
    "env_pressure =~ env_pressure_1 + env_pressure_2 + env_pressure_3",
    "leader_attention =~ leader_attention_1 + leader_attention_2 + leader_attention_3",
    "single_dept_difficulty =~ single_dept_difficulty_1 + single_dept_difficulty_2 + single_dept_difficulty_3",
    "authority_command =~ authority_command_1 + authority_command_2 + authority_command_3",
    "office_integration =~ office_integration_1 + office_integration_2 + office_integration_3",
    "info_sharing =~ info_sharing_1 + info_sharing_2 + info_sharing_3",
    "accountability =~ accountability_1 + accountability_2 + accountability_3",
    "matters_identification =~ matters_identification_1 + matters_identification_2 + matters_identification_3",
    "programme_planning =~ programme_planning_1 + programme_planning_2 + programme_planning_3",
    "synergy_decision =~ synergy_decision_1 + synergy_decision_2 + synergy_decision_3",
    "synergy_execution =~ synergy_execution_1 + synergy_execution_2 + synergy_execution_3",
    "synergy_evaluation =~ synergy_evaluation_1 + synergy_evaluation_2 + synergy_evaluation_3",
    "synergy_effect =~ synergy_effect_1 + synergy_effect_2 + synergy_effect_3 + synergy_effect_4",
    "implementation_gap =~ implementation_gap_1 + implementation_gap_2 + implementation_gap_3 + implementation_gap_4",
    "motivation =~ env_pressure + leader_attention + single_dept_difficulty",
    "mechanism =~ authority_command + office_integration + info_sharing + accountability",
    "process =~ matters_identification + programme_planning + synergy_decision + synergy_execution + synergy_evaluation",
    "mechanism ~ h1*motivation",
    "process ~ h2*mechanism + h4*motivation",
    "synergy_effect ~ h3_synergy_effect*process + h5_synergy_effect*mechanism",
    "implementation_gap ~ h3_implementation_gap*process + h5_implementation_gap*mechanism",
    "indirect_synergy_effect := h1*h2*h3_synergy_effect",
    "indirect_implementation_gap := h1*h2*h3_implementation_gap",
    sep = "\n"
  )
)

parse_one <- function(model) {
  flat <- lavParseModelString(model, as.data.frame. = TRUE)
  cons <- attr(lavParseModelString(model), "constraints")
  list(
    model = model,
    flat = lapply(seq_len(nrow(flat)), function(i) list(
      lhs = flat$lhs[i], op = flat$op[i], rhs = flat$rhs[i],
      fixed = flat$fixed[i], start = flat$start[i], label = flat$label[i]
    )),
    constraints = lapply(cons, function(x) list(op = x$op, lhs = x$lhs, rhs = x$rhs))
  )
}

out <- list(
  lavaan_version = as.character(packageVersion("lavaan")),
  models = lapply(models, parse_one)
)
dir.create("tests/data/sem_spec", showWarnings = FALSE, recursive = TRUE)
writeLines(toJSON(out, auto_unbox = TRUE, pretty = TRUE, null = "null"),
           "tests/data/sem_spec/lavaan_parse.json")
