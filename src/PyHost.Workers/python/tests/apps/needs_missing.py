import pyhost_no_such_dependency  # noqa: F401
