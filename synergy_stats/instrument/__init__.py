"""synergy_stats.instrument."""
