"""The reliability catalogue (issue 15, ``make chaos``): bad inputs, faults, attacks and
load, each case with the invariant it checks; the figures are printed at the end of the run
(``conftest.pytest_terminal_summary``). A package, so that its conftest does not shadow the
top-level ``conftest`` the other test folders import."""
