"""The workspace: the AI-use policy, conversations, drafts, streaming, quotas and retention."""
