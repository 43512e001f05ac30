"""Pages of competitions, one module per concept; the URLs name them."""
