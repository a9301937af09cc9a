"""The personal-data guard (DESIGN.md §3.E): detection, checksums, masking, wording, guard events.

``detect`` finds personal identifiers and classification markers, ``masking`` replaces them,
``events`` decides what a text may be sent at a data grade and records each decision.
Everything but ``events`` is pure: no database, no request.
"""
