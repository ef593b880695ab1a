"""Reflection journals: entries a student writes from prompts (Korthagen's ALACT, STARR, free),
the assignments a coach sets per course, and the coach's review and grade."""
