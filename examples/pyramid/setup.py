"""The project's packaging, as Pyramid's cookiecutter writes it. `pip install -e .` (or `python3 setup.py egg_info`)
writes pyramid_example.egg-info, whose entry point `use = egg:pyramid_example` in development.ini resolves to. That
directory is committed, so the example runs without installing anything."""

from setuptools import find_packages, setup

setup(
    name="pyramid_example",
    version="1.0",
    packages=find_packages(),
    install_requires=["pyramid"],
    entry_points={"paste.app_factory": ["main = pyramid_example:main"]},
)
