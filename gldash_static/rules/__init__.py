"""Domain rules with one home each: text cleaning, safe URLs, facts pages show, list limits.

Render, archive and feeds all import from here, and this package imports neither of them,
so a rule cannot drift apart on two pages again.
"""
