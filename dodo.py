from doitenv.tasks import *  # noqa: F403
