"""Render a snapshot into the static dashboard site (HTML, CSS, SVG, a little JavaScript)."""

from gldash_static.render.site import ExtraFile, ExtraPage, RenderResult, render_site

__all__ = ["ExtraFile", "ExtraPage", "RenderResult", "render_site"]
