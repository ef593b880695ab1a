"""Guests without an LMS account (school mentors today): sign-in links, guest sessions, access."""
