# Recompute every published figure of marts.effect_sizes (and marts.pooled_effects, when
# present) from marts.episode_outcomes with R's own implementations, independently of the
# Python statistics module. Called by tests/r/test_r_crosscheck.py, which compares.
#
#   Rscript tests/r/crosscheck.R <input dir> <output dir>
#
# Input dir (written by the Python test from the warehouse):
#   episode_outcomes.csv  clinic_id, condition_group, frequency_band, measure, baseline, final,
#                         improvement, responder  (marts.episode_outcomes)
#   measures.csv          code, better, mcid      (ref.measures)
#   cells.csv             level, clinic_id, condition_group, frequency_band, measure, suppressed
#                         (the keys of marts.effect_sizes: which cells are published)
#   pooled.csv            optional: condition_group, frequency_band, measure, method
#                         (the rows of marts.pooled_effects)
# Output dir:
#   cells.csv             one row per cell R derives from episode_outcomes (all of them, so the
#                         test can check that no cell is missing or extra); every figure for the
#                         published ones, n only for the others
#   pooled.csv            one row per requested pooled estimate (metafor rma)
#   session.json          R and package versions
#
# Definitions: shared/design/statistics.md. Each figure names its R source below. Numbers are
# written with 17 significant digits, so they round-trip exactly.

suppressPackageStartupMessages({
  library(metafor)
  library(effectsize)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2) stop("usage: Rscript crosscheck.R <input dir> <output dir>")
indir <- args[1]
outdir <- args[2]

read_text_csv <- function(name, numeric = character(0), logical = character(0)) {
  path <- file.path(indir, name)
  df <- read.csv(path, colClasses = "character", na.strings = "", check.names = FALSE,
                 encoding = "UTF-8")
  for (col in numeric) df[[col]] <- as.numeric(df[[col]])
  for (col in logical) df[[col]] <- toupper(df[[col]]) == "TRUE"
  df
}

eo <- read_text_csv("episode_outcomes.csv", numeric = c("baseline", "final", "improvement"),
                    logical = "responder")
measures <- read_text_csv("measures.csv", numeric = "mcid")
cells <- read_text_csv("cells.csv", logical = "suppressed")

better <- setNames(measures$better, measures$code)
mcid <- setNames(measures$mcid, measures$code)
if (any(!eo$measure %in% names(better))) stop("a measure of episode_outcomes is not in measures.csv")

# improvement, recomputed: positive = better (statistics.md), rounded to 9 decimals (CHANGELOG:
# a decimal change such as 6.1 - 4.1 is the 2 points it is, for every statistic of d)
eo$higher <- better[eo$measure] == "higher"
eo$d <- round(ifelse(eo$higher, eo$final - eo$baseline, eo$baseline - eo$final), 9)

SEP <- "\x1f"
key_of <- function(level, clinic, group, band, measure) {
  paste(level, ifelse(is.na(clinic), "", clinic), group, band, measure, sep = SEP)
}

# every cell of the contract: level x (clinic) x condition x band (and 'all') x measure
idx <- seq_len(nrow(eo))
members <- c(
  split(idx, key_of("network", NA, eo$condition_group, eo$frequency_band, eo$measure)),
  split(idx, key_of("network", NA, eo$condition_group, "all", eo$measure)),
  split(idx, key_of("clinic", eo$clinic_id, eo$condition_group, eo$frequency_band, eo$measure)),
  split(idx, key_of("clinic", eo$clinic_id, eo$condition_group, "all", eo$measure))
)

cells$key <- key_of(cells$level, cells$clinic_id, cells$condition_group, cells$frequency_band, cells$measure)
published <- cells$key[!cells$suppressed]

num <- function(x) if (length(x) == 0 || is.null(x)) NA_real_ else as.numeric(x)[1]
z975 <- qnorm(0.975)

figures <- function(rows) {
  x <- eo$baseline[rows]
  y <- eo$final[rows]
  d <- eo$d[rows]
  m <- eo$measure[rows[1]]
  n <- length(x)
  sgn <- if (better[[m]] == "higher") 1 else -1  # metafor's change is post - pre
  r <- if (n >= 3 && sd(x) > 0 && sd(y) > 0) cor(x, y) else NA_real_

  out <- list(
    n = n,
    baseline_mean = mean(x), baseline_sd = sd(x),
    final_mean = mean(y), final_sd = sd(y),
    r_pre_post = r,
    mean_improvement = mean(d), sd_improvement = sd(d),
    # the mart's own improvement and responder columns against R's recomputation
    improvement_max_abs_diff = max(abs(d - eo$improvement[rows])),
    responder_column_count = sum(eo$responder[rows])
  )

  # d_z and g_z by effectsize (one-sample on the differences; hedges_g uses the exact J)
  out$d_z <- if (sd(d) > 0) num(effectsize::cohens_d(d, mu = 0, ci = NULL)$Cohens_d) else NA_real_
  out$g_z_effectsize <- if (sd(d) > 0 && n >= 3) num(effectsize::hedges_g(d, mu = 0, ci = NULL)$Hedges_g) else NA_real_

  # g_z and its CI by metafor escalc("SMCC"), exact correction, vtype "LS"
  if (!is.na(r) && sd(d) > 0) {
    smcc <- escalc("SMCC", m1i = mean(y), m2i = mean(x), sd1i = sd(y), sd2i = sd(x), ni = n, ri = r,
                   vtype = "LS")
    out$g_z <- sgn * num(smcc$yi)
    out$g_z_ci_low <- out$g_z - z975 * sqrt(num(smcc$vi))
    out$g_z_ci_high <- out$g_z + z975 * sqrt(num(smcc$vi))
  } else {
    out$g_z <- out$g_z_ci_low <- out$g_z_ci_high <- NA_real_
  }

  # smcr and smcr_var by metafor escalc("SMCR", vtype = "LS")
  if (!is.na(r) && sd(x) > 0) {
    smcr <- escalc("SMCR", m1i = mean(y), m2i = mean(x), sd1i = sd(x), ni = n, ri = r, vtype = "LS")
    out$smcr <- sgn * num(smcr$yi)
    out$smcr_var <- num(smcr$vi)
  } else {
    out$smcr <- out$smcr_var <- NA_real_
  }

  # Wilcoxon signed-rank, R's defaults (exact when n < 50 without ties or zeros, else normal
  # approximation with continuity correction); symmetric in the sign of the difference; on the
  # rounded d, which is wilcox.test(y, x, paired = TRUE) wherever the scores' changes are exact
  out$wilcoxon_p <- if (any(d != 0)) num(suppressWarnings(wilcox.test(d))$p.value) else NA_real_
  nz <- abs(d[d != 0])
  out$wilcoxon_exact <- as.numeric(length(nz) < 50 && !any(d == 0) && !any(duplicated(nz)))

  # responders: improvement (rounded to 9 decimals above) >= MCID (statistics.md, effect.py)
  resp <- sum(d >= mcid[[m]])
  out$responders <- resp
  out$responder_rate <- resp / n
  ci <- suppressWarnings(prop.test(resp, n, correct = FALSE))$conf.int
  out$responder_ci_low <- ci[1]
  out$responder_ci_high <- ci[2]
  out
}

keys <- names(members)
parts <- strsplit(keys, SEP, fixed = TRUE)
result <- data.frame(
  level = vapply(parts, `[`, "", 1),
  clinic_id = vapply(parts, function(p) if (p[2] == "") NA_character_ else p[2], ""),
  condition_group = vapply(parts, `[`, "", 3),
  frequency_band = vapply(parts, `[`, "", 4),
  measure = vapply(parts, `[`, "", 5),
  stringsAsFactors = FALSE
)
result$published <- keys %in% published
names_fig <- c("n", "baseline_mean", "baseline_sd", "final_mean", "final_sd", "r_pre_post",
               "mean_improvement", "sd_improvement", "improvement_max_abs_diff",
               "responder_column_count", "d_z", "g_z_effectsize", "g_z", "g_z_ci_low",
               "g_z_ci_high", "smcr", "smcr_var", "wilcoxon_p", "wilcoxon_exact", "responders", "responder_rate",
               "responder_ci_low", "responder_ci_high")
for (f in names_fig) result[[f]] <- NA_real_
for (i in seq_along(keys)) {
  rows <- members[[i]]
  if (result$published[i]) {
    fig <- figures(rows)
    for (f in names_fig) result[[f]][i] <- fig[[f]]
  } else {
    result$n[i] <- length(rows)
  }
}

# Benjamini-Hochberg over the published cells of each level (NA p-values are not counted)
result$q_value <- NA_real_
for (lv in c("network", "clinic")) {
  sel <- result$published & result$level == lv
  result$q_value[sel] <- p.adjust(result$wilcoxon_p[sel], method = "BH")
}

fmt <- function(df) {
  for (col in names(df)) {
    if (is.numeric(df[[col]])) df[[col]] <- ifelse(is.na(df[[col]]), NA, sprintf("%.17g", df[[col]]))
  }
  df
}
dir.create(outdir, showWarnings = FALSE, recursive = TRUE)
write.csv(fmt(result), file.path(outdir, "cells.csv"), row.names = FALSE, na = "")

# Pooling across clinics: REML (or the requested method) over the published clinic cells of a
# condition x band x measure with an smcr and its variance, as metafor rma()
pooled_in <- file.path(indir, "pooled.csv")
if (file.exists(pooled_in)) {
  wanted <- read_text_csv("pooled.csv")
  # a variance of at most 1e-12 is 0 (pipeline.stats.pooling.VI_ZERO: the rounding residue of r = 1),
  # and a clinic with a zero variance is left out (statistics.md, k_excluded)
  clin <- result[result$published & result$level == "clinic" & !is.na(result$smcr) & !is.na(result$smcr_var) &
                   result$smcr_var > 1e-12, ]
  rows <- list()
  for (i in seq_len(nrow(wanted))) {
    w <- wanted[i, ]
    s <- clin[clin$condition_group == w$condition_group & clin$frequency_band == w$frequency_band &
                clin$measure == w$measure, ]
    s <- s[order(s$clinic_id), ]
    row <- list(condition_group = w$condition_group, frequency_band = w$frequency_band,
                measure = w$measure, method = w$method, k = nrow(s),
                clinics = paste(s$clinic_id, collapse = ";"), error = NA_character_)
    fit <- tryCatch(
      rma(yi = s$smcr, vi = s$smcr_var, method = w$method),
      error = function(e) e
    )
    if (inherits(fit, "error")) {
      row$error <- conditionMessage(fit)
    } else {
      pr <- predict(fit)
      row <- c(row, list(
        estimate = num(fit$b), se = num(fit$se), ci_low = num(fit$ci.lb), ci_high = num(fit$ci.ub),
        tau2 = num(fit$tau2), i2 = num(fit$I2), q = num(fit$QE),
        pred_low = num(if (is.null(pr$pi.lb)) pr$ci.lb else pr$pi.lb),
        pred_high = num(if (is.null(pr$pi.ub)) pr$ci.ub else pr$pi.ub)
      ))
    }
    rows[[i]] <- row
  }
  cols <- c("condition_group", "frequency_band", "measure", "method", "k", "clinics", "error",
            "estimate", "se", "ci_low", "ci_high", "tau2", "i2", "q", "pred_low", "pred_high")
  pooled <- do.call(rbind, lapply(rows, function(r) {
    as.data.frame(lapply(setNames(cols, cols), function(c) if (is.null(r[[c]])) NA else r[[c]]),
                  stringsAsFactors = FALSE)
  }))
  if (is.null(pooled)) pooled <- setNames(data.frame(matrix(nrow = 0, ncol = length(cols))), cols)
  write.csv(fmt(pooled), file.path(outdir, "pooled.csv"), row.names = FALSE, na = "")
}

writeLines(toJSON(list(
  r = R.version.string,
  metafor = as.character(packageVersion("metafor")),
  effectsize = as.character(packageVersion("effectsize")),
  cells = nrow(result), published = sum(result$published)
), auto_unbox = TRUE), file.path(outdir, "session.json"))
