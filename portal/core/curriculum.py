"""The layout of the courses/ tree, shared by the catalogue and the assistant content loaders.

Each course is ``courses/<slug>/``; its practice exercises sit in its ``exercises/`` folder,
which the course loader allows and skips and the assistant content loader reads.
courses/README.md documents the tree for authors.
"""

from __future__ import annotations

# courses/<course>/exercises/<slug>.yml
EXERCISES_DIR = "exercises"

# ``sort_order`` of a course, document type or exercise.
SORT_ORDER_RANGE = (-10_000, 10_000)
