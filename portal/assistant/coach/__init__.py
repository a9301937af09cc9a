"""The offline practice coach: outlines, draft checks and computable rubric feedback, no model."""
