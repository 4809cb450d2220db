"""Sahifa: a static-site generator for multilingual, right-to-left-aware news sites.

The package is a one-way pipeline of small stages:
read (``readers``: ``seeds``, ``content``) -> model (``model``, ``assemble``) -> plan
(``pages``) -> render (``render``, ``calendars``, ``i18n``) -> write (``write``) -> serve
(``server``, ``live``).
``pipeline.build_site`` is the recipe that runs them in order.
"""

__version__ = "0.1.0"
