"""ddss — đúng · đủ · sạch · sống.

The package behind the DAGs, the CLI and the tests: every piece of work is a function
here; DAG files and the CLI only wire these functions.
"""

__version__ = "0.1.0"
