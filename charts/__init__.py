"""Charts drawn on the server as accessible SVG, and report PDFs (plain Python and fpdf2).

The reports (yearly usage, a meeting's sites, a course's completion, a competition's results)
draw their charts here: no chart library in the browser, nothing from a CDN.
"""
