"""Colleges (tenants) and their programmes: who owns which registrations, schools and templates."""
