"""Schools (workplaces) and their mentors: the college's directory, reused across courses."""
