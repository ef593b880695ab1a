"""The student's home: her placements and the one next step she has to take. It hangs on the
placements blueprint (endpoint ``placements.student_home``) but reads agreements and hours, so
it lives at the top of the house, next to the pipeline; nothing imports it."""
