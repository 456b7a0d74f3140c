"""synergy_stats.tables."""
