"""synergy_stats.regression."""
