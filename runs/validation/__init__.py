"""The model validation suite (``aipm check-model``): patterns over seeds, stated tests.

* :mod:`runs.validation.suite` — runs every shipped scenario over many seeds and
  builds the table of checks;
* :mod:`runs.validation.claims` — the scenarios' ``[expect]`` claims;
* :mod:`runs.validation.bounds` — documented size bounds with sources;
* :mod:`runs.validation.stats` — the statistical tests;
* :mod:`runs.validation.checks`, :mod:`runs.validation.synthetic`,
  :mod:`runs.validation.seednoise` — the checks;
* :mod:`runs.validation.page` — the table, figures and docs page.

See ``docs/explanation/validation.md``.
"""
