"""Grades that reach the LMS gradebook: line items (deep linking creates them), scores written
when a coach releases a grade, and the worker that sends them (LTI Assignment and Grade Services)."""
