"""One module per check family, each building a unit's jobs and judging its checks."""
