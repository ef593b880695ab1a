"""Placements: a student of a course at a school, with mentors and a coach, proposed and then
approved or returned; their history, and the CSV import of a whole course."""
