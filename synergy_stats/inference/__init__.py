"""synergy_stats.inference."""
