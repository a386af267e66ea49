"""Trainings and capacity building recorded by partner agencies (issue 15)."""
