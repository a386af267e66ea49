"""Bringing existing rosters in: experts and assignment requests from CSV, XLSX or JSON."""
