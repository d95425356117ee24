"""A static site generator for the bilingual (German/English) Saxony life-sciences microsite.

Pipeline stages, each in its own module: load → model (with markup) → i18n → render → write.
"""

__version__ = "0.1.0"
