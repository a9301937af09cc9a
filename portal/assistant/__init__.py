"""The AI practice sandbox (AI 실습), DESIGN.md §3.E. One idea per sub-package:

- ``guard/``: what must not reach a model (detection, checksums, masking, guard events);
- ``backends/``: the model interface and its errors, OpenAI-compatible servers, the offline
  coach as a backend, usage estimates, the registry of configured models;
- ``coach/``: the offline practice coach (outlines, draft checks, rubric feedback);
- ``content/``: document types and exercises from courses/, loading and sync;
- ``workspace/``: policy, conversations, drafts, streaming, quotas, retention;
- ``review/``: submissions, rubric scoring, the instructor review, DOCX and HWPX export;
- ``manage/``: coordinator figures and admin settings.

``models.py`` holds the tables, ``errors.py`` the refusal every rule raises,
``blueprint.py`` the blueprints that the view modules register on, and ``access.py`` the
lookups those views share, so that no view module imports another. Operations flush and
never commit; how the streamed answer and model scoring commit is described in
``portal/db.py``.
"""
