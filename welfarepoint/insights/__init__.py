"""Insights: anonymous demand counters, supply and demand, overlaps, monitoring tables, small-cell suppression."""
