"""synergy_stats.intake."""
