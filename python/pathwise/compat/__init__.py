"""Drop-in replacements for other libraries' APIs, running on the Pathwise core.

- :mod:`pathwise.compat.pybkt`: ``Model``, compatible with pyBKT's ``pyBKT.models.Model``.
"""
