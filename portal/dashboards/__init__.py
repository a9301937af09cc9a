"""Coordinator and admin dashboards: adoption, departments, sessions and the sandbox."""
