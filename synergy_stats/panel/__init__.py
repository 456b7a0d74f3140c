"""synergy_stats.panel."""
