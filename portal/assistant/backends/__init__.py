"""Model backends: the interface and its errors, OpenAI-compatible servers, the offline coach,
usage estimates, and the registry of configured models.

``openai_compat`` is the only module that imports ``openai``.
"""
