"""The hours log: the student logs days and lessons, the mentor approves a week."""
