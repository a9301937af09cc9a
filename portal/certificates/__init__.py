"""Certificates of completion (수료증): PDF, numbering and public verification."""
