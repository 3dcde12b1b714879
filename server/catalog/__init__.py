"""The product catalog in the database: products, SKUs and their 3D model uploads (import, the
in-process snapshot the live path reads, renders)."""
