from tests.integration.conftest import backend, new_project  # noqa: F401  (shared fixtures)
