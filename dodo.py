# The star import, the line doitenv gave before tasks.export: kept here so that every run of our own
# tasks shows it still works for the projects that have it. Our venv holds doitenv: checkers resolve it.
from doitenv.tasks import *  # noqa: F403
