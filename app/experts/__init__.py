"""The diaspora expert registry: profiles, skills vocabulary, consent, CVs, vetting."""
