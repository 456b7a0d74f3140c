"""synergy_stats.measurement."""
