"""Pages of the performance app (indicator library, schemes, resolution, what-if)."""
