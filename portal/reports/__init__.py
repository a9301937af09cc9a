"""Dashboards and exports (SQL aggregation)."""
