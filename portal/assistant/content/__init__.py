"""Document types and exercises read from courses/: field rules, loading, and sync to the database."""
