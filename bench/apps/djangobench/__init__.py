"""A minimal Django project (and its one app): a view that runs a SQLite query and renders a template.

The database lives wherever $BENCH_DJANGO_DB points; bench/run creates and fills it in a temp dir with
`python3 -m djangobench.seed`.
"""
