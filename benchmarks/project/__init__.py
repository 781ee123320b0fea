"""A small Django project for the benchmarks, importable with our library or with 1.3.

It is imported as the top-level package ``project`` (the benchmark scripts put
``benchmarks/`` first on ``sys.path``, never the repository root, so that in the 1.3 venv
``import djangochannelsrestframework`` finds the released package and not this checkout).
"""
