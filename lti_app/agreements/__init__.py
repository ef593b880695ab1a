"""The tripartite placement agreement: templates, signing by student, school and college,
immutable signed versions, addenda, PDFs and their verification."""
