# The risk-adjusted benchmarks recomputed with R's own lm() and glm() on one row per episode
# (tests/r/test_r_crosscheck.py::test_case_mix_benchmarks_match_lm_and_glm). The pipeline fits
# the same models from sums (agg.benchmark_moments, agg.case_mix_counts); here they are fitted
# on the episodes: per measure, lm(improvement ~ baseline + condition group + age band + sex +
# payer) and glm(responder ~ condition group + age band + sex + payer + baseline band,
# binomial), a missing covariate its own level 'unknown', a covariate with one level left out;
# per clinic x condition x measure, observed - expected with a t interval (improvement) and a
# normal interval of variance sum p (1 - p) / n^2 (responders).
# Usage: Rscript casemix.R <indir> <outdir> <bands>
args <- commandArgs(trailingOnly = TRUE)
indir <- args[1]
outdir <- args[2]
bands <- as.integer(args[3])

eo <- read.csv(file.path(indir, "episode_outcomes.csv"), colClasses = "character", na.strings = "")
for (col in c("baseline", "improvement")) eo[[col]] <- as.numeric(eo[[col]])
eo$responder <- as.numeric(toupper(eo$responder) == "TRUE")
for (col in c("age_band", "sex", "payer")) eo[[col]][is.na(eo[[col]])] <- "unknown"
ranges <- read.csv(file.path(indir, "ranges.csv"), colClasses = c("character", "numeric", "numeric"))
lo <- setNames(ranges$range_min, ranges$code)[eo$measure]
hi <- setNames(ranges$range_max, ranges$code)[eo$measure]
eo$baseline_band <- as.character(pmin(floor(round(bands * (eo$baseline - lo) / (hi - lo), 9)), bands - 1))

varying <- function(d, vars) Filter(function(v) length(unique(d[[v]])) > 1, vars)
z975 <- qnorm(0.975)
fits <- list()
bench <- list()
for (m in sort(unique(eo$measure))) {
  d <- eo[eo$measure == m, ]
  lin <- lm(reformulate(c("baseline", varying(d, c("condition_group", "age_band", "sex", "payer"))), "improvement"),
            data = d)
  d$expected <- fitted(lin)
  rate <- mean(d$responder)
  pseudo_r2 <- NA_real_
  d$expected_p <- rate
  if (rate > 0 && rate < 1) {
    rterms <- varying(d, c("condition_group", "age_band", "sex", "payer", "baseline_band"))
    form <- if (length(rterms)) reformulate(rterms, "responder") else responder ~ 1
    logit <- suppressWarnings(glm(form, family = binomial, data = d,
                                  control = glm.control(epsilon = 1e-14, maxit = 200)))
    d$expected_p <- fitted(logit)
    pseudo_r2 <- 1 - logit$deviance / logit$null.deviance
  }
  ss_res <- sum(residuals(lin)^2)
  ss_tot <- sum((d$improvement - mean(d$improvement))^2)
  fits[[m]] <- data.frame(measure = m, episodes = nrow(d),
                          r2_improvement = if (ss_tot > 0) 1 - ss_res / ss_tot else NA_real_,
                          rmse_improvement = sqrt(ss_res / nrow(d)), pseudo_r2_responder = pseudo_r2)
  for (g in split(d, list(d$clinic_id, d$condition_group), drop = TRUE)) {
    n <- nrow(g)
    res <- g$improvement - g$expected
    half <- if (n >= 2) qt(0.975, n - 1) * sd(res) / sqrt(n) else NA_real_
    rdiff <- mean(g$responder) - mean(g$expected_p)
    rhalf <- if (n >= 2) z975 * sqrt(sum(g$expected_p * (1 - g$expected_p))) / n else NA_real_
    bench[[length(bench) + 1]] <- data.frame(
      clinic_id = g$clinic_id[1], condition_group = g$condition_group[1], measure = m, n = n,
      observed_improvement = mean(g$improvement), expected_improvement = mean(g$expected),
      difference = mean(res), difference_ci_low = mean(res) - half, difference_ci_high = mean(res) + half,
      observed_responder_rate = mean(g$responder), expected_responder_rate = mean(g$expected_p),
      responder_difference = rdiff, responder_difference_ci_low = rdiff - rhalf,
      responder_difference_ci_high = rdiff + rhalf)
  }
}
dir.create(outdir, showWarnings = FALSE, recursive = TRUE)
write.csv(do.call(rbind, fits), file.path(outdir, "fits.csv"), row.names = FALSE, na = "")
write.csv(do.call(rbind, bench), file.path(outdir, "benchmarks.csv"), row.names = FALSE, na = "")
