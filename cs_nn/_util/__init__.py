"""Low-level helpers with no course meaning (array helpers, atomic file writes)."""
