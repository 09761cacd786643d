"""Childcare's periodic jobs (server/jobs.py runs every domain's, each minute, on one replica)."""

from resolvers.childcare.sessions import generate_sessions

JOBS = (generate_sessions,)
