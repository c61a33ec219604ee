# R's answer for pipeline.cohorts.compare(): Welch's t for the difference in mean improvement
# and Newcombe's hybrid score interval (from prop.test's Wilson intervals) with prop.test's
# chi-squared p-value for the difference in responder rates.
#
#   Rscript tests/r/compare.R <pairs.json> <out.json>
#
# out.json: one object per pair, every number a string of 17 significant digits (null when
# undefined).
# pairs.json: [{"a": [improvements], "b": [improvements], "xa": int, "na": int, "xb": int, "nb": int}, ...]

suppressPackageStartupMessages(library(jsonlite))
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2) stop("usage: Rscript compare.R <pairs.json> <out.json>")
pairs <- fromJSON(args[1], simplifyVector = FALSE)
u <- function(x) as.numeric(unlist(x))

out <- lapply(pairs, function(p) {
  a <- u(p$a)
  b <- u(p$b)
  t <- t.test(a, b)  # var.equal = FALSE: Welch
  xa <- p$xa; na <- p$na; xb <- p$xb; nb <- p$nb
  wa <- suppressWarnings(prop.test(xa, na, correct = FALSE))$conf.int
  wb <- suppressWarnings(prop.test(xb, nb, correct = FALSE))$conf.int
  pa <- xa / na
  pb <- xb / nb
  pooled <- suppressWarnings(prop.test(c(xa, xb), c(na, nb), correct = FALSE))$p.value
  list(
    mean_difference = mean(a) - mean(b),
    mean_difference_se = t$stderr,
    welch_df = unname(t$parameter),
    welch_t = unname(t$statistic),
    mean_difference_ci_low = t$conf.int[1],
    mean_difference_ci_high = t$conf.int[2],
    mean_difference_p = t$p.value,
    responder_difference = pa - pb,
    responder_difference_ci_low = max(-1, pa - pb - sqrt((pa - wa[1])^2 + (wb[2] - pb)^2)),
    responder_difference_ci_high = min(1, pa - pb + sqrt((wa[2] - pa)^2 + (pb - wb[1])^2)),
    responder_difference_p = if (is.na(pooled)) NA else pooled
  )
})
# numbers as strings of 17 significant digits: jsonlite writes at most 15
exact <- function(x) if (is.na(x)) NA_character_ else sprintf("%.17g", x)
out <- lapply(out, function(r) lapply(r, exact))
writeLines(toJSON(out, auto_unbox = TRUE, na = "null"), args[2])
