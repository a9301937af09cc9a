"""Monitoring: Prometheus metrics at /metrics (metrics.py)."""
