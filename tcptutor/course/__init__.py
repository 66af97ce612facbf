"""Instructor workflows: rosters, assessment sets, per-student variants, bulk grading, statistics."""
