"""Data integration (D1–D4): sources and metrics, ingestion (upload, push API, scheduled pull),
cleaning with quarantine, immutable facts with batch lineage, and metric formulas."""
