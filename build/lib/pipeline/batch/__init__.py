"""Batch extraction: read inputs (read), run the pipeline over many documents locally (extract) or on Dask (distributed), and benchmark it (bench)."""
