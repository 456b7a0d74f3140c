"""synergy_stats.simulate."""
