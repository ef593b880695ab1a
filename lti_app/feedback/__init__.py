"""Mentor feedback on the competency framework: the framework and form templates (versioned per
programme), feedback requests from the student, forms filled in by a mentor (or by the coach for a
visit) with autosave, the student's response, growth per competency, and attachments."""
