"""Tables and pages from an extraction folder: CSV/XLSX/Parquet export (export) and review pages (review)."""
