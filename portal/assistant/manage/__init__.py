"""Coordinator figures and admin settings (models, limits) of the practice sandbox."""
