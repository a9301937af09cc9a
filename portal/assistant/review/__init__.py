"""Submitted exercises: rubric scoring (offline or by a model), the instructor review, and export."""
