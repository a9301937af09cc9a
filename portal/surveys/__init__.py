"""Satisfaction surveys (만족도 조사), anonymous in every report."""
