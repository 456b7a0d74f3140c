"""synergy_stats.sem."""
